import { describe, expect, it } from "vitest";
import type { FileResult, FileStatus } from "../../src/model.js";
import { loadStats, percentile } from "../../src/report/loadStats.js";
import { palette } from "../../src/report/style.js";
import { formatSummary } from "../../src/report/summary.js";
import type { RunReport } from "../../src/model.js";
import { fileResult } from "../helpers/results.js";

function run(path: string, iteration: number, status: FileStatus, seconds: number, attempt = 1, started = status !== "cancelled"): FileResult {
  return fileResult({
    path,
    iteration,
    attempt,
    status,
    durationSeconds: seconds,
    tests: { passed: 2, failed: status === "failed" ? 1 : 0, skipped: 1, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 },
    log: started ? "x.log" : null,
  });
}

describe("percentile", () => {
  it("is the nearest rank", () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile([3], 95)).toBe(3);
  });
});

describe("load statistics", () => {
  const results = [
    run("a.py", 1, "passed", 1),
    run("a.py", 2, "failed", 3),
    run("a.py", 3, "passed", 2),
    run("b.py", 1, "passed", 1),
    run("b.py", 2, "failed", 1),
    run("b.py", 2, "flaky", 1, 2),
    run("b.py", 3, "passed", 1),
    run("c.py", 1, "passed", 1),
    run("c.py", 2, "passed", 1),
    run("c.py", 3, "cancelled", 0),
    run("d.py", 1, "passed", 1),
    run("d.py", 2, "passed", 2),
    run("d.py", 3, "cancelled", 4, 1, true),
    run("e.py", 3, "cancelled", 0),
  ];
  const stats = loadStats(results, 30);

  it("counts iterations, and those with failures, including failures a retry passed", () => {
    expect(stats.iterations).toBe(3);
    expect(stats.failedIterations).toEqual([2]);
    // a.py's failure in iteration 2 was its last attempt's: not passed on a retry.
    expect(stats.retriedIterations).toEqual([]);
    const retried = loadStats([run("b.py", 1, "passed", 1), run("b.py", 2, "failed", 1), run("b.py", 2, "flaky", 1, 2), run("a.py", 3, "failed", 1)], 10);
    expect(retried).toMatchObject({ failedIterations: [2, 3], retriedIterations: [2] });
  });

  it("counts each file's runs by its last attempt, and calls a file that passed and failed flaky", () => {
    const byPath = Object.fromEntries(stats.files.map((f) => [f.path, f]));
    expect(byPath["a.py"]).toMatchObject({ runs: 3, passed: 2, failed: 1, failedIterations: [2], flaky: true });
    expect(byPath["b.py"]).toMatchObject({ runs: 3, passed: 3, failed: 0, failedIterations: [2], flaky: true });
    expect(byPath["c.py"]).toMatchObject({ runs: 2, passed: 2, failed: 0, cancelled: 1, flaky: false });
  });

  it("counts a run stopped while running, and not one cancelled before it started (Ctrl-C in a loop)", () => {
    const byPath = Object.fromEntries(stats.files.map((f) => [f.path, f]));
    expect(byPath["d.py"]).toMatchObject({ runs: 3, passed: 2, cancelled: 1, maxSeconds: 4 });
    expect(byPath["e.py"]).toMatchObject({ runs: 0, passed: 0, failed: 0, cancelled: 1, p50Seconds: null, p95Seconds: null, maxSeconds: null });
  });

  it("takes durations from every execution that ran", () => {
    const a = stats.files.find((f) => f.path === "a.py");
    expect([a?.p50Seconds, a?.p95Seconds, a?.maxSeconds]).toEqual([2, 3, 3]);
  });

  it("measures throughput over the wall time, per minute", () => {
    expect(stats.executions).toBe(12);
    expect(stats.filesPerMinute).toBe(24);
    expect(stats.testsRun).toBe(12 * 2 + 2);
    expect(stats.testsPerMinute).toBe(52);
  });

  it("lists the files that failed most first", () => {
    expect(stats.files.map((f) => f.path)).toEqual(["a.py", "b.py", "c.py", "d.py", "e.py"]);
  });

  it("shows a file none of whose runs started with no runs and no durations in the summary's table", () => {
    const report: RunReport = { version: 1, runId: "r", exitCode: 130, wallSeconds: 30, workers: 2, files: results };
    const lines = formatSummary(report, { load: true, colours: palette(false), stopped: null });
    const row = (path: string) => lines.find((line) => line.startsWith(path))?.trim().split(/\s+/);
    expect(row("e.py")).toEqual(["e.py", "0", "0", "0", "-", "-", "-"]);
    expect(row("d.py")).toEqual(["d.py", "3", "2", "0", "2.0s", "4.0s", "4.0s"]);
  });

  it("says which iterations' failures a retry passed, beside the ones that stayed failed", () => {
    const iterationsLine = (files: FileResult[]) =>
      formatSummary({ version: 1, runId: "r", exitCode: 0, wallSeconds: 30, workers: 2, files }, { load: true, colours: palette(false), stopped: null }).find((line) => line.startsWith("Iterations"));
    const flakyOnce = [run("b.py", 1, "passed", 1), run("b.py", 2, "failed", 1), run("b.py", 2, "flaky", 1, 2)];
    expect(iterationsLine(flakyOnce)).toBe("Iterations: 2, 1 with failures (iteration 2, its failures passed on a retry)");
    expect(iterationsLine([...flakyOnce, run("a.py", 3, "failed", 1)])).toBe("Iterations: 3, 2 with failures (iterations 2, 3; 2 passed on a retry)");
    expect(iterationsLine([run("a.py", 1, "failed", 1), run("a.py", 2, "passed", 1)])).toBe("Iterations: 2, 1 with failures (iteration 1)");
  });
});
