/**
 * pytest's last-failed memory after a run of many processes is what one plain pytest run would leave.
 */
import { describe, expect, it } from "vitest";
import { updateLastFailed, updateNodeIds } from "../../src/plan/pytestCache.js";
import { fileResult } from "../helpers/results.js";

describe("pytest's last-failed memory", () => {
  it("remembers what failed, forgets what passed or was skipped, and keeps what did not run", () => {
    const before = { "tests/a.py::t_fixed": true, "tests/b.py::t_old": true, "tests/c.py": true };
    const results = [
      fileResult({ path: "tests/a.py", startSeconds: 1, cases: [
        { nodeid: "tests/a.py::t_fixed", outcome: "passed", seconds: 1 },
        { nodeid: "tests/a.py::t_new", outcome: "failed", seconds: 1 },
        { nodeid: "tests/a.py::t_skip", outcome: "skipped", seconds: 0 },
      ] }),
      fileResult({ path: "tests/c.py", startSeconds: 2, cases: [{ nodeid: "tests/c.py::t", outcome: "passed", seconds: 1 }] }),
      fileResult({ path: "tests/d.py", startSeconds: 3, cases: [{ nodeid: "tests/d.py", outcome: "error", seconds: 0 }] }),
    ];
    expect(updateLastFailed(before, results)).toEqual({ "tests/a.py::t_new": true, "tests/b.py::t_old": true, "tests/d.py": true });
  });

  it("lets a later attempt decide: a retry that passed is forgotten", () => {
    const failedOnce = fileResult({ path: "a.py", startSeconds: 1, attempt: 1, cases: [{ nodeid: "a.py::t", outcome: "failed", seconds: 1 }] });
    const passedOnRetry = fileResult({ path: "a.py", startSeconds: 2, attempt: 2, cases: [{ nodeid: "a.py::t", outcome: "passed", seconds: 1 }] });
    expect(updateLastFailed({}, [passedOnRetry, failedOnce])).toEqual({});
  });
});

describe("pytest's memory of the tests it has seen (--nf)", () => {
  it("keeps what it knew and adds every test of every file's process, sorted; a collection error is no test", () => {
    const results = [
      fileResult({ path: "tests/b.py", cases: [{ nodeid: "tests/b.py::t2", outcome: "passed", seconds: 1 }, { nodeid: "tests/b.py::t1", outcome: "failed", seconds: 1 }] }),
      fileResult({ path: "tests/a.py", cases: [{ nodeid: "tests/a.py::t", outcome: "skipped", seconds: 0 }] }),
      fileResult({ path: "tests/c.py", cases: [{ nodeid: "tests/c.py", outcome: "error", seconds: 0 }] }),
    ];
    expect(updateNodeIds(["tests/old.py::t", "tests/a.py::t"], results)).toEqual(["tests/a.py::t", "tests/b.py::t1", "tests/b.py::t2", "tests/old.py::t"]);
  });
});
