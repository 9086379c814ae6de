/**
 * What the console says as a run stops at a failure: what it does now, kill the processes still running or, with
 * none, only start no other file. Pure: the cause in, the words out.
 */
import { describe, expect, it } from "vitest";
import { stopping } from "../../src/report/consoleReporter.js";
import { fileResult } from "../helpers/results.js";

const failed = fileResult({ path: "tests/test_environs.py", status: "failed" });

describe("the stop at a failure, in words", () => {
  it("kills the running processes where there are some, and says only that the run stops where there are none (environs' trial)", () => {
    expect(stopping({ reason: "fail-fast", result: failed, pytestExitFirst: false, othersRunning: 1 })).toBe("tests/test_environs.py failed (--fail-fast): stopping every running test process");
    expect(stopping({ reason: "fail-fast", result: failed, pytestExitFirst: false, othersRunning: 0 })).toBe("tests/test_environs.py failed (--fail-fast): stopping the run");
    expect(stopping({ reason: "max-failures", failedTests: 3, limit: 3, result: failed, othersRunning: 0 })).toBe("3 tests failed or errored (pytest's --maxfail=3 counts both): stopping the run");
    expect(stopping({ reason: "max-failures", failedTests: 3, limit: 3, result: failed, othersRunning: 0 }, { over: true })).toBe("3 tests failed or errored (pytest's --maxfail=3 counts both)");
    expect(stopping({ reason: "max-failures", failedTests: 3, limit: 3, result: failed, othersRunning: 2 }, { over: true })).toMatch(/the files still running were stopped/);
  });
});
