/**
 * --browser-server: each pair of slots' files share one real Chromium,
 * served by Playwright's launchServer, each test in a fresh context; a
 * browser that dies, or that a killed file was using, is replaced for the
 * slots' next files once no running file holds it; and no browser outlives the
 * run, whether it ends, fails fast or is interrupted, nor does the profile
 * Playwright makes for it in the temp folder.
 */
import { getEventListeners } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrowserServers } from "../../src/browsers/browserServers.js";
import { EnvironmentFailure } from "../../src/errors.js";
import { choosePython } from "../../src/python.js";
import { processesIn, readReport, runCli, startCli, temporaryProjects, testEnv, until, type Project } from "../helpers/project.js";

const project = temporaryProjects();
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** Connects to the slot's browser server when there is one, as the Bookshop's conftest does. */
const CONFTEST = `import json, os, pathlib, pytest
from playwright.sync_api import sync_playwright

@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect(os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"])
        yield browser
        try:
            browser.close()
        except Exception:
            pass  # a browser that died has nothing left to close

@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()

def own_drivers():
    """Playwright drivers this process started itself (none when it uses the slot's)."""
    children = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read().split(") ")[1].split()
            if int(stat[1]) == os.getpid() and b"run-driver" in open(f"/proc/{pid}/cmdline", "rb").read():
                children.append(int(pid))
        except OSError:
            pass
    return len(children)

def seen(**facts):
    with open(pathlib.Path(os.environ["SEEN"]) / f"{os.getpid()}-{os.urandom(4).hex()}.json", "w") as out:
        json.dump({"endpoint": os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"], "slot": os.environ["GRIMOIRE_SLOT"], **facts}, out)
`;

const PAGE_TEST = `from conftest import own_drivers, seen

def test_page(page, browser):
    cookies = len(page.context.cookies())
    page.context.add_cookies([{"name": "visited", "value": "1", "url": "http://grimoire.test/"}])
    page.set_content("<title>fresh</title>")
    assert page.title() == "fresh"
    seen(contexts=len(browser.contexts), cookies=cookies, drivers=own_drivers())
`;

/** Kills this slot's browser, as a crash would: every process carrying its marker. */
const KILLS_ITS_BROWSER = `import os, signal, time
from conftest import seen

def browser_processes():
    marker = f"GRIMOIRE_TREE_ID={os.environ['GRIMOIRE_RUN_ID']}.browser-{os.environ['GRIMOIRE_SLOT']}".encode() + b"\\0"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            # The browser's processes, not the Node server that launched it: a crash of the browser alone.
            browser = open(f"/proc/{pid}/comm").read().strip() != "node"
            if browser and marker in open(f"/proc/{pid}/environ", "rb").read() and open(f"/proc/{pid}/stat").read().split(") ")[1][0] != "Z":
                found.append(int(pid))
        except OSError:
            pass
    return found

def test_kills_its_browser(browser):
    for pid in browser_processes():
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while browser_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not browser_processes()
    seen(killed=True)
`;

/** Launches a Chromium of its own (not the slot's), then stops Playwright without closing it, as a driver's exit would close it. */
const LAUNCHES_ITS_OWN = `import os
from playwright.sync_api import sync_playwright
from conftest import own_drivers, seen

def carrying_my_marker():
    marker = f"GRIMOIRE_TREE_ID={os.environ['GRIMOIRE_TREE_ID']}".encode() + b"\\0"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(pid) != os.getpid() and marker in open(f"/proc/{pid}/environ", "rb").read():
                found.append(open(f"/proc/{pid}/comm").read().strip())
        except OSError:
            pass
    return found

def test_launches_its_own():
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=os.environ["CHROMIUM_PATH"])
    page = browser.new_page()
    page.set_content("<title>own</title>")
    assert page.title() == "own"
    launched = carrying_my_marker()
    drivers = own_drivers()
    playwright.stop()
    seen(launched=launched, drivers=drivers, afterStop=carrying_my_marker())
`;

