/**
 * Flake rates from the history: the files (and their tests) that both passed
 * and failed within their recent runs, and how often they failed. Pure: a
 * history in, plain data out. What counts as recent is history.ts's
 * (HISTORY_RECENT_RUNS); this module only reads the letters it keeps.
 */
import { compareCodeUnits } from "../projectPaths.js";
import type { FlakeRate, FlakyFile } from "../model.js";
import { SOURCE_CHANGED, type FileHistory, type History } from "./history.js";

/**
 * A P, F or K letter string's rate over all its runs; null unless it both
 * passed and failed on the same source: within one stretch between `|`
 * (history.ts's SOURCE_CHANGED), or in one run (K, failed then passed on a
 * retry). A test that failed, was fixed and passes since is not flaky.
 */
export function flakeRate(letters: string): FlakeRate | null {
  const { flaky, ...rate } = tally(letters);
  return flaky ? rate : null;
}

/** Every recent run counted, failed or not, and whether a pass and a failure share a stretch of one source (or a run). */
function tally(letters: string): FlakeRate & { flaky: boolean } {
  let runs = 0;
  let failed = 0;
  let retried = 0;
  let flaky = false;
  for (const stretch of letters.split(SOURCE_CHANGED)) {
    let stretchFailed = false;
    let stretchPassed = false;
    for (const letter of stretch) {
      if (letter !== "P" && letter !== "F" && letter !== "K") continue;
      runs++;
      if (letter !== "P") {
        failed++;
        stretchFailed = true;
      }
      if (letter === "K") retried++;
      if (letter !== "F") stretchPassed = true;
    }
    flaky ||= stretchFailed && stretchPassed;
  }
  return { runs, failed, ...(retried > 0 ? { retried } : {}), flaky };
}

/**
 * The flaky files among `paths` (every file of the history when null): a file
 * is flaky when it, or one of its tests, both passed and failed recently. The
 * most often failing first, then by path.
 */
export function flakyFiles(history: History, paths: readonly string[] | null = null): FlakyFile[] {
  const wanted = paths === null ? Object.keys(history.files) : [...new Set(paths)];
  const flaky: FlakyFile[] = [];
  for (const path of wanted) {
    const entry: FileHistory | undefined = history.files[path];
    if (entry === undefined) continue;
    const tests = Object.entries(entry.tests ?? {})
      .flatMap(([nodeid, letters]) => {
        const rate = typeof letters === "string" ? flakeRate(letters) : null;
        return rate === null ? [] : [{ nodeid, ...rate }];
      })
      .sort((a, b) => byRate(a, b) || compareCodeUnits(a.nodeid, b.nodeid));
    const own = tally(typeof entry.recent === "string" ? entry.recent : "");
    if (!own.flaky && tests.length === 0) continue;
    // A file listed for a flaky test still says how its own runs went: all passed (the test passed on a retry inside
    // pytest, say), or all failed (another of its tests always fails).
    flaky.push({ path, runs: own.runs, failed: own.failed, ...(own.retried === undefined ? {} : { retried: own.retried }), tests });
  }
  // A file listed for its flaky tests only ranks by its flakiest test, not by its own steady failures.
  const ranked = (file: FlakyFile): FlakeRate => (bothWays(file) ? file : (file.tests[0] ?? file));
  return flaky.sort((a, b) => byRate(ranked(a), ranked(b)) || compareCodeUnits(a.path, b.path));
}

/** Whether the runs counted both passed and failed: a file is listed for its flaky tests too, whichever way its own runs went. */
export function bothWays(rate: FlakeRate): boolean {
  return rate.failed > 0 && rate.failed < rate.runs;
}

/** Higher failure share first; at the same share, the better-attested one. */
function byRate(a: FlakeRate, b: FlakeRate): number {
  return share(b) - share(a) || b.runs - a.runs;
}

export function share(rate: FlakeRate): number {
  return rate.runs === 0 ? 0 : rate.failed / rate.runs;
}
