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

type Result = Pick<FileResult, "iteration" | "attempt" | "durationSeconds" | "parts" | "tests" | "cases">;

/**
 * The notice that suggests `--pack`, or null when it is not worth one: at least
 * QUICK_FILES_HINT_MIN_FILES files ran under `underSeconds` (what `--pack-under`
 * would pack), and what those files spent beside their tests (their processes'
 * own pytest sessions, which a pack shares) adds up to QUICK_FILES_HINT_MIN_SECONDS
 * and to QUICK_FILES_HINT_MIN_SHARE of all the files' time. Only files run whole,
 * in their first attempt, count: a split file's parts are not packed. Not for a
 * run that repeats its files (--loop, --duration), whose files are counted once
 * per round.
 */
export function quickFilesHint(results: readonly Result[], underSeconds: number): string | null {
  const whole = filesRunOnceWhole(results);
  if (whole === null) return null;
  const quick = whole.filter((result) => result.durationSeconds < underSeconds);
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
  const quickSeconds = sum(quick.map((result) => result.durationSeconds));
  const testSeconds = sum(quick.map((result) => sum(result.cases.map((c) => c.seconds))));
  const sessionSeconds = Math.max(0, quickSeconds - testSeconds);
  const allSeconds = sum(whole.map((result) => result.durationSeconds));
  if (quick.length < QUICK_FILES_HINT_MIN_FILES || sessionSeconds < QUICK_FILES_HINT_MIN_SECONDS || sessionSeconds < QUICK_FILES_HINT_MIN_SHARE * allSeconds) return null;
  const sorted = quick.map((result) => result.durationSeconds).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return (
    `${quick.length} of the ${whole.length} files took under ${underSeconds} s each (median ${median.toFixed(2)} s), ${quickSeconds.toFixed(0)} s in all, their tests ${testSeconds.toFixed(0)} s of it: ` +
    `the other ${sessionSeconds.toFixed(0)} s (of the files' ${allSeconds.toFixed(0)} s) are each file's own pytest session (start-up, collection, and what its first calls build anew). ` +
    "--pack runs them in shared processes, a worker's share at a time, each still reported on its own; files in a pack share module state, so keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md"
  );
}
