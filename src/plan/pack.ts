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
import { partition } from "./shard.js";
import { PACKED_FILE_SECONDS, PACKS_PER_WORKER } from "../defaults.js";

export interface PackOptions {
  workers: number;
  /** Files whose recorded duration is below this are packed. */
  underSeconds: number;
}

/**
 * The run's batches: every slow file alone, in the given order, then the
 * packs (balanced by recorded duration, the longest first); any batch
 * holding a file that failed last time goes first. A packed file's recorded
 * duration is its tests' time alone; its collection and report cost the pack
 * PACKED_FILE_SECONDS more, which the balance counts: without it, packs of
 * files recorded at 0 s balanced 108 files against 12.
 */
export function packBatches(files: readonly TestFile[], history: History, options: PackOptions): Batch[] {
  const quick = (file: TestFile): boolean => (history.files[file.path]?.seconds ?? 0) < options.underSeconds;
  const alone: Batch[] = files.filter((f) => !quick(f)).map((f) => ({ paths: [f.path], files: [f] }));
  const packable = files.filter(quick);
  const count = Math.min(packable.length, Math.max(1, options.workers * PACKS_PER_WORKER));
  const byPath = new Map(packable.map((f) => [f.path, f]));
  const packs: Batch[] =
    count === 0
      ? []
      : partition(
          packable.map((f) => f.path),
          history,
          count,
          PACKED_FILE_SECONDS,
        )
          .parts.sort((a, b) => b.seconds - a.seconds)
          .filter((part) => part.paths.length > 0)
          .map((part) => ({ paths: part.paths, files: part.paths.flatMap((p) => byPath.get(p) ?? []) }));
  const batches = [...alone, ...packs];
  const failedFirst = (batch: Batch): number => (batch.paths.some((p) => failedLastTime(p, history)) ? 0 : 1);
  return batches.map((batch, index) => ({ batch, index })).sort((a, b) => failedFirst(a.batch) - failedFirst(b.batch) || a.index - b.index).map(({ batch }) => batch);
}