function browserProject(files: Record<string, string>): Project {
  const p = project({ "pytest.ini": "[pytest]\n", "tests/e2e/conftest.py": CONFTEST, ...files });
  fs.mkdirSync(path.join(p.root, "seen"));
  return p;
}

function seenBy(p: Project): { endpoint: string; slot: string; contexts?: number; cookies?: number; drivers?: number; killed?: boolean; launched?: string[]; afterStop?: string[] }[] {
  const dir = path.join(p.root, "seen");
  // A file a test is writing as it is read (a poll while the run goes on) is not seen yet: its JSON is cut short.
  return fs.readdirSync(dir).flatMap((name) => {
    try {
      return [JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as { endpoint: string; slot: string }];
    } catch (error) {
      if (error instanceof SyntaxError) return [];
      throw error;
    }
  });
}

/** A temp folder of the test's own, as grimoire-run's TMPDIR: what the browsers leave in it is seen. */
const tempFolders = new Map<Project, string>();
function tempFolder(p: Project): string {
  let dir = tempFolders.get(p);
  if (dir === undefined) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-browser-tmp-"));
    tempFolders.set(p, dir);
  }
  return dir;
}
/** Profiles, artifacts folders and singleton sockets that Playwright and Chromium made and nobody removed. */
function browserLeftovers(p: Project): string[] {
  return fs.readdirSync(tempFolder(p)).filter((name) => /^(grimoire-browser-|playwright|org\.chromium)/.test(name));
}
afterEach(() => {
  for (const dir of tempFolders.values()) fs.rmSync(dir, { recursive: true, force: true });
  tempFolders.clear();
});

const env = (p: Project) => testEnv({ SEEN: path.join(p.root, "seen"), CHROMIUM_PATH: CHROMIUM, TMPDIR: tempFolder(p) });
const ARGS = ["--parallel", "--browser-server", "chromium", "--report-json", "report.json"];

