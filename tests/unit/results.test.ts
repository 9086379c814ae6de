/**
 * From what a pytest process did to file results: a file's status, and a
 * serial run's (or a pack's) records split by file. Plain data in and out.
 */
import { describe, expect, it } from "vitest";
import { GONE_BEFORE_ITS_TURN, goneBeforeItsTurn, resultOfFile, resultsOfSerialRun, statusOf, withWarnings, type ProcessOutcome } from "../../src/exec/results.js";
import { summariseRun } from "../../src/report/runSummary.js";
import { fileResult } from "../helpers/results.js";
import { parseRecords, relativeRecords, type ProcessRecords } from "../../src/exec/testRecords.js";
import type { FileResult, StartedRun } from "../../src/model.js";

function outcome(over: Partial<ProcessOutcome> = {}): ProcessOutcome {
  return { exitCode: 0, signal: null, timedOut: false, timeoutSeconds: null, cancelled: false, spawnError: null, lost: null, durationSeconds: 2, records: null, tail: ["last line"], ...over };
}
const RUN: StartedRun = { path: "tests/http/test_a.py", iteration: 1, attempt: 1, slot: 0, startSeconds: 1, log: "log", junit: "/logs/junit/a.xml", artifacts: null, artifactFiles: [], serverLog: null, coverageData: null, pid: 10 };

/** Records as the plugin writes them, for files named by project path. */
function records(lines: object[]): ProcessRecords {
  return parseRecords(lines.map((line) => JSON.stringify(line)).join("\n"));
}
const collected = (files: Record<string, number>) => ({ t: "collected", files });
const test = (path: string, name: string, when: string, category: string, seconds = 0.25) => ({ t: "test", nodeid: `${path}::${name}`, path, when, category, seconds });
const passing = (path: string, name: string) => [test(path, name, "setup", ""), test(path, name, "call", "passed"), test(path, name, "teardown", "")];
const finish = (exitstatus: number) => ({ t: "finish", exitstatus });

describe("a shared process's last lines", () => {
  it("go to the file that ran last, not to one that failed before other files ran (a pack's)", () => {
    const failing = (path: string, name: string) => [test(path, name, "setup", ""), test(path, name, "call", "failed"), test(path, name, "teardown", "")];
    const pack = records([collected({ "a.py": 1, "b.py": 1, "c.py": 1 }), ...failing("a.py", "t1"), ...passing("b.py", "t2"), ...failing("c.py", "t3"), finish(1)]);
    const byPath = Object.fromEntries(resultsOfSerialRun(RUN, ["a.py", "b.py", "c.py"], outcome({ exitCode: 1, records: pack, tail: ["c.py's output"] })).map((r) => [r.path, r]));
    expect(byPath["a.py"]).toMatchObject({ status: "failed", tail: [] });
    expect(byPath["c.py"]).toMatchObject({ status: "failed", tail: ["c.py's output"] });
    expect(byPath["b.py"]?.tail).toEqual([]);
    // A module that did not import, beside files that ran (--continue-on-collection-errors, a pack's): named by its error.
    const broken = records([collected({ "a.py": 1 }), { t: "collect-error", nodeid: "z.py", path: "z.py", message: "ImportError" }, ...failing("a.py", "t1"), finish(1)]);
    const split = Object.fromEntries(resultsOfSerialRun(RUN, ["a.py", "z.py"], outcome({ exitCode: 1, records: broken, tail: ["a.py's output"] })).map((r) => [r.path, r]));
    expect(split["z.py"]).toMatchObject({ status: "failed", tail: [] });
    expect(split["a.py"]).toMatchObject({ status: "failed", tail: ["a.py's output"] });
    // Alone (-x stopped at it before any test): the last lines are its error's.
    const alone = records([collected({ "a.py": 1 }), { t: "collect-error", nodeid: "z.py", path: "z.py", message: "ImportError" }, finish(1)]);
    expect(resultsOfSerialRun(RUN, ["a.py", "z.py"], outcome({ exitCode: 1, records: alone, tail: ["E   ImportError"] })).find((r) => r.path === "z.py")?.tail).toEqual(["E   ImportError"]);
  });
});

