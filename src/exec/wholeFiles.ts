/**
 * What the run's closing hints judge a run by: each file as it ran once, whole.
 */
import type { FileResult } from "../model.js";

type Execution = Pick<FileResult, "iteration" | "attempt" | "parts" | "tests">;

/**
 * The executions that ran a file whole (not in --split parts) in its first
 * attempt and started pytest; null for a run that repeats its files (--loop,
 * --duration), which counts each file once per round.
 */
export function filesRunOnceWhole<T extends Execution>(results: readonly T[]): T[] | null {
  if (results.some((result) => result.iteration > 1)) return null;
  return results.filter((result) => result.attempt === 1 && (result.parts ?? null) === null && result.tests !== null);
}