describe("a browser server per worker slot", () => {
  it("gives each pair of slots one browser, each test a fresh context, and leaves no browser behind", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6; i++) files[`tests/e2e/test_page_${i}.py`] = PAGE_TEST;
    const p = browserProject(files);
    const result = await runCli([...ARGS, "-n", "3"], { cwd: p.root, env: env(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const seen = seenBy(p);
    expect(seen).toHaveLength(6);
    // Three slots, two browsers: slots 0 and 1 share one, slot 2 has its own; every file of a slot used its slot's.
    const endpointOf = (slot: string): string[] => [...new Set(seen.filter((s) => s.slot === slot).map((s) => s.endpoint))];
    expect([endpointOf("0"), endpointOf("1"), endpointOf("2")].map((endpoints) => endpoints.length)).toEqual([1, 1, 1]);
    expect(endpointOf("0")).toEqual(endpointOf("1"));
    expect(endpointOf("2")).not.toEqual(endpointOf("0"));
    // A fresh context per test: no other file's context (the two slots' files share a browser), no other test's cookie.
    expect(seen.map((s) => [s.contexts, s.cookies])).toEqual(Array(6).fill([1, 0]));
    // The servers' Playwright drivers too: no file started one of its own.
    expect(seen.map((s) => s.drivers)).toEqual(Array(6).fill(0));
    await until(() => processesIn(p.root).length === 0, "no browser or server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("lets a file launch a browser of its own through the slot's driver: it is the file's, and closed with the file's Playwright", async () => {
    const p = browserProject({ "tests/e2e/test_own.py": LAUNCHES_ITS_OWN, "tests/e2e/test_page.py": PAGE_TEST });
    // Three slots' browsers start with the run; two files keep two of them.
    const result = await runCli([...ARGS, "-n", "3"], { cwd: p.root, env: env(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Nothing of the file's was left for grimoire-run to kill after pytest exited.
    expect(result.stderr).not.toMatch(/left \d+ process/);
    const own = seenBy(p).find((s) => s.launched !== undefined);
    expect(own).toMatchObject({ drivers: 0, afterStop: [] });
    // Launched by the slot's driver, the browser still carries the file's environment, and with it the file's markers.
    expect(own?.launched?.length).toBeGreaterThan(0);
    // And the run says which file launched its own, and how it would use the served one.
    expect(result.stdout).toMatch(/^--browser-server: 1 file launched a browser with Playwright's launch\(\) itself \(tests\/e2e\/test_own\.py\), not through pytest-playwright's fixtures: .*playwright\.chromium\.connect\(os\.environ\["GRIMOIRE_BROWSER_WS_ENDPOINT"\]\)/m);
    await until(() => processesIn(p.root).length === 0, "no browser or server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("says where a project's connect_options gave pytest-playwright no endpoint, so that its files launched their own browsers", async () => {
    // A stand-in for pytest-playwright (not on this machine's package index), under its module name and with its fixtures'
    // shape: `browser` connects where connect_options gives an endpoint, and launches otherwise.
    const stub = [
      "import os, pytest",
      "from playwright.sync_api import sync_playwright",
      "@pytest.fixture(scope='session')",
      "def browser_name():",
      "    return 'chromium'",
      "@pytest.fixture(scope='session')",
      "def connect_options():",
      "    return None",
      "@pytest.fixture(scope='session')",
      "def browser_type_launch_args():",
      "    return {'executable_path': os.environ['CHROMIUM_PATH']}",
      "@pytest.fixture(scope='session')",
      "def browser(connect_options, browser_type_launch_args):",
      "    playwright = sync_playwright().start()",
      "    browser = playwright.chromium.connect(**connect_options) if connect_options else playwright.chromium.launch(**browser_type_launch_args)",
      "    yield browser",
      "    browser.close()",
      "    playwright.stop()",
      "",
    ].join("\n");
    // py-shiny's: an endpoint only where Playwright's test runner would give one.
    // The keyword of connect()'s endpoint is `endpoint` since Playwright for Python 1.59, `ws_endpoint` before.
    const conftest = (variable: string): string =>
      [
        "import inspect, os, pytest",
        "from playwright.sync_api import BrowserType",
        "KEYWORD = 'endpoint' if 'endpoint' in inspect.signature(BrowserType.connect).parameters else 'ws_endpoint'",
        "@pytest.fixture(scope='session')",
        "def connect_options():",
        `    endpoint = os.environ.get('${variable}')`,
        "    return {KEYWORD: endpoint} if endpoint else None",
        "",
      ].join("\n");
    const page = "def test_page(browser):\n    page = browser.new_page()\n    page.set_content('<title>shop</title>')\n    assert page.title() == 'shop'\n";
    const p = project({
      "pytest.ini": "[pytest]\naddopts = -p pytest_playwright.pytest_playwright\n",
      "pytest_playwright/__init__.py": "",
      "pytest_playwright/pytest_playwright.py": stub,
      "tests/e2e/conftest.py": conftest("PW_TEST_CONNECT_WS_ENDPOINT"),
      "tests/e2e/test_a.py": page,
      "tests/e2e/test_b.py": page,
    });
    const run = (): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(["--parallel", "-n", "2", "--browser-server", "chromium"], { cwd: p.root, env: { ...env(p), PYTHONPATH: p.root } });
    const launched = await run();
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    expect(launched.stdout).toMatch(
      /^--browser-server: 2 files launched a browser of their own through pytest-playwright \(tests\/e2e\/test_a\.py, tests\/e2e\/test_b\.py\), as the connect_options fixture of tests\/e2e\/conftest\.py takes the place of grimoire-run's and gave no endpoint: .*returns \{"(ws_)?endpoint": os\.environ\["GRIMOIRE_BROWSER_WS_ENDPOINT"\]\}/m,
    );
    // As it says: the fixture given the served endpoint connects, and there is nothing to say.
    fs.writeFileSync(path.join(p.root, "tests", "e2e", "conftest.py"), conftest("GRIMOIRE_BROWSER_WS_ENDPOINT"));
    const connected = await run();
    expect(connected.code, connected.stdout + connected.stderr).toBe(0);
    expect(connected.stdout).not.toMatch(/--browser-server: .*launched a browser/);
    await until(() => processesIn(p.root).length === 0, "no browser or server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("replaces a browser that dies, for the slot's next file", async () => {
    const p = browserProject({ "tests/e2e/test_1_kills.py": KILLS_ITS_BROWSER, "tests/e2e/test_2_after.py": PAGE_TEST });
    const result = await runCli([...ARGS, "-n", "1", "--order", "name"], { cwd: p.root, env: env(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/slot 0 gets a new browser for its next file: its browser exited/);
    const [killer, after] = seenBy(p).sort((a, b) => Number(Boolean(b.killed)) - Number(Boolean(a.killed)));
    expect(killer?.endpoint).not.toBe(after?.endpoint);
    expect(readReport(p).files.map((f) => f.status)).toEqual(["passed", "passed"]);
    await until(() => processesIn(p.root).length === 0, "no browser or server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("kills the browsers with everything else on Ctrl-C, and a file that timed out gets its slot a new browser", async () => {
    const hang = `import time\n\ndef test_hangs(page):\n    page.set_content("<title>hang</title>")\n    time.sleep(600)\n`;
    const p = browserProject({ "tests/e2e/test_a_hangs.py": hang, "tests/e2e/test_b_page.py": PAGE_TEST });
    const timedOut = await runCli([...ARGS, "-n", "1", "--order", "name", "--timeout", "3", "--kill-grace", "0.5"], { cwd: p.root, env: env(p) });
    expect(timedOut.code).toBe(1);
    expect(timedOut.stdout).toMatch(/slot 0 gets a new browser for its next file: tests\/e2e\/test_a_hangs\.py was timed out while using it/);
    expect(readReport(p).files.map((f) => [f.path, f.status])).toEqual([
      ["tests/e2e/test_a_hangs.py", "timeout"],
      ["tests/e2e/test_b_page.py", "passed"],
    ]);
    await until(() => processesIn(p.root).length === 0, "no browser or server left after the timeout");
    expect(browserLeftovers(p)).toEqual([]);

    const cli = startCli([...ARGS, "-n", "2"], { cwd: p.root, env: env(p) });
    await until(() => seenBy(p).length >= 2, "the second run's page test ran, its browser up", 60_000);
    cli.child.kill("SIGINT");
    const interrupted = await cli.done;
    expect(interrupted.code).toBe(130);
    await until(() => processesIn(p.root).length === 0, "no browser or server left after Ctrl-C");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("retires a shared browser that a killed file was using: the other slot's running file keeps it, the next files get a new one", async () => {
    const dies = `import os, pathlib, signal\n\ndef test_dies(page):\n    page.set_content("<title>dies</title>")\n    (pathlib.Path(os.environ["SEEN"]).parent / "died").touch()\n    os.kill(os.getpid(), signal.SIGKILL)\n`;
    // Holds the shared browser from before the other slot's file is killed until after, and only then uses it.
    const outlasts = PAGE_TEST.replace(
      "def test_page(page, browser):",
      "def test_page(page, browser):\n    import os, pathlib, time\n    died = pathlib.Path(os.environ['SEEN']).parent / 'died'\n    deadline = time.monotonic() + 60\n    while not died.exists() and time.monotonic() < deadline:\n        time.sleep(0.05)\n    time.sleep(1)",
    );
    const p = browserProject({ "tests/e2e/test_a_dies.py": dies, "tests/e2e/test_b_outlasts.py": outlasts, "tests/e2e/test_c_page.py": PAGE_TEST });
    const result = await runCli([...ARGS, "-n", "2", "--order", "name"], { cwd: p.root, env: env(p) });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/slots 0, 1 get a new browser for their next files: tests\/e2e\/test_a_dies\.py was killed by SIGKILL while using it/);
    expect(readReport(p).files.map((f) => [f.path, f.status])).toEqual([
      ["tests/e2e/test_a_dies.py", "failed"],
      ["tests/e2e/test_b_outlasts.py", "passed"],
      ["tests/e2e/test_c_page.py", "passed"],
    ]);
    // The file that ran on after the kill kept the retired browser; the file after it got the new one.
    const seen = seenBy(p);
    expect(seen).toHaveLength(2);
    expect(new Set(seen.map((s) => s.endpoint)).size).toBe(2);
    await until(() => processesIn(p.root).length === 0, "no browser or server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("needs Playwright for Python, and an executable that exists: exit 2, before any test", async () => {
    const p = project({ "tests/e2e/test_plain.py": "def test_plain():\n    pass\n", "blocker/sitecustomize.py": "import sys\nsys.modules['playwright'] = None\n" });
    const noPlaywright = await runCli(ARGS, { cwd: p.root, env: testEnv({ PYTHONPATH: path.join(p.root, "blocker") }) });
    expect(noPlaywright.code).toBe(2);
    expect(noPlaywright.stderr).toMatch(/--browser-server needs Playwright for Python in the project's Python .*: install it with pip install playwright/);
    const noBrowser = await runCli([...ARGS, "--browser-executable", "/no/such/chromium"], { cwd: p.root });
    expect(noBrowser.code).toBe(2);
    expect(noBrowser.stderr).toMatch(/--browser-executable: no such file: \/no\/such\/chromium/);
  });

  it("says why a browser that is not installed cannot start, and what to do: exit 3, no new browser promised, nothing left behind", async () => {
    const p = project({ "pytest.ini": "[pytest]\n", "tests/e2e/test_one.py": "def test_one():\n    pass\n", "tests/e2e/test_two.py": "def test_two():\n    pass\n" });
    // Playwright looks for its own Chromium in an empty folder, and no other browser is given.
    const noBrowsers = fs.mkdtempSync(path.join(tempFolder(p), "browsers-"));
    const result = await runCli([...ARGS, "-n", "2"], { cwd: p.root, env: testEnv({ PLAYWRIGHT_BROWSERS_PATH: noBrowsers, CHROMIUM_PATH: undefined, TMPDIR: tempFolder(p) }) });
    expect(result.code, result.stdout + result.stderr).toBe(3);
    const said = result.stdout + result.stderr;
    // Playwright's cause, not its stack's tail, and what to do about it.
    expect(said).toMatch(/the chromium browser of slots 0, 1 could not be started: Executable doesn't exist at \S+/);
    expect(said).toMatch(/install it with `\S+ -m playwright install chromium`, or give an installed chromium with --browser-executable PATH \(or CHROMIUM_PATH\)/);
    expect(said).not.toMatch(/at async|npx playwright install/);
    // The run stops: it does not promise the slots a browser it cannot start.
    expect(said).not.toMatch(/new browser/);
    expect(said).toMatch(/the browser server's log: \.grimoire\/logs\/\S+\/browser-server-0\.log/);
    await until(() => processesIn(p.root).length === 0, "no server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("says at the end of a run without it that each file launched a browser for itself, and what --browser-server would spare", async () => {
    // The benchmark's conftest shape: a browser server's when there is one, a launch of its own otherwise.
    const launches = `import os, pytest
from playwright.sync_api import sync_playwright

@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        endpoint = os.environ.get("GRIMOIRE_BROWSER_WS_ENDPOINT")
        browser = playwright.chromium.connect(endpoint) if endpoint else playwright.chromium.launch(executable_path=os.environ["CHROMIUM_PATH"])
        yield browser
        browser.close()
`;
    const test = 'def test_page(browser):\n    page = browser.new_page()\n    page.set_content("<title>t</title>")\n    assert page.title() == "t"\n';
    const p = project({ "pytest.ini": "[pytest]\n", "tests/e2e/conftest.py": launches, ...Object.fromEntries([1, 2, 3, 4].map((i) => [`tests/e2e/test_${i}.py`, test])) });
    const own = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: env(p) });
    expect(own.code, own.stdout + own.stderr).toBe(0);
    expect(own.stdout).toMatch(
      /^4 files each started Playwright and a browser in their own process: \d+\.\d s in all(, \d+\.\d s of it their teardown at the session's end)? \(session fixtures: browser of tests\/e2e\/conftest\.py, \d+\.\d s a file\), where one plain pytest session starts them once\. --browser-server chromium --browser-executable \S+ starts one browser for the run, .*playwright\.chromium\.connect\(os\.environ\["GRIMOIRE_BROWSER_WS_ENDPOINT"\]\)/m,
    );
    // The browser the conftest launched from a path of its own is named: the served one must be it.
    expect(own.stdout).toContain(`--browser-executable ${env(p)["CHROMIUM_PATH"] as string} starts`);
    const served = await runCli(["--parallel", "-n", "2", "--browser-server", "chromium"], { cwd: p.root, env: env(p) });
    expect(served.code, served.stdout + served.stderr).toBe(0);
    expect(served.stdout).not.toContain("started Playwright and a browser");
    await until(() => processesIn(p.root).length === 0, "no browser or server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("leaves no listener on the run's stop signal for each file that connected (Node.js warned of a leak past 20 files)", async () => {
    const p = project({ "pytest.ini": "[pytest]\n" });
    const baseEnv = testEnv({ TMPDIR: tempFolder(p) });
    const browsers = await BrowserServers.open({ browser: "chromium", executable: CHROMIUM, headed: false }, choosePython(p.root, undefined, baseEnv), {
      runId: "listener-test",
      root: p.root,
      baseEnv,
      killGraceMs: 500,
      logDir: path.join(p.root, "logs"),
    });
    const stop = new AbortController();
    try {
      for (let file = 0; file < 3; file++) {
        const connection = await browsers.connection(file % 2, stop.signal);
        await connection.release(null);
      }
      expect(getEventListeners(stop.signal, "abort")).toEqual([]);
    } finally {
      await browsers.close();
    }
    await until(() => processesIn(p.root).length === 0, "no server left");
    expect(browserLeftovers(p)).toEqual([]);
  });

  it("keeps each browser server's output in the run's log folder, and names it when the browser cannot start", async () => {
    const p = project({ "pytest.ini": "[pytest]\n" });
    const logDir = path.join(p.root, ".grimoire", "logs", "run");
    fs.mkdirSync(logDir, { recursive: true });
    const noBrowsers = fs.mkdtempSync(path.join(tempFolder(p), "browsers-"));
    const baseEnv = testEnv({ PLAYWRIGHT_BROWSERS_PATH: noBrowsers, TMPDIR: tempFolder(p) });
    const browsers = await BrowserServers.open({ browser: "chromium", executable: null, headed: false }, choosePython(p.root, undefined, baseEnv), {
      runId: "log-test",
      root: p.root,
      baseEnv,
      killGraceMs: 500,
      logDir,
    });
    const replaced: string[] = [];
    browsers.onReplaced = (_slots, reason) => replaced.push(reason);
    try {
      const failure = await browsers.connection(0, new AbortController().signal).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(EnvironmentFailure);
      expect((failure as Error).message).toMatch(/could not be started: Executable doesn't exist at .*\n.*\n {2}the browser server's log: \.grimoire\/logs\/run\/browser-server-0\.log$/);
      // Asked again (the other slot's file), it is the same failure, not a new browser.
      await expect(browsers.connection(1, new AbortController().signal)).rejects.toThrow(/browser-server-0\.log/);
      expect(replaced).toEqual([]);
    } finally {
      await browsers.close();
    }
    // Playwright's whole error, stack and all, is in the log.
    expect(fs.readFileSync(path.join(logDir, "browser-server-0.log"), "utf8")).toMatch(/Executable doesn't exist at [^]*at async/);
    await until(() => processesIn(p.root).length === 0, "no server left");
    expect(browserLeftovers(p)).toEqual([]);
  });
});
