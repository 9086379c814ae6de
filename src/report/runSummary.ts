/**
 * The numbers every report shows, computed once: files by status, tests by
 * outcome, what failed, what was cancelled, the time spent. The console
 * summary, the HTML page, the GitHub job summary and merge-reports all read
 * these, so that they cannot disagree. Pure: a report in, plain data out.
 */
import { addCounts, emptyCounts, failedOnItsOwn, finalResults, type FileStatus, type TestCounts } from "../model.js";

/** What a summary needs of each execution: a run's results and a report read back both have it. */
export interface SummarisedEntry {
  path: string;
  status: FileStatus;
  iteration: number;
  attempt: number;
  slot: number;
  durationSeconds: number;
  tests: Partial<TestCounts> | null;
  log: string | null;
  /** The run's own results: what its count of warnings counts (see FileResult); a report read back has none. */
  warningKeys?: readonly string[];
}

export interface RunSummary<T extends SummarisedEntry> {
  /** The last attempt of each file in each iteration: the results that decide the run. */
  finals: T[];
  /** Attempts that were retried (not among the finals). */
  retriedAttempts: number;
  byStatus: Record<FileStatus, number>;
  /** Tests of the finals that have a report, as pytest counts them; null when none has. */
  tests: TestCounts | null;
  /** Finals that ran (not cancelled) but left no test report: a crash, a kill. */
  withoutReport: number;
  /** Finals that failed or timed out on their own, in the order given. */
  failures: T[];
  /** Finals cancelled: stopped while running (they have a log), or never started. */
  cancelled: { running: T[]; notStarted: T[] };
  /** Seconds of every execution, retries included. */
  summedSeconds: number;
}

/**
 * The run's warnings as a plain run's one session counts them: each test's own once, and one raised while collecting
 * or configuring once however many files' processes raised it (their keys). A report read back (merge-reports) has
 * only the files' own counts, summed.
 */
function withRunWarnings(tests: TestCounts, finals: readonly SummarisedEntry[]): TestCounts {
  if (!finals.some((entry) => entry.warningKeys !== undefined)) return tests;
  return { ...tests, warnings: new Set(finals.flatMap((entry) => entry.warningKeys ?? [])).size };
}

export function summariseRun<T extends SummarisedEntry>(entries: readonly T[]): RunSummary<T> {
  const finals = finalResults(entries);
  const byStatus: Record<FileStatus, number> = { passed: 0, failed: 0, timeout: 0, cancelled: 0, "no-tests": 0, flaky: 0 };
  for (const entry of finals) byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
  const counted = finals.filter((entry) => entry.tests !== null);
  const cancelled = finals.filter((entry) => entry.status === "cancelled");
  return {
    finals,
    retriedAttempts: entries.length - finals.length,
    byStatus,
    tests: counted.length === 0 ? null : withRunWarnings(counted.reduce((sum, entry) => addCounts(sum, entry.tests ?? {}), emptyCounts()), finals),
    withoutReport: finals.filter((entry) => entry.tests === null && entry.status !== "cancelled").length,
    failures: finals.filter((entry) => failedOnItsOwn(entry.status)),
    cancelled: { running: cancelled.filter((entry) => entry.log !== null), notStarted: cancelled.filter((entry) => entry.log === null) },
    summedSeconds: entries.reduce((sum, entry) => sum + (Number.isFinite(entry.durationSeconds) ? entry.durationSeconds : 0), 0),
  };
}
