/**
 * A per-file run is invisible: the same tests, with the same outcomes, as
 * one plain pytest run of the same selection. Each project here leans on one
 * of pytest's own collection rules (collect_ignore and its glob, an ignore
 * hook, --ignore in addopts and after --, norecursedirs, custom python_files,
 * doctest modules and text files, a plugin's YAML files, no ini file at all),
 * and every mode of grimoire-run must give the node-id → outcome map plain
 * pytest gives.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { outcomesOf, processesIn, readReport, runCli, temporaryProjects, testEnv, type Project } from "../helpers/project.js";

const project = temporaryProjects();

/** A test-owned plugin for the plain run: each test's outcome as pytest's terminal reporter names it, its worst phase winning. */
const ORACLE = `import json, os
RANK = {"passed": 0, "skipped": 1, "xfailed": 2, "xpassed": 3, "failed": 4, "error": 5}
OUTCOMES = {}
CONFIG = []

def pytest_configure(config):
    CONFIG.append(config)

def pytest_runtest_logreport(report):
    category = CONFIG[0].hook.pytest_report_teststatus(report=report, config=CONFIG[0])[0]
    if category in RANK and RANK[category] >= RANK.get(OUTCOMES.get(report.nodeid), -1):
        OUTCOMES[report.nodeid] = category

def pytest_collectreport(report):
    if report.failed:
        OUTCOMES[report.nodeid] = "error"
    elif report.skipped:
        OUTCOMES[report.nodeid] = "skipped"

def pytest_sessionfinish(session):
    with open(os.environ["ORACLE_OUT"], "w") as handle:
        json.dump(OUTCOMES, handle)
`;

/** What plain `python -m pytest ARGS` does to each test, and its exit code. */
function plainPytest(p: Project, args: string[]): { outcomes: Record<string, string>; code: number | null; stdout: string } {
  const out = path.join(p.root, "oracle.json");
  fs.writeFileSync(path.join(p.root, "oracle_plugin.py"), ORACLE);
  const run = spawnSync("python3", ["-m", "pytest", "-p", "oracle_plugin", ...args], {
    cwd: p.root,
    env: testEnv({ ORACLE_OUT: out, PYTHONPATH: p.root }),
    encoding: "utf8",
  });
  // pytest stopped before its session (a usage error) has no outcomes to give.
  const outcomes = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as Record<string, string>) : {};
  return { outcomes, code: run.status, stdout: run.stdout };
}

const MUST_NOT_RUN = "raise SystemExit('pytest never collects this file; grimoire-run must not either')\n";

/** Every collection rule at once, in a project with an ini file. */
function ruleBook(): Project {
  return project({
    "pytest.ini": `[pytest]
addopts = --doctest-modules --doctest-glob=*.txt --ignore=tests/http/test_ignored_by_addopts.py
python_files = test_*.py check_*.py
norecursedirs = vendored .*
`,
    "tests/conftest.py": `import pytest

collect_ignore = ["http/test_py314_only.py"]
collect_ignore_glob = ["*_skipme.py"]

def pytest_ignore_collect(collection_path, config):
    if collection_path.name == "test_hooked_out.py":
        return True

class SpecFile(pytest.File):
    def collect(self):
        for line in self.path.read_text().splitlines():
            name, _, expect = line.partition(":")
            yield SpecItem.from_parent(self, name=name.strip(), expect=expect.strip())

class SpecItem(pytest.Item):
    def __init__(self, *, expect, **kwargs):
        super().__init__(**kwargs)
        self.expect = expect

    def runtest(self):
        assert self.expect == "pass", f"{self.name} is meant to fail"

def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.name.startswith("spec"):
        return SpecFile.from_parent(parent, path=file_path)

class ManifestFolder(pytest.Directory):
    """A folder whose tests come from its manifest, yielded straight from the folder (no file collector between)."""

    def collect(self):
        for line in (self.path / "MANIFEST").read_text().splitlines():
            name, _, expect = line.partition(":")
            yield SpecItem.from_parent(self, name=name.strip(), expect=expect.strip())

def pytest_collect_directory(path, parent):
    if (path / "MANIFEST").is_file():
        return ManifestFolder.from_parent(parent, path=path)
`,
    "tests/http/test_outcomes.py": `import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown")

def test_pass():
    pass

def test_fail():
    assert 1 == 2

def test_skip():
    pytest.skip("not today")

def test_setup_error(broken_setup):
    pass

def test_teardown_error(broken_teardown):
    pass

@pytest.mark.xfail
def test_xfail():
    assert 0

@pytest.mark.xfail
def test_xpass():
    pass

@pytest.mark.xfail(strict=True)
def test_xpass_strict():
    pass

@pytest.mark.parametrize("value", ["a b", "x::y", "[z]"])
def test_odd_ids(value):
    assert value

class TestGroup:
    def test_in_class(self):
        pass
`,
    "tests/http/check_custom.py": "def test_found_by_python_files():\n    pass\n",
    "tests/http/test_optional_dependency.py": `import pytest

pytest.importorskip("grimoire_no_such_module")

def test_needs_it():
    pass
`,
    "tests/http/helpers.py": `def add(a, b):
    """
    >>> add(1, 2)
    3
    >>> add(2, 2)
    5
    """
    return a + b

def test_connection():
    raise AssertionError("a helper named like a test: a folder run never collects it from a non-test module")
`,
    "tests/http/test_py314_only.py": MUST_NOT_RUN,
    "tests/http/test_x_skipme.py": MUST_NOT_RUN,
    "tests/http/test_hooked_out.py": MUST_NOT_RUN,
    "tests/http/test_ignored_by_addopts.py": MUST_NOT_RUN,
    "tests/http/test_ignored_after_dashes.py": MUST_NOT_RUN,
    "tests/http/vendored/test_vendor.py": MUST_NOT_RUN,
    "tests/e2e/guide.txt": ">>> 1 + 1\n2\n>>> 'grimoire'.upper()\n'GRIMOIRE'\n",
    "tests/e2e/broken_guide.txt": ">>> 2 * 2\n5\n",
    "tests/e2e/spec_checkout.yaml": "pays: pass\nrefunds: fail\n",
    // A helper's false green: the listing knew only files, so a folder's own tests never ran, and the run passed.
    "tests/e2e/manifest_suite/MANIFEST": "lists: pass\nbreaks: fail\n",
    "tests/e2e/test_program.py": `import os, sys

def detected_program_name():
    # click's _detect_program_name, in short: how a program says it was started.
    main = sys.modules["__main__"]
    if getattr(main, "__package__", None) in (None, ""):
        return os.path.basename(sys.argv[0])
    return f"python -m {main.__spec__.name.removesuffix('.__main__')}"

def test_started_as_python_m_pytest():
    assert detected_program_name() == "python -m pytest"
    assert sys.argv[0].endswith(os.path.join("pytest", "__main__.py"))
    assert sys.path[0] == os.getcwd()
`,
  });
}

const MODES: [string, string[]][] = [
  ["parallel, forked from the fork server", ["--parallel"]],
  ["parallel, each pytest started afresh", ["--parallel", "--no-fork-server"]],
  ["parallel, packed", ["--parallel", "--pack"]],
];
/** The arguments of every mode, the serial run's (none) last. */
const EVERY_MODE: string[][] = [...MODES.map(([, args]) => args), []];
/** What a mode's run said, for an assertion's message. */
const said = (mode: readonly string[], result: { stdout: string; stderr: string }): string => `mode ${mode.join(" ") || "serial"}:\n${result.stdout}${result.stderr}`;

