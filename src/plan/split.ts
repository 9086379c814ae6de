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
  const whole =
    longest.subset?.run === "failed"
      ? "it runs only the tests that failed last time (--last-failed)"
      : runsNodeIdsOnly(longest)
        ? "it was named by node ids"
        : options.unsplittable(longest.path)
          ? "it is marked grimoire_serial, matches --no-split, or its tests compare with snapshots (syrupy's, pytest-snapshot's, inline-snapshot's)"
          : "history knows fewer than two of its tests (its last run was its first, or was cut short)";
  return `${said}: ${longest.path} took ${seconds(longest.path).toFixed(1)} s, more than its share (${ofShare}), but runs whole: ${whole}`;
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
  const { seconds, share } = shareOfRun(files, history, options.workers);
  const splits = new Map<string, SplitFile>();
  if (options.workers < 2 || share <= 0) return splits;
  for (const file of files) {
    const own = seconds(file.path);
    // A file named whole on the command line splits as one found in a folder; one named by node ids runs just those.
    if (own <= share || !mayBeSplit(file, options.unsplittable)) continue;
    const tests = Object.entries(history.files[file.path]?.testSeconds ?? {});
    if (tests.length < 2) continue;
    // Parts of at most half a share: pieces that size leave the longest-first order room to even out the workers.
    const count = Math.min(options.workers, Math.ceil(own / (share * PART_OF_SHARE)), tests.length);
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
