/**
 * `--pack`: files that history shows to be quick (or that have no history
 * yet) share pytest processes, a few files to each, so that their start-up
 * is paid once per pack instead of once per file. Slower files keep a
 * process of their own. Opt-in: files in one pack share module state,
 * session fixtures and a crash. Pure.
 */
import type { TestFile } from "../model.js";
import type { Batch } from "../model.js";
import type { History } from "./history.js";
import { failedLastTime } from "./order.js";
import { fileEstimate, partition } from "./shard.js";
import { PACKED_FILE_SECONDS, PACKS_PER_WORKER } from "../defaults.js";

export interface PackOptions {
  workers: number;
  /** Files whose recorded duration is below this are packed. */
  underSeconds: number;
  /** The recorded seconds of the batches queued before these (a split file's parts): the packs fill in beside them too. */
  ahead?: readonly number[];
}

/**
 * The run's batches: every slow file alone, in the given order, then the
 * packs (the longest first); any batch holding a file that failed last time
 * goes first. The packs fill the time the workers have left beside the files
 * that run alone, as the pool hands them out (each batch to the worker free
 * first): sized to bring every worker to one end, and none for a worker whose
 * lone files already take longer. Packed equally, one worker ran fsspec's
 * longest file (34 s) while the other ran both packs one after the other, and
 * sat idle for the last 23 s of 57 (a helper's trial). A packed file's
 * recorded duration is its tests' time alone; its collection and report cost
 * the pack PACKED_FILE_SECONDS more, which the balance counts: without it,
 * packs of files recorded at 0 s balanced 108 files against 12.
 */
export function packBatches(files: readonly TestFile[], history: History, options: PackOptions): Batch[] {
  const quick = (file: TestFile): boolean => (history.files[file.path]?.seconds ?? 0) < options.underSeconds;
  const alone: Batch[] = files.filter((f) => !quick(f)).map((f) => ({ paths: [f.path], files: [f] }));
  const packable = files.filter(quick);
  const byPath = new Map(packable.map((f) => [f.path, f]));
  const paths = packable.map((f) => f.path);
  const estimate = fileEstimate(paths, history, PACKED_FILE_SECONDS);
  const recorded = (path: string): number => history.files[path]?.seconds ?? 0;
  const ends = workerEnds([...(options.ahead ?? []), ...alone.map((batch) => batchSeconds(batch, recorded))], Math.max(1, options.workers * PACKS_PER_WORKER));
  const targets = fill(ends, paths.reduce((sum, path) => sum + estimate(path), 0)).slice(0, paths.length);
  const packs: Batch[] =
    targets.length === 0
      ? []
      : partition(paths, history, targets.length, PACKED_FILE_SECONDS, targets)
          .parts.sort((a, b) => b.seconds - a.seconds)
          .filter((part) => part.paths.length > 0)
          .map((part) => ({ paths: part.paths, files: part.paths.flatMap((p) => byPath.get(p) ?? []) }));
  return failedFirst([...alone, ...packs], history);
}

/** The batches holding a file that failed last time first, each group in its given order. */
export function failedFirst(batches: readonly Batch[], history: History): Batch[] {
  const failed = (batch: Batch): boolean => batch.paths.some((path) => failedLastTime(path, history));
  return [...batches.filter(failed), ...batches.filter((batch) => !failed(batch))];
}

/** A batch's seconds, its files' by `seconds`, as the packs beside it count it: a split file's part its share of the file. */
export function batchSeconds(batch: Batch, seconds: (path: string) => number): number {
  const total = batch.paths.reduce((sum, path) => sum + seconds(path), 0);
  return batch.part === undefined ? total : total / batch.part.count;
}

/** When each of `workers` is done with `seconds` handed out in order, each to the worker free first; earliest first. */
export function workerEnds(seconds: readonly number[], workers: number): number[] {
  const ends = new Array<number>(workers).fill(0);
  for (const s of seconds) {
    const first = ends.indexOf(Math.min(...ends));
    ends[first] = (ends[first] as number) + s;
  }
  return ends.sort((a, b) => a - b);
}

/**
 * How to share `total` seconds among workers that are free at `ends` (earliest first) so that they end together:
 * the seconds each of the first workers gets (the earliest the most), none for a worker that ends later than that.
 * Nothing to share: none.
 */
export function fill(ends: readonly number[], total: number): number[] {
  if (total <= 0 || ends.length === 0) return total > 0 ? [total] : [];
  let sum = 0;
  for (let j = 1; j <= ends.length; j++) {
    sum += ends[j - 1] as number;
    const level = (total + sum) / j;
    if (j === ends.length || level <= (ends[j] as number)) return ends.slice(0, j).map((end) => level - end);
  }
  return [];
}
