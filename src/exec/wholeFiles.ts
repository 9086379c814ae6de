/**
 * What the run's closing hints judge a run by: each file as it ran once, whole.
 */
import { testsRun, type FileResult } from "../model.js";

type Execution = Pick<FileResult, "iteration" | "attempt" | "parts" | "tests"> & Partial<Pick<FileResult, "status">>;

/**
 * A file that failed before it ran a test (an internal error at its session's start, a conftest's): its time is no
 * measure of a session's cost, nor of what it would take when it works. Seven of django-filter's nine files, sharing
 * one SQLite file, failed so, and the run's end suggested --pack for them (a helper's trial).
 */
export function failedBeforeATest(result: Execution): boolean {
  return result.status === "failed" && result.tests !== null && testsRun(result.tests) === 0;
}

/**
 * The executions that ran a file whole (not in --split parts) in its first
 * attempt, started pytest and did not fail before its first test; null for a run that repeats its files (--loop,
 * --duration), which counts each file once per round.
 */
export function filesRunOnceWhole<T extends Execution>(results: readonly T[]): T[] | null {
  if (results.some((result) => result.iteration > 1)) return null;
  return results.filter((result) => result.attempt === 1 && (result.parts ?? null) === null && result.tests !== null && !failedBeforeATest(result));
}
