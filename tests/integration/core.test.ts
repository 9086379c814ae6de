/**
 * The core promises of issue 2, checked on real pytest runs of small projects.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { processesIn, readReport, runCli, startCli, temporaryProjects, testEnv } from "../helpers/project.js";

const project = temporaryProjects();

const PASS = "def test_ok():\n    assert True\n";
const FAIL = "def test_bad():\n    assert 1 == 2\n";

/**
 * Each test marks itself running in a shared folder, records how many were
 * running at once, and waits until `expected` are running together: a
 * barrier that proves the concurrency instead of hoping timing shows it.
 */
function barrierTest(syncDir: string, expected: number): string {
  return `import json, os, pathlib, time

SYNC = pathlib.Path(${JSON.stringify(syncDir)})

def running():
    return len(list(SYNC.glob("running-*")))

def test_barrier():
    me = SYNC / f"running-{os.getpid()}"
    me.touch()
    try:
        peak = running()
        deadline = time.monotonic() + 30
        while running() < ${expected} and time.monotonic() < deadline:
            peak = max(peak, running())
            time.sleep(0.01)
        peak = max(peak, running())
        (SYNC / f"seen-{os.getpid()}.json").write_text(json.dumps({
            "peak": peak, "slot": os.environ["GRIMOIRE_SLOT"], "workers": os.environ["GRIMOIRE_WORKERS"],
            "file": __file__,
        }))
        assert peak >= ${expected}, f"only {peak} files ran at once"
        time.sleep(0.2)
    finally:
        me.unlink()
`;
}