describe("the status of a file from its pytest process", () => {
  it.each([
    [{ exitCode: 0 }, "passed"],
    [{ exitCode: 5 }, "no-tests"],
    [{ exitCode: 1 }, "failed"],
    [{ exitCode: 2 }, "failed"],
    [{ exitCode: 4 }, "failed"],
    [{ exitCode: null, signal: "SIGSEGV" }, "failed"],
    [{ exitCode: null, timedOut: true }, "timeout"],
    [{ exitCode: 2, cancelled: true }, "cancelled"],
    [{ exitCode: null, spawnError: "ENOENT" }, "failed"],
  ] as const)("%o is %s", (over, status) => {
    expect(statusOf(outcome(over)).status).toBe(status);
  });

  it("names the signal and explains pytest's exit codes", () => {
    expect(statusOf(outcome({ exitCode: null, signal: "SIGSEGV" })).reason).toBe("killed by SIGSEGV");
    expect(statusOf(outcome({ exitCode: 4 })).reason).toMatch(/usage error/);
    // The same exit code for a conftest that failed at pytest's start: pytest's first line says which.
    const conftest = ["ImportError while loading conftest '/p/tests/conftest.py'.", "tests/conftest.py:1: in <module>", "E   ModuleNotFoundError: No module named 'x'"];
    expect(statusOf(outcome({ exitCode: 4, tail: conftest })).reason).toBe("pytest could not load a conftest (exit code 4; its error is in the log)");
    const failedATest = records([collected({ "a.py": 1 }), test("a.py", "t", "setup", ""), test("a.py", "t", "call", "failed"), test("a.py", "t", "teardown", ""), finish(1)]);
    expect(statusOf(outcome({ exitCode: 1, tail: conftest, records: failedATest })).reason).toBe("tests failed");
    expect(statusOf(outcome({ exitCode: 4, tail: ["ERROR: usage: pytest [options]", "ImportError while loading conftest"] })).reason).toMatch(/usage error/);
    // Named at the top of the log, past the last lines a long error fills (mealie's trial).
    expect(statusOf(outcome({ exitCode: 4, tail: ["E   line 39"], conftestNotLoaded: "/p/tests/conftest.py" })).reason).toBe("pytest could not load a conftest (exit code 4; its error is in the log)");
    expect(statusOf(outcome({ exitCode: 4, tail: ["E   line 39"], conftestNotLoaded: null })).reason).toMatch(/usage error/);
    // A node id that names no test, said as that (msgspec's trial read "pytest usage error (check the node ids …)").
    expect(statusOf(outcome({ exitCode: 4, tail: ["no tests ran in 0.01s", "ERROR: not found: /p/tests/test_raw.py::test_nope", "(no match in any of [<Module test_raw.py>])"] })).reason).toBe(
      "pytest found no test by a node id it was given (exit code 4): /p/tests/test_raw.py::test_nope",
    );
    expect(statusOf(outcome({ exitCode: 77 })).reason).toBe("pytest exited with code 77");
  });

  it("does not take an exit code of 0 for a pass when pytest's session never finished (os._exit half-way)", () => {
    const cut = records([collected({ "a.py": 3 }), ...passing("a.py", "t1")]);
    expect(statusOf(outcome({ exitCode: 0, records: cut }))).toMatchObject({ status: "failed", reason: expect.stringMatching(/ended before it finished/) });
    expect(statusOf(outcome({ exitCode: 0, records: records([collected({ "a.py": 1 }), ...passing("a.py", "t1"), finish(0)]) })).status).toBe("passed");
  });

  it("a file stopped or timed out once its session had ended (waiting at its exit) is judged by its session, or says so", () => {
    const ended = (status: number) => records([collected({ "a.py": 1 }), ...passing("a.py", "t1"), finish(status)]);
    expect(statusOf(outcome({ cancelled: true, exitCode: null, records: ended(0) }))).toEqual({ status: "passed", reason: null });
    expect(statusOf(outcome({ cancelled: true, exitCode: null, records: records([collected({ "a.py": 0 }), finish(5)]) })).status).toBe("no-tests");
    expect(statusOf(outcome({ cancelled: true, exitCode: null, records: records([collected({ "a.py": 2 }), ...passing("a.py", "t1")]) })).status).toBe("cancelled");
    const late = statusOf(outcome({ timedOut: true, timeoutSeconds: 20, exitCode: null, records: ended(1) }));
    expect(late).toEqual({ status: "timeout", reason: "pytest's session ended (exit status 1), but the process did not exit within the 20s time limit: it waited at its exit, for a child process, a thread or an exit handler" });
    expect(statusOf(outcome({ timedOut: true, timeoutSeconds: 20, exitCode: null })).reason).toBe("no result within the 20s time limit");
  });

  it("says a shared process's timeout is the process's (a serial run, a pack), and that a wait at its exit may be any file's", () => {
    // asgiref's trial: a thread test_hang.py left held the serial run's process at its exit; TIMEOUT went to the last file alone.
    const ended = records([collected({ "a.py": 1, "b.py": 1 }), ...passing("a.py", "t1"), ...passing("b.py", "t2"), finish(0)]);
    const atExit = resultsOfSerialRun(RUN, ["a.py", "b.py"], outcome({ timedOut: true, timeoutSeconds: 4, exitCode: null, records: ended }));
    expect(atExit.map((r) => [r.path, r.status])).toEqual([["a.py", "passed"], ["b.py", "timeout"]]);
    expect(atExit[1]?.reason).toBe("pytest's session ended (exit status 0), but its pytest process (2 files) did not exit within the 4s time limit: it waited at its exit, for a child process, a thread or an exit handler any of its files may have left (this file ran last)");
    const inTest = records([collected({ "a.py": 1, "b.py": 1 }), ...passing("a.py", "t1")]);
    const stopped = resultsOfSerialRun(RUN, ["a.py", "b.py"], outcome({ timedOut: true, timeoutSeconds: 4, exitCode: null, records: inTest }));
    expect(stopped.find((r) => r.path === "b.py")).toMatchObject({ status: "timeout", reason: "no result within the 4s time limit of its pytest process (2 files)" });
  });

  it("takes pytest.exit()'s end of a session for pytest's verdict: its code 0 passes, any other fails with its reason", () => {
    const exited = (returncode: number) => records([{ t: "exit", reason: "the server is not running", returncode }]);
    expect(statusOf(outcome({ exitCode: 0, records: exited(0) }))).toEqual({ status: "passed", reason: null });
    expect(statusOf(outcome({ exitCode: 2, records: exited(2) }))).toEqual({ status: "failed", reason: "pytest.exit() ended the session (exit code 2): the server is not running" });
    expect(statusOf(outcome({ exitCode: 1, records: exited(1) })).reason).toBe("pytest.exit() ended the session (exit code 1): the server is not running");
    // An exit code the process did not end with is not pytest.exit()'s doing (os._exit(0) in an exit handler after it).
    expect(statusOf(outcome({ exitCode: 0, records: records([collected({ "a.py": 2 }), { t: "exit", reason: "stop", returncode: 3 }]) })).status).toBe("failed");
  });

  it("says why pytest exited 1 with no failed test: its session cut short (os._exit(1)), ended and failed by a conftest, or an error after it", () => {
    const cut = records([collected({ "a.py": 3 }), ...passing("a.py", "t1")]);
    expect(statusOf(outcome({ exitCode: 1, records: cut }))).toEqual({ status: "failed", reason: expect.stringMatching(/session ended before it finished \(exit code 1\)/) });
    const failedByAConftest = records([collected({ "a.py": 1 }), ...passing("a.py", "t1"), finish(1)]);
    expect(statusOf(outcome({ exitCode: 1, records: failedByAConftest }))).toEqual({ status: "failed", reason: expect.stringMatching(/though no test failed/) });
    // The session passed; the process then ended on an exception (a conftest's pytest_unconfigure raised).
    const passedThenRaised = records([collected({ "a.py": 1 }), ...passing("a.py", "t1"), finish(0)]);
    expect(statusOf(outcome({ exitCode: 1, records: passedThenRaised })).reason).toBe(
      "pytest's session ended (exit status 0), then the process exited with code 1: an error after the session (pytest_unconfigure, an exit handler), its traceback in the log",
    );
    // Ended before its session began, the plugin's records none or empty (pytest-cov failing to start: yarl's trial).
    const early = "pytest ended with code 1 before its session began, no test run: an error at its start (a plugin's, the configuration's), its traceback in the log";
    expect(statusOf(outcome({ exitCode: 1 })).reason).toBe(early);
    expect(statusOf(outcome({ exitCode: 1, records: records([]) })).reason).toBe(early);
    // Tests failed, then the process ended before the session did (pytest-timeout's thread method: os._exit(1)).
    const failedThenCut = records([collected({ "a.py": 3 }), ...passing("a.py", "t1"), test("a.py", "t2", "setup", ""), test("a.py", "t2", "call", "failed"), test("a.py", "t2", "teardown", "")]);
    expect(statusOf(outcome({ exitCode: 1, records: failedThenCut })).reason).toBe("tests failed, then pytest's session ended before it finished (exit code 1): a test or plugin ended the process");
    const failedAndFinished = records([collected({ "a.py": 1 }), test("a.py", "t2", "setup", ""), test("a.py", "t2", "call", "failed"), test("a.py", "t2", "teardown", ""), finish(1)]);
    expect(statusOf(outcome({ exitCode: 1, records: failedAndFinished })).reason).toBe("tests failed");
  });

  it("takes a file the run stopped after a test of its own failed for failed, not cancelled; one with no failure of its own stays cancelled", () => {
    const file = "tests/http/test_a.py";
    const failedFirst = records([collected({ [file]: 2 }), test(file, "bad", "setup", ""), test(file, "bad", "call", "failed"), test(file, "bad", "teardown", "")]);
    expect(resultOfFile(RUN, outcome({ exitCode: null, cancelled: true, records: failedFirst }))).toMatchObject({ status: "failed", reason: "a test of it failed before the run stopped it" });
    expect(resultOfFile(RUN, outcome({ exitCode: null, cancelled: true, records: records([collected({ [file]: 2 }), ...passing(file, "ok")]) })).status).toBe("cancelled");
    // A module that did not import ran no test: its collection failed, said so (a helper read "a test of it" there).
    const notImported = records([collected({}), { t: "collect-error", nodeid: file, path: file, message: "ImportError: no module named shop", when: "collect" }]);
    expect(resultOfFile(RUN, outcome({ exitCode: null, cancelled: true, records: notImported }))).toMatchObject({ status: "failed", reason: "its collection failed before the run stopped it" });
  });

  it("says a file of its own process that pytest could not collect failed for that, not for exit code 2's every cause", () => {
    const file = "a.py";
    const broken = records([collected({}), { t: "collect-error", nodeid: file, path: file }, finish(2)]);
    expect(resultOfFile(RUN, outcome({ exitCode: 2, records: broken }))).toMatchObject({ status: "failed", reason: "an error while collecting it" });
    expect(resultOfFile(RUN, outcome({ exitCode: 2, records: records([collected({ [file]: 1 }), finish(2)]) })).reason).toMatch(/^pytest was interrupted \(exit code 2/);
  });

  it("keeps what the process said of its tests' part (from its collection's end), within its own duration", () => {
    const file = "a.py";
    const said = (seconds: unknown) => records([collected({ [file]: 1 }), ...passing(file, "ok"), { t: "finish", exitstatus: 0, testsSeconds: seconds }]);
    expect(resultOfFile(RUN, outcome({ exitCode: 0, records: said(1.5) })).testsSeconds).toBe(1.5);
    expect(resultOfFile(RUN, outcome({ exitCode: 0, records: said(1e6) })).testsSeconds).toBe(outcome({ exitCode: 0 }).durationSeconds);
    expect(resultOfFile(RUN, outcome({ exitCode: 0, records: said("x") }))).not.toHaveProperty("testsSeconds");
    expect(resultOfFile(RUN, outcome({ exitCode: 0, records: records([collected({ [file]: 1 }), ...passing(file, "ok"), finish(0)]) }))).not.toHaveProperty("testsSeconds");
    // A failure after the stop interrupted a test may be the stop's doing (its server killed under it).
    const failedAfter = records([collected({ [file]: 2 }), test(file, "slow", "setup", ""), { t: "stopped", nodeid: `${file}::slow`, path: file }, test(file, "slow", "call", "failed")]);
    expect(resultOfFile(RUN, outcome({ exitCode: null, cancelled: true, records: failedAfter })).status).toBe("cancelled");
    // In a shared process, the file the stop found running, by its own tests only.
    const other = "tests/http/test_b.py";
    const pack = records([collected({ [other]: 1, [file]: 2 }), test(other, "bad", "setup", ""), test(other, "bad", "call", "failed"), test(other, "bad", "teardown", ""), ...passing(file, "ok")]);
    const byPath = Object.fromEntries(resultsOfSerialRun(RUN, [other, file], outcome({ exitCode: null, cancelled: true, records: pack })).map((r) => [r.path, r.status]));
    expect(byPath).toEqual({ [other]: "failed", [file]: "cancelled" });
    const packFailedInProgress = records([collected({ [other]: 1, [file]: 2 }), ...passing(other, "ok"), test(file, "bad", "setup", ""), test(file, "bad", "call", "failed"), test(file, "bad", "teardown", "")]);
    const stopped = resultsOfSerialRun(RUN, [other, file], outcome({ exitCode: null, cancelled: true, records: packFailedInProgress })).find((r) => r.path === file);
    expect(stopped).toMatchObject({ status: "failed", reason: "a test of it failed before the run stopped it" });
  });

  it("keeps the tail only where it helps: failures", () => {
    expect(resultOfFile(RUN, outcome()).tail).toEqual([]);
    expect(resultOfFile(RUN, outcome({ exitCode: 1 })).tail).toEqual(["last line"]);
  });

  it("counts tests as pytest's summary does, xfail and xpass apart, and lists each test once with its worst phase", () => {
    const file = "tests/http/test_a.py";
    const recorded = records([
      collected({ [file]: 4 }),
      ...passing(file, "ok"),
      test(file, "gone", "setup", ""),
      test(file, "gone", "call", "passed"),
      test(file, "gone", "teardown", "error"),
      test(file, "expected", "setup", ""),
      test(file, "expected", "call", "xfailed"),
      test(file, "lucky", "setup", ""),
      test(file, "lucky", "call", "xpassed"),
      finish(1),
    ]);
    const result = resultOfFile(RUN, outcome({ exitCode: 1, records: recorded }));
    expect(result.tests).toEqual({ passed: 2, failed: 0, skipped: 0, errors: 1, xfailed: 1, xpassed: 1, deselected: 0 });
    expect(result.cases.map((c) => [c.nodeid.split("::")[1], c.outcome, c.seconds])).toEqual([
      ["ok", "passed", 0.75],
      ["gone", "error", 0.75],
      ["expected", "xfailed", 0.5],
      ["lucky", "xpassed", 0.5],
    ]);
  });

  it("marks a failed file that pytest stopped before its last collected test (-x, --maxfail) as cut short, and no other", () => {
    const file = "tests/http/test_a.py";
    const failing = (name: string) => [test(file, name, "setup", ""), test(file, name, "call", "failed"), test(file, name, "teardown", "")];
    const stopped = records([collected({ [file]: 3 }), ...passing(file, "t1"), ...failing("t2"), finish(1)]);
    expect(resultOfFile(RUN, outcome({ exitCode: 1, records: stopped })).cutShort).toBe(true);
    const whole = records([collected({ [file]: 2 }), ...passing(file, "t1"), ...failing("t2"), finish(1)]);
    expect(resultOfFile(RUN, outcome({ exitCode: 1, records: whole })).cutShort).toBeUndefined();
    const passed = records([collected({ [file]: 1 }), ...passing(file, "t1"), finish(0)]);
    expect(resultOfFile(RUN, outcome({ exitCode: 0, records: passed })).cutShort).toBeUndefined();
  });

  it("counts a module skipped while collecting as one skipped test, as pytest's summary does", () => {
    const file = "tests/http/test_a.py";
    const recorded = records([{ t: "collect-skip", nodeid: file, path: file }, collected({ [file]: 0 }), finish(5)]);
    const result = resultOfFile(RUN, outcome({ exitCode: 5, records: recorded }));
    expect(result.status).toBe("no-tests");
    expect(result.tests).toEqual({ passed: 0, failed: 0, skipped: 1, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 });
    expect(result.cases).toEqual([{ nodeid: file, outcome: "skipped", seconds: 0 }]);
  });

  it("has no counts when pytest recorded nothing, and a test killed in its setup is not a case", () => {
    expect(resultOfFile(RUN, outcome({ exitCode: null, signal: "SIGKILL" })).tests).toBeNull();
    const killed = records([collected({ "a.py": 1 }), test("a.py", "t", "setup", "")]);
    expect(resultOfFile(RUN, outcome({ exitCode: null, timedOut: true, records: killed })).cases).toEqual([]);
  });
});

describe("splitting a serial run by file", () => {
  const paths = ["tests/e2e/test_a.py", "tests/http/test_b.py", "tests/http/test_c.py"];
  const [a, b, c] = paths as [string, string, string];

  it("gives each file its tests, and files collection found no test in no-tests", () => {
    const recorded = records([collected({ [a]: 1, [b]: 0, [c]: 1 }), ...passing(a, "t"), ...passing(c, "t"), finish(0)]);
    const results = resultsOfSerialRun(RUN, paths, outcome({ records: recorded }));
    expect(results.map((r) => [r.path, r.status, r.durationSeconds])).toEqual([
      [a, "passed", 0.75],
      [b, "no-tests", 0],
      [c, "passed", 0.75],
    ]);
    expect(results[2]?.startSeconds).toBe(1.75);
  });

  it("a module skipped while collecting ran no test, as in a process of its own, and keeps its skipped count", () => {
    const recorded = records([{ t: "collect-skip", nodeid: b, path: b }, collected({ [a]: 1, [b]: 0, [c]: 1 }), ...passing(a, "t"), ...passing(c, "t"), finish(0)]);
    const skipped = resultsOfSerialRun(RUN, paths, outcome({ records: recorded })).find((r) => r.path === b);
    expect(skipped).toMatchObject({ status: "no-tests", tests: { skipped: 1, passed: 0 }, cases: [{ nodeid: b, outcome: "skipped" }] });
  });

  it("a file of the shared process that failed says why, as a file of its own process would", () => {
    const recorded = records([collected({ [a]: 1, [b]: 1, [c]: 1 }), test(a, "t", "call", "failed"), ...passing(b, "t"), test(c, "t", "call", "failed"), finish(1)]);
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 1, records: recorded }));
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ["failed", "tests failed"],
      ["passed", null],
      ["failed", "tests failed"],
    ]);
    // One that did not import: an error while collecting it, as its own process would say (tomlkit's trial read "tests failed").
    const broken = records([collected({ [a]: 1, [c]: 1 }), ...passing(a, "t"), { t: "collect-error", nodeid: b, path: b }, ...passing(c, "t"), finish(1)]);
    const withError = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 1, records: broken }));
    expect(withError.find((r) => r.path === b)).toMatchObject({ status: "failed", reason: "an error while collecting it" });
  });

  it("starts the first file where the tests did, after the process's start and collection, when the records say when", () => {
    const recorded = records([collected({ [a]: 1, [b]: 1 }), ...passing(a, "t"), ...passing(b, "t"), { t: "finish", exitstatus: 0, testsSeconds: 1.5 }]);
    const results = resultsOfSerialRun(RUN, [a, b], outcome({ durationSeconds: 2, records: recorded }));
    expect(results.map((r) => [r.path, r.startSeconds])).toEqual([
      [a, 1.5],
      [b, 2.25],
    ]);
  });

  it("after -x stopped at a failure, the files never reached are cancelled, left by pytest: a plain run leaves them too", () => {
    const recorded = records([collected({ [a]: 1, [b]: 1, [c]: 1 }), ...passing(a, "t"), test(b, "t", "call", "failed"), finish(1)]);
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 1, records: recorded }));
    expect(results.map((r) => r.status)).toEqual(["passed", "failed", "cancelled"]);
    expect(results[2]).toMatchObject({ reason: "not reached: pytest stopped at the first failure (-x or --maxfail)", leftByPytest: true });
  });

  it("a process that ended before its session did (a test's os._exit(1)) left the files it never reached to be run again", () => {
    const recorded = records([collected({ [a]: 1, [b]: 1, [c]: 1 }), ...passing(a, "t"), test(b, "t", "setup", "")]);
    const left = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 1, records: recorded }))[2];
    expect(left).toMatchObject({ status: "cancelled", reason: "not reached: the pytest process it shared with other files ended before it (exit code 1)" });
    expect(left?.leftByPytest).toBeUndefined();
  });

  it("after -x stopped a shared process at a failure, the file it stopped in is cut short and the files it finished are not", () => {
    const failing = (path: string, name: string) => [test(path, name, "setup", ""), test(path, name, "call", "failed"), test(path, name, "teardown", "")];
    const recorded = records([collected({ "a.py": 1, "b.py": 2, "c.py": 1 }), ...passing("a.py", "t"), ...failing("b.py", "t1"), finish(1)]);
    const results = resultsOfSerialRun(RUN, ["a.py", "b.py", "c.py"], outcome({ exitCode: 1, records: recorded }));
    expect(results.map((r) => [r.path, r.status, r.cutShort ?? false])).toEqual([
      ["a.py", "passed", false],
      ["b.py", "failed", true],
      ["c.py", "cancelled", false],
    ]);
  });

  it("an internal error before any test (a conftest's collection hook raising) fails the first file and says so of the rest", () => {
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 3, records: records([collected({ [a]: 1, [b]: 1, [c]: 1 })]) }));
    expect(results.map((r) => r.status)).toEqual(["failed", "cancelled", "cancelled"]);
    expect(results[0]?.reason).toMatch(/internal error/);
    expect(results[1]?.reason).toMatch(/internal error in the process it shared/);
  });

  it("a session failed after all its tests passed (a conftest's pytest_sessionfinish) fails the last file, never none", () => {
    const recorded = records([collected({ [a]: 1, [c]: 1 }), ...passing(a, "t"), ...passing(c, "t"), finish(1)]);
    const results = resultsOfSerialRun(RUN, [], outcome({ exitCode: 1, records: recorded }));
    expect(results.map((r) => [r.path, r.status])).toEqual([
      [a, "passed"],
      [c, "failed"],
    ]);
    expect(results[1]?.reason).toMatch(/though no test failed/);
  });

  it("fails the file whose test ran last, where a plugin ran them in another order than collected (syrupy's unused snapshot, a helper's trial)", () => {
    // A conftest reversed the items: c's test ran first, a's last.
    const recorded = records([collected({ [a]: 1, [c]: 1 }), ...passing(c, "t"), ...passing(a, "t"), finish(1)]);
    for (const given of [[], [a, c]]) {
      const results = resultsOfSerialRun(RUN, given, outcome({ exitCode: 1, records: recorded }));
      expect(results.filter((r) => r.status === "failed").map((r) => r.path)).toEqual([a]);
    }
  });

  it("a process that failed before it reported on any file is one failed result under the run's name, not 'no tests'", () => {
    const results = resultsOfSerialRun({ ...RUN, path: "tests" }, [], outcome({ exitCode: 4, records: null }));
    expect(results).toMatchObject([{ path: "tests", status: "failed", exitCode: 4, reason: expect.stringMatching(/usage error/) }]);
  });

  it("lists the files in the order pytest ran them, each starting where the one before it ended, whatever the order given", () => {
    const recorded = records([collected({ [a]: 1, [b]: 1, [c]: 1 }), ...passing(a, "t"), ...passing(b, "t"), ...passing(c, "t"), finish(0)]);
    const results = resultsOfSerialRun(RUN, [c, b, a], outcome({ records: recorded }));
    expect(results.map((r) => [r.path, r.startSeconds])).toEqual([
      [a, 1],
      [b, 1.75],
      [c, 2.5],
    ]);
  });

  it("a crash after the session ended (an exit handler's abort) says so, on the file pytest ended in (pytest-asyncio's trial)", () => {
    const recorded = records([collected({ [a]: 1, [b]: 1 }), ...passing(a, "t"), ...passing(b, "t"), finish(0)]);
    const results = resultsOfSerialRun(RUN, [a, b], outcome({ exitCode: null, signal: "SIGABRT", records: recorded }));
    expect(results.map((r) => r.status)).toEqual(["passed", "failed"]);
    expect(results[1]?.reason).toBe("pytest's session ended (exit status 0), then the process was killed by SIGABRT as it exited");
    expect(statusOf(outcome({ exitCode: null, signal: "SIGKILL", records: records([collected({ [a]: 1 })]) })).reason).toBe("killed by SIGKILL");
  });

  it("a timeout falls on the file pytest was in, by pytest's own order, whatever the order given", () => {
    const recorded = records([collected({ [c]: 2, [a]: 1, [b]: 1 }), ...passing(c, "t1")]);
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: null, timedOut: true, timeoutSeconds: 5, records: recorded }));
    expect(results.map((r) => [r.path, r.status])).toEqual([
      [c, "timeout"],
      [a, "cancelled"],
      [b, "cancelled"],
    ]);
    expect(results[0]?.tests?.passed).toBe(1);
  });

  it("an error while collecting fails its file, and nothing else ran, collected or not", () => {
    const recorded = records([collected({ [a]: 1 }), { t: "collect-error", nodeid: b, path: b }, finish(2)]);
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 2, records: recorded }));
    expect(results.map((r) => r.status)).toEqual(["cancelled", "failed", "cancelled"]);
    expect(results[0]?.reason).toMatch(/error while collecting/);
    expect(results[2]?.reason).toMatch(/error while collecting/);
  });

  it("a folder whose conftest failed to import gets a result of its own", () => {
    const recorded = records([collected({ [a]: 1 }), { t: "collect-error", nodeid: "tests/http", path: "tests/http" }, finish(2)]);
    const results = resultsOfSerialRun(RUN, [a], outcome({ exitCode: 2, records: recorded }));
    expect(results.map((r) => [r.path, r.status])).toEqual([
      [a, "cancelled"],
      ["tests/http", "failed"],
    ]);
  });

  it("a failure with nothing to show for it (a usage error, an internal error) never passes: the first file unaccounted for takes it", () => {
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 4 }));
    expect(results.map((r) => r.status)).toEqual(["failed", "cancelled", "cancelled"]);
    expect(results[0]?.reason).toMatch(/usage error/);
    const allPassed = records([collected({ [a]: 1, [b]: 1, [c]: 1 }), ...passing(a, "t"), ...passing(b, "t"), ...passing(c, "t"), finish(3)]);
    expect(resultsOfSerialRun(RUN, paths, outcome({ exitCode: 3, records: allPassed })).some((r) => r.status === "failed")).toBe(true);
  });
});

