/**
 * A parallel run of many quick files, each in a process of its own: for a file
 * that takes a fraction of a second, its own pytest session (start-up,
 * configuration, collection, and whatever its first calls build anew, such as
 * a lexer's or a parser's compiled tables) is most of its cost, which `--pack`
 * shares among a worker's files. Pure: the run's results in, the hint out.
 */
import { QUICK_FILES_HINT_MIN_FILES, QUICK_FILES_HINT_MIN_SECONDS, QUICK_FILES_HINT_MIN_SHARE, QUICK_FILES_HINT_SMALL_MIN_SECONDS, QUICK_FILES_HINT_SMALL_MIN_SHARE } from "../defaults.js";
import { filesByLog, type FileResult } from "../model.js";
import { packSpares } from "./hintRules.js";
import { filesRunOnceWhole } from "./wholeFiles.js";

type Result = Pick<FileResult, "iteration" | "attempt" | "durationSeconds" | "parts" | "tests" | "cases"> & Partial<Pick<FileResult, "log" | "path" | "status">>;

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

/**
 * The files run whole once (filesRunOnceWhole) that had a process of their own: files already sharing one (a run's
 * doctest-only modules, packed together) gain nothing from --pack, and have no session of their own to count. Counted
 * in, boltons' 32 such modules made a hint of "11 s … each file's own pytest session … 0.0 s a file at the median"
 * (a helper's trial). A result that names no log counts as its own process's.
 */
function wholeInOwnProcesses<T extends Result>(results: readonly T[]): T[] | null {
  const whole = filesRunOnceWhole(results);
  if (whole === null) return null;
  const logged = whole.filter((result): result is T & Pick<FileResult, "log" | "path"> => result.log !== undefined && result.path !== undefined);
  const filesOfLog = filesByLog(logged);
  return whole.filter((result) => result.log === undefined || result.log === null || (filesOfLog.get(result.log) ?? 1) <= 1);
}

/**
 * The notice that suggests `--pack`, or null when it is not worth one: at least
 * QUICK_FILES_HINT_MIN_FILES files ran under `underSeconds` (what `--pack-under`
 * would pack), and what those files spent beside their tests (their processes'
 * own pytest sessions, which a pack shares) adds up to QUICK_FILES_HINT_MIN_SECONDS
 * and to QUICK_FILES_HINT_MIN_SHARE of all the files' time (or, in a small suite, to
 * QUICK_FILES_HINT_SMALL_MIN_SECONDS and QUICK_FILES_HINT_SMALL_MIN_SHARE). Only files run whole,
 * in their first attempt, count: a split file's parts are not packed. Not for a
 * run that repeats its files (--loop, --duration), whose files are counted once
 * per round.
 */
export function quickFilesHint(results: readonly Result[], underSeconds: number): string | null {
  const whole = wholeInOwnProcesses(results);
  if (whole === null) return null;
  const quick = whole.filter((result) => result.durationSeconds < underSeconds);
  const quickSeconds = sum(quick.map((result) => result.durationSeconds));
  const testSeconds = sum(quick.map((result) => sum(result.cases.map((c) => c.seconds))));
  const sessionSeconds = Math.max(0, quickSeconds - testSeconds);
  const allSeconds = sum(whole.map((result) => result.durationSeconds));
  const worth =
    (sessionSeconds >= QUICK_FILES_HINT_MIN_SECONDS && sessionSeconds >= QUICK_FILES_HINT_MIN_SHARE * allSeconds) ||
    (sessionSeconds >= QUICK_FILES_HINT_SMALL_MIN_SECONDS && sessionSeconds >= QUICK_FILES_HINT_SMALL_MIN_SHARE * allSeconds);
  if (quick.length < QUICK_FILES_HINT_MIN_FILES || !worth) return null;
  const sorted = quick.map((result) => result.durationSeconds).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return (
    `${quick.length} of the ${whole.length} files took under ${underSeconds} s each (median ${median.toFixed(2)} s), ${quickSeconds.toFixed(0)} s in all, ` +
    `of which ${sessionSeconds.toFixed(0)} s went to the files' own pytest sessions (start-up, collection, and what their first calls build anew), not to their tests. ` +
    "--pack runs them in shared processes, a worker's share at a time, each still reported on its own. Files in a pack share module state: keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md"
  );
}

