/**
 * What a parallel run's files set up once per session, each for itself (its
 * session-scoped fixtures), read from their records and added up, and when
 * that is worth a hint: --browser-server for Playwright's, --pack for the rest.
 */
import { describe, expect, it } from "vitest";
import { SessionFixtureTally } from "../../src/exec/sessionFixtures.js";
import { parseRecords, type SessionFixture } from "../../src/exec/testRecords.js";

function fixture(name: string, seconds: number, extra: Partial<SessionFixture> = {}): SessionFixture {
  return { name, where: "tests/conftest.py", seconds, teardownSeconds: 0, playwright: false, browser: null, executable: null, ...extra };
}

const BROWSER = fixture("browser", 0.9, { where: "tests/e2e/conftest.py", playwright: true, browser: "chromium" });

describe("session fixtures in a process's records", () => {
  it("reads each fixture's name, place, time and what Playwright made, and skips what is not one", () => {
    const text = [
      { t: "session-fixtures", fixtures: [{ name: "db", where: "tests/conftest.py", seconds: 1.5 }, { name: "browser", where: "pytest_playwright.pytest_playwright", seconds: 0.8, playwright: true, browser: "firefox" }, { name: "own", seconds: 0.7, playwright: true, browser: "chromium", executable: "/usr/bin/chromium" }, { name: "bad", seconds: "slow" }, { seconds: 1 }, null, { name: "negative", seconds: -2 }] },
      { t: "finish", exitstatus: 0 },
    ]
      .map((line) => JSON.stringify(line))
      .join("\n");
    expect(parseRecords(text).sessionFixtures).toEqual([
      { name: "db", where: "tests/conftest.py", seconds: 1.5, teardownSeconds: 0, playwright: false, browser: null, executable: null },
      { name: "browser", where: "pytest_playwright.pytest_playwright", seconds: 0.8, teardownSeconds: 0, playwright: true, browser: "firefox", executable: null },
      { name: "own", where: "", seconds: 0.7, teardownSeconds: 0, playwright: true, browser: "chromium", executable: "/usr/bin/chromium" },
    ]);
  });

  it("adds each fixture's teardown, at the session's end, to its set-up: one with a quick set-up is there by its teardown", () => {
    const text = [
      { t: "session-fixtures", fixtures: [{ name: "db", where: "tests/conftest.py", seconds: 1.5 }] },
      { t: "session-fixture-teardown", name: "db", where: "tests/conftest.py", seconds: 0.25 },
      { t: "session-fixture-teardown", name: "httpserver", where: "pytest_httpserver.pytest_plugin", seconds: 0.5 },
      { t: "session-fixture-teardown", name: "bad", seconds: "slow" },
    ]
      .map((line) => JSON.stringify(line))
      .join("\n");
    expect(parseRecords(text).sessionFixtures).toEqual([
      { name: "db", where: "tests/conftest.py", seconds: 1.75, teardownSeconds: 0.25, playwright: false, browser: null, executable: null },
      { name: "httpserver", where: "pytest_httpserver.pytest_plugin", seconds: 0.5, teardownSeconds: 0.5, playwright: false, browser: null, executable: null },
    ]);
  });

  it("is empty when the process set none up", () => {
    expect(parseRecords(JSON.stringify({ t: "finish", exitstatus: 0 })).sessionFixtures).toEqual([]);
  });
});