describe("reading the plugin's records", () => {
  it("keeps what came before a line a kill cut short", () => {
    const text = `${JSON.stringify(collected({ "a.py": 2 }))}\n${JSON.stringify(test("a.py", "t", "call", "passed"))}\n{"t": "test", "nodeid": "a.py::u`;
    const parsed = parseRecords(text);
    expect(parsed.files.get("a.py")?.counts.passed).toBe(1);
    expect(parsed.exitStatus).toBeNull();
  });

  it("keeps each failed phase's message, report and captured output with its test, and a collection error's", () => {
    const failure = (message: string, longrepr?: string) => ({ message, ...(longrepr === undefined ? {} : { longrepr, sections: [{ title: "Captured stdout call", text: "hi\n" }, { title: 3, text: "not a section" }] }) });
    const parsed = records([
      { t: "collect-error", nodeid: "b.py", path: "b.py", ...failure("ModuleNotFoundError: No module named 'x'", "E   ModuleNotFoundError") },
      test("a.py", "t", "setup", ""),
      { ...test("a.py", "t", "call", "failed"), ...failure("assert 1 == 2", "def test_t():\n>   assert 1 == 2\nE   assert 1 == 2") },
      { ...test("a.py", "t", "teardown", "error"), ...failure("RuntimeError: teardown") },
      ...passing("a.py", "ok"),
    ]);
    const cases = parsed.files.get("a.py")?.cases ?? [];
    expect(cases.map((c) => [c.nodeid, c.outcome])).toEqual([
      ["a.py::t", "error"],
      ["a.py::ok", "passed"],
    ]);
    expect(cases[0]?.failures).toEqual([
      { when: "call", message: "assert 1 == 2", text: "def test_t():\n>   assert 1 == 2\nE   assert 1 == 2", sections: [{ title: "Captured stdout call", text: "hi\n" }] },
      { when: "teardown", message: "RuntimeError: teardown", text: null, sections: [] },
    ]);
    expect(cases[1]?.failures).toBeUndefined();
    expect(parsed.files.get("b.py")?.cases[0]?.failures).toEqual([{ when: "collect", message: "ModuleNotFoundError: No module named 'x'", text: "E   ModuleNotFoundError", sections: [{ title: "Captured stdout call", text: "hi\n" }] }]);
  });
});

