/**
 * Statistics of a repeated run: per file across iterations, per iteration,
 * and throughput. Pure: results in, numbers out. A failure in any iteration
 * or attempt stays visible whatever passed after it.
 */
import { failedOnItsOwn, finalResults, type FileResult, type FileStatus } from "../model.js";

export interface FileLoadStats {
  path: string;
  /** Iterations in which the file ran (its last attempt counted once); a run cancelled before it started is none. */
  runs: number;
  passed: number;
  failed: number;
  cancelled: number;
  /** Iterations in which some attempt of the file failed or timed out, even if a retry passed. */
  failedIterations: number[];
  /** Passed somewhere and failed somewhere: across iterations, or within one through retries. */
  flaky: boolean;
  /** Of every execution's duration; null when none of the file's executions started. */
  p50Seconds: number | null;
  p95Seconds: number | null;
  maxSeconds: number | null;
}

export interface LoadStats {
  iterations: number;
  /** Iterations in which some attempt failed or timed out, even if a retry passed. */
  failedIterations: number[];
  /** Of those, the ones whose every failure a retry passed (by their files' last attempts, nothing failed). */
  retriedIterations: number[];
  /** Executions that ran (every attempt, cancelled-before-start excluded). */
  executions: number;
  testsRun: number;
  filesPerMinute: number;
  testsPerMinute: number;
  files: FileLoadStats[];
}

/** The nearest-rank percentile of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

/** The iterations in which some execution failed or timed out, ascending. */
function iterationsWithFailures(results: readonly FileResult[]): number[] {
  return [...new Set(results.filter((r) => failedOnItsOwn(r.status)).map((r) => r.iteration))].sort((a, b) => a - b);
}

const PASSING: ReadonlySet<FileStatus> = new Set(["passed", "flaky", "no-tests"]);

export function loadStats(results: readonly FileResult[], wallSeconds: number): LoadStats {
  const ran = results.filter((r) => r.log !== null);
  const finals = finalResults(results);
  const byPath = new Map<string, { all: FileResult[]; finals: FileResult[] }>();
  for (const result of results) {
    const entry = byPath.get(result.path) ?? { all: [], finals: [] };
    entry.all.push(result);
    byPath.set(result.path, entry);
  }
  for (const result of finals) byPath.get(result.path)?.finals.push(result);

  const files: FileLoadStats[] = [...byPath.entries()].map(([path, { all, finals: own }]) => {
    const durations = all.filter((r) => r.log !== null).map((r) => r.durationSeconds);
    const failedIterations = iterationsWithFailures(all);
    const passed = own.filter((r) => PASSING.has(r.status)).length;
    return {
      path,
      runs: own.filter((r) => r.log !== null).length,
      passed,
      failed: own.filter((r) => failedOnItsOwn(r.status)).length,
      cancelled: own.filter((r) => r.status === "cancelled").length,
      failedIterations,
      flaky: passed > 0 && failedIterations.length > 0,
      p50Seconds: durations.length > 0 ? percentile(durations, 50) : null,
      p95Seconds: durations.length > 0 ? percentile(durations, 95) : null,
      maxSeconds: durations.length > 0 ? Math.max(...durations) : null,
    };
  });

  const failedIterations = iterationsWithFailures(results);
  const failedInTheEnd = new Set(iterationsWithFailures(finals));
  const testsRun = ran.reduce((sum, r) => sum + (r.tests === null ? 0 : r.tests.passed + r.tests.failed + r.tests.errors + r.tests.xfailed + r.tests.xpassed), 0);
  const minutes = wallSeconds / 60;
  return {
    iterations: Math.max(0, ...results.map((r) => r.iteration)),
    failedIterations,
    retriedIterations: failedIterations.filter((iteration) => !failedInTheEnd.has(iteration)),
    executions: ran.length,
    testsRun,
    filesPerMinute: minutes > 0 ? ran.length / minutes : 0,
    testsPerMinute: minutes > 0 ? testsRun / minutes : 0,
    files: files.sort((a, b) => b.failedIterations.length - a.failedIterations.length || (a.path < b.path ? -1 : 1)),
  };
}
