/**
 * One computation of the numbers every report shows, so that the console,
 * the HTML page and the GitHub job summary cannot disagree.
 */
import { describe, expect, it } from "vitest";
import { githubSummary } from "../../src/report/githubReporter.js";
import { summariseRun } from "../../src/report/runSummary.js";
import { formatSummary } from "../../src/report/summary.js";
import { describeRate } from "../../src/report/flaky.js";
import { formatSeconds } from "../../src/format.js";
import { palette } from "../../src/report/style.js";
import type { RunReport } from "../../src/model.js";
import { fileResult } from "../helpers/results.js";

const counts = (passed: number, failed: number) => ({ passed, failed, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 });

const report: RunReport = {
  version: 1,
  runId: "r",
  exitCode: 1,
  wallSeconds: 10,
  workers: 2,
  files: [
    fileResult({ path: "a.py", status: "failed", attempt: 1, tests: counts(1, 1), durationSeconds: 2 }),
    fileResult({ path: "a.py", status: "flaky", attempt: 2, tests: counts(2, 0), durationSeconds: 2 }),
    fileResult({ path: "b.py", status: "failed", tests: counts(0, 3), durationSeconds: 1 }),
    fileResult({ path: "c.py", status: "cancelled", tests: null, log: null, slot: -1, durationSeconds: 0 }),
    fileResult({ path: "d.py", status: "cancelled", tests: null, log: "d.log", durationSeconds: 1 }),
    fileResult({ path: "e.py", status: "timeout", tests: null, durationSeconds: 4 }),
  ],
};