describe("a process's records under project paths", () => {
  it("keep every test of a file whose path one record spelled otherwise (written while a test had os.path patched)", () => {
    const test = (nodeid: string, path: string, when: string, category: string) => JSON.stringify({ t: "test", nodeid, path, when, category, seconds: 0.01 });
    const text = [
      test("tests/test_a.py::test_one", "/p/tests/test_a.py", "call", "passed"),
      test("tests/test_a.py::test_patch", "assets/../../../..//p/tests/test_a.py", "call", "passed"),
      test("tests/test_a.py::test_two", "/p/tests/test_a.py", "call", "failed"),
    ].join("\n");
    const records = relativeRecords(parseRecords(text), "/p");
    expect([...records.files.keys()]).toEqual(["tests/test_a.py"]);
    const file = records.files.get("tests/test_a.py");
    expect(file?.cases.map((c) => [c.nodeid, c.outcome])).toEqual([
      ["tests/test_a.py::test_one", "passed"],
      ["tests/test_a.py::test_two", "failed"],
      ["tests/test_a.py::test_patch", "passed"],
    ]);
    expect(file?.counts).toMatchObject({ passed: 2, failed: 1 });
  });
});

describe("test durations", () => {
  it("are never negative nor longer than the process lived, whatever a frozen clock made pytest measure", () => {
    const test = (nodeid: string, seconds: number) => JSON.stringify({ t: "test", nodeid, path: "/p/tests/test_t.py", when: "call", category: "passed", seconds });
    const records = relativeRecords(parseRecords([test("tests/test_t.py::test_past", -45639.8), test("tests/test_t.py::test_future", 40779.3), test("tests/test_t.py::test_sane", 0.25)].join("\n")), "/p");
    const result = resultOfFile(RUN, outcome({ records, durationSeconds: 1.5 }));
    expect(result.cases.map((c) => [c.nodeid, c.seconds])).toEqual([
      ["tests/test_t.py::test_past", 0],
      ["tests/test_t.py::test_future", 1.5],
      ["tests/test_t.py::test_sane", 0.25],
    ]);
    const serial = resultsOfSerialRun(RUN, ["tests/test_t.py"], outcome({ records, durationSeconds: 1.5 }));
    expect(serial[0]?.cases.map((c) => c.seconds)).toEqual([0, 1.5, 0.25]);
  });
});

