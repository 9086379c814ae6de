/**
 * From the discovered files to the ones this run starts, in order:
 * --changed, --last-failed, --shard, then the start order. Pure: the notices
 * say what was decided, for the console.
 */
import type { TestFile } from "../model.js";
import type { ShardReport } from "../model.js";
import type { History } from "./history.js";
import { failedLastTime, orderFiles, selectLastFailed, type Order } from "./order.js";
import type { CachedFailures } from "./pytestCache.js";
import { partition, type ShardSpec } from "./shard.js";
import { formatSeconds, plural } from "../format.js";
import { describeSelection, type ChangedSelection } from "./changed.js";

export interface PlanOptions {
  order: Order;
  seed: number;
  lastFailed: boolean;
  /** pytest's `--lfnf none`: when nothing failed last time, --last-failed runs nothing (as pytest deselects everything). */
  noneWhenNothingFailed?: boolean;
  failedFirst: boolean;
  shard: ShardSpec | null;
  /** Guesses of the length of files with no history (estimate.ts). */
  estimates?: ReadonlyMap<string, number>;
  /** --changed: the files a change can affect (see changed.ts), or null to run the selection whole. */
  changed: ChangedSelection | null;
  /** pytest's own memory of what failed (its cache's lastfailed), for --last-failed; absent without a cache. */
  cached?: CachedFailures;
  /** Whether a file was edited after an ISO time (order.ts: such files start early). */
  editedSince?: (path: string, iso: string) => boolean;
}

export interface FilePlan {
  files: TestFile[];
  /** Fewer files or tests than the selection holds (--changed, --last-failed, --shard). */
  narrowed: boolean;
  /** The options of grimoire-run's own that left files or tests out, in the order they did: `--changed`, `--last-failed`, `--shard`. */
  narrowedBy: string[];
  shard: ShardReport | null;
  notices: string[];
}

