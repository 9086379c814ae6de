/**
 * `--split auto`: a file that history shows to be longer than its share of
 * the run (its seconds above the run's total over the workers) runs as
 * several pytest processes over disjoint groups of its tests, so that one
 * long file no longer sets the finish line. Groups follow class boundaries
 * first (a class's fixtures are set up once per part), then tests in file
 * order, sized by each test's recorded seconds. Every part runs the whole
 * file as a whole file runs (same folder argument, same rootdir), and the
 * plugin keeps its tests: every part but the last the tests it names, the
 * last every test but those, so that a test added since history last saw the
 * file still runs exactly once, and one removed since is no error. Pure.
 */
import { runsNodeIdsOnly, type Batch, type TestFile } from "../model.js";
import type { History } from "./history.js";

/** A part's seconds, at most, as a fraction of a worker's share of the run. */
const PART_OF_SHARE = 0.5;
/** A split must bring the run's least end (max of the share and the longest process) down to this fraction of it whole, or the file runs whole. */
const SPLIT_WORTH = 0.9;

export interface SplitOptions {
  workers: number;
  /** Files never split: marked `grimoire_serial`, or matching the `no-split` globs. */
  unsplittable: (path: string) => boolean;
}

/** Each file's seconds by history, the files' total, and a worker's share of it: what a file longer than its share is. */
function shareOfRun(files: readonly TestFile[], history: History, workers: number): { seconds: (path: string) => number; total: number; share: number } {
  const seconds = (path: string): number => history.files[path]?.seconds ?? 0;
  const total = files.reduce((sum, file) => sum + seconds(file.path), 0);
  return { seconds, total, share: total / Math.max(1, workers) };
}

/**
 * Why --split auto split no file of this run (planSplits returned none), for --verbose: one worker, no history yet,
 * no file longer than its share, or the longest such file's reason to run whole.
 */
export function whyNothingSplit(files: readonly TestFile[], history: History, options: SplitOptions): string {
  const tests = files.filter((file) => file.kind === "tests");
  const { seconds, total, share } = shareOfRun(tests, history, options.workers);
  const said = "--split auto split no file";
  if (options.workers < 2) return `${said}: the run has one worker`;
  if (share <= 0) return `${said}: history has no time for these files yet (the next run splits what this one shows to be long)`;
  const longest = [...tests].sort((a, b) => seconds(b.path) - seconds(a.path))[0];
  if (longest === undefined) return `${said}: no test file`;
  const ofShare = `its share of the run is ${share.toFixed(1)} s (the files' ${total.toFixed(1)} s over ${options.workers} workers)`;
  if (seconds(longest.path) <= share) return `${said}: none is longer than its share of the run: the longest, ${longest.path}, took ${seconds(longest.path).toFixed(1)} s; ${ofShare}`;
  const entry = history.files[longest.path];
  const whole =
    longest.subset?.run === "failed"
      ? "it runs only the tests that failed last time (--last-failed)"
      : runsNodeIdsOnly(longest)
        ? "it was named by node ids"
        : options.unsplittable(longest.path)
          ? "it is marked grimoire_serial, matches --no-split, or its tests compare with snapshots (syrupy's, pytest-snapshot's, inline-snapshot's)"
          : Object.keys(entry?.testSeconds ?? {}).length < 2
            ? "history knows fewer than two of its tests (its last run was its first, or was cut short)"
            : `parts would not pay: each pays again the ${(entry?.perProcessSeconds ?? 0).toFixed(1)} s its process spends besides its tests (pytest's start, collecting the whole file), and its tests took ${testsOf(longest.path, history).toFixed(1)} s`;
  return `${said}: ${longest.path} took ${seconds(longest.path).toFixed(1)} s, more than its share (${ofShare}), but runs whole: ${whole}`;
}

/**
 * The seconds of the file's tests that parts can share out: what its processes spent from the end of their collection
 * on, as history recorded it, or else its seconds less what one process pays besides its tests.
 */
function testsOf(path: string, history: History): number {
  const entry = history.files[path];
  const own = entry?.seconds ?? 0;
  return Math.min(own, entry?.afterCollectionSeconds ?? Math.max(0, own - (entry?.perProcessSeconds ?? 0)));
}

/**
 * How many parts to run a file in, or null to run it whole: parts of at most half a worker's share (pieces that size
 * leave the longest-first order room to even out the workers), each paying again what a process of the file pays
 * besides its tests (`again`), no more parts than workers or tests, and only where the run's least end comes down to
 * SPLIT_WORTH of what it is with the file whole. A file whose collection is most of it (pylint's data-driven
 * test_functional.py under -k: each part collected all 932 cases to run 54) ran longer split than whole.
 */