/** A --pack-under is chosen that spares at least this share of what the largest would. */
const SPARES_MOST = 0.8;

/**
 * The notice that names a `--pack-under` above the default, for a run whose files each spend seconds on their own
 * pytest session (a conftest that takes long to import: fastapi-users' hashes five passwords with argon2, 2.5 s in every
 * file's process), where no file is under the default's 1 s for the quick files' notice to count (a helper's trial).
 * Of the `--pack-under`s that would pack files in whole seconds, the least that spares SPARES_MOST of what the best one
 * would, counting a session per worker's share instead of one per file; said where that comes to
 * QUICK_FILES_HINT_MIN_SECONDS and QUICK_FILES_HINT_MIN_SHARE of the files' time, with PACK_HINT_MIN_FILES_PER_WORKER
 * files a worker packed, and where the wall time it could save, the longest file's aside, is worth it. Null otherwise, and
 * for a `--pack-under` of the default's, which the quick files' notice judges. `packing`: the run packed with that
 * `--pack-under` (`defaultUnder` then), and said so: a plain `--pack` on inflect's suite, whose files spent 9 s each
 * importing the package, packed none of them and took as long as without it, without a word (a helper's trial).
 */
export function slowSessionsHint(results: readonly Result[], workers: number, defaultUnder: number, packing = false): string | null {
  const whole = wholeInOwnProcesses(results);
  if (whole === null) return null;
  const files = whole.map((result) => {
    const tests = sum(result.cases.map((c) => c.seconds));
    return { seconds: result.durationSeconds, tests, session: Math.max(0, result.durationSeconds - tests) };
  });
  const allSeconds = sum(files.map((file) => file.seconds));
  const options = [...new Set(files.map((file) => Math.floor(file.seconds) + 1))]
    .sort((a, b) => a - b)
    .map((under) => {
      const packed = files.filter((file) => file.seconds < under);
      const spared = packSpares(sum(packed.map((file) => file.session)), packed.length, workers);
      return { under, packed, spared };
    });
  const most = Math.max(0, ...options.map((option) => option.spared));
  if (most < QUICK_FILES_HINT_MIN_SECONDS || most < QUICK_FILES_HINT_MIN_SHARE * allSeconds) return null;
  const chosen = options.find((option) => option.spared >= SPARES_MOST * most);
  if (chosen === undefined || chosen.under <= defaultUnder) return null;
  const { under, packed, spared } = chosen;
  // The wall time the workers' time spared could take off: none of what the longest file takes alone, which no pack
  // shortens (kombu's suite: "up to about 10 s less" where its 22 s test_redis.py kept 3 s of them, a helper's trial).
  const longest = Math.max(0, ...files.map((file) => file.seconds));
  const wallSpared = Math.max(longest, allSeconds / workers) - Math.max(longest, (allSeconds - spared) / workers);
  if (wallSpared < QUICK_FILES_HINT_MIN_SECONDS / workers) return null;
  const sessions = packed.map((file) => file.session).sort((a, b) => a - b);
  const median = sessions[Math.floor(sessions.length / 2)] ?? 0;
  const ranAlone = `--pack left every file of ${defaultUnder} s or more (--pack-under ${defaultUnder}) in a process of its own: `;
  return (
    `${packing ? ranAlone : ""}${packed.length} of the ${whole.length} ${packing ? "such " : ""}files took under ${under} s each, ${sum(packed.map((file) => file.seconds)).toFixed(0)} s in all, ` +
    `of which ${sum(sessions).toFixed(0)} s went to the files' own pytest sessions (start-up, conftests, collection: ${median.toFixed(1)} s a file at the median), not to their tests. ` +
    `--pack --pack-under ${under} runs them in shared processes, a worker's share at a time, each still reported on its own: up to about ${wallSpared.toFixed(0)} s less wall time at ${workers} workers (${spared.toFixed(0)} s of the workers' time), a session being paid per worker's share instead of per file (each file is still collected). ` +
    "Files in a pack share module state: keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md"
  );
}