describe("the same tests and verdicts as plain pytest", () => {
  it.each(MODES)("%s: every collection rule gives the same node-id → outcome map as one plain pytest run", async (_, mode) => {
    const p = ruleBook();
    const plain = plainPytest(p, ["tests/e2e", "tests/http", "--ignore-glob=*after_dashes*"]);
    expect(Object.keys(plain.outcomes).length).toBeGreaterThan(15);
    const result = await runCli([...mode, "--report-json", "report.json", "--", "--ignore-glob=*after_dashes*"], { cwd: p.root });
    const report = readReport(p);
    expect(outcomesOf(report), result.stdout + result.stderr).toEqual(plain.outcomes);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toMatch(/pytest never collects this file/);
    // Counted as pytest counts them: xfailed and xpassed apart from skipped and passed.
    const outcomes = report.files.find((f) => f.path === "tests/http/test_outcomes.py");
    expect(outcomes?.tests).toEqual({ passed: 6, failed: 2, skipped: 1, errors: 2, xfailed: 1, xpassed: 1, deselected: 0 });
    expect(result.stdout).toMatch(/^Tests: .*1 xfailed, 1 xpassed/m);
    // A module skipped while collecting counts as skipped in pytest's summary, and in grimoire-run's: twice here, as
    // --doctest-modules collects it as a doctest module too, and pytest says "2 skipped".
    expect(report.files.find((f) => f.path === "tests/http/test_optional_dependency.py")?.tests?.skipped).toBe(2);
    // Its line says it as pytest does: "2 skipped", not "0 passed, 2 skipped"; and that the module skipped itself.
    expect(result.stdout).toMatch(/^NO TESTS\s+tests\/http\/test_optional_dependency\.py\s+\S+\s+\(2 skipped: the module itself, skipped while it was imported: could not import 'grimoire_no_such_module': No module named 'grimoire_no_such_module'\)$/m);
  });

  it.each(MODES)("%s: a test module whose module name an earlier one took fails as in a plain run (import file mismatch)", async (_, mode) => {
    const p = project({
      "tests/e2e/test_login.py": "def test_in_e2e():\n    pass\n",
      "tests/http/test_login.py": "def test_in_http():\n    pass\n",
    });
    const plain = plainPytest(p, ["tests/e2e", "tests/http"]);
    expect(plain.outcomes).toEqual({ "tests/http/test_login.py": "error" });
    const result = await runCli([...mode, "--report-json", "report.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(outcomesOf(readReport(p))["tests/http/test_login.py"]).toBe("error");
    expect(result.stdout).toMatch(/import file mismatch/);
  });

  it("a test*.txt file with no doctest in it runs nothing and says nothing, as in plain pytest, in either mode, unless it is named", async () => {
    const p = project({
      "tests/http/test_ok.py": "def test_ok():\n    pass\n",
      "tests/http/static/test.txt": "just some static data, no example\n",
      "tests/http/test_guide.txt": "A guide.\n\n    >>> 1 + 1\n    3\n",
    });
    const plain = plainPytest(p, ["tests/http"]);
    expect(plain.outcomes).toEqual({ "tests/http/test_guide.txt::test_guide.txt": "failed", "tests/http/test_ok.py::test_ok": "passed" });
    const result = await runCli(["--parallel", "--report-json", "report.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Found 2 test files, /m);
    const report = readReport(p);
    expect(Object.fromEntries(report.files.map((f) => [f.path, f.status]))).toEqual({ "tests/http/test_guide.txt": "failed", "tests/http/test_ok.py": "passed" });
    expect(outcomesOf(report)).toEqual(plain.outcomes);
    // A serial run learns its files from its one pytest process: the same two.
    const serial = await runCli(["--report-json", "serial.json"], { cwd: p.root });
    expect(serial.stdout).toMatch(/^Found 2 test files, running them in one pytest process$/m);
    expect(Object.fromEntries(readReport(p, "serial.json").files.map((f) => [f.path, f.status]))).toEqual({ "tests/http/test_guide.txt": "failed", "tests/http/test_ok.py": "cancelled" });
    const named = await runCli(["--parallel", "tests/http/static/test.txt", "--report-json", "named.json"], { cwd: p.root });
    expect(readReport(p, "named.json").files.map((f) => [f.path, f.status])).toEqual([["tests/http/static/test.txt", "no-tests"]]);
    expect(named.code).toBe(5);
  });

  it("counts the warnings as plain pytest's summary does, one raised in every file's process once (three helpers' trials found none counted)", async () => {
    const marked = (name: string): string => `import warnings, pytest\n\n@pytest.mark.nosuchmark\ndef test_${name}():\n    warnings.warn("careful", UserWarning)\n`;
    const p = project({ "pytest.ini": "[pytest]\nbogus_option = 1\n", "tests/http/test_a.py": marked("a"), "tests/http/test_b.py": marked("b"), "tests/http/test_c.py": "def test_c():\n    pass\n" });
    const plain = plainPytest(p, ["tests/http"]);
    // The ini option once, each module's mark and each test's warning: 5.
    expect(plain.stdout).toMatch(/3 passed, 5 warnings/);
    for (const args of [["--parallel", "-n", "2"], []]) {
      const result = await runCli([...args, "-q", "--report-json", "w.json"], { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Tests: 3 passed, 0 failed, 0 skipped, 5 warnings$/m);
      expect(readReport(p, "w.json").files.map((f) => [f.path, (f.tests as { warnings?: number } | null)?.warnings])).toEqual([
        ["tests/http/test_a.py", 2],
        ["tests/http/test_b.py", 2],
        ["tests/http/test_c.py", undefined],
      ]);
    }
  });

  it("leaves SIGTERM's handling a plain run's, as the tests see it: the default handler, a handler of theirs passed SIG_DFL, their own SIGTERM ending the process", async () => {
    const p = project({
      "tests/http/test_handlers.py": `import os, signal

def test_default_at_first():
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

def test_a_graceful_shutdown_handler_chains_to_the_default():
    got = []
    def handler(signum, frame):
        got.append(signum)
        if callable(previous):
            previous(signum, frame)
    previous = signal.signal(signal.SIGTERM, handler)
    assert previous is signal.SIG_DFL
    os.kill(os.getpid(), signal.SIGTERM)
    assert got == [signal.SIGTERM]
    assert signal.signal(signal.SIGTERM, previous) is handler

def test_default_again():
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
`,
      "tests/http/test_self_terminating.py": "import os, signal\n\ndef test_terminates_itself():\n    os.kill(os.getpid(), signal.SIGTERM)\n",
    });
    const plain = plainPytest(p, ["tests/http/test_handlers.py"]);
    expect(plain.code).toBe(0);
    const plainKilled = spawnSync("python3", ["-m", "pytest", "tests/http/test_self_terminating.py"], { cwd: p.root, env: testEnv(), encoding: "utf8" });
    expect(plainKilled.signal).toBe("SIGTERM");
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode, "--report-json", "report.json", "--order", "name"], { cwd: p.root });
      const what = said(mode, result);
      const files = Object.fromEntries(readReport(p).files.map((f) => [f.path, f]));
      expect(files["tests/http/test_handlers.py"]?.tests, what).toMatchObject({ passed: 3, failed: 0 });
      // Its own SIGTERM ends the process, as it ends plain pytest's: not a stop of grimoire-run's.
      expect(files["tests/http/test_self_terminating.py"]?.signal, what).toBe("SIGTERM");
      expect(result.stdout, what).not.toMatch(/grimoire-run stopped this test/);
    }
    expect(processesIn(p.root)).toEqual([]);
  });

  it("says where a plugin ties tests across files: a pytest-dependency skip a plain run would not make, a session-wide report each file overwrites", async () => {
    // A stand-in for pytest-dependency (not on this machine's package index), as it behaves: a test whose dependency
    // did not pass in this session is skipped. And for pytest-html's option, written by each process.
    const p = project({
      "pytest_dependency.py": [
        "import pytest",
        "_passed = set()",
        "def pytest_configure(config):",
        "    config.addinivalue_line('markers', 'dependency(name=None, depends=[], scope=\"module\")')",
        "def pytest_runtest_setup(item):",
        "    marker = item.get_closest_marker('dependency')",
        "    for name in (marker.kwargs.get('depends') or []) if marker else []:",
        "        if name not in _passed:",
        "            pytest.skip(f'{item.nodeid} depends on {name}')",
        "def pytest_runtest_logreport(report):",
        "    if report.when == 'call' and report.passed:",
        "        _passed.add(report.nodeid)",
        "def pytest_addoption(parser):",
        "    parser.addoption('--html', dest='htmlpath')",
        "",
      ].join("\n"),
      "pytest.ini": "[pytest]\naddopts = -p pytest_dependency\n",
      "tests/http/test_a_base.py": "def test_base():\n    pass\n",
      "tests/http/test_b_feature.py": [
        "import pytest",
        "@pytest.mark.dependency(depends=['tests/http/test_a_base.py::test_base'], scope='session')",
        "def test_feature():",
        "    assert False, 'broken, and plain pytest says so'",
        "",
      ].join("\n"),
    });
    const env = testEnv({ PYTHONPATH: p.root });
    const parallel = await runCli(["--parallel", "--", "--html=report.html"], { cwd: p.root, env });
    // The false green this warns of: the failing test was skipped.
    expect(parallel.code).toBe(0);
    expect(parallel.stderr + parallel.stdout).toMatch(/pytest-dependency: 1 test depends on tests of other files .*skipped it: tests\/http\/test_b_feature\.py::test_feature\./);
    expect(parallel.stderr + parallel.stdout).toMatch(/pytest-html's --html=report\.html writes one report of a pytest session's tests, and each file's process writes its own over the last/);
    // One pytest session, as plain pytest: the dependency ran, the test failed, and there is nothing to warn of.
    const serial = await runCli(["--", "--html=report.html"], { cwd: p.root, env });
    expect(serial.code).toBe(1);
    expect(serial.stderr + serial.stdout).not.toMatch(/pytest-dependency:|pytest-html's/);
  });

  it("empties pytest-playwright's output folder once, before the first file, and keeps every failed file's screenshots in it", async () => {
    // A stand-in for pytest-playwright (not on this machine's package index), under its module name: its session fixture
    // empties --output at every session's start, and a failed test leaves its screenshot there.
    const stub = [
      "import os, shutil, pytest",
      "def slugify(text):",
      "    return text.replace('/', '-').replace(':', '-')",
      "def pytest_addoption(parser):",
      "    parser.addoption('--output', default='test-results')",
      "@pytest.fixture(scope='session', autouse=True)",
      "def delete_output_dir(pytestconfig):",
      "    if os.path.exists(pytestconfig.getoption('--output')):",
      "        shutil.rmtree(pytestconfig.getoption('--output'))",
      "@pytest.hookimpl(hookwrapper=True)",
      "def pytest_runtest_makereport(item):",
      "    report = (yield).get_result()",
      "    if report.when == 'call' and report.failed:",
      "        folder = os.path.join(item.config.getoption('--output'), slugify(item.nodeid))",
      "        os.makedirs(folder, exist_ok=True)",
      "        open(os.path.join(folder, 'test-failed-1.png'), 'w').close()",
      "",
    ].join("\n");
    const files = ["a", "b", "c", "d"].map((name) => [`tests/e2e/test_${name}.py`, `def test_${name}():\n    assert False, 'shown in the screenshot'\n`]);
    const screenshots = (root: string): string[] => fs.readdirSync(path.join(root, "test-results")).sort();
    const stale = (root: string): void => {
      fs.mkdirSync(path.join(root, "test-results", "from-the-last-run"), { recursive: true });
    };
    const p = project({ "pytest_playwright/__init__.py": "", "pytest_playwright/pytest_playwright.py": stub, "pytest.ini": "[pytest]\naddopts = -p pytest_playwright.pytest_playwright\n", ...Object.fromEntries(files) });
    const env = testEnv({ PYTHONPATH: p.root });
    const expected = ["tests-e2e-test_a.py--test_a", "tests-e2e-test_b.py--test_b", "tests-e2e-test_c.py--test_c", "tests-e2e-test_d.py--test_d"];
    for (const args of [["--parallel", "-n", "2"], ["--parallel", "-n", "1"], ["--parallel", "-n", "2", "--pack"]]) {
      stale(p.root);
      const run = await runCli(args, { cwd: p.root, env });
      expect(run.code, args.join(" ")).toBe(1);
      // What the last run left is gone, as in a plain run; what each failed file left is kept.
      expect(screenshots(p.root), args.join(" ")).toEqual(expected);
    }
    // Each failed file's summary points at its tests' folder, and the report lists the files in it.
    const reported = await runCli(["--parallel", "-n", "2", "--report-json", "r.json"], { cwd: p.root, env });
    expect(reported.stdout).toMatch(/FAIL\s+tests\/e2e\/test_b\.py[^\n]*\n(?:[^\n]*\n)*?\s+screenshots and traces: test-results\/tests-e2e-test_b\.py--test_b\n/);
    const entry = readReport(p, "r.json").files.find((f) => f.path === "tests/e2e/test_c.py");
    expect(entry?.artifactFiles).toEqual(["test-results/tests-e2e-test_c.py--test_c/test-failed-1.png"]);
    expect(processesIn(p.root)).toEqual([]);

    // A conftest that defines the clean-up itself (keeping the folder) is the project's word: nothing is emptied.
    fs.writeFileSync(path.join(p.root, "tests", "conftest.py"), "import pytest\n@pytest.fixture(scope='session')\ndef delete_output_dir():\n    pass\n");
    stale(p.root);
    expect((await runCli(["--parallel", "-n", "2"], { cwd: p.root, env })).code).toBe(1);
    expect(screenshots(p.root)).toEqual(["from-the-last-run", ...expected]);
  });

  it("keeps every file's lines in pytest's log_file and every file's results in a results folder a plugin cleans at configure, and refuses what would give a false result", async () => {
    // A stand-in for allure-pytest (not on this machine's package index), as it behaves: --clean-alluredir empties the
    // folder when the session is configured, and each test leaves a result file.
    const stub = [
      "import os, shutil, uuid",
      "def pytest_addoption(parser):",
      "    parser.addoption('--alluredir', dest='allure_report_dir')",
      "    parser.addoption('--clean-alluredir', dest='clean_alluredir', action='store_true', default=False)",
      "    parser.addoption('--benchmark-autosave', dest='benchmark_autosave', action='store_const', const='tag')",
      "    parser.addoption('--benchmark-compare', dest='benchmark_compare', nargs='?', default=[], const=True)",
      "def pytest_configure(config):",
      "    folder = config.option.allure_report_dir",
      "    if folder and config.option.clean_alluredir and not config.option.collectonly and os.path.isdir(folder):",
      "        shutil.rmtree(folder)",
      "    if folder:",
      "        os.makedirs(folder, exist_ok=True)",
      "def pytest_runtest_logreport(report):",
      "    if report.when == 'call':",
      "        with open(os.path.join('allure-results', f'{uuid.uuid4()}-result.json'), 'w') as handle:",
      "            handle.write(report.outcome)",
      "",
    ].join("\n");
    const test = (name: string, ok: boolean): string => `import logging\n\ndef test_${name}():\n    logging.getLogger(__name__).info('ran test_${name}')\n    assert ${ok ? "True" : "False"}\n`;
    const p = project({
      "allure_stand_in.py": stub,
      "pytest.ini": "[pytest]\naddopts = -p allure_stand_in --alluredir allure-results --clean-alluredir\nlog_file = run.log\nlog_file_level = INFO\n",
      "tests/http/test_a.py": test("a", false),
      "tests/http/test_b.py": test("b", true),
      "tests/http/test_c.py": test("c", true),
      "tests/http/test_d.py": test("d", true),
    });
    const env = testEnv({ PYTHONPATH: p.root });
    const results = (): string[] => fs.readdirSync(path.join(p.root, "allure-results")).map((name) => fs.readFileSync(path.join(p.root, "allure-results", name), "utf8")).sort();
    fs.mkdirSync(path.join(p.root, "allure-results"));
    fs.writeFileSync(path.join(p.root, "allure-results", "from-the-last-run-result.json"), "stale");
    fs.writeFileSync(path.join(p.root, "run.log"), "a line of the last run\n");
    const run = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env });
    expect(run.code).toBe(1);
    // As in one pytest session: the last run's results and lines gone, every file's kept, the failure included.
    expect(results()).toEqual(["failed", "passed", "passed", "passed"]);
    const logged = fs.readFileSync(path.join(p.root, "run.log"), "utf8");
    expect(logged.match(/ran test_\w/g)?.sort()).toEqual(["ran test_a", "ran test_b", "ran test_c", "ran test_d"]);
    expect(logged).not.toContain("the last run");

    // Each file's process would compare its benchmarks with the run the file before it saved: refused before any test.
    const refused = await runCli(["--parallel", "-n", "2", "--", "--benchmark-autosave", "--benchmark-compare"], { cwd: p.root, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pytest-benchmark's --benchmark-compare with --benchmark-autosave: each file's process would compare its benchmarks with the run the file before it saved/);
    expect(processesIn(p.root)).toEqual([]);
    // One pytest session compares with the last run, as plain pytest does: nothing to refuse.
    expect((await runCli(["--", "--benchmark-autosave", "--benchmark-compare"], { cwd: p.root, env })).stderr).not.toMatch(/pytest-benchmark's/);
  });

  it("gives pytest-base-url's base_url the run's base URL over the ini's, unless pytest's own --base-url says otherwise", async () => {
    // A stand-in for pytest-base-url (not on this machine's package index), as it reads its URL: --base-url, else the ini.
    const stub = [
      "import pytest",
      "def pytest_addoption(parser):",
      "    parser.addini('base_url', help='base url')",
      "    parser.addoption('--base-url', dest='base_url', default=None)",
      "def pytest_configure(config):",
      "    url = config.getoption('base_url') or config.getini('base_url')",
      "    if url:",
      "        config.option.base_url = url",
      "@pytest.fixture(scope='session')",
      "def base_url(request):",
      "    return request.config.getoption('base_url')",
      "",
    ].join("\n");
    const p = project({
      "base_url_stand_in.py": stub,
      "pytest.ini": "[pytest]\naddopts = -p base_url_stand_in\nbase_url = http://127.0.0.1:9/the-ini\n",
      "tests/http/test_url.py": "import os\n\ndef test_url(base_url):\n    assert base_url == os.environ['EXPECTED']\n",
      "tests/http/test_other.py": "def test_other(base_url):\n    assert base_url\n",
    });
    const given = "http://127.0.0.1:9/given";
    for (const args of [["--parallel", "--base-url", given], ["--base-url", given]]) {
      const run = await runCli(args, { cwd: p.root, env: testEnv({ PYTHONPATH: p.root, EXPECTED: given }) });
      expect(run.code, `${args.join(" ")}\n${run.stdout}`).toBe(0);
    }
    expect((await runCli(["--parallel"], { cwd: p.root, env: testEnv({ PYTHONPATH: p.root, E2E_BASE_URL: given, EXPECTED: given }) })).code).toBe(0);
    // pytest's own option, after --, is the user's last word; without any URL of the run's, the ini's stands.
    const forwarded = await runCli(["--parallel", "--base-url", given, "--", "--base-url", "http://127.0.0.1:9/forwarded"], { cwd: p.root, env: testEnv({ PYTHONPATH: p.root, EXPECTED: "http://127.0.0.1:9/forwarded" }) });
    expect(forwarded.code).toBe(0);
    // So is one in PYTEST_ADDOPTS or the ini's addopts, which pytest reads as its command line.
    const addopts = await runCli(["--parallel", "--base-url", given], { cwd: p.root, env: testEnv({ PYTHONPATH: p.root, PYTEST_ADDOPTS: "--base-url http://127.0.0.1:9/addopts", EXPECTED: "http://127.0.0.1:9/addopts" }) });
    expect(addopts.code, addopts.stdout).toBe(0);
    expect((await runCli(["--parallel"], { cwd: p.root, env: testEnv({ PYTHONPATH: p.root, EXPECTED: "http://127.0.0.1:9/the-ini" }) })).code).toBe(0);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("says how many test files and modules with doctests it found, and the modules alone where no test file is left (--last-failed)", async () => {
    const p = project({
      "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
      "tests/http/test_ok.py": "def test_ok():\n    pass\n",
      "tests/http/helpers.py": 'def double(x):\n    """\n    >>> double(2)\n    5\n    """\n    return 2 * x\n',
    });
    const first = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stdout).toMatch(/^Found 1 test file and 1 module to check for doctests, running them on 2 workers$/m);
    const again = await runCli(["--parallel", "--last-failed"], { cwd: p.root });
    expect(again.code, again.stdout + again.stderr).toBe(1);
    expect(again.stdout).toMatch(/^Found 1 module to check for doctests, running it on 1 worker$/m);
  });

  it("a serial run tells the modules only checked for doctests from test files too, and says nothing of one that holds none", async () => {
    // Helpers' trials: "Found 44 test files" serially where the parallel run said 20 test files and 24 modules.
    const p = project({
      "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
      "tests/http/test_ok.py": "def test_ok():\n    pass\n",
      "tests/http/helpers.py": 'def double(x):\n    """\n    >>> double(2)\n    4\n    """\n    return 2 * x\n',
      "tests/http/plain.py": "VALUE = 1\n",
    });
    for (const mode of [[], ["--parallel"]]) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
      expect(result.stdout, said(mode, result)).toMatch(/^Found 1 test file and 2 modules to check for doctests, running them /m);
      expect(result.stdout, said(mode, result)).not.toMatch(/NO TESTS\s+tests\/http\/plain\.py/);
      expect(result.stdout, said(mode, result)).toMatch(/PASS\s+tests\/http\/helpers\.py/);
      // Its count says what it is: no line of it to find (a helper's trial on jaraco.functools).
      expect(result.stdout, said(mode, result)).toMatch(/^1 test file and 2 modules: 2 passed, 1 no tests \(1 module checked for doctests, none found\)$/m);
    }
  });

  it("says that modules checked for doctests share processes as theirs, not as a --pack nobody gave", async () => {
    // deepdiff's trial: "17 of them in 2 shared processes (--pack)" of a run without --pack.
    const doctest = (name: string): string => `def ${name}(x):\n    """\n    >>> ${name}(2)\n    4\n    """\n    return 2 * x\n`;
    const p = project({
      "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
      "tests/http/test_ok.py": "def test_ok():\n    pass\n",
      ...Object.fromEntries(["a", "b", "c", "d"].map((name) => [`tests/http/${name}.py`, doctest(`double_${name}`)])),
    });
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Found 1 test file and 4 modules to check for doctests, running them on 2 workers, 4 of the modules in 2 shared processes$/m);
  });

  it("lets a test use record_property under filterwarnings = error, as plain pytest does without --junitxml, in every mode", async () => {
    const p = project({
      "pytest.ini": "[pytest]\nfilterwarnings =\n    error\n",
      "tests/http/test_prop.py": "def test_prop(record_property):\n    record_property('example_key', 1)\n",
    });
    expect(plainPytest(p, ["tests/http"]).code).toBe(0);
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode, "--junit-xml", "merged.xml"], { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
      // The property reaches the run's JUnit report.
      expect(p.read("merged.xml")).toMatch(/<property name="example_key" value="1"/);
    }
  });

  it("leaves PYTHONPATH the user's in the tests and the Pythons they start, in every mode", async () => {
    const p = project({
      "tests/http/test_env.py": `import os, subprocess, sys

def test_pythonpath_is_the_users():
    assert os.environ.get("PYTHONPATH") == os.environ.get("EXPECTED_PYTHONPATH")

def test_a_child_python_has_nothing_of_grimoire_run():
    out = subprocess.run([sys.executable, "-c", "import sys; print([p for p in sys.path if 'grimoire_run' in p or p.endswith('/dist/site-packages')])"], capture_output=True, text=True).stdout
    assert eval(out) == []
`,
    });
    for (const userPath of [undefined, "/opt/userpp"]) {
      const env = testEnv({ PYTHONPATH: userPath, EXPECTED_PYTHONPATH: userPath });
      for (const mode of EVERY_MODE) {
        const result = await runCli([...mode], { cwd: p.root, env });
        expect(result.code, `PYTHONPATH ${String(userPath)}, ${said(mode, result)}`).toBe(0);
      }
    }
  });

  it("gives a test a plain run's room for nested calls, under the default recursion limit and one it sets, in every mode", async () => {
    // structlog's test_recursive: a forked file ran 14 calls deeper (the fork server's frames, the early Python's) and failed.
    const p = project({
      "tests/http/test_depth.py": `import json, os, sys

def room():
    depth = 0
    def down():
        nonlocal depth
        depth += 1
        down()
    try:
        down()
    except RecursionError:
        pass
    return depth

def test_room():
    seen = {"limit": sys.getrecursionlimit(), "room": room()}
    sys.setrecursionlimit(200)
    seen.update(limit_set=sys.getrecursionlimit(), room_set=room())
    sys.setrecursionlimit(seen["limit"])
    with open(os.environ["DEPTH_OUT"], "w") as out:
        json.dump(seen, out)
`,
    });
    const out = path.join(p.root, "depth.json");
    const plain = spawnSync("python3", ["-m", "pytest", "-q", "tests/http"], { cwd: p.root, env: testEnv({ DEPTH_OUT: out }), encoding: "utf8" });
    expect(plain.status, plain.stdout).toBe(0);
    const expected = JSON.parse(fs.readFileSync(out, "utf8")) as Record<string, number>;
    expect(expected["limit_set"]).toBe(200);
    // The fork server started as its own Python too, not handed over by the early one (a --python, GRIMOIRE_PYTHON).
    for (const [mode, extra] of [...EVERY_MODE.map((m) => [m, {}] as const), [["--parallel"], { GRIMOIRE_PYTHON: "python3" }] as const]) {
      fs.rmSync(out, { force: true });
      const result = await runCli([...mode], { cwd: p.root, env: testEnv({ DEPTH_OUT: out, ...extra }) });
      expect(result.code, said(mode, result)).toBe(0);
      expect(JSON.parse(fs.readFileSync(out, "utf8")), said(mode, result)).toEqual(expected);
    }
  });

  it("leaves no frame below a test whose module inspect cannot find, beyond plain pytest's, in every mode", async () => {
    // inspect.stack() goes through every loaded module for each such frame, each time: dynaconf's settings call it, and
    // its suite took 14% more instructions in a serial run (runpy's frames and the early Python's below pytest).
    const p = project({
      "tests/http/test_stack.py": `import inspect, json, os

def test_stack():
    unplaced = [frame.filename for frame in inspect.stack() if inspect.getmodule(frame.frame) is None]
    with open(os.environ["STACK_OUT"], "w") as out:
        json.dump(unplaced, out)
`,
    });
    const out = path.join(p.root, "stack.json");
    const plain = spawnSync("python3", ["-m", "pytest", "-q", "tests/http"], { cwd: p.root, env: testEnv({ STACK_OUT: out }), encoding: "utf8" });
    expect(plain.status, plain.stdout).toBe(0);
    const expected = JSON.parse(fs.readFileSync(out, "utf8")) as string[];
    for (const [mode, extra] of [...EVERY_MODE.map((m) => [m, {}] as const), [["--parallel"], { GRIMOIRE_PYTHON: "python3" }] as const]) {
      fs.rmSync(out, { force: true });
      const result = await runCli([...mode], { cwd: p.root, env: testEnv({ STACK_OUT: out, ...extra }) });
      expect(result.code, said(mode, result)).toBe(0);
      expect(JSON.parse(fs.readFileSync(out, "utf8")), said(mode, result)).toEqual(expected);
    }
  });

  it("lets Hypothesis draw the examples a plain run draws from the same seed, in every mode: grimoire-run's modules are no source of the project's constants", async () => {
    // Hypothesis draws the literals of the modules it takes for the project's own (any loaded module outside a
    // site-packages folder) into its examples; it took grimoire-run's, and a derandomized test saw other examples than
    // under plain pytest (time-machine's suite failed where plain pytest, with the same seed, passed: a helper's trial).
    const p = project({
      "tests/http/test_draws.py": `import os
from hypothesis import given, settings, strategies as st

@settings(derandomize=True, max_examples=300, database=None)
@given(st.integers(), st.text(max_size=4))
def test_draws(n, s):
    with open(os.environ["DRAWS_OUT"], "a") as out:
        out.write(f"{n!r} {s!r}\\n")
`,
    });
    const out = path.join(p.root, "draws.txt");
    const plain = spawnSync("python3", ["-m", "pytest", "-q", "tests/http"], { cwd: p.root, env: testEnv({ DRAWS_OUT: out }), encoding: "utf8" });
    expect(plain.status, plain.stdout).toBe(0);
    const expected = fs.readFileSync(out, "utf8");
    expect(expected.split("\n").length).toBeGreaterThan(100);
    for (const mode of EVERY_MODE) {
      fs.rmSync(out, { force: true });
      const result = await runCli([...mode], { cwd: p.root, env: testEnv({ DRAWS_OUT: out }) });
      expect(result.code, said(mode, result)).toBe(0);
      expect(fs.readFileSync(out, "utf8") === expected, said(mode, result)).toBe(true);
    }
  });

  it("imports, for every file, the conftests a plain run of several folders imports before its session (testpaths a and tests), in every mode", async () => {
    // bidict's tests/conftest.py registers the Hypothesis profile its addopts names: a plain run of testpaths imports it
    // before any plugin's configure, and a docs file's own process, which never did, failed with an internal error.
    const p = project({
      "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["a", "tests"]\n',
      "tests/conftest.py": "import os\n\nos.environ['SEEN_TESTS_CONFTEST'] = '1'\n",
      "tests/test_t.py": "def test_t():\n    pass\n",
      "a/test_a.py": "import os\n\ndef test_sees_the_conftest_of_tests():\n    assert os.environ.get('SEEN_TESTS_CONFTEST') == '1'\n",
    });
    const plain = plainPytest(p, []);
    expect(plain.outcomes).toEqual({ "a/test_a.py::test_sees_the_conftest_of_tests": "passed", "tests/test_t.py::test_t": "passed" });
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode], { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
    }
  });

  it("puts nothing beside the project's own modules on sys.path: its tests folder, a namespace package, is its alone, in every mode", async () => {
    // grimoire-run's plugin folder is on every process's sys.path; a tests folder in it joined the project's `tests`
    // namespace package (a helper's trial on click: `tests.__path__` had grimoire-run's own tests in it).
    const p = project({
      "tests/helpers.py": "",
      "tests/http/test_ns.py": `import os, pkgutil, tests

def test_the_tests_package_is_the_projects():
    assert {os.path.realpath(p) for p in tests.__path__} == {os.path.realpath("tests")}
    assert [m.name for m in pkgutil.iter_modules(tests.__path__)] == ["helpers"]
`,
    });
    const plain = plainPytest(p, ["tests"]);
    expect(Object.values(plain.outcomes)).toEqual(["passed"]);
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode], { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
    }
  });

  it("leaves no file of grimoire-run's for a test's own coverage to measure: its hooks in the imports, gc.collect and the recursion limit, in every mode", async () => {
    // coverage.py's own suite measures imports with no source given: grimoire_run_fork.py and grimoire_run_import_times.py
    // were among the measured files under --parallel, and 13 of its tests failed (a helper's trial).
    const p = project({
      "tests/http/test_measured.py": `import coverage, gc, importlib, logging.config, sys
import pytest

def test_only_the_tests_modules_measured(tmp_path, monkeypatch):
    (tmp_path / "mod1.py").write_text("x = 1\\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cov = coverage.Coverage(data_file=None)
    cov.start()
    importlib.import_module("mod1")
    with pytest.raises(ImportError):
        importlib.import_module("no_such_module_anywhere")
    gc.collect()
    sys.setrecursionlimit(sys.getrecursionlimit())
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    cov.stop()
    measured = cov.get_data().measured_files()
    assert [name for name in measured if "grimoire" in name] == []
    assert any(name.endswith("mod1.py") for name in measured)
`,
    });
    const plain = plainPytest(p, ["tests"]);
    expect(plain.outcomes).toEqual({ "tests/http/test_measured.py::test_only_the_tests_modules_measured": "passed" });
    for (const mode of EVERY_MODE) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
    }
  });

  it("runs no conftest.py as a test file where python_files matches it (`*`), in every mode", async () => {
    // invoke's `python_files = *`: a NO TESTS line and a process for tests/conftest.py (a helper's trial).
    const p = project({
      "pytest.ini": "[pytest]\npython_files = *\n",
      "tests/http/conftest.py": "import pytest\n\n@pytest.fixture\ndef x():\n    return 1\n",
      "tests/http/runners.py": "def test_a(x):\n    assert x == 1\n",
    });
    for (const mode of EVERY_MODE) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
      expect(result.stdout, said(mode, result)).toMatch(/^1 file: 1 passed$/m);
      expect(result.stdout, said(mode, result)).not.toMatch(/conftest\.py +[\d.]+s/);
    }
  });

  it("fails the files a test deleted before their turn, alone or packed, where they read as no tests or cancelled", async () => {
    // mako's suite writes modules under test/ and deletes them: the listing found them, their processes found nothing.
    const doctest = 'def f():\n    """\n    >>> 1 + 1\n    2\n    """\n';
    const p = project({
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--doctest-modules"\n',
      "tests/http/test_a.py": `import os

def test_a():
    here = os.path.dirname(__file__)
    for name in ("gen/made.py", "gen/made2.py", "test_z.py"):
        os.remove(os.path.join(here, name))
`,
      "tests/http/gen/made.py": doctest,
      "tests/http/gen/made2.py": doctest,
      "tests/http/test_z.py": "def test_z():\n    pass\n",
    });
    const result = await runCli(["--parallel", "-n", "1", "--order", "name", "--report-json", "report.json"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(1);
    const files = Object.fromEntries(readReport(p).files.map((f) => [f.path, [f.status, f.reason ?? null]]));
    const gone = ["failed", expect.stringMatching(/^gone before its turn: deleted during the run/)];
    expect(files).toEqual({ "tests/http/test_a.py": ["passed", null], "tests/http/test_z.py": gone, "tests/http/gen/made.py": gone, "tests/http/gen/made2.py": gone });
    expect(result.stdout).toMatch(/^FAIL +tests\/http\/gen\/made\.py .*gone before its turn/m);
    expect(result.stdout).toMatch(/^Tests: 1 passed, 0 failed, 0 skipped; 3 files failed with no test failing \(reasons below\)$/m);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("shows the tests no module of grimoire-run's among the interpreter's (pkgutil.iter_modules), and collects what plain pytest collects, in every mode", async () => {
    // pdoc's smoke test is parametrized over pkgutil.iter_modules(): grimoire-run's folder on sys.path gave it 18 tests more.
    const p = project({
      "tests/http/test_modules.py": `import pkgutil, pytest

OWN = sorted(m.name for m in pkgutil.iter_modules() if m.name.startswith("grimoire"))

@pytest.mark.parametrize("name", OWN)
def test_module(name):
    pass

def test_none_listed():
    assert OWN == []
`,
    });
    const plain = plainPytest(p, ["tests"]);
    expect(plain.outcomes).toEqual({ "tests/http/test_modules.py::test_module[NOTSET]": "skipped", "tests/http/test_modules.py::test_none_listed": "passed" });
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode, "--report-json", "r.json"], { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
      expect(result.stdout, said(mode, result)).toMatch(/^Tests: 1 passed, 0 failed, 1 skipped$/m);
    }
  });

  it("runs a conftest whose pytest_collection_modifyitems assumes at least one item, in every mode", async () => {
    const p = project({
      "tests/conftest.py": "def pytest_collection_modifyitems(session, config, items):\n    first = max(items, key=lambda item: item.name)\n    items.remove(first)\n    items.insert(0, first)\n",
      "tests/http/test_one.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
      "tests/http/test_two.py": "def test_c():\n    pass\n",
    });
    expect(plainPytest(p, ["tests/http"]).code).toBe(0);
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode], { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(0);
      expect(result.stdout).toMatch(/^Tests: 3 passed/m);
    }
    // An argument pytest refuses is still the listing's to report, as a plain run's usage error.
    const bad = await runCli(["--parallel", "-k", "not ("], { cwd: p.root });
    expect(bad.code, bad.stdout + bad.stderr).toBe(2);
  });

  it("counts the tests a selection leaves out as pytest's summary does, file by file and in all, in every mode", async () => {
    const p = project({
      "pytest.ini": "[pytest]\nmarkers =\n    slow: a slow test\n",
      "tests/http/test_mixed.py": "import pytest\n\ndef test_keep():\n    pass\n\ndef test_drop():\n    pass\n\n@pytest.mark.slow\ndef test_slow_keep():\n    pass\n",
      "tests/http/test_all_out.py": "def test_drop_one():\n    pass\n\ndef test_drop_two():\n    pass\n",
    });
    const plain = plainPytest(p, ["tests/http", "-k", "not drop", "-m", "not slow"]);
    expect(plain.outcomes).toEqual({ "tests/http/test_mixed.py::test_keep": "passed" });
    expect(plain.stdout).toMatch(/ 1 passed, 4 deselected /);
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode, "-k", "not drop", "-m", "not slow", "--report-json", "report.json"], { cwd: p.root });
      const what = said(mode, result);
      expect(result.code, what).toBe(0);
      expect(result.stdout, what).toMatch(/^Tests: 1 passed, 0 failed, 0 skipped, 4 deselected$/m);
      const files = Object.fromEntries(readReport(p).files.map((f) => [f.path, [f.status, f.tests?.passed, f.tests?.deselected]]));
      expect(files, what).toEqual({ "tests/http/test_mixed.py": ["passed", 1, 2], "tests/http/test_all_out.py": ["no-tests", 0, 2] });
      if (mode.length > 0) expect(result.stdout, what).toMatch(/^NO TESTS\s+tests\/http\/test_all_out\.py\s+\S+\s+\(2 deselected\)$/m);
    }
  });

  it("counts a folder its conftest skips (no test file in it) as pytest's summary does: one skipped, in every mode", async () => {
    const p = project({
      "tests/http/test_a.py": "def test_a():\n    pass\n",
      "tests/http/bench/conftest.py": "import pytest\n\npytest.skip('needs pytest-benchmark', allow_module_level=True)\n",
      "tests/http/bench/helpers.py": "VALUE = 1\n",
    });
    const plain = plainPytest(p, ["tests/http"]);
    expect(plain.stdout).toMatch(/ 1 passed, 1 skipped /);
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode, "--report-json", "report.json"], { cwd: p.root });
      const what = said(mode, result);
      expect(result.code, what).toBe(0);
      expect(result.stdout, what).toMatch(/^Tests: 1 passed, 0 failed, 1 skipped$/m);
      const files = Object.fromEntries(readReport(p).files.map((f) => [f.path, [f.status, f.tests?.passed, f.tests?.skipped]]));
      expect(files, what).toEqual({ "tests/http/test_a.py": ["passed", 1, 0], "tests/http/bench": ["no-tests", 0, 1] });
      expect(result.stdout, what).toMatch(/^NO TESTS\s+tests\/http\/bench\s+\S+\s+\(1 skipped: the folder itself, skipped by its conftest: needs pytest-benchmark\)$/m);
    }
  });

  it("records the outcome of a test that patches os.getpid, passing or failing, in every mode", async () => {
    // The failing test last: a serial run stops at the first failure (-x).
    const patches = "import os\n\ndef test_patched_passes(monkeypatch):\n    monkeypatch.setattr(os, 'getpid', lambda: 1)\n\ndef test_plain():\n    pass\n\ndef test_patched_fails(monkeypatch):\n    monkeypatch.setattr(os, 'getpid', lambda: 1)\n    assert False\n";
    const p = project({ "tests/http/test_pid.py": patches });
    const plain = plainPytest(p, ["tests/http"]);
    expect(plain.outcomes).toEqual({ "tests/http/test_pid.py::test_patched_passes": "passed", "tests/http/test_pid.py::test_patched_fails": "failed", "tests/http/test_pid.py::test_plain": "passed" });
    for (const mode of EVERY_MODE) {
      const result = await runCli([...mode, "--report-json", "report.json"], { cwd: p.root });
      const what = said(mode, result);
      expect(result.code, what).toBe(1);
      expect(outcomesOf(readReport(p)), what).toEqual(plain.outcomes);
      expect(result.stdout, what).toMatch(/^Tests: 2 passed, 1 failed, 0 skipped$/m);
      expect(result.stdout, what).not.toMatch(/though no test failed/);
    }
  });

  it("serial: one process with -x stops where plain pytest -x stops, with the same outcomes", async () => {
    const p = ruleBook();
    // The file meant for the after-dashes case is left out of both (importing it ends pytest with an internal error).
    const plain = plainPytest(p, ["-x", "tests/e2e", "tests/http", "--ignore-glob=*after_dashes*"]);
    expect(Object.keys(plain.outcomes).length).toBeGreaterThan(0);
    const result = await runCli(["--report-json", "report.json", "--", "--ignore-glob=*after_dashes*"], { cwd: p.root });
    expect(outcomesOf(readReport(p)), result.stdout + result.stderr).toEqual(plain.outcomes);
    expect(result.code).toBe(1);
  });

  it("serial: a file -x stopped part-way, its tests run in turn with another file's (a session fixture's parameters), is cancelled, not passed (httpie's trial)", async () => {
    const p = project({
      "tests/http/conftest.py": "import pytest\n\n@pytest.fixture(scope='session', params=['a', 'b'])\ndef server(request):\n    return request.param\n",
      "tests/http/test_one.py": "def test_x(server):\n    assert server != 'b'\n",
      "tests/http/test_two.py": "def test_y(server):\n    pass\n\ndef test_z(server):\n    pass\n",
    });
    const plain = plainPytest(p, ["-x", "tests/http"]);
    // pytest runs every test of parameter a, then stops at test_x[b]: test_two.py's [b] tests never run.
    expect(plain.outcomes).toEqual({ "tests/http/test_one.py::test_x[a]": "passed", "tests/http/test_one.py::test_x[b]": "failed", "tests/http/test_two.py::test_y[a]": "passed", "tests/http/test_two.py::test_z[a]": "passed" });
    const result = await runCli(["--report-json", "report.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(outcomesOf(readReport(p))).toEqual(plain.outcomes);
    const two = readReport(p).files.find((f) => f.path === "tests/http/test_two.py");
    expect([two?.status, two?.tests?.passed]).toEqual(["cancelled", 2]);
    expect(result.stdout).toMatch(/^CANCEL +tests\/http\/test_two\.py +\S+ +\(2 passed; stopped with 2 of its 4 tests unfinished\)$/m);
    expect(result.stdout).toMatch(/^2 files: 1 failed, 1 cancelled$/m);
  });

  it("without an ini file, shares the rootdir and conftests of a plain run over both folders", async () => {
    const p = project({
      "tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef shared():\n    return 'from tests/conftest.py'\n",
      "tests/http/test_uses_shared.py": "def test_shared(shared):\n    assert shared == 'from tests/conftest.py'\n",
      "tests/e2e/test_plain.py": "def test_plain():\n    pass\n",
    });
    const plain = plainPytest(p, ["tests/e2e", "tests/http"]);
    expect(Object.values(plain.outcomes)).toEqual(["passed", "passed"]);
    const result = await runCli(["--parallel", "--report-json", "report.json"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(0);
    expect(outcomesOf(readReport(p))).toEqual(plain.outcomes);
  });

  it("where neither tests/e2e nor tests/http exists, runs what plain pytest collects (its testpaths) and says so", async () => {
    const p = project({
      "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["checks"]\n',
      "checks/test_a.py": "def test_a():\n    pass\n",
      "elsewhere/test_b.py": MUST_NOT_RUN,
    });
    const result = await runCli(["--parallel", "--report-json", "report.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/no tests\/e2e or tests\/http folder here/);
    expect(Object.keys(outcomesOf(readReport(p)))).toEqual(["checks/test_a.py::test_a"]);
  });

  it("a path named on the command line runs, as with pytest, even where pytest's rules would skip it", async () => {
    const p = ruleBook();
    const result = await runCli(["--parallel", "tests/http/test_x_skipme.py", "tests/http/helpers.py::helpers.add"], { cwd: p.root });
    expect(result.stdout).toMatch(/pytest never collects this file/);
    expect(result.stdout).toMatch(/FAIL\s+tests\/http\/helpers\.py/);
    expect(result.code).toBe(1);
  });

  it("a node id after -- selects as one before it, and one in a folder also named does not narrow its file, in every mode", async () => {
    // pylint's trial: a node id after -- outside the paths stopped a parallel run with exit 2 ("not found").
    const two = (a: string, b: string): string => `def test_${a}():\n    pass\n\ndef test_${b}():\n    assert 0\n`;
    const p = project({ "pytest.ini": "[pytest]\n", "tests/a/test_a.py": two("one", "two"), "tests/b/test_b.py": two("x", "y") });
    // --maxfail=9 after --: a serial run's -x would stop at the first failure, where plain pytest goes on.
    for (const [ours, pytests] of [
      [["tests/a", "--", "tests/b/test_b.py::test_x", "--maxfail=9"], ["tests/a", "tests/b/test_b.py::test_x"]],
      [["tests/a", "tests/a/test_a.py::test_one", "--", "--maxfail=9"], ["tests/a", "tests/a/test_a.py::test_one"]],
    ] as const) {
      const plain = plainPytest(p, [...pytests, "-p", "no:cacheprovider"]);
      expect(Object.keys(plain.outcomes).length).toBeGreaterThan(1);
      for (const mode of EVERY_MODE) {
        const result = await runCli([...mode, "--report-json", "report.json", ...ours], { cwd: p.root });
        const what = said(mode, result);
        expect(result.code, what).toBe(plain.code);
        expect(outcomesOf(readReport(p)), what).toEqual(plain.outcomes);
      }
    }
  });
});

describe("pytest options that act across files", () => {
  const twoFailing = {
    "pytest.ini": "[pytest]\n",
    "tests/http/test_a.py": "def test_a1():\n    assert 0\n\ndef test_a2():\n    pass\n",
    "tests/http/test_b.py": "def test_b1():\n    pass\n\ndef test_b2():\n    assert 0\n",
    "tests/http/test_c.py": "def test_c():\n    pass\n",
  };

  it("--lf after -- reruns the tests that failed, by node id, and pytest's own --lf agrees afterwards", async () => {
    const p = project(twoFailing);
    const first = await runCli(["--parallel"], { cwd: p.root });
    expect(first.code).toBe(1);
    const again = await runCli(["--parallel", "--report-json", "report.json", "--", "--lf"], { cwd: p.root });
    expect(again.code).toBe(1);
    expect(Object.keys(outcomesOf(readReport(p))).sort()).toEqual(["tests/http/test_a.py::test_a1", "tests/http/test_b.py::test_b2"]);
    // pytest's cache holds the run's failures, not whichever process wrote last.
    const plain = plainPytest(p, ["--lf", "tests/http"]);
    expect(Object.keys(plain.outcomes).sort()).toEqual(["tests/http/test_a.py::test_a1", "tests/http/test_b.py::test_b2"]);
  });

  it("--lf after a run of some tests (-k) still reruns a failure that run left out, as pytest's own --lf does (a helper's false green)", async () => {
    const p = project(twoFailing);
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(1);
    expect((await runCli(["--parallel", "-k", "not test_b2"], { cwd: p.root })).code).toBe(1);
    p.write("tests/http/test_a.py", "def test_a1():\n    pass\n\ndef test_a2():\n    pass\n");
    const again = await runCli(["--parallel", "--report-json", "report.json", "--", "--lf"], { cwd: p.root });
    expect(again.code, again.stdout + again.stderr).toBe(1);
    expect(outcomesOf(readReport(p))).toMatchObject({ "tests/http/test_b.py::test_b2": "failed" });
    expect(Object.keys(plainPytest(p, ["--lf", "tests/http"]).outcomes)).toContain("tests/http/test_b.py::test_b2");
  });

  it("--lf after a plain pytest run reruns what pytest remembers failing there, however soon after grimoire-run's run it came (a helper's false green)", async () => {
    const p = project({
      "pytest.ini": "[pytest]\n",
      "tests/http/test_a.py": "import os\n\ndef test_x():\n    assert os.environ.get('FAIL_X') != '1'\n",
      "tests/http/test_b.py": "import os\n\ndef test_y():\n    assert os.environ.get('FAIL_Y') != '1'\n",
    });
    expect((await runCli(["--parallel"], { cwd: p.root, env: testEnv({ FAIL_X: "1" }) })).code).toBe(1);
    // test_x fixed, test_y broken, and found so by plain pytest: its memory now holds test_y alone.
    expect(spawnSync("python3", ["-m", "pytest", "-q", "tests/http"], { cwd: p.root, env: testEnv({ FAIL_Y: "1" }) }).status).toBe(1);
    const again = await runCli(["--parallel", "--report-json", "report.json", "--", "--lf"], { cwd: p.root, env: testEnv({ FAIL_Y: "1" }) });
    expect(again.code, again.stdout + again.stderr).toBe(1);
    // test_x alone, not test_x again: the plain run a second after grimoire-run's saw it pass (within 5 s of the
    // history's run, pytest's memory was once taken for grimoire-run's own write: a helper's trial).
    expect(outcomesOf(readReport(p))).toEqual({ "tests/http/test_b.py::test_y": "failed" });
  });

  it("pytest's memory of the tests it has seen holds every test of the run, so that pytest --nf afterwards finds none of them new", async () => {
    const p = project(twoFailing);
    const result = await runCli(["--parallel"], { cwd: p.root });
    expect(result.code).toBe(1);
    const seen = JSON.parse(p.read(".pytest_cache/v/cache/nodeids")) as string[];
    expect(seen).toEqual(["tests/http/test_a.py::test_a1", "tests/http/test_a.py::test_a2", "tests/http/test_b.py::test_b1", "tests/http/test_b.py::test_b2", "tests/http/test_c.py::test_c"]);
  });

  it("--maxfail=2 in addopts stops the run once two tests have failed, whichever files they were in", async () => {
    const p = project({ ...twoFailing, "pytest.ini": "[pytest]\naddopts = --maxfail=2\n" });
    const result = await runCli(["--parallel", "-n", "1", "--order", "name"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/pytest's --maxfail=2/);
    expect(result.stdout).toMatch(/2 tests failed or errored \(pytest's --maxfail=2 counts both\)/);
    // One worker: no other file was running to be stopped, and neither line says there was (environs' trial).
    expect(result.stdout).toMatch(/^2 tests failed or errored \(pytest's --maxfail=2 counts both\): stopping the run$/m);
    expect(result.stdout).toMatch(/^Stopped early: 2 tests failed or errored \(pytest's --maxfail=2 counts both\)$/m);
    expect(result.stdout).toMatch(/CANCEL\s+tests\/http\/test_c\.py|tests\/http\/test_c\.py\n/);
  });

  it.each(EVERY_MODE.map((args) => [args.join(" ") || "serial", args] as const))("%s: --durations gives one list over every file, plain pytest's, not one per file (addopts too)", async (_, mode) => {
    const slow = (name: string, seconds: number) => `import time\n\ndef test_${name}_quick():\n    pass\n\ndef test_${name}_slow():\n    time.sleep(${seconds})\n`;
    const p = project({ "pytest.ini": "[pytest]\naddopts = --durations=0 --durations-min=0.25\n", "tests/http/test_a.py": slow("a", 0.3), "tests/http/test_b.py": slow("b", 0.6), "tests/http/test_c.py": "def test_c():\n    pass\n" });
    const result = await runCli([...mode, "-n", "2"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const listed = (text: string) => text.split("\n").filter((line) => /^\S.*\bslowest durations\b|^\d+\.\d\ds call|durations < /.test(line));
    // 5 tests, 3 phases each: the 2 sleeps over the minimum, the 13 others hidden, whichever process ran them.
    const expected = [
      expect.stringMatching(/^=+ slowest durations =+$/),
      expect.stringMatching(/^0\.[6-9]\ds call {5}tests\/http\/test_b\.py::test_b_slow$/),
      expect.stringMatching(/^0\.[3-5]\ds call {5}tests\/http\/test_a\.py::test_a_slow$/),
      "(13 durations < 0.25s hidden.)",
    ];
    expect(listed(result.stdout)).toEqual(expected);
    expect(listed(plainPytest(p, ["tests/http"]).stdout)).toEqual(expected);
    expect(processesIn(p.root)).toEqual([]);
  });

  it.each(MODES)("%s: pytest-mypy checks every file of the run in one mypy run, as in plain pytest, its status check once", async (_, mode) => {
    // pytest-mypy's shape (its stash, results file, file and status items), with a "type check" that sees across
    // files: a module name used twice, which one file alone never shows. A helper's false green with the real one.
    const standIn = `import fcntl, json, os, tempfile
from dataclasses import dataclass
from pathlib import Path
import pytest

stash_key = {"config": pytest.StashKey()}

@dataclass
class MypyConfigStash:
    mypy_results_path: Path

def pytest_addoption(parser):
    parser.addoption("--mypy", action="store_true")
    parser.addoption("--mypy-no-status-check", action="store_true")

def pytest_configure(config):
    with tempfile.NamedTemporaryFile(delete=True) as handle:
        config.stash[stash_key["config"]] = MypyConfigStash(mypy_results_path=Path(handle.name))
    config.pluginmanager.register(Controller())
    if config.option.mypy:
        config.pluginmanager.register(Collection())

class Collection:
    def pytest_collect_file(self, file_path, parent):
        if file_path.suffix == ".py":
            return MypyFile.from_parent(parent, path=file_path)

class MypyFile(pytest.File):
    def collect(self):
        yield MypyFileItem.from_parent(self, name="mypy")
        if not self.session.config.option.mypy_no_status_check and not any(isinstance(i, MypyStatusItem) for i in self.session.items):
            yield MypyStatusItem.from_parent(self, name="mypy-status")

class MypyFileItem(pytest.Item):
    def runtest(self):
        lines = MypyResults.from_session(self.session).path_lines.get(str(self.path.resolve()), [])
        assert not lines, "\\n".join(lines)

class MypyStatusItem(pytest.Item):
    def runtest(self):
        assert MypyResults.from_session(self.session).status == 0, "mypy exited with status 1"

class MypyResults:
    def __init__(self, status, path_lines):
        self.status, self.path_lines = status, path_lines

    @classmethod
    def from_mypy(cls, paths, *, opts=None):
        if os.environ.get("MYPY_RUNS"):
            with open(os.environ["MYPY_RUNS"], "a") as runs:
                runs.write(f"{len(paths)}\\n")
        seen, lines = {}, {}
        for path in paths:
            name = Path(path).stem
            if name in seen:
                lines.setdefault(str(Path(path).resolve()), []).append(f"{path}:1: error: Duplicate module named {name!r} (also at {seen[name]!r})")
            seen.setdefault(name, str(path))
        return cls(1 if lines else 0, lines)

    @classmethod
    def from_session(cls, session):
        path = session.config.stash[stash_key["config"]].mypy_results_path
        with open(str(path) + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(path) as handle:
                    data = json.load(handle)
                return cls(data["status"], data["path_lines"])
            except FileNotFoundError:
                cwd = Path.cwd()
                results = cls.from_mypy([item.path.relative_to(cwd) for item in session.items if isinstance(item, MypyFileItem)])
                with open(path, "w") as handle:
                    json.dump({"status": results.status, "path_lines": results.path_lines}, handle)
                return results

class Controller:
    def pytest_unconfigure(self, config):
        config.stash[stash_key["config"]].mypy_results_path.unlink(missing_ok=True)
`;
    const p = project({
      "pytest_mypy.py": standIn,
      "pytest.ini": "[pytest]\naddopts = -p pytest_mypy --mypy\n",
      "tests/e2e/conftest.py": "",
      "tests/e2e/test_pages.py": "def test_page():\n    pass\n",
      "tests/http/conftest.py": "",
      "tests/http/test_api.py": "def test_api():\n    pass\n",
    });
    const env = testEnv({ PYTHONPATH: p.root, MYPY_RUNS: path.join(p.root, "runs.txt") });
    const result = await runCli([...mode, "-n", "2", "--report-json", "report.json"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const outcomes = outcomesOf(readReport(p));
    expect(outcomes).toMatchObject({ "tests/http/conftest.py::mypy": "failed", "tests/e2e/conftest.py::mypy-status": "failed", "tests/e2e/test_pages.py::mypy": "passed" });
    // One mypy run over the run's 4 files, whichever process ran it first.
    expect(p.read("runs.txt")).toBe("4\n");
    expect(plainPytest(p, ["tests/e2e", "tests/http"]).outcomes).toEqual(outcomes);
    // The files -k leaves are the ones checked, as in a plain session (the regression helper's false red: all were).
    const selected = await runCli([...mode, "-n", "2", "--report-json", "report.json", "--", "-k", "not http"], { cwd: p.root, env });
    expect(selected.code, selected.stdout + selected.stderr).toBe(0);
    expect(outcomesOf(readReport(p))).toEqual(plainPytest(p, ["tests/e2e", "tests/http", "-k", "not http"]).outcomes);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("--co lists what would run, file by file, and runs nothing", async () => {
    const p = project(twoFailing);
    const result = await runCli(["--parallel", "--", "--co"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/tests\/http\/test_a\.py\s+2 tests/);
    expect(result.stdout).toMatch(/5 tests in 3 files/);
    expect(result.stdout).not.toMatch(/FAIL/);
  });

  it("a pytest option before -- is pointed to its place after --", async () => {
    const p = project(twoFailing);
    const result = await runCli(["--parallel", "--tb=short"], { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--tb=short is not a grimoire-run option\. pytest's options go after "--".*grimoire-run --parallel -- --tb=short/);
  });

  it("an argument pytest rejects is one clear message before any test runs", async () => {
    const p = project(twoFailing);
    const result = await runCli(["--parallel", "--", "--no-such-pytest-option"], { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pytest could not collect the tests[\s\S]*unrecognized arguments: --no-such-pytest-option/);
    // pytest refused it, not grimoire-run: the pointer is to where pytest's arguments come from, not to grimoire-run's options.
    // An option unknown to pytest may be a plugin's that this Python lacks: which Python ran pytest is said.
    expect(result.stderr).toMatch(/pytest's arguments come from those after --, the project's addopts .* and PYTEST_ADDOPTS\. An option a plugin adds is unknown where the plugin is not installed: pytest ran on python3, the python3 on PATH: no \.venv, venv or uv\.lock was found in the project \(--python chooses another\)\.$/m);
    expect(result.stderr).not.toMatch(/grimoire-run --help/);
    const serial = await runCli(["--", "--no-such-pytest-option"], { cwd: p.root });
    expect(serial.code).toBe(2);
    expect(serial.stderr).toMatch(/pytest ran on python3, the python3 on PATH/);
    // One pytest refuses once it has collected: its own words, without the listing's JUnit report, which is grimoire-run's.
    const badKeyword = await runCli(["--parallel", "-k", "bad ((("], { cwd: p.root });
    expect(badKeyword.code).toBe(2);
    expect(badKeyword.stderr).toMatch(/pytest could not collect the tests \(exit code 4\)[\s\S]*Wrong expression passed to '-k'/);
    expect(badKeyword.stderr).not.toMatch(/generated xml file/);
  });

  it("an argument pytest rejects in the run's own process (a serial run, a node id not found) is exit 2, never 'no tests collected', and no file's history", async () => {
    const p = project(twoFailing);
    const serial = await runCli(["--", "--no-such-pytest-option"], { cwd: p.root });
    expect(serial.code).toBe(2);
    expect(serial.stdout).not.toMatch(/NO TESTS RAN|Found \d+ test files?/);
    // Said as a parallel run's listing says it, not as a file that failed (two helpers' trials read "FAIL tests/http").
    expect(serial.stderr).toMatch(/^grimoire-run: pytest could not collect the tests \(exit code 4\):\n[\s\S]*unrecognized arguments: --no-such-pytest-option/m);
    expect(serial.stderr).toMatch(/pytest's arguments come from those after --, the project's addopts .* and PYTEST_ADDOPTS\. An option a plugin adds/m);
    expect(serial.stdout).not.toMatch(/FAIL +tests\/http/);
    // --debug's --lf, which pytest does not know with its cache plugin off: said so (a helper's trial).
    const cacheOff = await runCli(["--debug", "--", "-p", "no:cacheprovider"], { cwd: p.root });
    expect(cacheOff.code, cacheOff.stdout + cacheOff.stderr).toBe(2);
    expect(cacheOff.stderr).toMatch(/unrecognized arguments: --lf[\s\S]*\npytest's --lf, --ff and --sw come with its cacheprovider plugin, which -p no:cacheprovider .* turns off: --debug gives pytest --lf/);

    const badK = await runCli(["-k", "bad(("], { cwd: p.root });
    expect(badK.code).toBe(2);
    expect(badK.stderr).toMatch(/pytest could not collect the tests \(exit code 4\)[\s\S]*Wrong expression passed to '-k'/);

    const missing = "tests/http/test_b.py::test_no_such_test";
    expect(plainPytest(p, ["tests/http/test_a.py", missing]).code).toBe(4);
    for (const mode of [[], ["--parallel"]]) {
      const result = await runCli([...mode, "tests/http/test_a.py", missing], { cwd: p.root });
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).toMatch(/not found: .*test_b\.py::test_no_such_test/);
    }
    // Serial: pytest's own output, then the run's refusal on stderr from pytest's ERROR on, with what a node id is; no
    // FAIL line for the node id (unidecode's trial read `FAIL tests/x.py::test_nope … (pytest usage error …)` above it).
    const serialMissing = await runCli([missing], { cwd: p.root });
    expect(serialMissing.code).toBe(2);
    expect(serialMissing.stdout).not.toMatch(/^FAIL /m);
    expect(serialMissing.stderr).toMatch(/^grimoire-run: pytest found no test by a node id it was given \(exit code 4\):\n {2}ERROR: not found: .*test_b\.py::test_no_such_test\n[\s\S]*pytest --collect-only -q FILE/m);
    expect(serialMissing.stderr).not.toMatch(/platform linux|rootdir:/);
    // The same where the run lists its files first (pytest-cov may measure: janus' addopts): no FAIL line for the other
    // file named, nothing "cancelled", the refusal.
    const listedFirst = await runCli(["--", "-p", "pytest_cov", "--cov-branch", missing, "tests/http/test_a.py"], { cwd: p.root });
    expect(listedFirst.code, listedFirst.stdout + listedFirst.stderr).toBe(2);
    expect(listedFirst.stdout).not.toMatch(/^FAIL |cancelled/m);
    expect(listedFirst.stderr).toMatch(/^grimoire-run: pytest found no test by a node id it was given \(exit code 4\):/m);
    // The usage errors said nothing of the files' tests: a later run does not call test_b.py flaky for them.
    const history = JSON.parse(fs.readFileSync(path.join(p.root, ".grimoire", "history.json"), "utf8")) as { files: Record<string, { recent?: string }> };
    expect(history.files["tests/http/test_b.py"]?.recent ?? "").not.toMatch(/F/);

    // --last-failed is grimoire-run's own, serial or parallel, from its history: it needs no cache plugin.
    for (const mode of [[], ["--parallel"]]) {
      const lastFailed = await runCli([...mode, "--last-failed", "--", "-p", "no:cacheprovider"], { cwd: p.root });
      expect(lastFailed.code, said(mode, lastFailed)).toBe(1);
      expect(lastFailed.stdout, said(mode, lastFailed)).toMatch(/^--last-failed: (no earlier run of these files is recorded|running the 1 test that failed)/m);
    }
  });

  it("a configuration file pytest refuses is said to be the project's configuration, not an argument, exit 2 in every mode", async () => {
    // pytest 9 refuses a pyproject.toml with both tables (starlette-admin's, a helper's trial): the hint named pytest's arguments.
    const p = project({ ...twoFailing, "pyproject.toml": '[tool.pytest]\nminversion = "9.0"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n' });
    const plain = plainPytest(p, ["tests"]);
    // pytest 9 refuses it (exit 4); pytest 8 reads the ini table alone, and there is nothing to refuse.
    if (plain.code !== 4) {
      expect(plain.code).toBe(1);
      return;
    }
    for (const mode of [[], ["--parallel"]]) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code, said(mode, result)).toBe(2);
      expect(result.stderr, said(mode, result)).toMatch(/^grimoire-run: pytest could not read the project's configuration \(exit code 4\):\n {2}ERROR: .*pyproject\.toml: Cannot use both/m);
      expect(result.stderr, said(mode, result)).toMatch(/^The error is in the project's pytest configuration, which plain pytest refuses the same way: fix that file\.$/m);
      expect(result.stderr).not.toMatch(/pytest's arguments come from/);
    }
  });

  it("pytest's internal error before any test (a conftest hook pytest does not know) is exit 2 in every mode, not the first file's failure", async () => {
    // strawberry's trial: its conftest's pytest-emoji hooks without pytest-emoji installed; the serial run blamed its first file.
    const p = project({ ...twoFailing, "tests/http/conftest.py": "def pytest_no_such_hook_of_pytest():\n    pass\n" });
    expect(plainPytest(p, []).code).toBe(3);
    for (const mode of [[], ["--parallel"]]) {
      const result = await runCli([...mode, "--report-json", "r.json"], { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(2);
      expect(result.stderr).toMatch(/^grimoire-run: pytest could not collect the tests \(exit code 3\):\n[\s\S]*unknown hook 'pytest_no_such_hook_of_pytest'/m);
      expect(result.stdout).not.toMatch(/Cancelled|FAILED \(exit code 1\)/);
    }
  });

  it("pytest's --stepwise, which resumes one session, is refused in a parallel run (addopts too) and works in a serial run's one process", async () => {
    const p = project({ ...twoFailing, "pytest.ini": "[pytest]\naddopts = --sw\n" });
    const parallel = await runCli(["--parallel"], { cwd: p.root });
    expect(parallel.code).toBe(2);
    expect(parallel.stderr).toMatch(/--stepwise \(--sw\) resumes one session's run[\s\S]*without --parallel/);
    // As plain pytest, the serial run's one process stops at the first failure and, run again, resumes there.
    const first = await runCli([], { cwd: p.root });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/stepwise: no previously failed tests/);
    const again = await runCli([], { cwd: p.root });
    expect(again.stdout).toMatch(/stepwise: skipping \d+ already passed items/);
  });

  it("a process a test forks and stops with SIGTERM dies of it, as in plain pytest: it does not inherit grimoire-run's handler", async () => {
    const p = project({
      "tests/http/test_fork.py": `import multiprocessing, os, signal, time

def _sleep():
    time.sleep(30)

def test_multiprocessing_terminate():
    child = multiprocessing.get_context("fork").Process(target=_sleep)
    child.start()
    time.sleep(0.2)
    child.terminate()
    child.join(10)
    assert child.exitcode == -signal.SIGTERM

def test_os_fork_kill():
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
`,
    });
    expect(plainPytest(p, ["tests/http"]).code).toBe(0);
    for (const mode of [["--parallel"], ["--parallel", "--no-fork-server"], []]) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(/grimoire-run stopped this test/);
    }
  });

  it("a conftest in another folder acts on every file, as in one plain session: its markers (--strict-markers) and its collection hooks", async () => {
    const p = project({
      "pytest.ini": "[pytest]\naddopts = --strict-markers\n",
      "tests/http/a/conftest.py": `import pytest

def pytest_configure(config):
    config.addinivalue_line("markers", "slowish: registered by tests/http/a/conftest.py")

def pytest_collection_modifyitems(config, items):
    for item in items:
        if "skipme" in item.name:
            item.add_marker(pytest.mark.skip(reason="skipped by a/conftest.py"))
`,
      "tests/http/a/test_a.py": "def test_a():\n    pass\n",
      "tests/http/b/test_b.py": "import pytest\n\n@pytest.mark.slowish\ndef test_b():\n    pass\n\ndef test_b_skipme():\n    assert 0\n",
      // Fixtures only: they are visible below their folder alone, so no other file's process needs to load it.
      "tests/http/c/conftest.py": "import os, pytest\n\nwith open(os.path.join(os.path.dirname(__file__), 'loads.txt'), 'a') as f:\n    f.write('loaded\\n')\n\n@pytest.fixture\ndef c_value():\n    return 3\n",
      "tests/http/c/test_c.py": "def test_c(c_value):\n    assert c_value == 3\n",
    });
    const plain = plainPytest(p, ["tests/http"]);
    expect(plain.code).toBe(0);
    expect(plain.outcomes["tests/http/b/test_b.py::test_b_skipme"]).toBe("skipped");
    for (const mode of [["--parallel"], ["--parallel", "--pack"], ["--parallel", "--no-fork-server"]]) {
      fs.rmSync(path.join(p.root, "tests/http/c/loads.txt"), { force: true });
      const result = await runCli([...mode, "--report-json", "report.json"], { cwd: p.root });
      expect(result.code).toBe(0);
      expect(outcomesOf(readReport(p))).toEqual(plain.outcomes);
      // Loaded by the session that lists the files and by its own file's process (or pack), not by the other files'.
      if (mode.length === 1) expect(p.read("tests/http/c/loads.txt").trim().split("\n")).toHaveLength(2);
    }
  });

  it("a conftest in one folder of the run acts on the files of the others (tests/e2e beside tests/http), as in one plain session", async () => {
    const p = project({
      "tests/e2e/flows/conftest.py": `import pytest

def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.seen)
`,
      "tests/e2e/flows/test_flow.py": "def test_flow():\n    pass\n",
      "tests/http/test_api.py": "def test_api():\n    pass\n",
    });
    const plain = plainPytest(p, ["tests/e2e", "tests/http", "-m", "seen"]);
    expect(plain.code).toBe(0);
    expect(Object.keys(plain.outcomes).sort()).toEqual(["tests/e2e/flows/test_flow.py::test_flow", "tests/http/test_api.py::test_api"]);
    for (const mode of [["--parallel"], ["--parallel", "--no-fork-server"], ["--shard", "1/1"]]) {
      const result = await runCli([...mode, "--report-json", "report.json", "--", "-m", "seen"], { cwd: p.root });
      expect(result.code).toBe(0);
      expect(outcomesOf(readReport(p))).toEqual(plain.outcomes);
    }
  });

  it("an exception raised after the session (a conftest's pytest_unconfigure) fails the file with exit code 1 in every mode, as plain pytest exits", async () => {
    const p = project({
      "conftest.py": "def pytest_unconfigure(config):\n    raise RuntimeError('unconfigure broke')\n",
      "tests/http/test_a.py": "def test_a():\n    pass\n",
    });
    expect(plainPytest(p, ["tests/http"]).code).toBe(1);
    for (const mode of [["--parallel"], ["--parallel", "--no-fork-server"], ["--parallel", "--pack"]]) {
      const result = await runCli([...mode, "--report-json", "report.json"], { cwd: p.root });
      expect(result.code, mode.join(" ")).toBe(1);
      const [file] = readReport(p).files;
      expect(file?.exitCode, mode.join(" ")).toBe(1);
      expect(result.stdout, mode.join(" ")).toMatch(/session ended \(exit status 0\), then the process exited with code 1: an error after the session/);
    }
  });

  it("a conftest that fails the session after every test passed (pytest_sessionfinish) fails the run in every mode, as it fails plain pytest", async () => {
    const p = project({
      "conftest.py": "def pytest_sessionfinish(session, exitstatus):\n    if exitstatus == 0:\n        session.exitstatus = 1\n",
      "tests/http/test_a.py": "def test_a():\n    pass\n",
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    expect(plainPytest(p, ["tests/http"]).code).toBe(1);
    for (const mode of [[], ["--parallel"], ["--parallel", "--pack"]]) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/exited with code 1 though no test failed[\s\S]*FAILED \(exit code 1\)/);
    }
  });

  it("a conftest that does not import (a syntax error, a missing module) stops the run before any test, or fails its folder, where it stops plain pytest or fails its folder", async () => {
    const atStart = project({ ...twoFailing, "tests/e2e/conftest.py": "def broken(:\n    pass\n", "tests/e2e/test_e.py": "def test_e():\n    pass\n" });
    // A conftest of a folder pytest is given is loaded at start: plain pytest stops there too (its usage error, 4).
    expect(plainPytest(atStart, ["tests/e2e", "tests/http"]).code).toBe(4);
    const stopped = await runCli(["--parallel"], { cwd: atStart.root });
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toMatch(/pytest could not load tests\/e2e\/conftest\.py \(exit code 4\)[\s\S]*def broken\(:[\s\S]*SyntaxError: invalid syntax/);
    // pytest's exit code is a usage error's, but the arguments are not what to check.
    expect(stopped.stderr).not.toContain("pytest's arguments come from");
    // A serial run's one process says it the same way, once it has ended without running a test.
    const serial = await runCli([], { cwd: atStart.root });
    expect(serial.code).toBe(2);
    expect(serial.stderr).toMatch(/pytest could not load tests\/e2e\/conftest\.py \(exit code 4\)[\s\S]*SyntaxError: invalid syntax/);
    expect(serial.stdout).not.toMatch(/FAIL /);

    const below = project({ ...twoFailing, "tests/http/sub/conftest.py": "import no_such_module\n", "tests/http/sub/test_s.py": "def test_s():\n    pass\n" });
    const plain = plainPytest(below, ["tests/http"]);
    expect(plain.outcomes["tests/http/sub"]).toBe("error");
    const result = await runCli(["--parallel", "--report-json", "report.json"], { cwd: below.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+tests\/http\/sub\s/);
    expect(result.stdout).toMatch(/No module named 'no_such_module'/);
    // Plain pytest runs nothing once a collection error is found; a run of one process per file cannot know of
    // an error in a module it has not imported, so it runs the other files, and fails as plain pytest fails.
    expect(outcomesOf(readReport(below))).toMatchObject(plain.outcomes);
  });

  it("a conftest that fails to import in one file's process alone (after the listing loaded it) fails that file, exit 1, said as a conftest's failure however long its error", async () => {
    // mealie's trial: its conftest rebuilds a database the files running at once share; one file's import of it failed
    // with a long traceback, read as "pytest usage error (check the node ids…)" and exit 2 after the other files had run.
    const conftest = `import os

if os.environ.get("GRIMOIRE_SLOT") == "1" and not os.environ.get("GRIMOIRE_LIST_FILE"):
    raise ImportError("\\n".join(f"the shared database is gone, line {i}" for i in range(40)))
`;
    const p = project({ "tests/http/conftest.py": conftest, "tests/http/test_a.py": "def test_a():\n    pass\n", "tests/http/test_b.py": "def test_b():\n    pass\n" });
    const result = await runCli(["--parallel", "-n", "2", "--report-json", "report.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const failed = readReport(p).files.filter((f) => f.status === "failed");
    expect(failed.map((f) => f.reason)).toEqual(["pytest could not load a conftest (exit code 4; its error is in the log)"]);
    expect(result.stdout).toMatch(/^FAIL +tests\/http\/test_[ab]\.py +\S+ +\(pytest could not load a conftest \(exit code 4; its error is in the log\)\)$/m);
    expect(readReport(p).files.filter((f) => f.status === "passed")).toHaveLength(1);
  });

  it("exit 5 reads as nothing collected, not as a failure", async () => {
    const p = project({ "tests/http/test_a.py": "def helper():\n    pass\n" });
    const result = await runCli(["--parallel"], { cwd: p.root });
    expect(result.code).toBe(5);
    expect(result.stdout).toMatch(/NO TESTS RAN \(exit code 5\)/);
    expect(result.stdout).not.toMatch(/FAILED/);
  });
});

describe("pytest-django", () => {
  // pytest-django's shape (it is not installable here): django_db_setup creates the test database named in the
  // settings, as PostgreSQL would, refusing one that exists already, and drops it at the session's end; or, with
  // IN_MEMORY set, names SQLite's in memory as Django does. Django's connections say what each alias's NAME is now.
  const SHAPED = {
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p pytest_django.plugin"\n',
    "django/__init__.py": "",
    "django/conf.py": `class Settings:
    configured = True
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}

settings = Settings()
`,
    "django/db.py": `from django.conf import settings

class Wrapper:
    def __init__(self, alias):
        self.alias = alias
        self.settings_dict = settings.DATABASES[alias]

    def is_in_memory_db(self):
        return self.settings_dict["NAME"].startswith("file:memorydb")

class Connections:
    def __iter__(self):
        return iter(settings.DATABASES)

    def __getitem__(self, alias):
        return Wrapper(alias)

connections = Connections()
`,
    "pytest_django/__init__.py": "",
    "pytest_django/plugin.py": `import os, pathlib, time
import pytest

def pytest_addoption(parser):
    parser.addoption("--reuse-db", action="store_true", dest="reuse_db")

@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(request):
    pass

@pytest.fixture(scope="session")
def django_db_setup(request, django_db_modify_db_settings_xdist_suffix):
    from django.conf import settings
    db = settings.DATABASES["default"]
    if os.environ.get("IN_MEMORY"):
        db["NAME"] = "file:memorydb_default?mode=memory&cache=shared"
        time.sleep(0.1)  # migrations
        yield "test_shop_gw_memory"
        return
    name = db.get("TEST", {}).get("NAME") or "test_" + db["NAME"]
    created = pathlib.Path(os.environ["DATABASES"], name)
    reuse = request.config.getoption("reuse_db")
    if not (reuse and created.exists()):
        os.close(os.open(created, os.O_CREAT | os.O_EXCL))  # "database already exists"
        time.sleep(0.4)  # migrations
    db["NAME"] = name
    yield name
    if not reuse:
        created.unlink()
`,
  };

  it("gives the files running at once a test database per slot, and names --reuse-db when making one per file costs", async () => {
    const files: Record<string, string> = { ...SHAPED };
    for (let i = 0; i < 4; i++) files[`tests/http/test_${i}.py`] = "def test_db(django_db_setup):\n    assert django_db_setup.startswith('test_shop_gw')\n";
    const p = project(files);
    const databases = path.join(p.root, "databases");
    fs.mkdirSync(databases);
    const env = testEnv({ PYTHONPATH: p.root, DATABASES: databases });
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/pytest-django's test database was created and migrated by each file for itself: \d+\.\d s in all over 4 files\. pytest-django's --reuse-db \(after --\) keeps one per worker slot/);
    expect(fs.readdirSync(databases)).toEqual([]);

    const reused = await runCli(["--parallel", "-n", "2", "--", "--reuse-db"], { cwd: p.root, env });
    expect(reused.code, reused.stdout + reused.stderr).toBe(0);
    expect(reused.stdout).not.toMatch(/test database was created/);
    expect(fs.readdirSync(databases).sort()).toEqual(expect.arrayContaining(["test_shop_gw0"]));
    expect(fs.readdirSync(databases).every((name) => /^test_shop_gw[01]$/.test(name))).toBe(true);
  });

  it("names --pack, with a --pack-under every such file is under, where each file's test database is SQLite in memory", async () => {
    // django-allauth's suite: the default parallel run 3-5 times plain pytest's time, and not a word of why.
    const files: Record<string, string> = { ...SHAPED };
    // As many files as a pack pays for (QUICK_FILES_HINT_MIN_FILES).
    for (let i = 0; i < 20; i++) files[`tests/http/test_${i}.py`] = "def test_db(django_db_setup):\n    pass\n";
    const p = project(files);
    const env = testEnv({ PYTHONPATH: p.root, IN_MEMORY: "1" });
    const result = await runCli(["--parallel", "-n", "2", "--report-json", "report.json"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const under = Math.floor(Math.max(...readReport(p).files.map((f) => f.durationSeconds))) + 1;
    expect(result.stdout).toMatch(new RegExp(`pytest-django's test database, SQLite in memory, was created and migrated by each file for itself: \\d+\\.\\d s in all over 20 files, .* --pack --pack-under ${under} runs the files under ${under} s`));
    expect(result.stdout).not.toMatch(/--reuse-db \(after --\) keeps/);
    // Too little for the rest of the run to be worth a word during it (EARLY_PACK_HINT_MIN_SECONDS).
    expect(result.stdout).not.toMatch(/is being created and migrated by each file/);
    const packed = await runCli(["--parallel", "-n", "2", "--pack", "--pack-under", String(under)], { cwd: p.root, env });
    expect(packed.code, packed.stdout + packed.stderr).toBe(0);
    expect(packed.stdout).toMatch(/\(20 files in 2 shared processes: their tests' time only\)/);
    expect(packed.stdout).not.toMatch(/test database, SQLite in memory/);
  });
});
