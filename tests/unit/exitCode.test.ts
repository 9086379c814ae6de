import { describe, expect, it } from "vitest";
import { exitCodeOf } from "../../src/exitCode.js";
import { CONFTEST_NOT_LOADED, type FileResult, type FileStatus } from "../../src/model.js";
import { fileResult } from "../helpers/results.js";

function result(path: string, status: FileStatus, attempt = 1, iteration = 1): FileResult {
  return fileResult({ path, status, attempt, iteration });
}
const base = { stopReason: null, interruptedBy: null, flakyPasses: true } as const;

describe("the run's exit code", () => {
  it("is 0 when every file passed, no-tests files included", () => {
    expect(exitCodeOf({ ...base, results: [result("a", "passed"), result("b", "no-tests")] })).toBe(0);
  });
  it("is 1 for a failure, a timeout or a cancellation", () => {
    for (const status of ["failed", "timeout", "cancelled"] as const) {
      expect(exitCodeOf({ ...base, results: [result("a", "passed"), result("b", status)] })).toBe(1);
    }
  });
  it("is 5 when no file collected anything", () => {
    expect(exitCodeOf({ ...base, results: [result("a", "no-tests"), result("b", "no-tests")] })).toBe(5);
  });
  it("is 0 when pytest collected nothing and passed all the same (a plugin's verdict), but not over a file that ran", () => {
    expect(exitCodeOf({ ...base, results: [], emptyPassed: true })).toBe(0);
    expect(exitCodeOf({ ...base, results: [], emptyPassed: false })).toBe(5);
    expect(exitCodeOf({ ...base, results: [result("a", "failed")], emptyPassed: true })).toBe(1);
  });
  it("is 2 when pytest rejected its arguments in a file's process (its exit code 4), whatever else failed", () => {
    const rejected = fileResult({ path: "b", status: "failed", exitCode: 4 });
    expect(exitCodeOf({ ...base, results: [result("a", "passed"), rejected] })).toBe(2);
    expect(exitCodeOf({ ...base, results: [result("a", "failed"), rejected] })).toBe(2);
    expect(exitCodeOf({ ...base, results: [result("a", "passed"), fileResult({ path: "b", status: "failed", exitCode: 1 })] })).toBe(1);
  });
  it("is 1 where a file's exit code 4 was a conftest that did not import in its process alone", () => {
    const conftest = fileResult({ path: "b", status: "failed", exitCode: 4, reason: CONFTEST_NOT_LOADED });
    expect(exitCodeOf({ ...base, results: [result("a", "passed"), conftest] })).toBe(1);
  });
  it("judges a retried file by its last attempt; flaky passes unless told otherwise", () => {
    const results = [result("a", "failed", 1), result("a", "flaky", 2)];
    expect(exitCodeOf({ ...base, results })).toBe(0);
    expect(exitCodeOf({ ...base, results, flakyPasses: false })).toBe(1);
  });
  it("never lets a later iteration's pass hide an earlier failure", () => {
    expect(exitCodeOf({ ...base, results: [result("a", "failed", 1, 1), result("a", "passed", 1, 2)] })).toBe(1);
  });
  it("is 130, 143 or 129 after SIGINT, SIGTERM or SIGHUP; 3 for an environment failure; 4 for an internal error", () => {
    expect(exitCodeOf({ ...base, results: [], stopReason: "interrupt", interruptedBy: "SIGINT" })).toBe(130);
    expect(exitCodeOf({ ...base, results: [], stopReason: "interrupt", interruptedBy: "SIGTERM" })).toBe(143);
    expect(exitCodeOf({ ...base, results: [], stopReason: "interrupt", interruptedBy: "SIGHUP" })).toBe(129);
    expect(exitCodeOf({ ...base, results: [result("a", "passed")], stopReason: "environment" })).toBe(3);
    expect(exitCodeOf({ ...base, results: [result("a", "passed")], stopReason: "error" })).toBe(4);
  });
});