describe("the hint for --browser-server", () => {
  it("names the launches, their time and the fixture, and how a conftest's own fixture connects", () => {
    const tally = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 8; i++) tally.add([BROWSER], 1.6);
    expect(tally.hints()).toEqual([
      "8 files each started Playwright and a browser in their own process: 7.2 s in all (session fixtures: browser of tests/e2e/conftest.py, 0.9 s a file), where one plain pytest session starts them once. " +
        '--browser-server chromium starts one browser for the run, which every file\'s tests connect to, each test in a fresh context as before; a conftest\'s own fixture connects to it with playwright.chromium.connect(os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"]) where that variable is set, and launches as before where it is not; see grimoire-run\'s docs/playwright.md',
    ]);
  });

  it("names the browser the tests launched from a path of their own, which the served one must be too", () => {
    const tally = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 4; i++) tally.add([{ ...BROWSER, executable: "/usr/bin/chromium" }], 1.6);
    expect(tally.hints()[0]).toContain("--browser-server chromium --browser-executable /usr/bin/chromium starts one browser for the run");
    const spaced = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 4; i++) spaced.add([{ ...BROWSER, executable: "/opt/my browsers/chrome" }], 1.6);
    expect(spaced.hints()[0]).toContain("--browser-server chromium --browser-executable '/opt/my browsers/chrome' starts");
    const two = new SessionFixtureTally(2, false, false);
    for (const executable of ["/usr/bin/chromium", "/opt/chrome/chrome", "/usr/bin/chromium", null]) two.add([{ ...BROWSER, executable }], 1.6);
    expect(two.hints()[0]).toContain("--browser-server chromium starts one browser");
  });

  it("leaves the connecting to pytest-playwright where its fixtures launched, and names the engine they launched", () => {
    const tally = new SessionFixtureTally(2, false, false);
    const where = "pytest_playwright.pytest_playwright";
    for (let i = 0; i < 4; i++) tally.add([fixture("playwright", 0.5, { where, playwright: true }), fixture("browser", 0.7, { where, playwright: true, browser: "webkit" })], 2);
    const [hint] = tally.hints();
    expect(hint).toMatch(/^4 files each started Playwright and a browser in their own process: 4\.8 s in all \(session fixtures: browser of pytest_playwright\.pytest_playwright, 0\.7 s a file; playwright of pytest_playwright\.pytest_playwright, 0\.5 s a file\)/);
    expect(hint).toContain("--browser-server webkit starts one browser for the run");
    expect(hint).not.toContain("GRIMOIRE_BROWSER_WS_ENDPOINT");
  });

  it("counts a browser for each pair of worker slots, which launches no fewer than the files would", () => {
    const four = new SessionFixtureTally(4, false, false);
    for (let i = 0; i < 8; i++) four.add([BROWSER], 1.6);
    expect(four.hints()[0]).toContain("--browser-server chromium starts a browser for each pair of worker slots (2 here), which every file's tests connect to");
    const asMany = new SessionFixtureTally(4, false, false);
    for (let i = 0; i < 2; i++) asMany.add([fixture("browser", 5, { playwright: true })], 6);
    expect(asMany.hints()).toEqual([]);
  });

  it("says nothing under --browser-server, for one file, or for launches worth less than a second or a twentieth of the run", () => {
    const served = new SessionFixtureTally(2, true, false);
    const one = new SessionFixtureTally(2, false, false);
    const quick = new SessionFixtureTally(2, false, false);
    const small = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 8; i++) served.add([BROWSER], 1.6);
    one.add([fixture("browser", 5, { playwright: true })], 6);
    for (let i = 0; i < 3; i++) quick.add([fixture("browser", 0.4, { playwright: true })], 1);
    for (let i = 0; i < 4; i++) small.add([BROWSER], 60);
    for (const tally of [served, one, quick, small]) expect(tally.hints()).toEqual([]);
  });
});

