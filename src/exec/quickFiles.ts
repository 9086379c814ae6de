/**
 * A parallel run of many quick files, each in a process of its own: for a file
 * that takes a fraction of a second, its own pytest session (start-up,
 * configuration, collection, and whatever its first calls build anew, such as
 * a lexer's or a parser's compiled tables) is most of its cost, which `--pack`
 * shares among a worker's files. Pure: the run's results in, the hint out.
 */
import { QUICK_FILES_HINT_MIN_FILES, QUICK_FILES_HINT_MIN_SECONDS, QUICK_FILES_HINT_MIN_SHARE } from "../defaults.js";
import type { FileResult } from "../model.js";
import { filesRunOnceWhole } from "./wholeFiles.js";

/**
 * The notice that suggests `--pack`, or null when it is not worth one: at least
 * QUICK_FILES_HINT_MIN_FILES files ran under `underSeconds` (what `--pack-under`
 * would pack), adding up to QUICK_FILES_HINT_MIN_SECONDS and to
 * QUICK_FILES_HINT_MIN_SHARE of the files' time. Only files run whole, in their
 * first attempt, count: a split file's parts are not packed. Not for a run that
 * repeats its files (--loop, --duration), whose files are counted once per round.
 */
export function quickFilesHint(results: readonly Pick<FileResult, "iteration" | "attempt" | "durationSeconds" | "parts" | "tests">[], underSeconds: number): string | null {
  const whole = filesRunOnceWhole(results);
  if (whole === null) return null;
  const quick = whole.map((result) => result.durationSeconds).filter((seconds) => seconds < underSeconds);
  const quickSeconds = quick.reduce((sum, seconds) => sum + seconds, 0);
  const allSeconds = whole.reduce((sum, result) => sum + result.durationSeconds, 0);
  if (quick.length < QUICK_FILES_HINT_MIN_FILES || quickSeconds < QUICK_FILES_HINT_MIN_SECONDS || quickSeconds < QUICK_FILES_HINT_MIN_SHARE * allSeconds) return null;
  const sorted = [...quick].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return (
    `${quick.length} of the ${whole.length} files took under ${underSeconds} s each (median ${median.toFixed(2)} s), ${quickSeconds.toFixed(0)} s of the files' ${allSeconds.toFixed(0)} s: ` +
    "for files this quick, each one's own pytest session (start-up, collection, and what its first calls build anew) is most of that time. " +
    "--pack runs them in shared processes, a worker's share at a time, each still reported on its own; files in a pack share module state, so keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md"
  );
}
