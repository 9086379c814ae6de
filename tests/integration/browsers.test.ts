/**
 * Issue 9: browsers are the processes most likely to be orphaned. Real
 * Chromium, driven by Playwright for Python under grimoire-run: after
 * fail-fast, a timeout or Ctrl-C, no browser process may survive.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { temporaryProjects, processesWithEnv, readReport, runCli, startCli, testEnv, uniqueMarker, type Project } from "../helpers/project.js";

const project = temporaryProjects();
const marks: string[] = [];
afterEach(() => {
  for (const mark of marks.splice(0)) for (const { pid } of processesWithEnv(mark)) process.kill(pid, "SIGKILL");
});

const CONFTEST = `import os, pathlib, pytest
from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

@pytest.fixture
def page(request):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=ARGS)
        page = browser.new_page()
        yield page
        if request.node.rep_call.failed and os.environ.get("GRIMOIRE_ARTIFACTS_DIR"):
            folder = pathlib.Path(os.environ["GRIMOIRE_ARTIFACTS_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / (request.node.name + ".png")))
        browser.close()

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report
`;

/** A test that opens a page in Chromium, says it is ready, and keeps the browser open. */
const openBrowser = (sync: string, name: string) => `import pathlib, time

def test_browser_stays_open(page):
    page.set_content("<h1>${name}</h1>")
    assert page.inner_text("h1") == "${name}"
    pathlib.Path(${JSON.stringify(sync)}, "${name}").touch()
    print("READY", flush=True)
    time.sleep(600)
`;

function browserProject(count: number, extra: Record<string, string> = {}): { p: Project; sync: string; mark: string } {
  const p = project({ "tests/e2e/conftest.py": CONFTEST, ...extra });
  const sync = path.join(p.root, "sync");
  fs.mkdirSync(sync);
  for (let i = 0; i < count; i++) p.write(`tests/e2e/test_open_${i}.py`, openBrowser(sync, `page${i}`));
  const mark = `BROWSER_MARK=${uniqueMarker("browser")}`;
  marks.push(mark);
  return { p, sync, mark };
}

const envWith = (mark: string) => {
  const [name = "", value = ""] = mark.split("=");
  return testEnv({ [name]: value });
};
const chromiums = (mark: string) => processesWithEnv(mark).filter((p) => /chrom/i.test(p.comm));

describe("browsers under grimoire-run", () => {
  it("fail-fast leaves no Chromium behind", async () => {
    const { p, sync, mark } = browserProject(3);
    p.write(
      "tests/e2e/test_0_fails.py",
      `import pathlib, time\n\ndef test_fails_once_browsers_are_open():\n    deadline = time.monotonic() + 60\n    while len(list(pathlib.Path(${JSON.stringify(sync)}).iterdir())) < 3 and time.monotonic() < deadline:\n        time.sleep(0.05)\n    assert False\n`,
    );
    const result = await runCli(["--parallel", "-n", "4", "--fail-fast", "--report-json", "r.json"], { cwd: p.root, env: envWith(mark) });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(fs.readdirSync(sync)).toHaveLength(3);
    expect(readReport(p, "r.json").files.filter((f) => f.status === "cancelled")).toHaveLength(3);
    expect(processesWithEnv(mark)).toEqual([]);
  });

  it("Ctrl-C while browsers are open leaves no Chromium behind", async () => {
    const { p, mark } = browserProject(2);
    const cli = startCli(["--parallel", "-n", "2", "--", "-s"], { cwd: p.root, env: envWith(mark) });
    await cli.waitForOutput(/READY/, 2);
    expect(chromiums(mark).length).toBeGreaterThan(0);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(processesWithEnv(mark)).toEqual([]);
  });

  it("a browser test that times out is killed with its browser, and a failed page's screenshot is kept beside its log", async () => {
    const { p, mark } = browserProject(1, {
      "tests/e2e/test_fails_on_page.py": `def test_heading(page):\n    page.set_content("<h1>wrong</h1>")\n    assert page.inner_text("h1") == "right"\n`,
    });
    const result = await runCli(["--parallel", "-n", "2", "--timeout", "8", "--kill-grace", "1", "--report-json", "r.json"], { cwd: p.root, env: envWith(mark) });
    expect(result.code).toBe(1);
    const report = readReport(p, "r.json");
    expect(report.files.find((f) => f.path === "tests/e2e/test_open_0.py")?.status).toBe("timeout");
    expect(processesWithEnv(mark)).toEqual([]);
    const failed = report.files.find((f) => f.path === "tests/e2e/test_fails_on_page.py");
    expect(failed?.status).toBe("failed");
    const artifacts = (failed?.log ?? "").replace(/\.log$/, ".artifacts");
    expect(fs.readdirSync(path.join(p.root, artifacts))).toEqual(["test_heading.png"]);
    expect(result.stdout).toContain(`screenshots and traces: ${artifacts}`);
  });
});

describe("npm run demo", () => {
  it("runs the Bookshop's http and browser suites in parallel against its server, and passes", async () => {
    const { spawn } = await import("node:child_process");
    const demo = path.resolve(import.meta.dirname, "../../scripts/demo.mjs");
    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, [demo, "-q"], { env: testEnv(), stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.on("close", (code) => resolve({ code, text }));
    });
    expect(output.code, output.text).toBe(0);
    expect(output.text).toMatch(/Found 9 test files, running them on \d+ workers/);
    expect(output.text).toMatch(/9 files: 9 passed/);
    expect(output.text).toMatch(/PASS\s+tests\/e2e\/test_cart\.py/);
    expect(output.text).toMatch(/demo: grimoire-run exited with 0; the server is stopped/);
  }, 180_000);
});
