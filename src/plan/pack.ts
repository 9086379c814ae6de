/**
 * `--pack`: files that history shows to be quick (or that have no history
 * yet) share pytest processes, a few files to each, so that their start-up
 * is paid once per pack instead of once per file. Slower files keep a
 * process of their own. Opt-in: files in one pack share module state,
 * session fixtures and a crash. Pure.
 */
import type { TestFile } from "../discovery/selection.js";
import type { Shard } from "../exec/executor.js";
import type { History } from "./history.js";
import { failedLastTime } from "./order.js";
import { partition } from "./shard.js";

/**
 * One pack per worker: each pack pays one pytest start-up, and the packs are
 * balanced by recorded duration, so the workers finish together.
 */
const PACKS_PER_WORKER = 1;

export interface PackOptions {
  workers: number;
  /** Files whose recorded duration is below this are packed. */
  underSeconds: number;
}

/**
 * The run's shards: every slow file alone, in the given order, then the
 * packs (balanced by recorded duration, the longest first); any shard
 * holding a file that failed last time goes first.
 */
export function packShards(files: readonly TestFile[], history: History, options: PackOptions): Shard[] {
  const quick = (file: TestFile): boolean => (history.files[file.path]?.seconds ?? 0) < options.underSeconds;
  const alone: Shard[] = files.filter((f) => !quick(f)).map((f) => ({ paths: [f.path], files: [f] }));
  const packable = files.filter(quick);
  const count = Math.min(packable.length, Math.max(1, options.workers * PACKS_PER_WORKER));
  const byPath = new Map(packable.map((f) => [f.path, f]));
  const packs: Shard[] =
    count === 0
      ? []
      : partition(
          packable.map((f) => f.path),
          history,
          count,
        )
          .parts.sort((a, b) => b.seconds - a.seconds)
          .filter((part) => part.paths.length > 0)
          .map((part) => ({ paths: part.paths, files: part.paths.flatMap((p) => byPath.get(p) ?? []) }));
  const shards = [...alone, ...packs];
  const failedFirst = (shard: Shard): number => (shard.paths.some((p) => failedLastTime(p, history)) ? 0 : 1);
  return shards.map((shard, index) => ({ shard, index })).sort((a, b) => failedFirst(a.shard) - failedFirst(b.shard) || a.index - b.index).map(({ shard }) => shard);
}
