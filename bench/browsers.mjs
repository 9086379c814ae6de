/**
 * Browser suites: what one browser per file costs, and what a browser server
 * per pair of worker slots (--browser-server) saves. Real Chromium through Playwright
 * for Python, against a page served locally (and the Bookshop example).
 */
import path from "node:path";
import { REPO, SERIAL_ARGS, benchEnv, cpuTable, findChromium, medians, ratioRow, sideBySide, startHelper, timedWithCpu, timeGrimoire, timePytest, timingTable, writeSuite, xdistArgs, xdistName } from "./lib.mjs";

const WORKERS = 2;
const FILES = 8;

/** A conftest in the style of pytest-playwright: one browser per process (or the slots' server), a fresh context per test. */
const CONFTEST = `import os, pytest
from playwright.sync_api import sync_playwright

ARGS = ["--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        endpoint = os.environ.get("GRIMOIRE_BROWSER_WS_ENDPOINT")
        browser = playwright.chromium.connect(endpoint) if endpoint else playwright.chromium.launch(executable_path=os.environ["CHROMIUM_PATH"], args=ARGS)
        yield browser
        browser.close()

@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()
`;

const PAGE_TESTS = `import os

def test_title(page):
    page.goto(os.environ["SITE_URL"])
    assert page.title() == "Hello"

def test_click(page):
    page.goto(os.environ["SITE_URL"])
    page.click("#b")
    assert page.inner_text("#b") == "clicked"
`;

const SERIAL = "serial pytest, one process";
const XDIST = xdistName(WORKERS, "load");
const PER_FILE = `grimoire-run --parallel -n ${WORKERS} (a browser per file)`;
const SERVERS = `grimoire-run --parallel -n ${WORKERS} --browser-server chromium`;

async function race(root, { tests, files, env, repetitions }) {
  const bench = benchEnv(env);
  const samples = await sideBySide(
    [
      timedWithCpu(SERIAL, () => timePytest(root, SERIAL_ARGS, tests, bench)),
      timedWithCpu(XDIST, () => timePytest(root, xdistArgs(WORKERS, "load"), tests, bench)),
      timedWithCpu(PER_FILE, async () => (await timeGrimoire(root, { workers: WORKERS, files, env: bench })).seconds),
      timedWithCpu(SERVERS, async () => (await timeGrimoire(root, { workers: WORKERS, files, env: bench, extra: ["--browser-server", "chromium"] })).seconds),
    ],
    repetitions,
  );
  return { samples, m: medians(samples) };
}

export async function playwrightScenario({ repetitions }) {
  const chromium = findChromium();
  if (chromium === null) return skipped("Quick Playwright files");
  const files = { "pytest.ini": "[pytest]\n", "site/index.html": '<html><head><title>Hello</title></head><body><button id="b" onclick="this.textContent=\'clicked\'">click</button></body></html>', "tests/e2e/conftest.py": CONFTEST };
  for (let i = 0; i < FILES; i++) files[`tests/e2e/test_page_${i}.py`] = PAGE_TESTS;
  const root = writeSuite("playwright", files);
  const site = await startHelper("python3", ["-m", "http.server", "0", "--bind", "127.0.0.1"], { cwd: path.join(root, "site"), ready: /port (\d+)/ });
  try {
    const { samples, m } = await race(root, { tests: 2 * FILES, files: FILES, repetitions, env: { SITE_URL: `http://127.0.0.1:${site.match}/`, CHROMIUM_PATH: chromium } });
    return {
      title: "Quick Playwright files",
      intro: `${FILES} files of two quick page tests each (a local page: load it, read the title, click a button), real Chromium through Playwright for Python, ${WORKERS} workers; ${repetitions} run(s) of each contender, alternating.`,
      table: timingTable(samples, [SERIAL, XDIST, PER_FILE, SERVERS]),
      cpu: cpuTable(samples, [SERIAL, XDIST, PER_FILE, SERVERS]),
      ratios: [
        ["ratio of medians", "value", "target"],
        ratioRow("--browser-server / a browser per file", m[SERVERS], m[PER_FILE], 0.7),
        ratioRow("--browser-server / serial pytest", m[SERVERS], m[SERIAL], 1.0),
        ratioRow("--browser-server / pytest-xdist", m[SERVERS], m[XDIST]),
      ],
      notes: [
        "With --browser-server no pytest process starts Playwright's driver (a Node.js process, about half a second of CPU): each talks to the one its browser server serves. The 2 slots share one browser server (one browser, one Node.js process; each file its own connection and a fresh context per test), which starts with the run.",
        "What is left is CPU on 2 cores: each test's context and page in the browser, the Python client, and each file's pytest session, beside the fork server's start and pytest's listing of the files, which the single process does not pay.",
      ],
    };
  } finally {
    await site.stop();
  }
}

export async function bookshopBrowserScenario({ repetitions }) {
  const chromium = findChromium();
  if (chromium === null) return skipped("The Bookshop's browser suite");
  const root = path.join(REPO, "examples", "bookshop");
  const app = await startHelper("python3", ["app.py", "--port", "0"], { cwd: root, ready: /listening on (http:\/\/\S+)/ });
  try {
    const env = { E2E_BASE_URL: app.match, CHROMIUM_PATH: chromium };
    const bench = benchEnv(env);
    const samples = await sideBySide(
      [
        timedWithCpu(SERIAL, () => timePytest(root, ["tests/e2e", "-q", "-p", "no:cacheprovider"], 12, bench)),
        timedWithCpu(XDIST, () => timePytest(root, ["tests/e2e", "-q", "-p", "no:cacheprovider", "-p", "xdist", "-n", String(WORKERS)], 12, bench)),
        timedWithCpu(SERVERS, async () => (await timeGrimoire(root, { workers: WORKERS, files: 4, env: bench, extra: ["--scope", "e2e", "--browser-server", "chromium"] })).seconds),
      ],
      repetitions,
    );
    const m = medians(samples);
    return {
      title: "The Bookshop's browser suite",
      intro: `examples/bookshop/tests/e2e: 4 files, 12 Playwright tests against the running app; ${WORKERS} workers; ${repetitions} run(s) of each contender, alternating.`,
      table: timingTable(samples, [SERIAL, XDIST, SERVERS]),
      cpu: cpuTable(samples, [SERIAL, XDIST, SERVERS]),
      ratios: [["ratio of medians", "value", "target"], ratioRow("--browser-server / serial pytest", m[SERVERS], m[SERIAL], 1.0), ratioRow("--browser-server / pytest-xdist", m[SERVERS], m[XDIST], 0.9)],
      notes: [
        "The tests drive real pages of the app (forms, a cart): most of the time is the browser rendering and the app answering, which no runner can share out across 2 cores.",
        "The second table is what the machine's CPUs did during each run (all processes: the runner's, Chromium's, the app's, and anything else running), from /proc/stat: both parallel runs keep the 2 cores busy, so a run can finish sooner than another only by using less CPU than it. One browser server for the 2 slots spares xdist's second browser launch, which is small beside what the pages cost the browser (its processes used 7.1 s of CPU under grimoire-run and 6.9 s under xdist's two browsers in one hand-sampled run each, 2026-12-04).",
      ],
    };
  } finally {
    await app.stop();
  }
}

function skipped(title) {
  return { title, intro: "Skipped: no Chromium on this machine (apt-get install chromium, or set CHROMIUM_PATH).", table: [["command", "median", "runs"]], notes: [] };
}