describe("the hint for --pack", () => {
  it("names the fixtures, costliest first, the files, and a --pack-under every file that set them up is under", () => {
    const tally = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 5; i++) tally.add([fixture("schema", 2), fixture("app", 0.25, { where: "tests/http/conftest.py" })], 3.1);
    tally.add([fixture("schema", 2)], 4.6);
    tally.add([], 0.3);
    expect(tally.namesPack()).toBe(true);
    expect(tally.hints()).toEqual([
      "6 files each set up session-scoped fixtures in their own process: 13.3 s in all (schema of tests/conftest.py, 2.0 s a file; app of tests/http/conftest.py, 0.3 s a file), where one plain pytest session sets them up once. " +
        "Files that share a process share them: --pack --pack-under 5 runs the files under 5 s (these took up to 4.6 s) in shared processes, a worker's share at a time, each still reported on its own; files in a pack share module state, so keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md",
    ]);
  });

  it("counts a fixture's teardown, at the session's end, and says how much of the time it took (pytest-httpserver's server stops in 0.5 s)", () => {
    const tally = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 10; i++) tally.add([fixture("httpserver", 0.5, { where: "pytest_httpserver.pytest_plugin", teardownSeconds: 0.5 })], 0.6);
    const [hint] = tally.hints();
    expect(hint).toMatch(/^10 files each set up session-scoped fixtures in their own process: 5\.0 s in all, 5\.0 s of it their teardown at the session's end \(httpserver of pytest_httpserver\.pytest_plugin, 0\.5 s a file\), .*--pack --pack-under 1 /);
  });

  it("names three fixtures and counts the rest", () => {
    const tally = new SessionFixtureTally(1, false, false);
    for (let i = 0; i < 3; i++) tally.add(["a", "b", "c", "d", "e"].map((name, at) => fixture(name, 1 - at / 10)), 5);
    expect(tally.hints()[0]).toContain("(a of tests/conftest.py, 1.0 s a file; b of tests/conftest.py, 0.9 s a file; c of tests/conftest.py, 0.8 s a file; and 2 more)");
    // One only one file set up is said as that file's (datasette's trial read "22.2 s a file" as several files').
    tally.add([fixture("app_client", 22.2)], 25);
    expect(tally.hints()[0]).toContain("(app_client of tests/conftest.py, 22.2 s in 1 file; a of tests/conftest.py, 1.0 s a file;");
  });

  it("needs three files a worker, and what a pack saves beyond one file a worker to be worth a hint", () => {
    const few = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 5; i++) few.add([fixture("schema", 3)], 3.5);
    expect(few.namesPack()).toBe(false);
    const enough = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 6; i++) enough.add([fixture("schema", 3)], 3.5);
    expect(enough.namesPack()).toBe(true);
    // 6 files of 0.2 s at 2 workers: a pack saves 0.8 s.
    const quick = new SessionFixtureTally(2, false, false);
    for (let i = 0; i < 6; i++) quick.add([fixture("schema", 0.2)], 0.5);
    expect(quick.namesPack()).toBe(false);
  });

  it("says nothing of --pack in a run that packs already, or where another hint names it, and keeps the browser's apart", () => {
    const packing = new SessionFixtureTally(1, false, true);
    for (let i = 0; i < 6; i++) packing.add([fixture("schema", 3)], 3.5);
    expect(packing.namesPack()).toBe(false);
    expect(packing.hints()).toEqual([]);
    const both = new SessionFixtureTally(1, false, false);
    for (let i = 0; i < 6; i++) both.add([fixture("schema", 3), BROWSER], 4.5);
    expect(both.hints().map((hint) => hint.split(":")[0])).toEqual(["6 files each started Playwright and a browser in their own process", "6 files each set up session-scoped fixtures in their own process"]);
    expect(both.hints(true)).toHaveLength(1);
    expect(both.hints()[1]).toContain("(schema of tests/conftest.py, 3.0 s a file)");
  });
});

describe("the --pack-under the hint names", () => {
  it("is that of the files the fixtures took a tenth of the time or more: a long file with a quick fixture is left alone", () => {
    const tally = new SessionFixtureTally(1, false, false);
    for (let i = 0; i < 3; i++) tally.add([fixture("schema", 1)], 2.5);
    tally.add([fixture("schema", 1)], 40);
    expect(tally.hints()[0]).toContain("--pack --pack-under 3 runs the files under 3 s (these took up to 2.5 s)");
  });

  it("is not named where the fixtures took under a tenth of every file's time: no file a pack would speed up much", () => {
    const tally = new SessionFixtureTally(1, false, false);
    for (let i = 0; i < 10; i++) tally.add([fixture("schema", 0.9)], 10);
    expect(tally.namesPack()).toBe(false);
    expect(tally.hints()).toEqual([]);
  });
});

describe("the notice during the run", () => {
  it("says once, from the first files, what setting the fixtures up in each file will add to the rest of the run", () => {
    const tally = new SessionFixtureTally(2, false, false, 100);
    tally.add([fixture("postgres", 4)], 5);
    expect(tally.early()).toBeNull();
    tally.add([fixture("postgres", 4)], 5.5);
    expect(tally.early()).toBe(
      "Session-scoped fixtures are being set up by each file's process for itself: 8.0 s over the first 2 files that set them up (of their 10.5 s; postgres of tests/conftest.py, 4.0 s a file); " +
        "at that pace they add about 196 s more to the run over the 98 files left (2 at a time). Files that share a process set them up once: stop the run (Ctrl-C) and start it with --pack --pack-under 6 (these took up to 5.5 s), or let it go on: its end says it again, from every file's figures",
    );
    tally.add([fixture("postgres", 4)], 5);
    expect(tally.early()).toBeNull();
  });

  it("says nothing when the rest would gain under a minute, the fixtures are a small share of the files' time, the run packs, or they are Playwright's", () => {
    const short = new SessionFixtureTally(2, false, false, 20);
    const small = new SessionFixtureTally(2, false, false, 1000);
    const packing = new SessionFixtureTally(2, false, true, 100);
    const browsers = new SessionFixtureTally(2, false, false, 1000);
    for (let i = 0; i < 2; i++) {
      short.add([fixture("postgres", 4)], 5);
      small.add([fixture("schema", 1)], 10);
      packing.add([fixture("postgres", 4)], 5);
      browsers.add([BROWSER], 1.6);
    }
    for (const tally of [short, small, packing, browsers]) expect(tally.early()).toBeNull();
  });
});
