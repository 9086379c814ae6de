/**
 * The HTML report, opened from disk in a real headless Chromium: the timeline
 * must draw what the JSON report says (where each bar is, how wide, in which
 * lane), every string from the report must stay text, and the page must not
 * fetch anything.
 *
 * Browsers cannot be downloaded here: Debian's Chromium is driven by the
 * Playwright client. The browser is closed in afterAll and the test file
 * fails if any Chromium process it started is still alive afterwards.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestOutcome, FileStatus } from "../../src/model.js";
import { MIN_BAR_PX, renderHtmlReport } from "../../src/report/htmlReport.js";
import type { JsonFileEntry, JsonReport } from "../../src/report/jsonReport.js";
import { makeProject, processesWith, readReport, runCli, type JsonReportFile, type Project } from "../helpers/project.js";

const CHROMIUM = "/usr/bin/chromium";
/** What every Chromium process of ours has in its command line (the binary lives there; /usr/bin/chromium is a wrapper script). */
const CHROMIUM_MARK = "/usr/lib/chromium/";
const SCREENSHOT = "/tmp/grimoire-report.png";

let browser: Browser;
let scratch: string;
let chromiumBefore: Set<number>;
const projects: Project[] = [];

beforeAll(async () => {
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is not installed`).toBe(true);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-html-"));
  chromiumBefore = new Set(processesWith(CHROMIUM_MARK));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    // Chromium's profile bits and crash database go to the scratch folder, not the user's home.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(scratch, "config"), XDG_CACHE_HOME: path.join(scratch, "cache") },
    timeout: 60_000,
  });
});

afterAll(async () => {
  await browser?.close();
  for (const p of projects.splice(0)) p.remove();
  // Chromium's helpers (zygotes, renderers, crashpad) exit just after the browser: give them a moment, then none may be left.
  let left: number[] = [];
  for (let i = 0; i < 50; i++) {
    left = processesWith(CHROMIUM_MARK).filter((pid) => !chromiumBefore.has(pid));
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
  expect(left, "Chromium processes left running").toEqual([]);
});

/** Writes the page to disk and opens it by file:// URL, the way a user opens a report. */
async function openReport(html: string, file: string, viewport = { width: 1366, height: 900 }): Promise<{ page: Page; url: string }> {
  fs.writeFileSync(file, html);
  const page = await browser.newPage({ viewport });
  const url = pathToFileURL(file).href;
  await page.goto(url);
  return { page, url };
}

interface MeasuredBar {
  tag: string;
  path: string | null;
  slot: string | null;
  start: string | null;
  duration: string | null;
  status: string | null;
  iteration: string | null;
  attempt: string | null;
  title: string | null;
  href: string | null;
  text: string;
  left: number;
  width: number;
}

interface MeasuredLane {
  slot: string | null;
  left: number;
  width: number;
  bars: MeasuredBar[];
}

interface Measured {
  lanes: MeasuredLane[];
  /** Every bar of the page, in or out of a lane. */
  barCount: number;
  axisSeconds: number;
}

/** Runs in the page: the lanes and bars as laid out, from getBoundingClientRect. */
const MEASURE = `(() => {
  const bar = (el) => {
    const r = el.getBoundingClientRect();
    const d = (name) => el.getAttribute("data-" + name);
    return { tag: el.tagName.toLowerCase(), path: d("path"), slot: d("slot"), start: d("start"), duration: d("duration"), status: d("status"),
      iteration: d("iteration"), attempt: d("attempt"), title: el.getAttribute("title"), href: el.getAttribute("href"), text: el.textContent,
      left: r.left, width: r.width };
  };
  const lanes = [...document.querySelectorAll(".lane")].map((lane) => {
    const r = lane.getBoundingClientRect();
    return { slot: lane.getAttribute("data-slot"), left: r.left, width: r.width, bars: [...lane.querySelectorAll(".bar")].map(bar) };
  });
  return { lanes, barCount: document.querySelectorAll(".bar").length, axisSeconds: Number(document.querySelector(".chart").getAttribute("data-axis-seconds")) };
})()`;

async function measure(page: Page): Promise<Measured> {
  return (await page.evaluate(MEASURE)) as Measured;
}

/**
 * The timeline against the report: one lane per slot, one bar per started
 * execution in its slot's lane, data attributes equal to the entry, and each
 * bar where and as wide as its times say, within 1% of the lane.
 */
function checkTimeline(measured: Measured, report: JsonReport, fileHref: (log: string) => string): void {
  const started = report.files.filter((f) => f.slot >= 0);
  const lastEnd = Math.max(0, ...started.map((f) => f.startSeconds + f.durationSeconds));
  const axis = Math.max(report.wallSeconds, lastEnd);
  expect(measured.axisSeconds).toBeCloseTo(axis, 6);

  expect(measured.lanes.map((l) => l.slot)).toEqual(Array.from({ length: report.workers }, (_, i) => String(i)));
  expect(measured.barCount).toBe(started.length);
  expect(measured.lanes.reduce((sum, l) => sum + l.bars.length, 0)).toBe(started.length);

  for (const lane of measured.lanes) {
    const slot = Number(lane.slot);
    const expected = started.filter((f) => f.slot === slot).sort((a, b) => a.startSeconds - b.startSeconds);
    expect(lane.bars.map((b) => b.path), `lane ${slot}`).toEqual(expected.map((f) => f.path));
    const tolerance = lane.width * 0.01;
    lane.bars.forEach((bar, i) => {
      const entry = expected[i] as JsonFileEntry;
      const what = `${entry.path} (slot ${slot}, attempt ${entry.attempt})`;
      expect(bar, what).toMatchObject({
        path: entry.path,
        slot: String(entry.slot),
        start: String(entry.startSeconds),
        duration: String(entry.durationSeconds),
        status: entry.status,
        iteration: String(entry.iteration),
        attempt: String(entry.attempt),
      });
      expect(Math.abs(bar.left - lane.left - (entry.startSeconds / axis) * lane.width), `${what}: left`).toBeLessThanOrEqual(tolerance);
      const width = Math.max((entry.durationSeconds / axis) * lane.width, MIN_BAR_PX);
      expect(Math.abs(bar.width - width), `${what}: width ${bar.width} vs ${width}`).toBeLessThanOrEqual(Math.max(tolerance, 0.5));
      expect(bar.title, what).toContain(entry.path);
      expect(bar.title, what).toContain(`${Number(entry.durationSeconds.toFixed(3))}s`);
      expect(bar.title, what).toContain(`attempt ${entry.attempt}`);
      if (entry.log === null) expect(bar.href).toBeNull();
      else expect(bar.href, what).toBe(fileHref(entry.log));
      expect(bar.tag).toBe(entry.log === null ? "span" : "a");
    });
    // One worker runs one file at a time: its bars follow each other. A bar widened to the minimum may reach into the next by that much.
    for (let i = 1; i < lane.bars.length; i++) {
      const before = lane.bars[i - 1] as MeasuredBar;
      const after = lane.bars[i] as MeasuredBar;
      expect(before.left + before.width, `lane ${slot}: bar ${i} overlaps the one before`).toBeLessThanOrEqual(after.left + (before.width <= MIN_BAR_PX + 0.5 ? MIN_BAR_PX : 0.5));
      expect(after.left).toBeGreaterThanOrEqual(before.left);
    }
  }
}

const TRICKY = `tests/http/test_<b>&"'.py`;

function entry(fields: Partial<JsonFileEntry> & Pick<JsonFileEntry, "path" | "status" | "slot" | "startSeconds" | "durationSeconds">): JsonFileEntry {
  const iteration = fields.iteration ?? 1;
  const attempt = fields.attempt ?? 1;
  const failed = fields.status === "failed" || fields.status === "timeout";
  return {
    exitCode: fields.status === "timeout" ? null : failed ? 1 : fields.status === "no-tests" ? 5 : 0,
    signal: fields.status === "timeout" ? "SIGKILL" : null,
    iteration,
    attempt,
    tests: { passed: 3, failed: failed ? 1 : 0, skipped: 1, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 },
    cases: [],
    log: `.grimoire/logs/20261122-031500-a1b2c3/${fields.path.replace(/\//g, "_")}.i${iteration}.a${attempt}.log`,
    ...fields,
  };
}

/** Three workers, two iterations, a failure, a timeout, a flaky file's two attempts, an instant file, one never started. */
function realisticReport(): JsonReport {
  const files = [
    entry({ path: "tests/e2e/test_login.py", status: "passed", slot: 0, startSeconds: 0.02, durationSeconds: 3.18 }),
    entry({ path: "tests/http/test_api.py", status: "failed", slot: 1, startSeconds: 0.03, durationSeconds: 3.97 }),
    entry({ path: "tests/e2e/test_search.py", status: "passed", slot: 2, startSeconds: 0.04, durationSeconds: 3.86 }),
    entry({ path: "tests/e2e/test_checkout.py", status: "failed", slot: 0, startSeconds: 3.25, durationSeconds: 5.15 }),
    entry({ path: "tests/e2e/test_login.py", status: "passed", slot: 2, startSeconds: 3.95, durationSeconds: 3.05, iteration: 2 }),
    entry({ path: "tests/http/test_api.py", status: "flaky", slot: 1, startSeconds: 4.05, durationSeconds: 1.95, attempt: 2 }),
    entry({ path: "tests/e2e/test_slow.py", status: "timeout", slot: 1, startSeconds: 6.05, durationSeconds: 6.0, tests: null }),
    entry({ path: "tests/http/test_cart.py", status: "passed", slot: 2, startSeconds: 7.05, durationSeconds: 1.95 }),
    entry({ path: TRICKY, status: "no-tests", slot: 0, startSeconds: 8.45, durationSeconds: 0.002, tests: { passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 } }),
    entry({ path: "tests/e2e/test_search.py", status: "passed", slot: 0, startSeconds: 8.5, durationSeconds: 3.8, iteration: 2 }),
    entry({ path: "tests/e2e/test_reports.py", status: "cancelled", slot: -1, startSeconds: 12.1, durationSeconds: 0, exitCode: null, tests: null, log: null, iteration: 2 }),
  ];
  return { version: 1, runId: "20261122-031500-a1b2c3", exitCode: 1, wallSeconds: 12.4, workers: 3, files };
}

const CREATE_FAILURE = "def test_create():\n>       assert response.status == 201\nE       assert 500 == 201\n\ntests/http/test_api.py:9: AssertionError";

/** The realistic report, with what a failure is debugged from: tests, failures, captured output, artifacts, a server log, flake rates. */
function debuggingReport(): JsonReport {
  const report = realisticReport();
  const logs = ".grimoire/logs/20261122-031500-a1b2c3";
  const api = report.files[1] as JsonFileEntry;
  api.cases = [
    { nodeid: "tests/http/test_api.py::test_list", outcome: "passed", durationSeconds: 0.41 },
    {
      nodeid: "tests/http/test_api.py::test_create[<b>]",
      outcome: "failed",
      durationSeconds: 1.2,
      failures: [
        { when: "call", message: "assert 500 == 201", text: CREATE_FAILURE, sections: [{ title: "Captured stdout call", text: "POST /items -> 500 <script>alert(1)</script>\n" }, { title: "Captured log call", text: "ERROR app: boom" }] },
        { when: "teardown", message: "RuntimeError: db left open", text: null, sections: [] },
      ],
    },
    { nodeid: "tests/http/test_api.py::test_skip", outcome: "skipped", durationSeconds: 0 },
  ];
  api.tests = { passed: 1, failed: 1, skipped: 1, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 };
  api.artifacts = `${logs}/tests_http_test_api.py.artifacts`;
  api.artifactFiles = [`${logs}/tests_http_test_api.py.artifacts/test_create.png`, `${logs}/tests_http_test_api.py.artifacts/trace #1.zip`];
  api.serverLog = `${logs}/tests_http_test_api.py.server.log`;
  const login = report.files[0] as JsonFileEntry;
  login.cases = [{ nodeid: "tests/e2e/test_login.py::test_login", outcome: "passed", durationSeconds: 3.1 }];
  report.flaky = [{ path: "tests/http/test_api.py", runs: 10, failed: 3, tests: [{ nodeid: "tests/http/test_api.py::test_create[<b>]", runs: 10, failed: 3 }] }];
  report.coverage = { totalPercent: 87.5, precision: 1, failUnder: 90, judged: true, failed: true, settings: { source: ["shop"], report: {}, config: ".coveragerc", branch: null, precision: 1, failUnder: 90, append: false, noCovOnFail: false } };
  return report;
}

const STATUSES: readonly FileStatus[] = ["passed", "failed", "timeout", "cancelled", "no-tests", "flaky"];

/** The helpers' loosely typed report, checked into the contract's type. */
function asJsonReport(file: JsonReportFile): JsonReport {
  expect(file.version).toBe(1);
  for (const f of file.files) expect(STATUSES).toContain(f.status);
  return { ...file, version: 1, files: file.files.map((f) => ({ ...f, status: f.status as FileStatus, cases: f.cases.map((c) => ({ ...c, outcome: c.outcome as TestOutcome })) })) };
}

describe("the HTML report", () => {
  it("draws the timeline, the header and the table of a report, every string kept as text", async () => {
    const report = realisticReport();
    const fileHref = (log: string): string => `logs/${log.split("/").map(encodeURIComponent).join("/")}`;
    const file = path.join(scratch, "report.html");
    const html = renderHtmlReport(report, { fileHref });
    // The instant file's duration is text, its "<" escaped: a raw one was invalid HTML (a helper's trial).
    expect(html).toContain(">&lt;0.01s</td>");
    expect(html).not.toMatch(/><0\.01s/);
    const { page, url } = await openReport(html, file);
    try {
      checkTimeline(await measure(page), report, fileHref);

      // The tiny file still shows as a bar, at the minimum width.
      const tiny = (await measure(page)).lanes[0]?.bars.find((b) => b.path === TRICKY);
      expect(tiny?.width).toBeGreaterThanOrEqual(MIN_BAR_PX - 0.5);

      // The file that never started is listed, not drawn.
      const notStarted = page.locator(".not-started li");
      await expect(notStarted.count()).resolves.toBe(1);
      await expect(notStarted.first().getAttribute("data-path")).resolves.toBe("tests/e2e/test_reports.py");
      await expect(notStarted.first().textContent()).resolves.toContain("tests/e2e/test_reports.py");

      // The path with markup in it is text everywhere: no element made of it, its characters shown as they are.
      await expect(page.locator("b").count()).resolves.toBe(0);
      await expect(page.locator(`tbody.run[data-path="${TRICKY.replace(/["\\]/g, "\\$&")}"] td.path`).textContent()).resolves.toBe(TRICKY);
      expect(tiny?.text).toContain(`test_<b>&"'.py`);

      // The header: verdict, counts of files by their last attempt, test totals.
      await expect(page.locator(".verdict").textContent()).resolves.toMatch(/FAILED\s+exit code 1/);
      const chips = Object.fromEntries(
        await Promise.all(STATUSES.map(async (s) => [s, Number(await page.locator(`.chip[data-status="${s}"] strong`).textContent())] as const)),
      );
      expect(chips).toEqual({ passed: 5, flaky: 1, "no-tests": 1, failed: 1, timeout: 1, cancelled: 1 });
      await expect(page.locator(".tests-total").textContent()).resolves.toBe("21 passed, 1 failed, 7 skipped");
      await expect(page.locator("header").textContent()).resolves.toContain("20261122-031500-a1b2c3");

      // The table: one row per entry, what went wrong first, then by start.
      const rows = page.locator("tbody.run");
      await expect(rows.count()).resolves.toBe(report.files.length);
      const order = await Promise.all(
        Array.from({ length: report.files.length }, async (_, i) => `${await rows.nth(i).getAttribute("data-status")} ${await rows.nth(i).getAttribute("data-path")}`),
      );
      expect(order.slice(0, 4)).toEqual(["failed tests/http/test_api.py", "failed tests/e2e/test_checkout.py", "timeout tests/e2e/test_slow.py", "cancelled tests/e2e/test_reports.py"]);
      await expect(rows.first().locator("a.log-link").getAttribute("href")).resolves.toBe(fileHref(report.files[1]?.log as string));
      await expect(rows.nth(3).locator("a").count()).resolves.toBe(0);

      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Following a bar's link opens its log.
      const checkout = report.files[3] as JsonFileEntry;
      const logFile = path.join(scratch, "logs", checkout.log as string);
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      fs.writeFileSync(logFile, "E   assert 1 == 2\n");
      await page.locator(`.bar[data-path="tests/e2e/test_checkout.py"]`).click();
      await page.waitForURL((u) => u.href !== url);
      expect(page.url()).toBe(pathToFileURL(logFile).href);
      await expect(page.locator("body").textContent()).resolves.toContain("assert 1 == 2");
    } finally {
      await page.close();
    }
  });

  it("draws the report of a real run as the JSON report says", async () => {
    const sleeps = [0.2, 0.5, 0.8, 1.0];
    const files: Record<string, string> = {};
    sleeps.forEach((s, i) => (files[`tests/http/test_sleep_${i}.py`] = `import time\n\ndef test_sleep():\n    time.sleep(${s})\n`));
    const p = makeProject(files);
    projects.push(p);

    const result = await runCli(["--parallel", "-n", "2", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = asJsonReport(readReport(p, "r.json"));
    expect(report.files).toHaveLength(4);
    expect(report.workers).toBe(2);

    const fileHref = (log: string): string => log;
    const { page, url } = await openReport(renderHtmlReport(report, { fileHref }), path.join(p.root, "report.html"));
    try {
      const measured = await measure(page);
      checkTimeline(measured, report, fileHref);
      // Within each lane, the bars run in the order the JSON report says the worker started them.
      for (const lane of measured.lanes) {
        const starts = lane.bars.map((b) => Number(b.start));
        expect(starts).toEqual([...starts].sort((a, b) => a - b));
        expect(lane.bars.map((b) => b.path)).toEqual(
          report.files
            .filter((f) => String(f.slot) === lane.slot)
            .sort((a, b) => a.startSeconds - b.startSeconds)
            .map((f) => f.path),
        );
      }
      await expect(page.locator(".verdict").textContent()).resolves.toContain("PASSED");

      // The log links, relative to the project root where the page is, open the real logs.
      const first = report.files[0] as JsonFileEntry;
      await page.locator(`.bar[data-path="${first.path}"]`).click();
      await page.waitForURL((u) => u.href !== url);
      expect(page.url()).toBe(pathToFileURL(path.join(p.root, first.log as string)).href);
      await expect(page.locator("body").textContent()).resolves.toMatch(/1 passed/);
    } finally {
      await page.close();
    }
  });

  it("shows each test under its file, a failure's message, report and captured output, flake rates, and every link", async () => {
    const report = debuggingReport();
    const fileHref = (file: string): string => `files/${file.split("/").map(encodeURIComponent).join("/")}`;
    const { page } = await openReport(renderHtmlReport(report, { fileHref }), path.join(scratch, "debug.html"));
    try {
      const api = page.locator(`tbody.run[data-path="tests/http/test_api.py"][data-status="failed"]`);
      // A failed file's tests are open; a passing file's are folded.
      await expect(api.locator("details.tests").getAttribute("open")).resolves.not.toBeNull();
      await expect(api.locator("details.tests > summary").textContent()).resolves.toBe("3 tests: 1 passed, 1 failed, 1 skipped");
      const cases = api.locator("tr.case");
      await expect(cases.count()).resolves.toBe(3);
      expect(await cases.evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-outcome"), r.querySelector(".nodeid")?.textContent?.trim()]))).toEqual([
        ["passed", "test_list"],
        ["failed", "test_create[<b>] flaky 30%"],
        ["skipped", "test_skip"],
      ]);
      const failure = api.locator("tr.failure-row .failure");
      await expect(failure.count()).resolves.toBe(2);
      await expect(failure.first().locator(".message").textContent()).resolves.toBe("call assert 500 == 201");
      await expect(failure.first().locator("pre.longrepr").isVisible()).resolves.toBe(true);
      await expect(failure.first().locator("pre.longrepr").textContent()).resolves.toBe(CREATE_FAILURE);
      // Captured output is one click away, and stays text: no element is made of it.
      const stdout = failure.first().locator("details.captured").first();
      await expect(stdout.locator("summary").textContent()).resolves.toBe("Captured stdout call");
      await expect(stdout.locator("pre").isVisible()).resolves.toBe(false);
      await stdout.locator("summary").click();
      await expect(stdout.locator("pre").textContent()).resolves.toBe("POST /items -> 500 <script>alert(1)</script>\n");
      await expect(page.locator("script, b").count()).resolves.toBe(0);
      // A failure past the process's budget of details keeps its message, and says where the rest is.
      await expect(failure.nth(1).textContent()).resolves.toMatch(/^teardown RuntimeError: db left open\(the rest of this failure is in the log/);

      const login = page.locator(`tbody.run[data-path="tests/e2e/test_login.py"][data-iteration], tbody.run[data-path="tests/e2e/test_login.py"]`).first();
      await expect(login.locator("details.tests").getAttribute("open")).resolves.toBeNull();
      await expect(login.locator("tr.case").first().isVisible()).resolves.toBe(false);
      await login.locator("details.tests > summary").click();
      await expect(login.locator("tr.case").first().isVisible()).resolves.toBe(true);

      // Flake rates from the history: the file, its test, and the header.
      await expect(api.locator("td.path .flake").textContent()).resolves.toBe("flaky 30%");
      await expect(api.locator("td.path .flake").getAttribute("title")).resolves.toBe("this file failed 3 of its last 10 runs");
      await expect(page.locator(".flaky-total").textContent()).resolves.toBe("1 file");
      // The run's combined coverage, and the threshold's verdict.
      await expect(page.locator(".coverage-total").textContent()).resolves.toBe("87.5% required 90%: not reached");
      await expect(page.locator(".coverage-total .alarm").count()).resolves.toBe(1);

      // The log, the server's log, the artifacts folder and each file in it.
      const entry = report.files[1] as JsonFileEntry;
      await expect(api.locator("a.log-link").getAttribute("href")).resolves.toBe(fileHref(entry.log as string));
      await expect(api.locator("a.server-log-link").getAttribute("href")).resolves.toBe(fileHref(entry.serverLog as string));
      await expect(api.locator("a.artifacts-link").getAttribute("href")).resolves.toBe(fileHref(entry.artifacts as string));
      expect(await api.locator("a.artifact-link").evaluateAll((links) => links.map((a) => [a.textContent, a.getAttribute("href")]))).toEqual(
        (entry.artifactFiles ?? []).map((f) => [f.slice(f.lastIndexOf("/") + 1), fileHref(f)]),
      );
      await page.screenshot({ path: "/tmp/grimoire-report-debug.png", fullPage: true });
    } finally {
      await page.close();
    }
  });

  it("filters the executions by status without script, and says when a group is empty", async () => {
    const report = debuggingReport();
    const { page } = await openReport(renderHtmlReport(report, { fileHref: (f) => f }), path.join(scratch, "filters.html"));
    const visible = async (): Promise<string[]> =>
      page.locator("tbody.run").evaluateAll((rows) => rows.filter((r) => r.getClientRects().length > 0).map((r) => `${r.getAttribute("data-status")} ${r.getAttribute("data-path")}`));
    try {
      await expect(visible()).resolves.toHaveLength(report.files.length);
      const counts = await page.locator(".filters label").evaluateAll((labels) => labels.map((l) => [l.getAttribute("data-filter"), l.querySelector(".n")?.textContent]));
      expect(counts).toEqual([["all", "11"], ["failures", "3"], ["flaky", "2"], ["passed", "6"], ["cancelled", "1"]]);

      await page.locator('label[for="show-failures"]').click();
      expect((await visible()).sort()).toEqual(["failed tests/e2e/test_checkout.py", "failed tests/http/test_api.py", "timeout tests/e2e/test_slow.py"]);
      // The history makes the first, failed attempt of a flaky file flaky too.
      await page.locator('label[for="show-flaky"]').click();
      expect((await visible()).sort()).toEqual(["failed tests/http/test_api.py", "flaky tests/http/test_api.py"]);
      await page.locator('label[for="show-cancelled"]').click();
      expect(await visible()).toEqual(["cancelled tests/e2e/test_reports.py"]);
      await expect(page.locator(".empty-filter").isVisible()).resolves.toBe(false);
      // The keyboard reaches the filters too.
      await page.locator("#show-cancelled").focus();
      await page.keyboard.press("ArrowRight");
      await expect(page.locator("#show-all").isChecked()).resolves.toBe(true);
      await expect(visible()).resolves.toHaveLength(report.files.length);
    } finally {
      await page.close();
    }

    const green: JsonReport = { ...report, exitCode: 0, flaky: [], files: report.files.filter((f) => f.status === "passed") };
    const { page: greenPage } = await openReport(renderHtmlReport(green, { fileHref: (f) => f }), path.join(scratch, "green.html"));
    try {
      await greenPage.locator('label[for="show-failures"]').click();
      await expect(greenPage.locator(".empty-filter").isVisible()).resolves.toBe(true);
      await expect(greenPage.locator(".empty-filter").textContent()).resolves.toBe("No file in this group.");
    } finally {
      await greenPage.close();
    }
  });

  it("shows a real run's failure as pytest reported it, with what the test printed and the screenshot it saved", async () => {
    const p = makeProject({
      "tests/http/test_debug.py": [
        "import os, pathlib",
        "",
        "def test_ok():",
        "    pass",
        "",
        "def test_broken():",
        "    print('about to fail')",
        "    folder = pathlib.Path(os.environ['GRIMOIRE_ARTIFACTS_DIR'])",
        "    folder.mkdir(parents=True, exist_ok=True)",
        "    (folder / 'shot.png').write_bytes(b'not really a png')",
        "    assert {'a': 1} == {'a': 2}",
        "",
      ].join("\n"),
      "tests/http/test_fine.py": "def test_fine():\n    pass\n",
    });
    projects.push(p);
    const result = await runCli(["--parallel", "--report-html", "report.html", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const json = readReport(p, "r.json");
    const page = await browser.newPage();
    try {
      const url = pathToFileURL(path.join(p.root, "report.html")).href;
      await page.goto(url);
      const debug = page.locator(`tbody.run[data-path="tests/http/test_debug.py"]`);
      await expect(debug.locator("tr.case").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-outcome")))).resolves.toEqual(["passed", "failed"]);
      await expect(debug.locator(".failure .message code").textContent()).resolves.toMatch(/^AssertionError: assert \{'a': 1\} == \{'a': 2\}/);
      await expect(debug.locator("pre.longrepr").textContent()).resolves.toMatch(/def test_broken\(\):[\s\S]*>\s+assert \{'a': 1\} == \{'a': 2\}[\s\S]*tests\/http\/test_debug\.py:11: AssertionError/);
      await debug.locator("details.captured summary").click();
      await expect(debug.locator("details.captured pre").textContent()).resolves.toBe("about to fail\n");
      // The JSON report holds the same, for merge-reports to draw it again.
      const failed = json.files.find((f) => f.path === "tests/http/test_debug.py")?.cases.find((c) => c.outcome === "failed") as { failures?: { message: string }[] };
      expect(failed.failures?.[0]?.message).toMatch(/^AssertionError: assert/);

      await page.locator('label[for="show-failures"]').click();
      await expect(page.locator("tbody.run[data-path='tests/http/test_fine.py']").isVisible()).resolves.toBe(false);
      await debug.locator("a.artifact-link").click();
      await page.waitForURL((u) => u.href !== url);
      expect(decodeURIComponent(page.url())).toMatch(/\/\.grimoire\/logs\/[^/]+\/tests_http_test_debug\.py\.artifacts\/shot\.png$/);
    } finally {
      await page.close();
    }
  });

  it("makes no network request: the file:// document is all it loads", async () => {
    const file = path.join(scratch, "offline.html");
    fs.writeFileSync(file, renderHtmlReport(realisticReport(), { title: "offline <check>", fileHref: (log) => log }));
    const url = pathToFileURL(file).href;
    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    try {
      await page.goto(url, { waitUntil: "networkidle" });
      await page.locator(".bar").first().hover();
      await page.emulateMedia({ media: "print" });
      await page.waitForTimeout(200);
      expect(requests).toEqual([url]);
      // The Content Security Policy would report anything it blocked (an inline style it disallowed, a fetch) here.
      expect(problems).toEqual([]);
      await expect(page.title()).resolves.toBe("offline <check>");
    } finally {
      await page.close();
    }
  });
});