describe("a file gone before its turn", () => {
  const exists = (path: string) => path === "here.py";
  it("fails a file that ran nothing because a test of the run deleted it, alone (no tests) or in a pack (left by pytest)", () => {
    const alone = fileResult({ path: "made.py", status: "no-tests", tests: { passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 }, cases: [] });
    const packed = fileResult({ path: "made2.py", status: "cancelled", tests: null, log: null, leftByPytest: true });
    const [first, second] = goneBeforeItsTurn([alone, packed], exists, "pack.log");
    expect(first).toMatchObject({ status: "failed", reason: GONE_BEFORE_ITS_TURN });
    expect(second).toMatchObject({ status: "failed", reason: GONE_BEFORE_ITS_TURN, tests: { passed: 0, failed: 0 }, log: "pack.log" });
    expect(second).not.toHaveProperty("leftByPytest");
  });

  it("leaves a file that is still there, one that ran tests before it went, and one the run stopped before it began", () => {
    const here = fileResult({ path: "here.py", status: "no-tests", cases: [] });
    const ran = fileResult({ path: "ran.py", status: "passed" });
    const stopped = fileResult({ path: "stopped.py", status: "cancelled", tests: null, log: null });
    expect(goneBeforeItsTurn([here, ran, stopped], exists, "pack.log")).toEqual([here, ran, stopped]);
  });
});

