/**
 * From the discovered files to the ones this run starts, in order:
 * --last-failed, --shard, then the start order. Pure: the notices say what
 * was decided, for the console.
 */
import type { TestFile } from "../discovery/findTestFiles.js";
import type { ShardReport } from "../model.js";
import type { History } from "./history.js";
import { orderFiles, selectLastFailed, type Order } from "./order.js";
import { partition, type ShardSpec } from "./shard.js";
import { formatSeconds, plural } from "../format.js";

export interface PlanOptions {
  order: Order;
  seed: number;
  lastFailed: boolean;
  failedFirst: boolean;
  shard: ShardSpec | null;
}

export interface FilePlan {
  files: TestFile[];
  shard: ShardReport | null;
  notices: string[];
}

export function planFiles(discovered: readonly TestFile[], history: History, options: PlanOptions): FilePlan {
  const notices: string[] = [];
  let files = [...discovered];
  if (options.lastFailed) {
    const selection = selectLastFailed(files, history);
    files = selection.files;
    notices.push(
      selection.everything
        ? "--last-failed: no file failed, timed out or was cancelled last time; running everything"
        : `--last-failed: running the ${plural(files.length, "file")} that failed, timed out or were cancelled last time`,
    );
  }
  let shard: ShardReport | null = null;
  if (options.shard !== null) {
    const { index, count } = options.shard;
    const cut = partition(files.map((f) => f.path), history, count);
    const mine = cut.parts[index - 1] ?? { paths: [], seconds: 0 };
    const others = cut.parts
      .map((part, i) => ({ part, number: i + 1 }))
      .filter(({ number }) => number !== index)
      .map(({ part, number }) => `${number}/${count} ${plural(part.paths.length, "file")} ${formatSeconds(part.seconds)}`);
    notices.push(`shard ${index}/${count}: ${plural(mine.paths.length, "file")}, ${formatSeconds(mine.seconds)} of recorded time; the others: ${others.join(", ") || "none"}`);
    shard = { index, count, digest: cut.digest, selected: files.map((f) => f.path), assigned: mine.paths };
    const assigned = new Set(mine.paths);
    files = files.filter((f) => assigned.has(f.path));
  }
  if (options.order === "random") notices.push(`order: random, seed ${options.seed} (--order random --seed ${options.seed} repeats it)`);
  return { files: orderFiles(files, history, { order: options.order, seed: options.seed, failedFirst: options.failedFirst }), shard, notices };
}