export function partCount({ own, again, tests, longestTest, total, workers, testCount }: { own: number; again: number; tests: number; longestTest: number; total: number; workers: number; testCount: number }): number | null {
  const share = total / Math.max(1, workers);
  // The least the run can end in with the file in `count` parts: the workers' share, the parts' extra starts counted, or the longest part.
  const bound = (count: number): number => Math.max((total + (count - 1) * again) / workers, again + tests / count, again + longestTest);
  let best: number | null = null;
  for (let count = 2; count <= Math.min(workers, testCount); count++) {
    if (best === null || bound(count) < bound(best)) best = count;
    if (again + tests / count <= share * PART_OF_SHARE) {
      best = count;
      break;
    }
  }
  return best !== null && bound(best) <= SPLIT_WORTH * Math.max(share, own) ? best : null;
}

/** The parts of one file: each a TestFile of its own (named tests, or the file minus them), with its place among the parts. */
export interface SplitFile {
  path: string;
  parts: TestFile[];
}

/**
 * Whether --split may divide this file at all, whatever its length: a tests
 * module (not a doctest module), given whole (a file named by node ids runs
 * just those), and not one that must run whole (`unsplittable`).
 */
export function mayBeSplit(file: TestFile, unsplittable: (path: string) => boolean): boolean {
  return file.kind === "tests" && !runsNodeIdsOnly(file) && !unsplittable(file.path);
}

/** The files worth splitting, and how; a file not returned runs whole. */
export function planSplits(files: readonly TestFile[], history: History, options: SplitOptions): Map<string, SplitFile> {
  const { seconds, total, share } = shareOfRun(files, history, options.workers);
  const splits = new Map<string, SplitFile>();
  if (options.workers < 2 || share <= 0) return splits;
  for (const file of files) {
    const own = seconds(file.path);
    // A file named whole on the command line splits as one found in a folder; one named by node ids runs just those.
    if (own <= share || !mayBeSplit(file, options.unsplittable)) continue;
    const entry = history.files[file.path];
    const tests = Object.entries(entry?.testSeconds ?? {});
    if (tests.length < 2) continue;
    const longestTest = Math.max(...tests.map(([, s]) => s));
    const count = partCount({ own, again: entry?.perProcessSeconds ?? 0, tests: testsOf(file.path, history), longestTest, total, workers: options.workers, testCount: tests.length });
    if (count === null) continue;
    const groups = chunk(tests, count);
    if (groups.length < 2) continue;
    const parts: TestFile[] = groups.slice(0, -1).map((group) => ({ ...file, subset: { run: "only", nodeids: group.map(([nodeid]) => nodeid) } }));
    parts.push({ ...file, subset: { run: "all-but", nodeids: groups.slice(0, -1).flat().map(([nodeid]) => nodeid) } });
    splits.set(file.path, { path: file.path, parts });
  }
  return splits;
}

/** The file's batches: one per part, each knowing its place, so that the executor reports the file once. */
export function partBatches(split: SplitFile): Batch[] {
  return split.parts.map((part, index) => ({ paths: [split.path], files: [part], part: { index, count: split.parts.length } }));
}

/**
 * Tests in `count` runs of about equal seconds, in file order: a class's
 * tests stay together unless the class alone is more than a run's worth.
 */
function chunk(tests: readonly [string, number][], count: number): [string, number][][] {
  const total = tests.reduce((sum, [, s]) => sum + s, 0);
  const target = total / count;
  const groups: [string, number][][] = [];
  for (const test of tests) {
    const owner = classOf(test[0]);
    const last = groups[groups.length - 1];
    if (last !== undefined && owner !== null && classOf((last[last.length - 1] as [string, number])[0]) === owner) last.push(test);
    else groups.push([test]);
  }
  // A class worth more than a run is split into its tests.
  const units = groups.flatMap((group) => (group.reduce((sum, [, s]) => sum + s, 0) > target ? group.map((test) => [test]) : [group]));
  const runs: [string, number][][] = [[]];
  let inRun = 0;
  for (const unit of units) {
    const unitSeconds = unit.reduce((sum, [, s]) => sum + s, 0);
    const current = runs[runs.length - 1] as [string, number][];
    if (current.length > 0 && inRun + unitSeconds / 2 > target && runs.length < count) {
      runs.push([...unit]);
      inRun = unitSeconds;
    } else {
      current.push(...unit);
      inRun += unitSeconds;
    }
  }
  return runs.filter((run) => run.length > 0);
}

/** `path::Class` for a test in a class, null for a module-level test. */
function classOf(nodeid: string): string | null {
  const parts = nodeid.split("::");
  return parts.length > 2 ? parts.slice(0, -1).join("::") : null;
}