export function planFiles(discovered: readonly TestFile[], history: History, options: PlanOptions): FilePlan {
  const notices: string[] = [];
  let files = [...discovered];
  const narrowedBy: string[] = [];
  if (options.changed !== null) {
    const affected = options.changed.reasons;
    files = files.filter((f) => affected.has(f.path));
    if (files.length < discovered.length) narrowedBy.push("--changed");
    notices.push(...describeSelection(options.changed));
  }
  if (options.lastFailed) {
    // What failed is pytest's memory together with grimoire-run's history (a file that timed out, crashed or was
    // cancelled has no failed test to remember), or pytest's memory alone where a plain pytest run wrote it since.
    const cached = options.cached ?? { byFile: new Map<string, readonly string[]>(), newerThanHistory: false };
    const remembered = cached.newerThanHistory ? EMPTY_HISTORY : history;
    const selection = selectLastFailed(files, remembered, cached.byFile);
    const nothing = selection.everything && options.noneWhenNothingFailed === true;
    files = nothing ? [] : selection.everything ? selection.files : selection.files.map((file) => onlyFailedTests(file, remembered, cached.byFile.get(file.path) ?? []));
    if (!selection.everything || nothing) narrowedBy.push("--last-failed");
    const failedTests = (f: TestFile): number => (f.subset?.run === "failed" ? f.subset.nodeids.length : 0);
    const tests = files.reduce((sum, f) => sum + failedTests(f), 0);
    const wholeFiles = files.filter((f) => failedTests(f) === 0);
    const whole = wholeFiles.length;
    // No run of these files recorded at all: "nothing failed last time" spoke of a last time there was not (a helper's trial).
    const none = cached.byFile.size === 0 && files.every((f) => remembered.files[f.path] === undefined);
    const why = none ? "no earlier run of these files is recorded (grimoire-run's history, pytest's cache)" : "nothing failed, timed out or was cancelled last time";
    notices.push(
      nothing
        ? `--last-failed: ${why}; running nothing (pytest's --lfnf none)`
        : selection.everything
        ? `--last-failed: ${why}; running everything`
        : `--last-failed: running ${[tests > 0 ? `the ${plural(tests, "test")} that failed` : "", whole > 0 ? wholeReasons(wholeFiles.map((f) => remembered.files[f.path]?.outcome)) : ""].filter(Boolean).join(", and ")}`,
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
    const from = options.shard.source === undefined ? "" : ` (from ${options.shard.source})`;
    // Seconds the history has for none of the files are an estimate (a second a file): "6.0s of recorded time" with no
    // history at all read as a figure from nowhere (a helper's CI trial).
    const recorded = files.some((f) => typeof history.files[f.path]?.seconds === "number");
    const time = recorded ? "of recorded time" : "estimated: no history yet, a second a file";
    notices.push(`shard ${index}/${count}${from}: ${plural(mine.paths.length, "file")}, ${formatSeconds(mine.seconds)} ${time}; the others: ${others.join(", ") || "none"}`);
    shard = { index, count, digest: cut.digest, selected: files.map((f) => f.path), assigned: mine.paths };
    const assigned = new Set(mine.paths);
    narrowedBy.push("--shard");
    files = files.filter((f) => assigned.has(f.path));
  }
  if (options.order === "random") notices.push(`order: random, seed ${options.seed} (--order random --seed ${options.seed} repeats it)`);
  const ordering = { order: options.order, seed: options.seed, failedFirst: options.failedFirst, ...(options.estimates === undefined ? {} : { estimates: options.estimates }), ...(options.editedSince === undefined ? {} : { editedSince: options.editedSince }) };
  return { files: orderFiles(files, history, ordering), narrowed: narrowedBy.length > 0, narrowedBy, shard, notices };
}

/**
 * The files --last-failed runs whole, by what happened to them last time (a helper read "failed without a test to show
 * for it, timed out, or were cancelled" of two files it knew were cancelled): `2 whole files that were cancelled`, `3
 * whole files (1 timed out, 2 cancelled)`.
 */
function wholeReasons(outcomes: readonly (string | undefined)[]): string {
  const said = (outcome: string | undefined): string => (outcome === "timeout" ? "timed out" : outcome === "cancelled" ? "cancelled" : "failed without a test to show for it");
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(said(outcome), (counts.get(said(outcome)) ?? 0) + 1);
  const files = plural(outcomes.length, "whole file");
  if (counts.size === 1) {
    const [reason] = [...counts.keys()] as [string];
    const verb = reason === "failed without a test to show for it" ? "" : outcomes.length === 1 ? "was " : "were ";
    return `${files} that ${reason === "timed out" ? "" : verb}${reason}`;
  }
  return `${files} (${[...counts].map(([reason, count]) => `${count} ${reason}`).join(", ")})`;
}

/**
 * A file that failed last time, narrowed to the tests that failed in it, as
 * pytest's --lf narrows it: among the tests its collection finds, by their
 * node ids (a `failed` subset, which runs the whole file where it finds none
 * of them). A file that failed as a whole (it timed out, crashed, was
 * cancelled, or did not collect) runs whole.
 */
export function onlyFailedTests(file: TestFile, history: History, cached: readonly string[] = []): TestFile {
  if (file.folderEntry === true || file.subset !== undefined) return file;
  const entry = history.files[file.path];
  const failed = entry?.outcome === "failed" ? (entry.failedTests ?? []) : [];
  const inTests = (nodeids: readonly string[]): string[] => nodeids.filter((nodeid) => nodeid.includes("::"));
  const fromHistory = inTests(failed);
  const fromCache = inTests(cached);
  // Failed as a whole in grimoire-run's last run (no test to show for it), or a collection error pytest remembers.
  if ((failedLastTime(file.path, history) && (fromHistory.length === 0 || fromHistory.length < failed.length)) || fromCache.length < cached.length) return file;
  const nodeids = [...new Set([...fromHistory, ...fromCache])];
  return nodeids.length === 0 ? file : { ...file, subset: { run: "failed", nodeids } };
}

const EMPTY_HISTORY: History = { version: 1, files: {} };
