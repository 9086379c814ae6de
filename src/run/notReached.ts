/**
 * A direct serial run learns its files from its one pytest process. When that
 * process cut its collection short (pytest's -x at a module that does not
 * import stops collecting there, as plain `pytest -x` does), the files after
 * the error were never collected: the listing asked then names them, and each
 * is counted as not run, as a file the session left after a failure is.
 * Pure.
 */
import { cancelledBeforeStart } from "../exec/results.js";
import { NOT_COLLECTED, type FileResult } from "../model.js";

/** One cancelled result for each listed file the serial run's results do not name, after them; none without a result to place them beside. */
export function notReachedResults(results: readonly FileResult[], listed: readonly string[]): FileResult[] {
  const known = new Set(results.map((result) => result.path));
  const last = results.at(-1);
  if (last === undefined) return [];
  return listed
    .filter((file) => !known.has(file))
    .map((file) => ({
      ...cancelledBeforeStart(file, last.iteration, last.attempt, last.startSeconds + last.durationSeconds),
      // In the serial run's slot, left by pytest's own stop: a plain run would not have run it either.
      slot: last.slot,
      reason: NOT_COLLECTED,
      leftByPytest: true,
    }));
}
