/**
 * Why an execution ended as it did, where no test says it (a timeout, a crash): kept in the JSON report and shown by
 * the HTML report beside the file's tests (a helper's trial: a timed-out file's row said "1 test: 1 passed" and
 * nothing of the limit or of what hung).
 */
import { describe, expect, it } from "vitest";
import type { RunReport } from "../../src/model.js";
import { renderHtmlReport } from "../../src/report/htmlReport.js";
import { toJsonReport } from "../../src/report/jsonReport.js";
import { fileResult } from "../helpers/results.js";

const run = (files: RunReport["files"]): RunReport => ({ version: 1, runId: "r", exitCode: 1, wallSeconds: 4, workers: 2, files });

describe("why a file ended as it did", () => {
  it("is in the JSON report and the HTML report for a file that timed out, and nothing is said of a file that passed", () => {
    const report = run([
      fileResult({ path: "tests/http/test_hangs.py", status: "timeout", reason: "no result within the 3s time limit", stoppedIn: "tests/http/test_hangs.py::test_hangs" }),
      fileResult({ path: "tests/http/test_ok.py", status: "passed", reason: null }),
      // The usual failure, tests that failed: its tests say it.
      fileResult({ path: "tests/http/test_bad.py", status: "failed", exitCode: 1, reason: "tests failed", tests: { passed: 0, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 } }),
    ]);
    const json = toJsonReport(report);
    expect(json.files.map((f) => f.reason)).toEqual(["no result within the 3s time limit", undefined, undefined]);
    expect(json.files.map((f) => f.stoppedIn)).toEqual(["tests/http/test_hangs.py::test_hangs", undefined, undefined]);
    const html = renderHtmlReport(json, { fileHref: (file) => file });
    expect(html).toContain('<p class="reason">no result within the 3s time limit (stopped in tests/http/test_hangs.py::test_hangs)</p>');
    expect(html.match(/class="reason"/g)).toHaveLength(1);
  });
});
