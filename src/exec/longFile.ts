/**
 * A parallel run that could not end before one long file: per-file scheduling
 * keeps a file in one process, so a file longer than the workers' share of the
 * run sets the wall time however the rest is ordered, which `--split auto`
 * divides. Pure: the run's results in, the hint out.
 */
import { LONG_FILE_HINT_MIN_SECONDS, LONG_FILE_HINT_MIN_SHARE } from "../defaults.js";
import type { FileResult } from "../model.js";
import { filesRunOnceWhole } from "./wholeFiles.js";

type Result = Pick<FileResult, "path" | "status" | "signal" | "iteration" | "attempt" | "durationSeconds" | "parts" | "tests" | "cases" | "testsSeconds">;

/**
 * The notice that suggests `--split auto`, or null when it is not worth one.
 * The run's longest file must be longer than its share of the run (the files'
 * summed seconds over the workers), have at least two tests, and
 * `splitsNextRun` must say that a next run with --split auto would split it
 * (judged by the history as this run leaves it, as that run will judge it: a
 * tests module, not marked grimoire_serial, not matched by --no-split, longer
 * than its share by its remembered seconds); what
 * splitting it into one part per worker could save must be at least
 * LONG_FILE_HINT_MIN_SECONDS and LONG_FILE_HINT_MIN_SHARE of the file, each
 * part paying again what the file spent outside its tests. Not for a run that
 * repeats its files (--loop, --duration), nor when the longest file was timed
 * out or killed (a hang's time is no test's).
 */
export function longFileHint(results: readonly Result[], workers: number, splitsNextRun: (path: string) => boolean, usedWorkers = workers): string | null {
  const whole = filesRunOnceWhole(results);
  if (workers < 2 || whole === null) return null;
  const longest = whole.reduce<Result | null>((found, result) => (found === null || result.durationSeconds > found.durationSeconds ? result : found), null);
  // A file timed out or killed took what its ending took, not what its tests take: no reason to split it.
  if (longest === null || longest.cases.length < 2 || longest.status === "timeout" || longest.signal !== null) return null;
  const summed = whole.reduce((sum, result) => sum + result.durationSeconds, 0);
  const share = summed / workers;
  // What each part pays again besides its tests (pytest's start, collecting the whole file, module-scoped set-up):
  // a file of 8000 generated tests (jsonschema's suite) spends a third of its time collecting them. The tests' part
  // is what the process said came after its collection: the tests' own seconds leave out pytest's work for each
  // (packaging's 51,000 tests of under a millisecond: 2.3 s of tests in a file of 45 s, which then read as 43 s each
  // part pays again, and no hint, where splitting it saved 5 to 15 s).
  const tests = longest.testsSeconds ?? longest.cases.reduce((sum, test) => sum + test.seconds, 0);
  const again = Math.max(0, longest.durationSeconds - tests);
  const longestTest = Math.max(...longest.cases.map((test) => test.seconds));
  // At best one part per worker: the run then ends when the workers have done every file and the parts' extra
  // starts, or with the longest part.
  const split = Math.max((summed + (workers - 1) * again) / workers, again + tests / workers, again + longestTest);
  const saving = longest.durationSeconds - split;
  if (saving < LONG_FILE_HINT_MIN_SECONDS || saving < LONG_FILE_HINT_MIN_SHARE * longest.durationSeconds || !splitsNextRun(longest.path)) return null;
  // One test that is most of the file bounds every split: said, with what is left to gain (prompt-toolkit's test_cli.py,
  // 55 s of which one test took 42 to 49 s: the split took the run from 55 s to 50 s, a helper's trial).
  const slowest = longest.cases.find((test) => test.seconds === longestTest);
  const bound = slowest !== undefined && again + longestTest >= split ? `. Its longest test, ${slowest.nodeid}, took ${longestTest.toFixed(1)} s of it, which no part goes below: about ${saving.toFixed(0)} s less at best` : "";
  return (
    `${longest.path} took ${longest.durationSeconds.toFixed(1)} s, more than its share of the run (the files' ${summed.toFixed(1)} s over ${over(workers, usedWorkers)}, ${share.toFixed(1)} s each): the run could not end before it. ` +
    `--split auto runs such a file in parts, on several workers at once, cut by its tests' times as history recorded them (this run recorded them); see grimoire-run's docs/scheduling.md${bound}`
  );
}

/**
 * The workers a share is counted over: those a split run would use, said as such where this run used fewer (one file
 * on two CPUs ran on one worker, and "over 2 workers" under "running it on 1 worker" read as a contradiction: mkdocs'
 * trial).
 */
function over(workers: number, usedWorkers: number): string {
  return usedWorkers < workers ? `the ${workers} workers a split run would use (this run used ${usedWorkers})` : `${workers} workers`;
}
