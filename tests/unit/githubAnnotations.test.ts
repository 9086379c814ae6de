/**
 * The line a GitHub annotation of a failed file points at: pytest's `path:LINE:` in the file's last lines, else the
 * failed tests' tracebacks, in pytest's style or Python's own (`--tb native`).
 */
import { describe, expect, it } from "vitest";
import { failingLine, githubAnnotations, githubSummary } from "../../src/report/githubReporter.js";
import { fileResult } from "../helpers/results.js";

const failed = (text: string, tail: string[] = []) =>
  fileResult({ path: "tests/test_x.py", status: "failed", tail, cases: [{ nodeid: "tests/test_x.py::test_x", outcome: "failed", seconds: 0.1, failures: [{ when: "call", message: "AssertionError", text, sections: [] }] }] });

describe("the line of a failed file's annotation", () => {
  it("is pytest's last path:LINE: in the file's last lines", () => {
    expect(failingLine(failed("", ["tests/test_x.py:12: AssertionError", "=== 1 failed ==="]))).toBe(12);
  });

  it("is the failed test's traceback's last place in the file where the last lines name none: --tb native, or a long log", () => {
    const native = 'Traceback (most recent call last):\n  File "/home/u/p/tests/test_x.py", line 7, in test_x\n    helper()\n  File "/home/u/p/tests/test_x.py", line 3, in helper\n    assert False\n  File "/usr/lib/python3.11/other.py", line 99, in x\nAssertionError';
    expect(failingLine(failed(native, ["=== 1 failed in 0.1s ==="]))).toBe(3);
    expect(failingLine(failed("    def test_x():\n>       assert f()\n\ntests/test_x.py:9: \n\n    def f():\n>       assert 0\nE       assert 0\n\ntests/test_x.py:5: AssertionError"))).toBe(5);
    // Another file's line is not this file's.
    expect(failingLine(failed('  File "/p/tests/test_x.py.bak", line 4, in x\n  File "/p/other/tests/test_xy.py", line 8'))).toBeNull();
  });

  it("is the stopped test's place, as the stop's report names it, for a file that timed out (a helper's CI trial: no line)", () => {
    const tail = ["grimoire-run stopped this test, tests/test_x.py::test_hang, here:", '  File "/ci/work/tests/test_x.py", line 5, in test_hang', "    time.sleep(300)"];
    expect(failingLine(fileResult({ path: "tests/test_x.py", status: "timeout", tail }))).toBe(5);
  });
});

describe("a flaky file in GitHub's annotations and summary", () => {
  const flaky = fileResult({ path: "tests/test_f.py", status: "flaky", attempt: 2 });
  const report = (exitCode: number, files = [flaky]) => ({ version: 1 as const, runId: "r", exitCode, wallSeconds: 1, workers: 2, files });

  it("is an error where it alone failed the run (--flaky-result fail, CI's default), a warning otherwise", () => {
    expect(githubAnnotations(report(1))).toEqual(["::error file=tests/test_f.py,title=FLAKY tests/test_f.py::failed, then passed on attempt 2: a flaky file fails the run under --flaky-result fail, the default where CI is set"]);
    expect(githubAnnotations(report(0))).toEqual(["::warning file=tests/test_f.py,title=FLAKY tests/test_f.py::failed, then passed on attempt 2"]);
    expect(githubSummary(report(1))).toContain("1 file, 0 failed, 1 flaky · tests:");
  });
});
