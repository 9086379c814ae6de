/**
 * Issue 7: --pack shares pytest processes among quick files, and still reports each file on its own.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { processesIn, readReport, runCli, temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

const recordPid = (name: string, body = "pass") => `import os, pathlib\n\ndef test_${name}():\n    pathlib.Path("pids", "${name}").write_text(str(os.getpid()))\n    ${body}\n`;

describe("--pack", () => {
  it("runs quick files a few to a process, each still reported on its own, a failure or a broken import affecting only its file", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`tests/http/test_${i}.py`] = recordPid(`f${i}`);
    files["tests/http/test_fails.py"] = recordPid("fails", "assert False");
    files["tests/http/test_broken.py"] = "import not_a_module\n\ndef test_never():\n    pass\n";
    files["tests/e2e/test_other_folder.py"] = recordPid("other");
    const p = project(files);
    fs.mkdirSync(path.join(p.root, "pids"));
    const result = await runCli(["--parallel", "-n", "2", "--pack", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);

    const pids = new Set(fs.readdirSync(path.join(p.root, "pids")).map((f) => fs.readFileSync(path.join(p.root, "pids", f), "utf8")));
    expect(pids.size).toBe(2);
    const report = readReport(p, "r.json");
    const status = Object.fromEntries(report.files.map((f) => [f.path, f.status]));
    expect(status["tests/http/test_fails.py"]).toBe("failed");
    expect(status["tests/http/test_broken.py"]).toBe("failed");
    for (let i = 0; i < 8; i++) expect(status[`tests/http/test_${i}.py`]).toBe("passed");
    expect(status["tests/e2e/test_other_folder.py"]).toBe("passed");
    expect(report.files.find((f) => f.path === "tests/http/test_fails.py")?.tests).toEqual({ passed: 0, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 });
    expect(new Set(report.files.map((f) => f.log)).size).toBe(2);
    expect(result.stdout).toMatch(/^\S+\+\d+\s*\| /m);
    // Said up front: all 11 files in the 2 shared processes.
    expect(result.stdout).toMatch(/^Found 11 test files, running them on 2 workers, 11 of them in 2 shared processes \(--pack\)$/m);
    // The pack's log is named after its first file: the failed file is told it is its pack's.
    const fails = report.files.find((f) => f.path === "tests/http/test_fails.py");
    const sharing = report.files.filter((f) => f.log === fails?.log).length;
    expect(result.stdout).toContain(`log: ${fails?.log} (its pack's, with ${sharing - 1} other files)`);
  });

  it("packs a file named on the command line with files of a folder named beside it, each run (pytest's own testing/ suite)", async () => {
    const p = project({ "tests/sub/test_a.py": recordPid("a"), "tests/sub/test_b.py": recordPid("b"), "tests/test_c.py": recordPid("c") });
    fs.mkdirSync(path.join(p.root, "pids"));
    const result = await runCli(["--parallel", "-n", "1", "--pack", "tests/sub", "tests/test_c.py", "--report-json", "report.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p).files.map((f) => [f.path, f.tests?.passed])).toEqual(
      expect.arrayContaining([
        ["tests/sub/test_a.py", 1],
        ["tests/sub/test_b.py", 1],
        ["tests/test_c.py", 1],
      ]),
    );
    // One process for the three.
    expect(new Set(["a", "b", "c"].map((name) => p.read(`pids/${name}`))).size).toBe(1);
  });

  it("gives files that history shows to be slow a process of their own", async () => {
    const p = project({
      "tests/http/test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(1.2)\n",
      "tests/http/test_a.py": "def test_a():\n    pass\n",
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    await runCli(["--parallel", "-n", "1"], { cwd: p.root });
    await runCli(["--parallel", "-n", "1", "--pack", "--report-json", "r.json"], { cwd: p.root });
    const logs = Object.fromEntries(readReport(p, "r.json").files.map((f) => [f.path, f.log]));
    expect(logs["tests/http/test_slow.py"]).toMatch(/tests_http_test_slow\.py\.log$/);
    expect(logs["tests/http/test_a.py"]).toBe(logs["tests/http/test_b.py"]);
    expect(logs["tests/http/test_a.py"]).toMatch(/pack-tests_http_test_a\.py\+1\.log$/);
    const said = await runCli(["--parallel", "-n", "1", "--pack"], { cwd: p.root });
    expect(said.stdout).toMatch(/^Found 3 test files, running them on 1 worker, 2 of them in 1 shared process \(--pack\)$/m);
  });

  it("judges quickness by seconds measured on forked processes: a run started afresh (--no-fork-server) leaves them alone", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    pass\n", "tests/http/test_b.py": "def test_b():\n    pass\n" });
    const history = () => (JSON.parse(p.read(".grimoire/history.json")) as { files: Record<string, { seconds: number; fresh?: boolean }> }).files["tests/http/test_a.py"];
    // Only ever afresh: those seconds, said to be so.
    expect((await runCli(["--parallel", "-n", "1", "--no-fork-server"], { cwd: p.root })).code).toBe(0);
    expect(history()).toMatchObject({ fresh: true });
    // Forked: they replace them; a run afresh after it moves nothing.
    expect((await runCli(["--parallel", "-n", "1"], { cwd: p.root })).code).toBe(0);
    const forked = history();
    expect(forked).not.toHaveProperty("fresh");
    expect((await runCli(["--parallel", "-n", "1", "--no-fork-server"], { cwd: p.root })).code).toBe(0);
    const after = history();
    expect(after?.seconds).toBe(forked?.seconds);
    expect(after).not.toHaveProperty("fresh");
  });

  it("says so when no files share a process: no more quick files than workers", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    pass\n", "tests/http/test_b.py": "def test_b():\n    pass\n" });
    const alone = await runCli(["--parallel", "-n", "2", "--pack"], { cwd: p.root });
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    expect(alone.stdout + alone.stderr).toContain("--pack: no files share a process: a pack is a worker's share of the files history shows under 1 s (--pack-under), and the 2 workers have one such file at most each");
    const shared = await runCli(["--parallel", "-n", "1", "--pack"], { cwd: p.root });
    expect(shared.stdout + shared.stderr).not.toContain("no files share a process");
  });

  it("names --pack at the end where each file set up the same session fixtures for itself, and not once the run packs them", async () => {
    const conftest = "import time, pytest\n\n@pytest.fixture(scope='session', autouse=True)\ndef schema():\n    time.sleep(0.4)\n    yield\n";
    const p = project({ "tests/conftest.py": conftest, ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [`tests/http/test_${i}.py`, "def test_it():\n    pass\n"])) });
    const alone = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    const hint = /^8 files each set up session-scoped fixtures in their own process: \d+\.\d s in all \(schema of tests\/conftest\.py, 0\.\d s a file\), where one plain pytest session sets them up once\. Files that share a process share them: --pack --pack-under (\d+) runs/m;
    const under = hint.exec(alone.stdout)?.[1];
    expect(under, alone.stdout).toBeDefined();
    // A repeated run counts each file once, as it ran first.
    const looped = await runCli(["--parallel", "-n", "2", "--loop", "2"], { cwd: p.root });
    expect(looped.stdout).toMatch(/^8 files each set up session-scoped fixtures in their own process/m);
    const packed = await runCli(["--parallel", "-n", "2", "--pack", "--pack-under", String(under)], { cwd: p.root });
    expect(packed.code, packed.stdout + packed.stderr).toBe(0);
    expect(packed.stdout).toMatch(/8 files: 8 passed/);
    expect(packed.stdout).toMatch(/8 files in 2 shared processes/);
    expect(packed.stdout).not.toContain("session-scoped fixtures");
    expect(processesIn(p.root)).toEqual([]);
  });

  it("counts a session fixture's teardown too: a server that takes its time to stop, once per file (pytest-httpserver's)", async () => {
    // A helper's trial: the teardown's time went to each file's last test, and no hint named --pack.
    const conftest = "import time, pytest\n\n@pytest.fixture(scope='session', autouse=True)\ndef server():\n    yield\n    time.sleep(0.4)\n";
    const p = project({ "tests/conftest.py": conftest, ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [`tests/http/test_${i}.py`, "def test_it():\n    pass\n"])) });
    const alone = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    expect(alone.stdout).toMatch(/^8 files each set up session-scoped fixtures in their own process: \d+\.\d s in all, \d+\.\d s of it their teardown at the session's end \(server of tests\/conftest\.py, 0\.\d s a file\), .* --pack --pack-under \d+ runs/m);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("names a --pack-under above the default where each file's own session takes seconds (a conftest slow to import: fastapi-users')", async () => {
    const p = project({ "tests/conftest.py": "import time\n\ntime.sleep(1.2)\n", ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [`tests/http/test_${i}.py`, "def test_it():\n    pass\n"])) });
    const alone = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    const hint = /^10 of the 10 files took under (\d+) s each, .*the files' own pytest sessions \(start-up, conftests, collection: 1\.\d s a file at the median\), not to their tests\. --pack --pack-under (\d+) runs them in shared processes/m;
    const under = hint.exec(alone.stdout)?.[2];
    expect(under, alone.stdout).toBeDefined();
    // A plain --pack, whose default --pack-under packs none of them, says which would (inflect's trial).
    const plainPack = await runCli(["--parallel", "-n", "2", "--pack"], { cwd: p.root });
    expect(plainPack.code, plainPack.stdout + plainPack.stderr).toBe(0);
    expect(plainPack.stdout).toMatch(new RegExp(`^--pack left every file of 1 s or more \\(--pack-under 1\\) in a process of its own: 10 of the 10 such files .* --pack --pack-under ${under} runs them`, "m"));
    const packed = await runCli(["--parallel", "-n", "2", "--pack", "--pack-under", String(under)], { cwd: p.root });
    expect(packed.code, packed.stdout + packed.stderr).toBe(0);
    expect(packed.stdout).toMatch(/10 files in 2 shared processes/);
    expect(packed.stdout).not.toMatch(/--pack --pack-under/);
    // A run whose selection left no test in any file (exit 5) has nothing to speed up: no such hint (factory_boy's trial).
    const none = await runCli(["--parallel", "-n", "2", "--", "-k", "no_such_test"], { cwd: p.root });
    expect(none.code, none.stdout + none.stderr).toBe(5);
    expect(none.stdout).not.toMatch(/--pack/);
    // Nor one whose selection left most files without a test (loguru's -k run was told to --pack; its whole run was not).
    const some = await runCli(["--parallel", "-n", "2", "--", "-k", "test_it and test_1"], { cwd: p.root });
    expect(some.code, some.stdout + some.stderr).toBe(0);
    expect(some.stdout).not.toMatch(/--pack/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("names a slow pack by its first files and how many more, not every file (html5lib's 40 files, 3,000 characters)", async () => {
    const files: Record<string, string> = { "tests/http/test_a.py": "import time\n\ndef test_waits():\n    time.sleep(2)\n" };
    for (const name of ["b", "c", "d"]) files[`tests/http/test_${name}.py`] = "def test_it():\n    pass\n";
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "1", "--pack", "--slow-notice", "1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^SLOW\s+the pack of tests\/http\/test_a\.py, tests\/http\/test_b\.py and 2 more\s+\S+\s+still running/m);
  });

  it("gives a pack a temporary folder a test can match as a regular expression, as in a plain run", async () => {
    // pydantic-settings puts tmp_path into pytest.warns(match=...): the `+` of a pack's name made it a quantifier.
    const matches = "import re\n\ndef test_matches(tmp_path):\n    assert re.search(str(tmp_path), f'found in {tmp_path}')\n";
    const p = project({ "tests/http/test_a.py": matches, "tests/http/test_b.py": matches, "tests/http/test_c.py": matches });
    const result = await runCli(["--parallel", "-n", "1", "--pack"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/3 files: 3 passed/);
  });

  it("stops a pack at its first failure under --fail-fast, and the run with it, instead of running the pack to its end (billiard's trial)", async () => {
    const files: Record<string, string> = { "tests/http/test_a_fails.py": "def test_fails():\n    assert False\n" };
    for (let i = 0; i < 5; i++) files[`tests/http/test_b${i}.py`] = "import time\n\ndef test_waits():\n    time.sleep(3)\n";
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "1", "--pack", "--fail-fast", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    // One pack of six files, 15 s of sleeps after the failing one: stopped at the failure.
    expect(result.stdout).toMatch(/6 of them in 1 shared process/);
    expect(result.seconds).toBeLessThan(12);
    const status = Object.fromEntries(readReport(p, "r.json").files.map((f) => [f.path, f.status]));
    expect(status["tests/http/test_a_fails.py"]).toBe("failed");
    for (let i = 0; i < 5; i++) expect(status[`tests/http/test_b${i}.py`]).toBe("cancelled");
    expect(processesIn(p.root)).toEqual([]);
  });

  it("runs the files a pack never reached, because a test ended its process, in a new process: their failures show", async () => {
    const p = project({
      "tests/http/test_a.py": "def test_a():\n    pass\n",
      "tests/http/test_b_exits.py": "import os\n\ndef test_exits():\n    os._exit(0)\n",
      "tests/http/test_c.py": "def test_c():\n    pass\n",
      "tests/http/test_d_fails.py": "def test_d():\n    assert 1 == 2\n",
    });
    const result = await runCli(["--parallel", "-n", "1", "--pack", "--order", "name", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const status = Object.fromEntries(readReport(p, "r.json").files.map((f) => [f.path, f.status]));
    expect(status).toEqual({ "tests/http/test_a.py": "passed", "tests/http/test_b_exits.py": "failed", "tests/http/test_c.py": "passed", "tests/http/test_d_fails.py": "failed" });
    expect(result.stdout).toMatch(/assert 1 == 2/);
    expect(result.stdout).not.toMatch(/CANCEL|cancelled/i);
  });

  it("times tests by its own clock, not one a test froze: a pack's file and its tests take seconds, not days (freezegun, itsdangerous' suite)", async () => {
    // What freezegun does: every module attribute bound to time.perf_counter replaced by a clock that leaps a day a call.
    const freezer = `import sys, time, pytest

@pytest.fixture
def frozen():
    real = time.perf_counter
    leaps = [0.0]
    def fake():
        leaps[0] += 86400.0
        return real() + leaps[0]
    patched = []
    for module in list(sys.modules.values()):
        for name, value in list(getattr(module, "__dict__", {}).items()):
            if value is real:
                setattr(module, name, fake)
                patched.append((module, name))
    yield
    for module, name in patched:
        setattr(module, name, real)
`;
    const frozen = "import pytest\n\n@pytest.mark.parametrize('i', range(40))\ndef test_frozen(frozen, i):\n    pass\n";
    const p = project({ "tests/conftest.py": freezer, "tests/http/test_frozen.py": frozen, "tests/http/test_plain.py": "def test_plain():\n    pass\n" });
    for (const mode of [["--pack"], []]) {
      const result = await runCli(["--parallel", "-n", "1", ...mode, "--report-json", "r.json"], { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const report = readReport(p, "r.json");
      const file = report.files.find((f) => f.path === "tests/http/test_frozen.py");
      // Each test's leap is capped at the process's life; forty of them added up were many times the run.
      const summed = (file?.cases ?? []).reduce((sum, test) => sum + test.durationSeconds, 0);
      expect(file?.cases).toHaveLength(40);
      expect(summed, mode.join(" ")).toBeLessThanOrEqual(report.wallSeconds);
      expect(file?.durationSeconds, mode.join(" ")).toBeLessThanOrEqual(report.wallSeconds);
    }
  });

  it.each([
    [["--pack"], /--pack only applies with --parallel/],
    [["--parallel", "--pack-under", "2"], /--pack-under only applies with --pack/],
    [["--parallel", "--pack", "--pack-under", "0"], /--pack-under must be a positive number of seconds/],
  ])("%s is bad usage", async (args, message) => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    pass\n" });
    const result = await runCli(args, { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