describe("the warnings pytest's summary counts", () => {
  // A test's own, one raised while collecting a module, and one raised while configuring (in every file's process).
  const warned = (owner: string | null, message: string, file: string | null) => [owner, message, file, 3];
  const config = warned(null, "config.py:3: PytestConfigWarning: Unknown config option: bogus", "/site/_pytest/config.py");

  it("counts a file's own in its counts, and keys every one so that the run counts one raised by every process once", () => {
    const a = records([collected({ "a.py": 2 }), ...passing("a.py", "t1"), ...passing("a.py", "t2"), { t: "finish", exitstatus: 0, warnings: [warned("a.py", "UserWarning: careful", "a.py"), warned(null, "PytestUnknownMarkWarning: slow", "a.py"), config] }]);
    const b = records([collected({ "b.py": 1 }), ...passing("b.py", "t3"), { t: "finish", exitstatus: 0, warnings: [config] }]);
    const [ra] = withWarnings([resultOfFile({ ...RUN, path: "a.py", log: "a.log" }, outcome({ records: a }))], a, "a.log");
    const [rb] = withWarnings([resultOfFile({ ...RUN, path: "b.py", log: "b.log" }, outcome({ records: b }))], b, "b.log");
    expect(ra?.tests?.warnings).toBe(2);
    expect(rb?.tests).not.toHaveProperty("warnings");
    // 3 as a plain run's one session counts them: the configuration's warning once.
    expect(summariseRun([ra, rb] as FileResult[]).tests?.warnings).toBe(3);
    // A test's warning in two processes (a second iteration) is two warnings; the module's, raised in one place, one.
    const again = withWarnings([resultOfFile({ ...RUN, path: "a.py", log: "a2.log" }, outcome({ records: a }))], a, "a2.log");
    expect(summariseRun([ra, rb, ...again].map((r, i) => ({ ...(r as FileResult), path: `f${i}.py` }))).tests?.warnings).toBe(4);
    // A report read back has no keys: its files' own counts, summed.
    expect(summariseRun([ra, rb].map((r) => ({ ...(r as FileResult), warningKeys: undefined }))).tests?.warnings).toBe(2);
  });

  it("gives a shared process's warnings to the files they belong to, and counts the process's own once", () => {
    const pack = records([collected({ "a.py": 1, "b.py": 1 }), ...passing("a.py", "t1"), ...passing("b.py", "t2"), { t: "finish", exitstatus: 0, warnings: [warned("b.py", "UserWarning: careful", "b.py"), config] }]);
    const results = withWarnings(resultsOfSerialRun(RUN, ["a.py", "b.py"], outcome({ records: pack })), pack, "pack.log");
    expect(results.map((r) => r.tests?.warnings)).toEqual([undefined, 1]);
    expect(summariseRun(results).tests?.warnings).toBe(2);
    expect(withWarnings(results, records([finish(0)]), "pack.log")).toBe(results);
  });
});

describe("files pytest's --lf skipped whole (--debug)", () => {
  it("are not run, not cancelled: a run that listed them beforehand failed where every test passed (a helper's trial of janus)", () => {
    const lf = records([{ t: "collected", files: { "b.py": 1 }, lfSkipped: ["a.py", "c.py"] }, ...passing("b.py", "t1"), finish(0)]);
    const results = resultsOfSerialRun(RUN, ["a.py", "b.py", "c.py"], outcome({ records: lf }));
    expect(results.map((r) => [r.path, r.status])).toEqual([["b.py", "passed"]]);
  });
});