describe("the run's summary", () => {
  it("counts the last attempt of each file, tests as pytest counts them, and failures apart from cancellations", () => {
    const summary = summariseRun(report.files);
    expect(summary.finals.map((r) => r.path)).toEqual(["a.py", "b.py", "c.py", "d.py", "e.py"]);
    expect(summary.retriedAttempts).toBe(1);
    expect(summary.byStatus).toEqual({ passed: 0, failed: 1, timeout: 1, cancelled: 2, "no-tests": 0, flaky: 1 });
    expect(summary.tests).toEqual(counts(2, 3));
    expect(summary.withoutReport).toBe(1);
    expect(summary.failures.map((r) => r.path)).toEqual(["b.py", "e.py"]);
    expect(summary.cancelled.running.map((r) => r.path)).toEqual(["d.py"]);
    expect(summary.cancelled.notStarted.map((r) => r.path)).toEqual(["c.py"]);
    expect(summary.summedSeconds).toBe(10);
  });

  it("is what the console and the GitHub job summary say: two failed, two cancelled, not four failed", () => {
    const console = formatSummary(report, { colours: palette(false), stopped: null }).join("\n");
    expect(console).toMatch(/5 files: 1 flaky, 1 failed, 1 timed out, 2 cancelled/);
    expect(githubSummary(report)).toMatch(/5 files, 2 failed, 1 flaky, 2 cancelled · tests: 2 passed, 3 failed/);
  });

  it("says how many failed files had no failing test, beside a Tests line that counts none failed (an internal error at a session's start)", () => {
    const internal = fileResult({ path: "b.py", status: "failed", tests: counts(0, 0), durationSeconds: 1, tail: ["INTERNALERROR> RuntimeError: boom"] });
    const passing = fileResult({ path: "a.py", status: "passed", tests: counts(4, 0), durationSeconds: 1 });
    const failing = fileResult({ path: "c.py", status: "failed", tests: counts(1, 1), durationSeconds: 1 });
    const tests = (files: RunReport["files"]) => formatSummary({ ...report, files }, { colours: palette(false), stopped: null }).find((line) => line.startsWith("Tests: "));
    expect(tests([passing, internal])).toBe("Tests: 4 passed, 0 failed, 0 skipped; 1 file failed with no test failing (reasons below)");
    expect(tests([passing, internal, { ...internal, path: "d.py" }, failing])).toBe("Tests: 5 passed, 1 failed, 0 skipped; 2 files failed with no test failing (reasons below)");
    expect(tests([passing, failing])).toBe("Tests: 5 passed, 1 failed, 0 skipped");
  });

  it("tells files whose every test the selection left out from files that hold none", () => {
    const none = { passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 };
    const deselected = fileResult({ path: "a.py", status: "no-tests", tests: { ...none, deselected: 3 } });
    const empty = fileResult({ path: "b.py", status: "no-tests", tests: none });
    const passed = fileResult({ path: "c.py", status: "passed", tests: { ...none, passed: 1, deselected: 1 } });
    const files = (results: RunReport["files"]) => formatSummary({ ...report, files: results }, { colours: palette(false), stopped: null }).find((line) => /^\d+ files?: /.test(line));
    expect(files([deselected, passed])).toBe("2 files: 1 passed, 1 no tests (every test deselected)");
    expect(files([deselected, empty, passed])).toBe("3 files: 1 passed, 2 no tests (1 of them with every test deselected)");
    expect(files([empty, passed])).toBe("2 files: 1 passed, 1 no tests");
  });

  it("says a port was taken when a failed test's report says so, however far from the file's last lines (a fixture's traceback)", () => {
    const hint = /A port was already in use: files that run at once cannot share a fixed port/;
    const taken = fileResult({
      path: "a.py",
      status: "failed",
      tail: ["=== 1 error in 0.2s ==="],
      cases: [{ nodeid: "a.py::test_a", outcome: "error", seconds: 0.1, failures: [{ when: "setup", message: "OSError: [Errno 98] Address already in use", text: null, sections: [] }] }],
    });
    const quiet = fileResult({ path: "b.py", status: "failed", tail: ["=== 1 failed ==="], cases: [{ nodeid: "b.py::test_b", outcome: "failed", seconds: 0.1, failures: [{ when: "call", message: "assert 1 == 2", text: "E   assert 1 == 2", sections: [] }] }] });
    expect(formatSummary({ ...report, files: [taken] }, { colours: palette(false), stopped: null }).join("\n")).toMatch(hint);
    expect(formatSummary({ ...report, files: [quiet] }, { colours: palette(false), stopped: null }).join("\n")).not.toMatch(hint);
    // Said on the test's captured stderr alone, by a server thread, while the test failed on something else (python-socketio's).
    const captured = fileResult({
      path: "c.py",
      status: "failed",
      tail: ["=== 1 failed ==="],
      cases: [{ nodeid: "c.py::test_c", outcome: "failed", seconds: 0.1, failures: [{ when: "call", message: "ConnectionResetError: [Errno 104] Connection reset by peer", text: "E   ConnectionResetError", sections: [{ title: "Captured stderr call", text: "ERROR: [Errno 98] error while attempting to bind on address ('127.0.0.1', 8900): address already in use\n" }] }] }],
    });
    expect(formatSummary({ ...report, files: [captured] }, { colours: palette(false), stopped: null }).join("\n")).toMatch(hint);
  });

  it("says files at once cannot share a SQLite file when SQLite found another process's tables or lock (sqladmin's test.db)", () => {
    const hint = /SQLite found a table gone or already there, or its database locked: files that run at once cannot share one SQLite file .*GRIMOIRE_SLOT/;
    const failing = (message: string) =>
      fileResult({ path: "a.py", status: "failed", tail: ["=== 1 error ==="], cases: [{ nodeid: "a.py::test_a", outcome: "error", seconds: 0.1, failures: [{ when: "setup", message, text: null, sections: [] }] }] });
    for (const message of ["sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) table product already exists", "sqlite3.OperationalError: no such table: users", "django.db.utils.OperationalError: database is locked"]) {
      expect(formatSummary({ ...report, files: [failing(message)] }, { colours: palette(false), stopped: null }).join("\n"), message).toMatch(hint);
    }
    expect(formatSummary({ ...report, files: [failing("ValueError: table product already exists in the catalogue")] }, { colours: palette(false), stopped: null }).join("\n")).not.toMatch(hint);
    // One file at a time shares nothing.
    expect(formatSummary({ ...report, workers: 1, files: [failing("sqlite3.OperationalError: no such table: users")] }, { colours: palette(false), stopped: null }).join("\n")).not.toMatch(hint);
  });

  it("says why a run of passing and flaky files failed: flaky files fail it (--flaky-result fail, CI's default)", () => {
    const flakyOnly: RunReport = { ...report, exitCode: 1, files: [fileResult({ path: "a.py", status: "failed", attempt: 1 }), fileResult({ path: "a.py", status: "flaky", attempt: 2 }), fileResult({ path: "b.py" })] };
    const console = formatSummary(flakyOnly, { colours: palette(false), stopped: null }).join("\n");
    expect(console).toMatch(/1 flaky file \(passed only on a retry\) fails the run: --flaky-result fail, the default when CI is set/);
    expect(formatSummary({ ...flakyOnly, exitCode: 0 }, { colours: palette(false), stopped: null }).join("\n")).not.toMatch(/fails the run/);
    expect(formatSummary(report, { colours: palette(false), stopped: null }).join("\n")).not.toMatch(/fails the run/);
    // One file flaky in two iterations of a loop is one flaky file (a helper's trial read "2 flaky files").
    const looped: RunReport = { ...flakyOnly, files: [1, 2].flatMap((iteration) => [fileResult({ path: "a.py", status: "failed", iteration, attempt: 1 }), fileResult({ path: "a.py", status: "flaky", iteration, attempt: 2 })]) };
    expect(formatSummary(looped, { colours: palette(false), stopped: null }).join("\n")).toMatch(/\n1 flaky file \(passed only on a retry\) fails the run/);
  });

  it("shows times rounded before they are split into minutes and hours: never 60s or 60m (sqlmodel's 119.564 s read 1m 60s)", () => {
    expect([0.04, 12.34, 59.94, 59.96, 61.4, 119.564, 179.7, 3570, 3599.7, 5400].map(formatSeconds)).toEqual([
      "0.0s",
      "12.3s",
      "59.9s",
      "1m 00s",
      "1m 01s",
      "2m 00s",
      "3m 00s",
      "59m 30s",
      "1h 00m",
      "1h 30m",
    ]);
  });

  it("says a packed file's time is its tests' alone, and gives no ratio to the wall time that would read as a slow-down", () => {
    const packed: RunReport = {
      ...report,
      exitCode: 0,
      wallSeconds: 1.2,
      files: [
        fileResult({ path: "a.py", status: "passed", tests: counts(1, 0), durationSeconds: 0.1, log: "pack-a.py+1.log" }),
        fileResult({ path: "b.py", status: "passed", tests: counts(1, 0), durationSeconds: 0.1, log: "pack-a.py+1.log" }),
        fileResult({ path: "c.py", status: "passed", tests: counts(1, 0), durationSeconds: 0.1, log: "c.py.log" }),
      ],
    };
    expect(formatSummary(packed, { colours: palette(false), stopped: null }).join("\n")).toMatch(/\nTime: 1\.2s wall, 0\.3s summed over files \(2 files in 1 shared process: their tests' time only\)\n/);
    // The modules checked for doctests a run packs by itself, without --pack: said as what they are (a helper's trial).
    const modules = formatSummary(packed, { colours: palette(false), stopped: null, doctestModules: new Set(["a.py", "b.py"]) }).join("\n");
    expect(modules).toMatch(/\nTime: 1\.2s wall, 0\.3s summed over files \(2 modules checked for doctests in 1 shared process: their tests' time only\)\n/);
    const ownProcesses = { ...packed, files: packed.files.map((file) => ({ ...file, log: `${file.path}.log` })) };
    // Files that took less than the run (its own start-up outlasting them): no "0.3x the wall time" either.
    expect(formatSummary(ownProcesses, { colours: palette(false), stopped: null }).join("\n")).toMatch(/\nTime: 1\.2s wall, 0\.3s summed over files\n/);
    // A serial run's one process: its files' tests' time, said as such.
    const serial = { ...packed, workers: 1, files: packed.files.map((file) => ({ ...file, log: "serial.log" })) };
    expect(formatSummary(serial, { colours: palette(false), stopped: null }).join("\n")).toMatch(/\nTime: 1\.2s wall, 0\.3s in the files' tests \(one pytest process; its start-up, collection and reports count toward no file\)\n/);
    // Of one file too, where no log is shared to tell it by (a helper read "0.0s summed over files" there).
    const single = { ...serial, files: serial.files.slice(0, 1) };
    expect(formatSummary(single, { colours: palette(false), stopped: null, oneProcess: true }).join("\n")).toMatch(/\nTime: 1\.2s wall, 0\.1s in the files' tests \(one pytest process;/);
    // A serial run whose -x left files unrun: those have no log, and the run was still one process (connexion's trial).
    const stopped = { ...serial, files: [...serial.files.slice(0, 2), { ...serial.files[2], status: "cancelled", log: null }] } as typeof serial;
    expect(formatSummary(stopped, { colours: palette(false), stopped: null, oneProcess: true }).join("\n")).toMatch(/\nTime: 1\.2s wall, 0\.\ds in the files' tests \(one pytest process;/);
    // A serial --loop run: one process an iteration, not one in all.
    const looped = { ...single, files: [...single.files, { ...single.files[0], iteration: 2, log: "serial.i2.a1.log" }] } as typeof single;
    expect(formatSummary(looped, { colours: palette(false), stopped: null, oneProcess: true }).join("\n")).not.toMatch(/one pytest process/);
    const longer = { ...ownProcesses, files: ownProcesses.files.map((file) => ({ ...file, durationSeconds: 0.8 })) };
    expect(formatSummary(longer, { colours: palette(false), stopped: null }).join("\n")).toMatch(/\nTime: 1\.2s wall, 2\.4s summed over files, 2\.0x the wall time\n/);
  });

  it("says which of its files with no tests are modules checked for doctests, which get no line of their own", () => {
    const files = [
      fileResult({ path: "test_a.py", status: "passed", tests: counts(1, 0) }),
      fileResult({ path: "pkg/mod.py", status: "no-tests", tests: counts(0, 0) }),
      fileResult({ path: "conftest.py", status: "no-tests", tests: counts(0, 0) }),
      fileResult({ path: "test_empty.py", status: "no-tests", tests: counts(0, 0) }),
    ];
    const said = (doctestModules: string[], of = files) => formatSummary({ ...report, exitCode: 0, files: of }, { colours: palette(false), stopped: null, doctestModules: new Set(doctestModules) }).join("\n");
    expect(said(["pkg/mod.py", "conftest.py"])).toMatch(/\n2 test files and 2 modules: 1 passed, 3 no tests \(2 of them modules checked for doctests, none found\)\n/);
    expect(said(["pkg/mod.py", "conftest.py"], files.slice(0, 3))).toMatch(/\n1 test file and 2 modules: 1 passed, 2 no tests \(2 modules checked for doctests, none found\)\n/);
    expect(said([])).toMatch(/\n4 files: 1 passed, 3 no tests\n/);
    // A module whose doctests a -k deselected held some: not among those that held none (joblib's trial).
    const deselected = files.map((file) => (file.path === "pkg/mod.py" ? { ...file, tests: { ...counts(0, 0), deselected: 2 } } : file));
    expect(said(["pkg/mod.py", "conftest.py"], deselected)).toMatch(/\n2 test files and 2 modules: 1 passed, 3 no tests \(1 of them a module checked for doctests, none found; 1 of them with every test deselected\)\n/);
  });

  it("names a failed file's failed tests its last lines do not name, with pytest's one line about each", () => {
    const failure = (message: string) => [{ when: "call", message, text: null, sections: [] }];
    const cases = [
      { nodeid: "tests/test_intl.py::test_a", outcome: "failed" as const, seconds: 1, failures: failure("AssertionError: assert 'x' == 'y'\n  - y\n  + x") },
      { nodeid: "tests/test_intl.py::test_b", outcome: "passed" as const, seconds: 1 },
      { nodeid: "tests/test_intl.py::test_c", outcome: "error" as const, seconds: 1, failures: failure("FileNotFoundError: build") },
      { nodeid: "tests/test_intl.py::test_named", outcome: "failed" as const, seconds: 1, failures: failure("AssertionError") },
    ];
    // The last lines: a logger's warnings, and pytest's short summary line for one of them only.
    const tail = ["WARNING: document isn't included in any toctree", "FAILED tests/test_intl.py::test_named - AssertionError"];
    const failed: RunReport = { ...report, files: [fileResult({ path: "tests/test_intl.py", status: "failed", tests: counts(1, 2), cases, tail, durationSeconds: 3 })] };
    const text = formatSummary(failed, { colours: palette(false), stopped: null }).join("\n");
    expect(text).toContain("           failed: tests/test_intl.py::test_a - AssertionError: assert 'x' == 'y'\n");
    expect(text).toContain("           error: tests/test_intl.py::test_c - FileNotFoundError: build\n");
    expect(text).not.toMatch(/failed: tests\/test_intl\.py::test_named/);
    const many = Array.from({ length: 5 }, (_, i) => ({ nodeid: `t.py::test_${i}`, outcome: "failed" as const, seconds: 0 }));
    const five: RunReport = { ...report, files: [fileResult({ path: "t.py", status: "failed", tests: counts(0, 5), cases: many, tail: [], durationSeconds: 1 })] };
    const listed = formatSummary(five, { colours: palette(false), stopped: null }).join("\n");
    expect(listed.match(/^ {11}failed: t\.py::test_\d$/gm)).toHaveLength(3);
    expect(listed).toContain("… and 2 more failed, not shown (the log has them all)");
    // Some named by the last lines (pytest's short summary): the count in all says so.
    const namedTwo: RunReport = { ...report, files: [fileResult({ path: "t.py", status: "failed", tests: counts(0, 5), cases: many, tail: ["FAILED t.py::test_4", "FAILED t.py::test_3"], durationSeconds: 1 })] };
    expect(formatSummary(namedTwo, { colours: palette(false), stopped: null }).join("\n")).not.toMatch(/more failed/);
    const seven = [...many, ...Array.from({ length: 2 }, (_, i) => ({ nodeid: `t.py::test_x${i}`, outcome: "failed" as const, seconds: 0 }))];
    const namedSome: RunReport = { ...report, files: [fileResult({ path: "t.py", status: "failed", tests: counts(0, 7), cases: seven, tail: ["FAILED t.py::test_4"], durationSeconds: 1 })] };
    expect(formatSummary(namedSome, { colours: palette(false), stopped: null }).join("\n")).toContain("… and 3 more failed, not shown (7 failed in all: 3 above, 3 not shown, 1 with their messages in the last lines; the log has them all)");
    // Errors said as errors (a fixture's setup on a shared database: full-stack-fastapi-template's 27).
    const errors = Array.from({ length: 6 }, (_, i) => ({ nodeid: `t.py::test_e${i}`, outcome: "error" as const, seconds: 0 }));
    const errored: RunReport = { ...report, files: [fileResult({ path: "t.py", status: "failed", tests: { ...counts(0, 0), errors: 6 }, cases: errors, tail: [], durationSeconds: 1 })] };
    expect(formatSummary(errored, { colours: palette(false), stopped: null }).join("\n")).toContain("… and 3 more errored, not shown (the log has them all)");
    const mixed: RunReport = { ...report, files: [fileResult({ path: "t.py", status: "failed", tests: { ...counts(0, 4), errors: 2 }, cases: [...many.slice(0, 4), ...errors.slice(0, 2)], tail: [], durationSeconds: 1 })] };
    expect(formatSummary(mixed, { colours: palette(false), stopped: null }).join("\n")).toContain("… and 3 more failed or errored, not shown (the log has them all)");
    const mixedRest: RunReport = { ...report, files: [fileResult({ path: "t.py", status: "failed", tests: { ...counts(0, 4), errors: 2 }, cases: [...errors.slice(0, 2), ...many.slice(0, 4)], tail: [], durationSeconds: 1 })] };
    expect(formatSummary(mixedRest, { colours: palette(false), stopped: null }).join("\n")).toContain("… and 3 more failed, not shown (the log has them all)");
  });

  it("says how many of a failed file's tests failed, errors counted, whatever its failed lines name (isort's: one line under two failures)", () => {
    const heading = (file: Parameters<typeof fileResult>[0]): string => formatSummary({ ...report, files: [fileResult(file)] }, { colours: palette(false), stopped: null }).join("\n");
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: "tests failed", tests: counts(29, 2) })).toMatch(/^ {2}FAIL\s+t\.py \(2 of 31 tests failed\)$/m);
    const cut = "tests failed, then pytest's session ended before it finished (exit code 1): a test or plugin ended the process";
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: cut, tests: { ...counts(0, 0), errors: 1, skipped: 1 } })).toMatch(/^ {2}FAIL\s+t\.py \(1 of 2 tests errored, then pytest's session ended before it finished/m);
    // A merged report keeps no reason: its failed tests say it.
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: null, tests: counts(68, 3) })).toMatch(/^ {2}FAIL\s+t\.py \(3 of 71 tests failed\)$/m);
    // Errors as errors (a fixture's set-up), both where both.
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: "tests failed", tests: { ...counts(10, 0), errors: 10 } })).toMatch(/^ {2}FAIL\s+t\.py \(10 of 20 tests errored\)$/m);
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: "tests failed", tests: { ...counts(10, 1), errors: 2 } })).toMatch(/^ {2}FAIL\s+t\.py \(3 of 13 tests failed or errored\)$/m);
    // By test where the tests are known: a teardown's error is one test (pytest counts it passed and an error), a test's
    // failed subtests one failed test (h11's "4 of 10" of a file of 9; oauthlib's "2 of 11" of 10).
    const test = (name: string, outcome: "passed" | "failed" | "error") => ({ nodeid: `t.py::${name}`, outcome, seconds: 0 });
    const cases = [test("a", "passed"), test("b", "passed"), test("teardown_broke", "error"), test("with_subtests", "failed")];
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: "tests failed", tests: { ...counts(3, 3), errors: 1 }, cases })).toMatch(/^ {2}FAIL\s+t\.py \(2 of 4 tests failed or errored\)$/m);
    // A file stopped at its failure (-x, --fail-fast) counts the tests that ran, and says they are not all of its tests.
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: "tests failed", tests: counts(3, 1), cutShort: true })).toMatch(/^ {2}FAIL\s+t\.py \(1 of the 4 tests run failed; stopped at a failure before its last test\)$/m);
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: "tests failed", tests: counts(0, 1), cutShort: true })).toMatch(/^ {2}FAIL\s+t\.py \(1 test failed; stopped at a failure before its last test\)$/m);
    // Where the reason says how the session ended, it stands.
    const exited = "tests failed, then pytest's session ended before it finished (exit code 1): a test or plugin ended the process";
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: exited, tests: counts(0, 1), cutShort: true })).toMatch(/^ {2}FAIL\s+t\.py \(1 of 1 test failed, then pytest's session ended before it finished/m);
    // Other reasons stand as they are.
    expect(heading({ path: "t.py", status: "failed", exitCode: 1, reason: "an error while collecting it", tests: { ...counts(0, 0), errors: 1 } })).toMatch(/^ {2}FAIL\s+t\.py \(an error while collecting it\)$/m);
  });

  it("names the test a timeout stopped, which an async test's stopped frames (its event loop's) do not", () => {
    const tail = ["grimoire-run stopped this test here:", '  File "/usr/lib/python3.11/selectors.py", line 468, in select'];
    const timedOut: RunReport = { ...report, files: [fileResult({ path: "tests/test_hang.py", status: "timeout", tests: null, durationSeconds: 4, tail, stoppedIn: "tests/test_hang.py::test_async_hang" })] };
    const text = formatSummary(timedOut, { colours: palette(false), stopped: null }).join("\n");
    expect(text).toContain("           stopped in: tests/test_hang.py::test_async_hang\n");
    expect(formatSummary({ ...report, files: [fileResult({ path: "t.py", status: "timeout", tests: null, durationSeconds: 4 })] }, { colours: palette(false), stopped: null }).join("\n")).not.toContain("stopped in:");
  });

  it("names a failed test the last lines name with its message cut (pytest's short summary at 80 columns), with the whole first line", () => {
    const message = "AssertionError: Page title expected to be 'Notez'\nActual value: Notes\nCall log:\n  - Expect \"to_have_title\"";
    const cases = [
      { nodeid: "tests/e2e/test_home.py::test_title", outcome: "failed" as const, seconds: 1, failures: [{ when: "call", message, text: null, sections: [] }] },
      { nodeid: "tests/e2e/test_home.py::test_whole", outcome: "failed" as const, seconds: 1, failures: [{ when: "call", message: "assert 1 == 2", text: null, sections: [] }] },
    ];
    // The page's accessibility tree (Playwright's aria snapshot) fills the last lines; the summary line cuts the message.
    const tail = [
      "E           - button \"delete\"",
      "E       - paragraph: 23 notes",
      "E       assert 1 == 2",
      "FAILED tests/e2e/test_home.py::test_title - AssertionError: Page title expect...",
      "FAILED tests/e2e/test_home.py::test_whole - assert 1 == 2",
    ];
    const failed: RunReport = { ...report, files: [fileResult({ path: "tests/e2e/test_home.py", status: "failed", tests: counts(0, 2), cases, tail, durationSeconds: 3 })] };
    const text = formatSummary(failed, { colours: palette(false), stopped: null }).join("\n");
    expect(text).toContain("           failed: tests/e2e/test_home.py::test_title - AssertionError: Page title expected to be 'Notez'\n");
    expect(text).not.toMatch(/failed: tests\/e2e\/test_home\.py::test_whole/);
  });

  it("names a collection error the module's two collectors report alike once (--doctest-modules)", () => {
    const error = { nodeid: "tests/test_c.py", outcome: "error" as const, seconds: 0, failures: [{ when: "collect", message: "Failed: 'weird' not found in `markers` configuration option", text: null, sections: [] }] };
    const failed: RunReport = { ...report, files: [fileResult({ path: "tests/test_c.py", status: "failed", tests: counts(0, 0), cases: [error, { ...error }], tail: ["!!! Interrupted: 2 errors during collection !!!"], durationSeconds: 1 })] };
    const text = formatSummary(failed, { colours: palette(false), stopped: null }).join("\n");
    expect(text.match(/error: tests\/test_c\.py - Failed: 'weird' not found/g)).toHaveLength(1);
  });

  it("says of a split file's last lines which part's they are, and where every failure is (uvicorn's websocket tests, in two parts)", () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ nodeid: `t.py::test_${i}`, outcome: "failed" as const, seconds: 0 }));
    const part = (log: string) => ({ status: "failed" as const, slot: 0, startSeconds: 0, durationSeconds: 1, tests: counts(0, 2), log, junit: null, coverageData: null });
    const tail = ["=============== 2 failed, 138 deselected in 34.50s ==============="];
    const split: RunReport = {
      ...report,
      files: [fileResult({ path: "t.py", status: "failed", tests: counts(0, 5), cases: many, tail, log: "t.py.part2.log", durationSeconds: 2, parts: [{ ...part("t.py.part1.log"), status: "passed" }, part("t.py.part2.log")] })],
    };
    const text = formatSummary(split, { colours: palette(false), stopped: null }).join("\n");
    expect(text).not.toMatch(/^ {11}log: /m);
    expect(text).toContain("           part 1 of 2: passed, log: t.py.part1.log\n           part 2 of 2: failed, log: t.py.part2.log\n");
    expect(text).toContain("… and 2 more failed, not shown (the parts' logs have them all)");
    expect(text).toContain("           last 1 line of part 2:\n");
  });

  it("words a flake rate of one recent run as such", () => {
    expect(describeRate({ failed: 1, runs: 1 })).toBe("failed in its one recent run (100%)");
    // Failed, then passed on a retry: said so, not "failed" of a test listed as flaky (a helper's trial).
    expect(describeRate({ failed: 1, runs: 1, retried: 1 })).toBe("failed, then passed on a retry, in its one recent run (100%)");
    expect(describeRate({ failed: 2, runs: 5, retried: 2 })).toBe("failed 2 of its last 5 runs, each time passing on a retry (40%)");
    expect(describeRate({ failed: 3, runs: 5, retried: 1 })).toBe("failed 3 of its last 5 runs, 1 of them passing on a retry (60%)");
    expect(describeRate({ failed: 2, runs: 8 })).toBe("failed 2 of its last 8 runs (25%)");
    expect(describeRate({ failed: 2, runs: 8 }, { share: false })).toBe("failed 2 of its last 8 runs");
  });

  it("counts the modules to check for doctests that never started instead of naming them", () => {
    const modules = ["pkg/a.py", "pkg/b.py", "pkg/c.py"];
    const withModules: RunReport = { ...report, files: [...report.files, ...modules.map((path) => fileResult({ path, status: "cancelled", log: null }))] };
    const doctestModules = new Set([...modules, "pkg/running.py"]);
    const text = formatSummary(withModules, { colours: palette(false), stopped: null, doctestModules }).join("\n");
    expect(text).toMatch(/Cancelled: 5 \(1 stopped while running, 4 not started\)\n {2}d\.py {2}stopped while running\n {2}c\.py\n {2}… and 3 modules to check for doctests \(--report-json lists them all\)/);
    expect(text).not.toContain("pkg/a.py");
    const past = formatSummary(withModules, { colours: palette(false), stopped: null, doctestModules, maxListed: 1 }).join("\n");
    expect(past).toContain("  … and 1 more, and 3 modules to check for doctests (--report-json lists them all)");
    const onlyModules: RunReport = { ...withModules, files: withModules.files.filter((f) => f.path.startsWith("pkg/") || f.status !== "cancelled") };
    expect(formatSummary(onlyModules, { colours: palette(false), stopped: null, doctestModules }).join("\n")).toMatch(/\(0 stopped while running, 3 not started\)\n {2}3 modules to check for doctests \(/);
  });

  it("lists the first cancelled files, those stopped while running first and said to be, and says where the rest are listed", () => {
    const console = formatSummary(report, { colours: palette(false), stopped: null, maxListed: 1 }).join("\n");
    expect(console).toMatch(/Cancelled: 2 \(1 stopped while running, 1 not started\)\n {2}d\.py {2}stopped while running\n {2}… and 1 more \(--report-json lists them all\)/);
    expect(formatSummary(report, { colours: palette(false), stopped: null }).join("\n")).toMatch(/\n {2}d\.py {2}stopped while running\n {2}c\.py\n/);
    // A run names the report it always writes in its log folder (pygments' trial: no --report-json was given).
    const ownReport = formatSummary(report, { colours: palette(false), stopped: null, maxListed: 1, reportFile: ".grimoire/logs/r1/report.json" }).join("\n");
    expect(ownReport).toContain("  … and 1 more (.grimoire/logs/r1/report.json lists them all)");
    // One that failed tests before it was stopped (they count in the totals) says so, and where its log is.
    const failedFirst: RunReport = { ...report, files: [fileResult({ path: "d.py", status: "cancelled", tests: counts(5, 1), log: "d.log", durationSeconds: 1 })] };
    expect(formatSummary(failedFirst, { colours: palette(false), stopped: null }).join("\n")).toMatch(/\n {2}d\.py {2}stopped while running: 5 passed, 1 failed before it was stopped, log: d\.log\n/);
  });

  it("says that no file ran, rather than counting none", () => {
    const console = formatSummary({ ...report, exitCode: 5, files: [] }, { colours: palette(false), stopped: null }).join("\n");
    expect(console).toMatch(/^No files ran$/m);
    expect(console).not.toMatch(/0 files:/);
    // Its time is the run's alone: no process of a file's to speak of.
    expect(console).toMatch(/^Time: \S+ wall$/m);
  });

  it("lists the run's files that both passed and failed recently, with how often they failed", () => {
    const flaky = { ...report, flaky: [{ path: "a.py", runs: 8, failed: 2, tests: [{ nodeid: "a.py::test_x", runs: 8, failed: 2 }] }] };
    const console = formatSummary(flaky, { colours: palette(false), stopped: null }).join("\n");
    expect(console).toMatch(/Flaky recently \(passed and failed within their last 20 runs\): 1 file\n +25% {2}a\.py {2}failed 2 of its last 8 runs\n +a\.py::test_x {2}failed 2 of its last 8 runs \(25%\)/);
    expect(formatSummary(report, { colours: palette(false), stopped: null }).join("\n")).not.toMatch(/Flaky recently/);
  });
});