describe("parallel runs", () => {
  it("runs --workers files at once, never more, one pytest process per file", async () => {
    const p = project({});
    const sync = path.join(p.root, "sync");
    fs.mkdirSync(sync);
    for (let i = 0; i < 6; i++) p.write(`tests/http/test_${i}.py`, barrierTest(sync, 3));

    const result = await runCli(["--parallel", "--workers", "3", "--report-json", "report.json"], { cwd: p.root });

    expect(result.code, result.stdout + result.stderr).toBe(0);
    const seen = fs
      .readdirSync(sync)
      .filter((f) => f.startsWith("seen-"))
      .map((f) => ({ pid: f, ...(JSON.parse(fs.readFileSync(path.join(sync, f), "utf8")) as { peak: number; slot: string; workers: string; file: string }) }));
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((s) => s.pid)).size).toBe(6);
    expect(new Set(seen.map((s) => s.file)).size).toBe(6);
    expect(Math.max(...seen.map((s) => s.peak))).toBe(3);
    expect(new Set(seen.map((s) => s.slot))).toEqual(new Set(["0", "1", "2"]));
    expect(seen.every((s) => s.workers === "3")).toBe(true);
    expect(result.stdout).toMatch(/^Found 6 test files, running them on 3 workers$/m);

    const report = readReport(p);
    expect(report.workers).toBe(3);
    expect(report.files.map((f) => f.path).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `tests/http/test_${i}.py`));
  });

  it("starts the first file once pytest's listing has answered, not once its session has ended, and waits for that end", async () => {
    // The listing's session end (its plugins' summaries and teardown) waits until a test has run: a run that waited for
    // it before its first file would stall until the conftest gives up. The session's end is awaited before the run's.
    const conftest = `import os, pathlib, time

def pytest_unconfigure(config):
    if not os.environ.get("GRIMOIRE_LIST_FILE"):
        return
    deadline = time.monotonic() + 20
    while not pathlib.Path("test-ran").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    pathlib.Path("listing-ended").write_text("after a test" if pathlib.Path("test-ran").exists() else "gave up")
`;
    const p = project({
      "tests/conftest.py": conftest,
      "tests/http/test_a.py": "import pathlib\n\ndef test_a():\n    pathlib.Path('test-ran').touch()\n",
      "tests/http/test_b.py": PASS,
    });
    for (const args of [["--parallel", "-n", "2"], ["--parallel", "--no-fork-server"]]) {
      fs.rmSync(path.join(p.root, "test-ran"), { force: true });
      fs.rmSync(path.join(p.root, "listing-ended"), { force: true });
      const result = await runCli(args, { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(p.read("listing-ended")).toBe("after a test");
      expect(processesIn(p.root)).toEqual([]);
    }
    // The line that says the answer is written is grimoire-run's, not the log's.
    const logs = path.join(p.root, ".grimoire", "logs");
    const collectLog = fs.readFileSync(path.join(logs, fs.readdirSync(logs).sort().at(-1) ?? "", "collect.log"), "utf8");
    expect(collectLog).toMatch(/collected 0 items/);
    expect(collectLog).not.toMatch(/listed the files/);
  });

  it("says what it waits for where pytest's listing session outlasts the files: pytest removing older numbered folders", async () => {
    // setuptools' trial: 37 s after the last file without a word, the listing's pytest removing what a plain run left.
    const conftest = `import getpass, os, pathlib, tempfile, time

def pytest_unconfigure(config):
    if not os.environ.get("GRIMOIRE_LIST_FILE") or not os.environ.get("SLOW_END"):
        return
    garbage = pathlib.Path(tempfile.gettempdir(), f"pytest-of-{getpass.getuser()}", f"garbage-{os.getpid()}")
    if os.environ["SLOW_END"] == "removing":
        garbage.mkdir(parents=True)
    time.sleep(5)  # as long as a large tree takes to remove
    if garbage.exists():
        garbage.rmdir()
`;
    const p = project({ "tests/conftest.py": conftest, "tests/http/test_a.py": PASS, "tests/http/test_b.py": PASS });
    const quick = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(quick.code, quick.stdout + quick.stderr).toBe(0);
    expect(quick.stdout).not.toMatch(/Waiting for pytest's listing session/);
    const removing = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ SLOW_END: "removing" }) });
    expect(removing.code, removing.stdout + removing.stderr).toBe(0);
    expect(removing.stdout).toMatch(/^Waiting for pytest's listing session to end: pytest is removing the older numbered folders of \S*pytest-of-\S+ it keeps none of, as every pytest session does as it ends \(a plain run's too\)/m);
    expect(removing.stdout.indexOf("Waiting for pytest's listing")).toBeLessThan(removing.stdout.indexOf("files: 2 passed"));
    const other = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ SLOW_END: "other" }) });
    expect(other.stdout).toMatch(/^Waiting for pytest's listing session to end \(its plugins' end of the session\)$/m);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("ends pytest's listing session rather than wait for it when --fail-fast stops the run (virtualenv's trial: 78 s)", async () => {
    const conftest = `import os, pathlib, time

def pytest_unconfigure(config):
    if os.environ.get("GRIMOIRE_LIST_FILE"):
        pathlib.Path("listing-ending").touch()
        time.sleep(120)  # as long as pytest takes to remove large numbered folders
`;
    const p = project({ "tests/conftest.py": conftest, "tests/http/test_a.py": "def test_a():\n    assert False\n", "tests/http/test_b.py": PASS });
    const result = await runCli(["--parallel", "-n", "2", "--fail-fast", "--kill-grace", "1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(fs.existsSync(path.join(p.root, "listing-ending"))).toBe(true);
    expect(result.seconds).toBeLessThan(60);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("runs tests/e2e and tests/http by default and nothing else; --scope narrows it", async () => {
    const p = project({
      "tests/e2e/test_browser.py": PASS,
      "tests/http/test_api.py": PASS,
      "tests/http/helpers.py": "raise SystemExit('helpers must never be run')\n",
      "tests/http/conftest.py": "",
      "tests/unit/test_unit.py": FAIL,
      "tests/http/node_modules/test_vendored.py": FAIL,
      "test_root.py": FAIL,
    });

    const all = await runCli(["--parallel", "--report-json", "all.json"], { cwd: p.root });
    expect(all.code, all.stdout).toBe(0);
    expect(readReport(p, "all.json").files.map((f) => f.path)).toEqual(["tests/e2e/test_browser.py", "tests/http/test_api.py"]);

    const http = await runCli(["--parallel", "--scope", "http", "--report-json", "http.json"], { cwd: p.root });
    expect(http.code).toBe(0);
    expect(readReport(p, "http.json").files.map((f) => f.path)).toEqual(["tests/http/test_api.py"]);
  });

  it("finds test files by the project's python_files setting", async () => {
    const p = project({
      "pyproject.toml": '[tool.pytest.ini_options]\npython_files = ["check_*.py"]\n',
      "tests/http/check_api.py": PASS,
      "tests/http/test_ignored.py": FAIL,
    });
    const result = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => f.path)).toEqual(["tests/http/check_api.py"]);
  });

  it("gives every pytest process E2E_BASE_URL from --base-url, the environment, or .env", async () => {
    const check = (expected: string): string =>
      `import os\n\ndef test_url():\n    assert os.environ["E2E_BASE_URL"] == ${JSON.stringify(expected)}\n`;

    const fromFlag = project({ "tests/http/test_url.py": check("http://127.0.0.1:9001/") });
    expect((await runCli(["--parallel", "--base-url", "http://127.0.0.1:9001/"], { cwd: fromFlag.root, env: testEnv({ E2E_BASE_URL: "http://wrong/" }) })).code).toBe(0);

    const fromEnv = project({ "tests/http/test_url.py": check("http://127.0.0.1:9002/"), ".env": "E2E_BASE_URL=http://from-dotenv/\n" });
    expect((await runCli(["--parallel"], { cwd: fromEnv.root, env: testEnv({ E2E_BASE_URL: "http://127.0.0.1:9002/" }) })).code).toBe(0);

    const fromDotenv = project({ "tests/http/test_url.py": check("http://127.0.0.1:9003/"), ".env": "# local settings\nE2E_BASE_URL=http://127.0.0.1:9003/\n" });
    expect((await runCli(["--parallel"], { cwd: fromDotenv.root })).code).toBe(0);

    const wrong = project({ "tests/http/test_url.py": check("http://127.0.0.1:9004/") });
    expect((await runCli(["--parallel", "--base-url", "http://127.0.0.1:1/"], { cwd: wrong.root })).code).toBe(1);
  });

  it("forwards -k, -m and everything after -- to every pytest process", async () => {
    const p = project({
      "pytest.ini": "[pytest]\nmarkers =\n    slow: slow tests\n",
      "tests/http/test_a.py": "import pytest\n\ndef test_keep():\n    pass\n\ndef test_drop():\n    assert 0\n\n@pytest.mark.slow\ndef test_keep_slow():\n    pass\n",
      "tests/http/test_b.py": "import os\n\ndef test_keep_flag(request):\n    assert request.config.getoption('--tb') == 'line'\n",
    });
    const result = await runCli(["--parallel", "-k", "keep", "-m", "not slow", "--report-json", "r.json", "--", "--tb=line"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(0);
    const report = readReport(p, "r.json");
    expect(report.files.find((f) => f.path === "tests/http/test_a.py")?.tests).toEqual({ passed: 1, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 2 });
    expect(report.files.find((f) => f.path === "tests/http/test_b.py")?.tests).toEqual({ passed: 1, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 });
  });

  it("runs files whose names hold spaces, quotes and $(...) without a shell ever seeing them", async () => {
    const p = project({
      "tests/http/test_with space.py": PASS,
      "tests/http/test_quote'\"s.py": PASS,
      "tests/http/test_$(touch pwned).py": PASS,
      "tests/http/test_`touch pwned2`;.py": PASS,
    });
    const result = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => f.status)).toEqual(["passed", "passed", "passed", "passed"]);
    expect(fs.existsSync(path.join(p.root, "pwned"))).toBe(false);
    expect(fs.existsSync(path.join(p.root, "pwned2"))).toBe(false);
  });

  it.each([
    ["parallel", ["--parallel"]],
    ["serial", []],
  ])("%s: pytest's information options after -- print once, as pytest does, and run nothing", async (_, mode) => {
    const p = project({
      "tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef bookshop_user():\n    '''A signed-in customer.'''\n    return 'ann'\n",
      "tests/http/test_a.py": "import os\n\ndef test_a(bookshop_user):\n    open(os.path.join(os.path.dirname(__file__), 'ran'), 'w').close()\n",
    });
    const fixtures = await runCli([...mode, "--", "--fixtures"], { cwd: p.root });
    expect(fixtures.code, fixtures.stdout + fixtures.stderr).toBe(0);
    expect(fixtures.stdout.match(/^bookshop_user -- /gm)).toHaveLength(1);
    expect(fixtures.stdout).not.toMatch(/PASSED|NO TESTS/);
    const version = await runCli([...mode, "--", "--version"], { cwd: p.root });
    expect([version.code, version.stdout.trim()]).toEqual([0, expect.stringMatching(/^pytest \d+/)]);
    expect(fs.existsSync(path.join(p.root, "tests", "http", "ran"))).toBe(false);
    expect(fs.existsSync(path.join(p.root, ".grimoire"))).toBe(false);
  });

  it("gives each file's process a folder of its own under a --basetemp, which pytest empties at each session's start", async () => {
    const WRITES = "def test_writes(tmp_path):\n    (tmp_path / 'mine.txt').write_text('x')\n    print('TMP', tmp_path)\n";
    const p = project({
      "pytest.ini": "[pytest]\naddopts = --basetemp=scratch -s\n",
      "tests/http/test_a.py": WRITES,
      "tests/http/test_b.py": WRITES,
      "tests/e2e/test_c.py": WRITES,
    });
    const result = await runCli(["--parallel", "-n", "3"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const folders = [...result.stdout.matchAll(/TMP (\S+)/g)].map((m) => path.relative(p.root, m[1] as string)).sort();
    // A folder each, named by eight hexadecimal digits (no longer than pytest-xdist's popen-gw0), under the one given.
    expect(folders).toHaveLength(3);
    expect(new Set(folders).size).toBe(3);
    for (const folder of folders) expect(folder).toMatch(new RegExp(`^scratch\\${path.sep}[0-9a-f]{8}\\${path.sep}test_writes0$`));
    expect(folders.every((folder) => fs.existsSync(path.join(p.root, folder, "mine.txt")))).toBe(true);
  });

  it("lengthens a test's tmp_path by no more than pytest-xdist does: a Unix socket bound in it fits where plain pytest's fits", async () => {
    // Linux allows 107 bytes for a socket's path. A folder named after the file (tests_http_test_…py) made filelock's
    // socket test skip itself where plain pytest and xdist run it (a helper's trial).
    const test = "import socket\n\ndef test_binds_a_socket(tmp_path):\n    with socket.socket(socket.AF_UNIX) as s:\n        s.bind(str(tmp_path / 's.sock'))\n";
    const p = project({ "tests/http/test_a_rather_long_file_name_for_a_unix_socket.py": test });
    const tail = `/pytest-of-${os.userInfo().username}/pytest-0/test_binds_a_socket0/s.sock`;
    // A TMPDIR that puts plain pytest's socket at 95 bytes: 12 to spare, more than pytest-xdist's popen-gw0/ takes.
    const temp = path.join(p.root, "t".padEnd(Math.max(1, 95 - tail.length - p.root.length - 1), "t"));
    fs.mkdirSync(temp);
    expect(Buffer.byteLength(temp + tail)).toBe(95);
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ TMPDIR: temp }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^PASS\s+tests\/http\/test_a_rather_long_file_name_for_a_unix_socket\.py.*\(1 passed\)$/m);
  });

  it("gives every file's process pytest-randomly's one seed for the run, as pytest-xdist gives its workers the controller's", async () => {
    // A stand-in with pytest-randomly's option and plugin name: a new seed per session unless one is given.
    const files: Record<string, string> = {
      "site-packages/randomly.py":
        'import random\n\ndef pytest_addoption(parser):\n    parser.addoption("--randomly-seed", dest="randomly_seed", default="default")\n\n' +
        'def pytest_configure(config):\n    value = config.getoption("randomly_seed")\n    config.option.randomly_seed = random.getrandbits(32) if value == "default" else int(value)\n',
    };
    for (const n of [1, 2, 3, 4]) files[`tests/http/test_s${n}.py`] = 'def test_seed(request):\n    with open("seeds.txt", "a") as out:\n        out.write(f"{request.config.option.randomly_seed}\\n")\n';
    const p = project(files);
    const env = testEnv({ PYTHONPATH: path.join(p.root, "site-packages") });
    const seeds = (): string[] => [...new Set(fs.readFileSync(path.join(p.root, "seeds.txt"), "utf8").trim().split("\n"))];
    const drawn = await runCli(["--parallel", "-n", "2", "--", "-p", "randomly"], { cwd: p.root, env });
    expect(drawn.code, drawn.stdout + drawn.stderr).toBe(0);
    expect(seeds()).toHaveLength(1);
    fs.rmSync(path.join(p.root, "seeds.txt"));
    const given = await runCli(["--parallel", "-n", "2", "--", "-p", "randomly", "--randomly-seed", "7"], { cwd: p.root, env });
    expect(given.code, given.stdout + given.stderr).toBe(0);
    expect(seeds()).toEqual(["7"]);
  });

  it("makes one numbered folder for a run whose listing asks pytest for it (sphinx's report header)", async () => {
    const p = project({
      "conftest.py": "def pytest_report_header(config):\n    return f'base tmp_path: {config._tmp_path_factory.getbasetemp()}'\n",
      "pytest.ini": "[pytest]\ntmp_path_retention_policy = failed\n",
      "tests/http/test_a.py": "def test_a(tmp_path):\n    (tmp_path / 'a.txt').write_text('a')\n    assert False\n",
      "tests/http/test_b.py": "def test_b(tmp_path):\n    (tmp_path / 'b.txt').write_text('b')\n",
    });
    const temp = path.join(p.root, "temp");
    fs.mkdirSync(temp);
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ TMPDIR: temp }) });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const numbered = fs.readdirSync(path.join(temp, `pytest-of-${os.userInfo().username}`)).filter((name) => /^pytest-\d+$/.test(name));
    expect(numbered).toHaveLength(1);
    // The failed test's folder is in it, as in a plain run under the "failed" policy.
    const runFolder = path.join(temp, `pytest-of-${os.userInfo().username}`, numbered[0] as string);
    expect(fs.readdirSync(runFolder).flatMap((name) => fs.readdirSync(path.join(runFolder, name)).filter((entry) => !entry.endsWith("current")))).toEqual(["test_a0"]);
  });

  it("leaves no numbered folder, nor pytest's pytest-current link, where no test asked for a temporary folder, as a plain run leaves none", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    pass\n", "tests/http/test_b.py": "def test_b():\n    pass\n" });
    const temp = path.join(p.root, "temp");
    fs.mkdirSync(temp);
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ TMPDIR: temp }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const userFolder = path.join(temp, `pytest-of-${os.userInfo().username}`);
    expect(fs.existsSync(userFolder) ? fs.readdirSync(userFolder) : []).toEqual([]);
  });

  it("keeps every file's tmp_path in one numbered folder of the run's, as one plain session keeps its tests', with pytest's retention policy", async () => {
    // A session per file made a numbered folder per file, and pytest keeps the last three sessions': a failed test's
    // folder was gone three files later, and a long file lost its own while it ran (a helper's trial).
    const writes = (ok: boolean): string => `def test_writes(tmp_path):\n    (tmp_path / 'mine.txt').write_text(__file__)\n    assert ${ok ? "True" : "False"}\n`;
    const files: Record<string, string> = { "tests/http/test_fails.py": writes(false) };
    for (const n of [1, 2, 3, 4, 5]) files[`tests/http/test_ok${n}.py`] = writes(true);
    const p = project(files);
    const temp = path.join(p.root, "temp");
    fs.mkdirSync(temp);
    const numbered = (): string[] => fs.readdirSync(path.join(temp, `pytest-of-${os.userInfo().username}`)).filter((name) => /^pytest-\d+$/.test(name));
    // Each process's folder, by the test file that wrote into it.
    const names = (folder: string): string[] => fs.readdirSync(folder).map((name) => path.relative(p.root, fs.readFileSync(path.join(folder, name, "test_writes0", "mine.txt"), "utf8"))).sort();
    const fileFolders = ["tests/http/test_fails.py", ...[1, 2, 3, 4, 5].map((n) => `tests/http/test_ok${n}.py`)];

    const run = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ TMPDIR: temp }) });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(numbered()).toHaveLength(1);
    const runFolder = path.join(temp, `pytest-of-${os.userInfo().username}`, numbered()[0] as string);
    // Each file's own folder, its test's in it, the lock that kept other sessions off it taken off with the run.
    expect(names(runFolder)).toEqual(fileFolders);
    expect(fs.readdirSync(runFolder).every((name) => /^[0-9a-f]{8}$/.test(name))).toBe(true);

    // tmp_path_retention_policy = failed: what passed leaves nothing, the failed test's folder stays.
    p.write("pytest.ini", "[pytest]\ntmp_path_retention_policy = failed\n");
    const failedOnly = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ TMPDIR: temp }) });
    expect(failedOnly.code, failedOnly.stdout + failedOnly.stderr).toBe(1);
    expect(numbered()).toHaveLength(2);
    const newest = numbered().sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)))[1] as string;
    expect(names(path.join(temp, `pytest-of-${os.userInfo().username}`, newest))).toEqual(["tests/http/test_fails.py"]);

    // tmp_path_retention_policy = none: the folders last while the run does (pytest removes an unlocked one as the
    // session that chose the files exits), and nothing is left, of this run or the others.
    p.write("pytest.ini", "[pytest]\ntmp_path_retention_policy = none\n");
    p.write("tests/http/test_late.py", "import time\n\ndef test_late(tmp_path):\n    time.sleep(1)\n    (tmp_path / 'late.txt').write_text('x')\n");
    const none = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: testEnv({ TMPDIR: temp }) });
    expect(none.code, none.stdout + none.stderr).toBe(1);
    expect(none.stdout).toMatch(/^PASS\s+tests\/http\/test_late\.py/m);
    expect(numbered()).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("exit codes", () => {
  it("is 0 when every file passes, 1 when one fails, and says which", async () => {
    const p = project({ "tests/http/test_a.py": PASS, "tests/e2e/test_b.py": PASS });
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    p.write("tests/e2e/test_c.py", FAIL);
    const failing = await runCli(["--parallel"], { cwd: p.root });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^FAIL\s+tests\/e2e\/test_c\.py\s+\d+\.\ds/m);
    expect(failing.stdout).toMatch(/^PASS\s+tests\/http\/test_a\.py\s+\d+\.\ds/m);
    expect(failing.stdout).toMatch(/log: \.grimoire\/logs\/[^/]+\/tests_e2e_test_c\.py\.log/);
  });

  it("shows a file whose module holds no test as NO TESTS with nothing to count, not '(0 passed)'", async () => {
    const p = project({ "tests/http/test_a.py": "def test_alpha():\n    pass\n", "tests/http/test_helpers.py": "HELPER = 1\n" });
    const result = await runCli(["--parallel"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^NO TESTS\s+tests\/http\/test_helpers\.py\s+\d+\.\ds$/m);
    expect(result.stdout).toMatch(/^PASS\s+tests\/http\/test_a\.py\s+\d+\.\ds\s+\(1 passed\)$/m);
  });

  it("is 5 when no file collected anything, and a file the filter emptied counts as passed", async () => {
    const p = project({ "tests/http/test_a.py": "def test_alpha():\n    pass\n", "tests/http/test_b.py": "def test_beta():\n    pass\n" });
    const none = await runCli(["--parallel", "-k", "gamma"], { cwd: p.root });
    expect(none.code).toBe(5);
    expect(none.stdout).toMatch(/^NO TESTS\s+tests\/http\/test_a\.py/m);

    const some = await runCli(["--parallel", "-k", "alpha", "--report-json", "r.json"], { cwd: p.root });
    expect(some.code).toBe(0);
    const byPath = readReport(p, "r.json").files.sort((a, b) => a.path.localeCompare(b.path));
    expect(byPath.map((f) => [f.path, f.status, f.exitCode])).toEqual([
      ["tests/http/test_a.py", "passed", 0],
      ["tests/http/test_b.py", "no-tests", 5],
    ]);
  });

  it.each([
    [["--parallel", "--workers", "0"], /--workers must be a whole number of at least 1/],
    [["--parallel", "--workers", "abc"], /--workers must be a whole number/],
    [["--parallel", "--workers", "1.5"], /--workers must be a whole number/],
    [["--bogus-flag"], /--bogus-flag is not a grimoire-run option\. pytest's options go after "--"/],
    [["--scope", "unit"], /--scope must be e2e, http or all; got "unit"/],
    [["tests/missing_test.py"], /path does not exist: tests\/missing_test\.py/],
    [["--python", "python3", "merge-reports", "out"], /merge-reports is a subcommand and comes first, before any option: grimoire-run merge-reports …/],
    [["--timeout", "-3"], /--timeout must be a positive number of seconds/],
    [["--base-url", "not a url"], /--base-url is not a URL/],
    [["--parallel", "--debug"], /cannot be combined/],
    [["--report-json", "tests/http/test_a.py/report.json"], /--report-json .*: cannot write in/],
    [["--report-json", "tests"], /--report-json .*tests: is a folder, not a file/],
    [["--log-dir", "tests/http/test_a.py"], /--log-dir .*: cannot create or write this folder/],
  ])("is 2 with a clear message for bad usage: %s", async (args, message) => {
    const p = project({ "tests/http/test_a.py": PASS });
    const result = await runCli(args, { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fs.existsSync(path.join(p.root, ".grimoire"))).toBe(false);
  });

  it("is 5, no tests collected, when pytest collects no file, or there is no test folder and pytest finds nothing either", async () => {
    const empty = project({ "tests/http/helpers.py": "" });
    const noFiles = await runCli(["--parallel"], { cwd: empty.root });
    expect(noFiles.code).toBe(5);
    expect(noFiles.stdout).toMatch(/^Found no test file to run$/m);
    expect(noFiles.stdout).toMatch(/NO TESTS RAN \(exit code 5\)/);

    const bare = project({ "README.md": "" });
    const noFolder = await runCli(["--parallel"], { cwd: bare.root });
    expect(noFolder.code).toBe(5);
    expect(noFolder.stdout).toMatch(/no tests\/e2e or tests\/http folder here: running what plain pytest collects/);
  });

  it("says where the files came from before it says how many it found", async () => {
    const bare = project({ "test_alone.py": "def test_alone():\n    pass\n" });
    for (const args of [["--parallel"], []]) {
      const result = await runCli(args, { cwd: bare.root });
      expect(result.code).toBe(0);
      const where = result.stdout.indexOf("no tests/e2e or tests/http folder here: running what plain pytest collects");
      expect(where).toBeGreaterThanOrEqual(0);
      expect(result.stdout.indexOf("Found 1 test file")).toBeGreaterThan(where);
    }
  });

  it("is 0, as plain pytest's, when pytest collects nothing and a plugin passes the session (pytest-testmon with no change)", async () => {
    // As pytest-testmon does: files no change affects are not collected, and a session it emptied so passes.
    const conftest = [
      "import os, pytest",
      "def pytest_ignore_collect(collection_path, config):",
      "    return True if os.environ.get('UNCHANGED') and collection_path.name.startswith('test_') else None",
      "def pytest_sessionfinish(session, exitstatus):",
      "    if os.environ.get('UNCHANGED') and os.environ.get('PASS_EMPTY') and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:",
      "        session.exitstatus = pytest.ExitCode.OK",
      "",
    ].join("\n");
    const p = project({ "conftest.py": conftest, "tests/http/test_a.py": PASS, "tests/e2e/test_b.py": PASS });
    for (const mode of [["--parallel"], []]) {
      const emptied = await runCli(mode, { cwd: p.root, env: testEnv({ UNCHANGED: "1", PASS_EMPTY: "1" }) });
      expect(emptied.code, `${mode.join(" ")}\n${emptied.stdout}${emptied.stderr}`).toBe(0);
      expect(emptied.stdout).toMatch(/PASSED \(exit code 0\)/);
      // Without the plugin's verdict, nothing collected is pytest's 5.
      const nothing = await runCli(mode, { cwd: p.root, env: testEnv({ UNCHANGED: "1" }) });
      expect(nothing.code, nothing.stdout).toBe(5);
    }
    const parallel = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ UNCHANGED: "1", PASS_EMPTY: "1" }) });
    expect(parallel.stdout).toMatch(/pytest collected no test file and ended its session with exit code 0, a plugin's verdict/);
  });

  it("says which test files plain pytest runs and the default folders leave out, in either mode, and not when told where to look", async () => {
    const p = project({ "pytest.ini": "[pytest]\ntestpaths = tests\n", "tests/http/test_a.py": PASS, "tests/unit/test_u.py": FAIL, "tests/test_models.py": PASS });
    const leftOut = /left out: 2 test files outside tests\/http that plain pytest runs \(its testpaths: tests\): tests\/test_models\.py, tests\/unit \(1 file\)/;
    for (const mode of [["--parallel"], []]) {
      const run = await runCli(mode, { cwd: p.root });
      expect(run.code, run.stdout).toBe(0);
      expect(run.stdout).toMatch(leftOut);
    }
    expect((await runCli(["--parallel", "tests/http"], { cwd: p.root })).stdout).not.toMatch(/left out/);
    // A run of some of the suite on purpose.
    expect((await runCli(["--parallel", "--last-failed"], { cwd: p.root })).stdout).not.toMatch(/left out/);
    p.write("pytest.ini", "[pytest]\ntestpaths = tests/http\n");
    expect((await runCli(["--parallel"], { cwd: p.root })).stdout).not.toMatch(/left out/);
  });

  it("is 2, before any test runs, when the Python has no pytest, with what to do about it", async () => {
    const p = project({ "tests/http/test_a.py": "import pathlib\npathlib.Path('ran').touch()\n\ndef test_a():\n    pass\n" });
    const result = await runCli(["--parallel", "--python", "python3 -S"], { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pytest is not installed for python3 -S.*Install it with: python3 -S -m pip install pytest/);
    // What is wrong is the Python, not an option: how it was chosen, not --help (webtest's trial).
    expect(result.stderr).toMatch(/^grimoire-run runs the project's \.venv or venv Python .*; --python chooses another\.$/m);
    expect(result.stderr).not.toMatch(/--help/);
    expect(fs.existsSync(path.join(p.root, "ran"))).toBe(false);

    const missing = await runCli(["--parallel", "--python", "/nonexistent/python"], { cwd: p.root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot run Python: \/nonexistent\/python/);

    // A serial run is one pytest process, started without asking first: the question comes when it never got to pytest.
    const serial = await runCli(["--python", "python3 -S"], { cwd: p.root });
    expect(serial.code).toBe(2);
    expect(serial.stderr).toMatch(/pytest is not installed for python3 -S.*Install it with: python3 -S -m pip install pytest/);
    const serialMissing = await runCli(["--python", "/nonexistent/python"], { cwd: p.root });
    expect(serialMissing.code).toBe(2);
    expect(serialMissing.stderr).toMatch(/cannot run Python: \/nonexistent\/python/);
    expect(fs.existsSync(path.join(p.root, "ran"))).toBe(false);
  });

  it("is 2 for a Python older than the plugin needs, said as such rather than sent to install pytest", async () => {
    // An interpreter that says it is Python 3.6 and whose pytest fails at start, as grimoire-run's plugin fails on 3.6.
    const p = project({
      "old-python": "#!/bin/sh\nif [ \"$1\" = -c ]; then exec python3 -c \"import sys; sys.version_info = (3, 6, 15, 'final', 0)\n$2\"; fi\nexec python3 -S \"$@\"\n",
      "tests/http/test_a.py": PASS,
    });
    fs.chmodSync(path.join(p.root, "old-python"), 0o755);
    for (const mode of [["--parallel"], []]) {
      const result = await runCli([...mode, "--python", "./old-python"], { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(2);
      expect(result.stderr).toMatch(/old-python \(chosen from --python\) is Python 3\.6\.15: grimoire-run's pytest plugin needs Python 3\.7 or newer \(its fork server 3\.8 or newer\)/);
    }
  });

  it("starts each file afresh on a Python too old for the fork server, saying so in a line, and passes", async () => {
    // An interpreter whose fork server finds itself on Python 3.7; its pytest runs as any.
    const p = project({
      "py37": [
        "#!/bin/sh",
        'if [ "$1" = -m ] && [ "$2" = grimoire_run_forkserver ]; then shift 2; exec python3 -c "import runpy, sys; sys.version_info = (3, 7, 16, \'final\', 0); runpy.run_module(\'grimoire_run_forkserver\', run_name=\'__main__\')" "$@"; fi',
        'exec python3 "$@"',
        "",
      ].join("\n"),
      "tests/http/test_a.py": PASS,
    });
    fs.chmodSync(path.join(p.root, "py37"), 0o755);
    const result = await runCli(["--parallel", "--python", "./py37"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^starting each pytest afresh: the fork server is not available \(it needs Python 3\.8 or newer; this is Python 3\.7\.16\)$/m);
  });

  it("counts a pytest killed by a signal as failed, names the signal, and goes on", async () => {
    const p = project({
      "tests/http/test_crash.py": "import os, signal\n\ndef test_crash():\n    os.kill(os.getpid(), signal.SIGKILL)\n",
      "tests/http/test_fine.py": PASS,
    });
    const result = await runCli(["--parallel", "--workers", "1", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    const report = readReport(p, "r.json");
    expect(report.files.map((f) => [f.path, f.status, f.exitCode, f.signal])).toEqual([
      ["tests/http/test_crash.py", "failed", null, "SIGKILL"],
      ["tests/http/test_fine.py", "passed", 0, null],
    ]);
    expect(result.stdout).toMatch(/killed by SIGKILL/);
  });
});

describe("choosing Python", () => {
  it("uses the project's .venv when there is one, and says which Python lacks pytest", async () => {
    const p = project({ "tests/http/test_a.py": "import os\n\ndef test_a():\n    assert os.environ.get('THROUGH_VENV') == '1'\n" });
    // A virtualenv stand-in: a python that marks what it runs, then runs the real one.
    p.write(".venv/bin/python", `#!/bin/sh\nTHROUGH_VENV=1 exec python3 "$@"\n`);
    fs.chmodSync(path.join(p.root, ".venv/bin/python"), 0o755);
    const result = await runCli(["--parallel", "--verbose"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/tests\/http\/test_a\.py: (\(forked\) )?\S*\.venv\/bin\/python -m pytest/);

    p.write(".venv/bin/python", `#!/bin/sh\nexec python3 -S "$@"\n`);
    const broken = await runCli(["--parallel"], { cwd: p.root });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/pytest is not installed for \S*\.venv\/bin\/python \(chosen from \.venv\/bin\/python\)/);
  });

  it("says, where pytest collected no test module, which modules define tests under names python_files does not match (pyotp's test.py)", async () => {
    const p = project({ "test.py": PASS });
    for (const mode of [[], ["--parallel"]]) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(5);
      expect(result.stdout).toMatch(/^pytest collected no test module: its python_files \(test_\*\.py \*_test\.py\) matches none of test\.py, which defines tests\. .*\(grimoire-run test\.py\)/m);
    }
    // Given as a path, it runs.
    expect((await runCli(["test.py"], { cwd: p.root })).code).toBe(0);
    // Where pytest collected a module and -k left no test in it, nothing is said of names.
    p.write("test_real.py", PASS);
    for (const mode of [[], ["--parallel"]]) {
      const selected = await runCli([...mode, "--", "-k", "no_such_test"], { cwd: p.root });
      expect(selected.code, selected.stdout + selected.stderr).toBe(5);
      expect(selected.stdout).not.toMatch(/pytest collected no test module/);
    }
  });

  it("says where the test folder holds more modules that define tests than python_files matched (peewee's 2 of 47, a green run of 5 tests)", async () => {
    const unit = (name: string): string => `import unittest\n\nclass ${name}(unittest.TestCase):\n    def test_it(self):\n        pass\n`;
    const p = project({ "tests/test_utils.py": PASS, "tests/models.py": unit("ModelTests"), "tests/sql.py": unit("SqlTests"), "tests/fields.py": unit("FieldTests") });
    for (const mode of [[], ["--parallel"]]) {
      const result = await runCli([...mode, "tests"], { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^pytest's python_files \(test_\*\.py \*_test\.py\) matched 1 module here, and none of 3 more modules that define tests \(tests\/fields\.py, tests\/models\.py, tests\/sql\.py\): plain pytest runs none of them either\./m);
    }
    // Named as files, nothing is said.
    expect((await runCli(["tests/test_utils.py"], { cwd: p.root })).stdout).not.toMatch(/python_files/);
  });

  it("says at the start that a uv.lock is passed over where uv is not on PATH, and runs on python3 (dj-database-url's trial)", async () => {
    const p = project({ "uv.lock": "version = 1\n", "tests/http/test_a.py": PASS });
    const withoutUv = (process.env["PATH"] ?? "").split(path.delimiter).filter((dir) => dir !== "" && !fs.existsSync(path.join(dir, "uv"))).join(path.delimiter);
    const result = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ PATH: withoutUv }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^the project has uv\.lock, but uv is not on PATH: running pytest on python3, not the project's environment/m);
    expect(result.stdout.indexOf("the project has uv.lock")).toBeLessThan(result.stdout.indexOf("Found 1 test file"));
  });
});

describe("serial and debug modes", () => {
  it("runs the whole selection in one pytest process with -x, and splits the results by file", async () => {
    const pidFile = "import os, pathlib\n\ndef test_pid():\n    pathlib.Path('pids').open('a').write(f'{os.getpid()}\\n')\n";
    const p = project({ "tests/e2e/test_a.py": pidFile, "tests/http/test_b.py": pidFile + "\ndef test_bad():\n    assert 0\n\ndef test_after():\n    pass\n", "tests/http/test_c.py": pidFile });
    const result = await runCli(["--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(new Set(p.read("pids").trim().split("\n")).size).toBe(1);
    expect(result.stdout).toMatch(/^Found 3 test files, running them in one pytest process$/m);
    const report = readReport(p, "r.json");
    expect(report.files.map((f) => [f.path, f.status])).toEqual([
      ["tests/e2e/test_a.py", "passed"],
      ["tests/http/test_b.py", "failed"],
      ["tests/http/test_c.py", "cancelled"],
    ]);
    expect(report.files[1]?.tests).toEqual({ passed: 1, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 });
    expect(report.files[2]?.reason).toBe("not reached: pytest stopped at the first failure (-x or --maxfail)");
    // Said as the stop it is, not only as a file cancelled (two helpers read "1 not started" as unexplained).
    expect(result.stdout).toMatch(/^Stopped early: pytest stopped at a failure \(a serial run gives pytest -x, to stop at the first one, as plain pytest -x does; --parallel runs every file\), with 1 file not reached$/m);
    expect(result.stdout).toMatch(/^Cancelled: 1 \(not reached: pytest stopped before them\)$/m);
    // The file it stopped in says its counts are not the whole file's.
    expect(result.stdout).toMatch(/^FAIL +tests\/http\/test_b\.py +\S+ +\(1 passed, 1 failed; stopped at a failure before its last test\)$/m);
    expect(result.stdout).toMatch(/^PASS +tests\/e2e\/test_a\.py +\S+ +\(1 passed\)$/m);
  });

  it("says where -x stopped when the stop fell in the last file: no file is left unstarted, but its other tests are", async () => {
    // xarray's doctests: "FAIL xarray/core/utils.py (1 failed)" read as the file's result where 3 of its 4 never ran.
    const p = project({ "tests/http/test_a.py": PASS, "tests/http/test_b.py": "def test_bad():\n    assert 0\n\ndef test_after():\n    pass\n" });
    const result = await runCli([], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +tests\/http\/test_b\.py +\S+ +\(1 failed; stopped at a failure before its last test\)$/m);
    expect(result.stdout).toMatch(/^Stopped early: pytest stopped at a failure \(a serial run gives pytest -x, to stop at the first one, as plain pytest -x does; --parallel runs every file\), with the rest of tests\/http\/test_b\.py not run$/m);
  });

  it("leaves the files -x did not reach where pytest listed them first (--shard): no second process runs them", async () => {
    // dateutil's trial: a serial run whose files pytest listed first ran its whole session a second time.
    const pidFile = "import os, pathlib\n\ndef test_pid():\n    pathlib.Path('pids').open('a').write(f'{os.getpid()}\\n')\n";
    const p = project({ "tests/http/test_a.py": pidFile, "tests/http/test_b.py": pidFile + "\ndef test_bad():\n    assert 0\n", "tests/http/test_c.py": pidFile, "tests/http/test_d.py": pidFile });
    const result = await runCli(["--shard", "1/1", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout.match(/test session starts/g)).toHaveLength(1);
    expect(new Set(p.read("pids").trim().split("\n")).size).toBe(1);
    const report = readReport(p, "r.json");
    expect(report.files.map((f) => f.path).sort()).toEqual(["tests/http/test_a.py", "tests/http/test_b.py", "tests/http/test_c.py", "tests/http/test_d.py"]);
    expect(report.files.find((f) => f.path === "tests/http/test_b.py")?.status).toBe("failed");
    const left = report.files.filter((f) => f.status === "cancelled");
    expect(left.length).toBeGreaterThan(0);
    expect(left.map((f) => f.reason)).toEqual(left.map(() => "not reached: pytest stopped at the first failure (-x or --maxfail)"));
  });

  it("says it ignores pytest-xdist's -n in a serial run of the whole selection too, after its Found line, in --quiet too", async () => {
    // A helper's trial on werkzeug: the -n after -- went without a word (a serial run of everything lists nothing first).
    const p = project({ "tests/http/test_a.py": PASS });
    for (const quiet of [[], ["-q"]]) {
      const result = await runCli([...quiet, "--", "-n", "2"], { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Found 1 test file, running it in one pytest process\nignoring pytest-xdist's -n 2: this run is one pytest process, without workers/);
    }
  });

  it("says, in pytest's header, that the -n of the project's addopts is off in a serial run of the whole selection, once", async () => {
    // bidict's addopts hold --numprocesses=auto: a run that lists its files said so, a serial run of everything did not.
    const p = project({ "pytest.ini": "[pytest]\naddopts = -p xdist -n 2\n", "tests/http/test_a.py": PASS });
    const result = await runCli([], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const said = /grimoire-run: pytest-xdist's -n from the pytest configuration \(2 workers here\) is off: this run is one pytest process, without workers \(--parallel runs the files in parallel\)/g;
    expect(result.stdout.match(said)).toHaveLength(1);
    expect(result.stdout).not.toMatch(/\[gw\d\]/);
  });

  it("says on stderr that pytest is collecting while a long collection goes on, and then what it found, first on stdout", async () => {
    // The module's import waits for a file the test writes once that is said (python-multipart's 10 s of collection
    // said nothing for 10 s in a helper's trial); the Found line stays the first on stdout, as the contract has it.
    const p = project({
      "tests/http/test_a.py": PASS,
      "tests/http/test_slow.py": "import pathlib, time\n\ndeadline = time.monotonic() + 30\nwhile not pathlib.Path('go').exists() and time.monotonic() < deadline:\n    time.sleep(0.02)\n\ndef test_slow():\n    pass\n",
    });
    const running = startCli([], { cwd: p.root, env: testEnv() });
    await running.waitForStderr(/pytest is still collecting the tests; the Found line and pytest's output follow once it is done/);
    expect(running.stdoutSoFar()).toBe("");
    p.write("go", "");
    const result = await running.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.seconds).toBeLessThan(25);
    expect(result.stdout).toMatch(/^Found 2 test files, running them in one pytest process\n[\s\S]*test session starts/);
    expect(result.stdout).toMatch(/^2 files: 2 passed$/m);
    // --quiet passes no pytest output on, and promises none.
    fs.rmSync(path.join(p.root, "go"));
    const quiet = startCli(["-q"], { cwd: p.root, env: testEnv() });
    await quiet.waitForStderr(/pytest is still collecting the tests; the Found line follows once it is done\n/);
    p.write("go", "");
    const quietResult = await quiet.done;
    expect(quietResult.code, quietResult.stdout + quietResult.stderr).toBe(0);
    expect(quietResult.stderr).not.toMatch(/pytest's output follow/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("says a serial run stopped while pytest collected as that: what it had collected, no test run, none running", async () => {
    // pendulum's trial: Ctrl-C while a module imported read "Found 18 test files" of 86, and the first "stopped while running".
    const p = project({
      "tests/http/test_a.py": PASS,
      "tests/http/test_slow.py": "import pathlib, time\n\ndeadline = time.monotonic() + 30\nwhile not pathlib.Path('go').exists() and time.monotonic() < deadline:\n    time.sleep(0.02)\n\ndef test_slow():\n    pass\n",
    });
    const running = startCli(["--report-json", "r.json"], { cwd: p.root, env: testEnv() });
    await running.waitForStderr(/pytest is still collecting the tests/);
    running.child.kill("SIGINT");
    const result = await running.done;
    expect(result.code, result.stdout + result.stderr).toBe(130);
    expect(result.stdout).toMatch(/^pytest was stopped while collecting the tests, with 1 test file collected so far: no test ran$/m);
    expect(result.stdout).not.toMatch(/^Found /m);
    expect(result.stdout).not.toMatch(/stopped while running/);
    const report = readReport(p, "r.json");
    expect(report.files.map((f) => [f.path, f.status, f.reason])).toEqual([["tests/http/test_a.py", "cancelled", "not reached: the pytest process it shared with other files was stopped while it collected the tests"]]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("counts a file that does not import among the files found, and the files -x kept pytest from collecting as not run", async () => {
    const p = project({ "tests/http/test_a.py": PASS, "tests/http/test_b.py": "import no_such_module\n\ndef test_b():\n    pass\n", "tests/http/test_c.py": PASS });
    const result = await runCli(["--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    // pytest -x stops collecting at the error, as plain `pytest -x` does: test_c.py is not run, but it is one of the
    // selection's files (a helper's trial read "2 files: 1 failed, 1 cancelled" of sphinx's 3, the third nowhere).
    expect(result.stdout).toMatch(/^Found 2 test files before pytest stopped collecting at an error, running them in one pytest process; the files after it are counted at the end$/m);
    const report = readReport(p, "r.json");
    expect(report.files.map((f) => [f.path, f.status])).toEqual([
      ["tests/http/test_a.py", "cancelled"],
      ["tests/http/test_b.py", "failed"],
      ["tests/http/test_c.py", "cancelled"],
    ]);
    expect(report.files[2]?.reason).toBe("not collected: pytest stopped collecting at an error (-x or --maxfail)");
    expect(result.stdout).toMatch(/^3 files: 1 failed, 2 cancelled$/m);
    // A collection error stops pytest before any test, -x or not: said as that, not as the -x a serial run gives.
    expect(report.files[0]?.reason).toBe("not run: pytest stopped on an error while collecting tests");
    expect(result.stdout).toMatch(/^Stopped early: pytest stopped on an error while collecting, before any test, as plain pytest does with or without -x \(its --continue-on-collection-errors runs the rest; --parallel runs every other file\), with 2 files not reached$/m);
    // The listing that found test_c.py has ended with the run.
    expect(processesIn(p.root)).toEqual([]);
    // The module that does not import first: the same stop, not "a failure (a serial run gives pytest -x …)" (marshmallow's trial).
    p.write("tests/http/test_0.py", "import no_such_module\n");
    const first = await runCli([], { cwd: p.root });
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stdout).toMatch(/^Stopped early: pytest stopped on an error while collecting, before any test, .*, with 3 files not reached$/m);
  });

  it("says a collection error stopped pytest where a --maxfail after -- lets collection end", async () => {
    // pytest collects every file, then stops before any test: "Interrupted: 1 error during collection".
    const p = project({ "tests/http/test_a.py": PASS, "tests/http/test_b.py": "import no_such_module\n", "tests/http/test_c.py": PASS });
    const result = await runCli(["--report-json", "r.json", "--", "--maxfail=100"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Found 3 test files, running them in one pytest process$/m);
    expect(readReport(p, "r.json").files.map((f) => [f.path, f.status, f.reason ?? null])).toEqual([
      ["tests/http/test_a.py", "cancelled", "not run: pytest stopped on an error while collecting tests"],
      ["tests/http/test_b.py", "failed", null],
      ["tests/http/test_c.py", "cancelled", "not run: pytest stopped on an error while collecting tests"],
    ]);
    expect(result.stdout).toMatch(/^Stopped early: pytest stopped on an error while collecting, before any test, as plain pytest does with or without -x \(its --continue-on-collection-errors runs the rest; --parallel runs every other file\), with 2 files not reached$/m);
  });

  it("--debug reruns the last failures with a long traceback, verbosely", async () => {
    const p = project({ "tests/http/test_a.py": "def test_one():\n    pass\n\ndef test_two():\n    assert 'debug' == 'me'\n" });
    expect((await runCli([], { cwd: p.root })).code).toBe(1);
    const debug = await runCli(["--debug"], { cwd: p.root });
    expect(debug.code).toBe(1);
    expect(debug.stdout).toMatch(/run-last-failure: rerun previous 1 failure/);
    expect(debug.stdout).toMatch(/tests\/http\/test_a\.py::test_two FAILED/);
    expect(debug.stdout).not.toMatch(/test_one PASSED/);
  });

  it("--debug leaves out the files pytest's --lf skips whole: none of their tests failed, and none is NO TESTS", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    assert False\n", "tests/http/test_b.py": "def test_b():\n    pass\n", "tests/http/test_c.py": "def test_c():\n    pass\n" });
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(1);
    const debug = await runCli(["--debug", "--report-json", "r.json"], { cwd: p.root });
    expect(debug.code, debug.stdout + debug.stderr).toBe(1);
    expect(debug.stdout).toMatch(/run-last-failure: rerun previous 1 failure \(skipped 2 files\)/);
    expect(debug.stdout).toMatch(/^Found 1 test file, running it in one pytest process$/m);
    expect(debug.stdout).not.toMatch(/NO TESTS/);
    expect(readReport(p, "r.json").files.map((f) => [f.path, f.status])).toEqual([["tests/http/test_a.py", "failed"]]);
    // Where pytest-cov may measure, the run lists its files first: those --lf skipped are not run, not "cancelled"
    // (janus' trial: a --debug whose every test passed failed with 2 files cancelled).
    p.write("pytest.ini", "[pytest]\naddopts = -p pytest_cov --cov-branch\n");
    p.write("tests/http/test_a.py", "def test_a():\n    pass\n");
    const fixed = await runCli(["--debug", "--report-json", "fixed.json"], { cwd: p.root });
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).not.toMatch(/cancelled/);
    expect(readReport(p, "fixed.json").files.map((f) => [f.path, f.status])).toEqual([["tests/http/test_a.py", "passed"]]);
  });
});

describe("reports", () => {
  it("writes the JSON report of the contract, with per-test counts that agree with pytest's summary", async () => {
    const p = project({
      "tests/http/test_mix.py": `import pytest

@pytest.fixture
def broken():
    raise RuntimeError("setup")

def test_pass_1():
    pass

def test_pass_2():
    pass

def test_fail():
    assert 0

def test_skip():
    pytest.skip("not today")

def test_error(broken):
    pass

@pytest.mark.xfail
def test_xfail():
    assert 0
`,
      "tests/http/test_ok.py": PASS,
    });
    const result = await runCli(["--parallel", "--report-json", "out/report.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    const report = readReport(p, "out/report.json");
    expect(Object.keys(report).sort()).toEqual(["exitCode", "files", "runId", "version", "wallSeconds", "workers"]);
    expect(report.version).toBe(1);
    expect(report.exitCode).toBe(1);
    expect(report.wallSeconds).toBeGreaterThan(0);
    const mix = report.files.find((f) => f.path === "tests/http/test_mix.py");
    expect(mix).toBeDefined();
    expect(Object.keys(mix ?? {}).sort()).toEqual(["artifactFiles", "artifacts", "attempt", "cases", "durationSeconds", "exitCode", "iteration", "log", "path", "serverLog", "signal", "slot", "startSeconds", "status", "tests"]);
    expect(mix).toMatchObject({ artifacts: null, artifactFiles: [], serverLog: null });
    expect(mix).toMatchObject({ status: "failed", exitCode: 1, signal: null, iteration: 1, attempt: 1 });
    // pytest's own summary line for this file: 1 failed, 2 passed, 1 skipped, 1 xfailed, 1 error.
    const log = p.read(mix?.log ?? "");
    expect(log).toMatch(/1 failed, 2 passed, 1 skipped, 1 xfailed, 1 error/);
    expect(mix?.tests).toEqual({ passed: 2, failed: 1, skipped: 1, errors: 1, xfailed: 1, xpassed: 0, deselected: 0 });
    expect(mix?.cases.map((c) => [c.nodeid, c.outcome])).toEqual([
      ["tests/http/test_mix.py::test_pass_1", "passed"],
      ["tests/http/test_mix.py::test_pass_2", "passed"],
      ["tests/http/test_mix.py::test_fail", "failed"],
      ["tests/http/test_mix.py::test_skip", "skipped"],
      ["tests/http/test_mix.py::test_error", "error"],
      ["tests/http/test_mix.py::test_xfail", "xfailed"],
    ]);
    // What failed carries pytest's message and report of it; what passed carries nothing more.
    const failures = (mix?.cases ?? []).map((c) => (c as { failures?: { when: string; message: string; text: string | null }[] }).failures?.map((f) => [f.when, f.message.split(":")[0], f.text !== null]));
    expect(failures).toEqual([undefined, undefined, [["call", "assert 0", true]], undefined, [["setup", "RuntimeError", true]], undefined]);
    expect(mix?.startSeconds).toBeGreaterThanOrEqual(0);
    expect(mix?.durationSeconds).toBeGreaterThan(0);
    expect([0, 1]).toContain(mix?.slot);
    expect(result.stdout).toMatch(/Tests: 3 passed, 1 failed, 1 skipped, 1 xfailed, 1 error$/m);
  });

  it("keeps the 20 most recent runs' logs, removing the older ones once the tests are done, not before", async () => {
    const seen = `import os, pathlib

def test_counts_the_log_folders():
    pathlib.Path("seen.txt").write_text(str(len(os.listdir(".grimoire/logs"))))
`;
    const p = project({ "tests/http/test_a.py": seen });
    const older = Array.from({ length: 25 }, (_, i) => `20200101-0000${String(i).padStart(2, "0")}-abcdef`);
    for (const run of older) p.write(`.grimoire/logs/${run}/tests_http_test_a.py.log`, "an older run's log\n");
    for (const args of [[], ["--parallel"]]) {
      const result = await runCli(args, { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const kept = fs.readdirSync(path.join(p.root, ".grimoire", "logs"));
      expect(kept).toHaveLength(20);
    }
    // While the second run's test ran, its own folder and the first run's 20 were there.
    expect(p.read("seen.txt")).toBe("21");
    // The oldest went first.
    expect(fs.readdirSync(path.join(p.root, ".grimoire", "logs")).filter((name) => name.startsWith("2020")).sort()).toEqual(older.slice(-18));
  });
});
