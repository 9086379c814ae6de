/**
 * In which order files start, and which files run: pure functions of the
 * file list and the history. With one process per file, the order decides
 * the wall time: the slowest file started last sets the finish line.
 */
import { compareCodeUnits } from "../projectPaths.js";
import { isFailure } from "../model.js";
import type { History } from "./history.js";

export type Order = "history" | "name" | "random";

export interface OrderOptions {
  order: Order;
  /** For `random`: the same seed gives the same order. */
  seed: number;
  /** Files that failed last time go first, whatever the order (always so with `history`). */
  failedFirst: boolean;
  /** For files with no recorded duration: a guess of their length from their source (estimate.ts), the longest first. */
  estimates?: ReadonlyMap<string, number>;
  /** Whether a file (or a conftest above it) was modified after an ISO time: with `history`, one edited since its last run goes early. */
  editedSince?: (path: string, iso: string) => boolean;
}

export function failedLastTime(path: string, history: History): boolean {
  const outcome = history.files[path]?.outcome;
  return outcome !== undefined && isFailure(outcome);
}

/**
 * `history`: what failed or timed out last time first (to fail fast), then
 * files edited since their last run (what was just changed is what most
 * likely fails now: a file broken on purpose in a --fail-fast session, quick
 * and passing last time, started last, 29 s into kombu's suite, a helper's
 * trial), then files never timed (a new file's outcome is unknown, and its
 * cost: starting them early keeps them off the finish line), the
 * longest-looking of them first, then what was cancelled last time, then the
 * rest longest first (the longest-processing-time rule, which keeps the pool
 * busy to the end). Ties by path.
 * `name`: by path. `random`: a seeded shuffle.
 */
export function orderFiles<T extends { path: string }>(files: readonly T[], history: History, options: OrderOptions): T[] {
  const byName = [...files].sort((a, b) => compareCodeUnits(a.path, b.path));
  const seconds = (file: T): number => history.files[file.path]?.seconds ?? 0;
  const longestFirst = (a: T, b: T): number => seconds(b) - seconds(a) || compareCodeUnits(a.path, b.path);
  const failed = byName.filter((f) => failedLastTime(f.path, history));
  const others = byName.filter((f) => !failedLastTime(f.path, history));

  if (options.order === "history") {
    const timed = (f: T): boolean => (history.files[f.path]?.seconds ?? null) !== null;
    const guess = (file: T): number => options.estimates?.get(file.path) ?? 0;
    const untimed = others.filter((f) => !timed(f)).sort((a, b) => guess(b) - guess(a) || compareCodeUnits(a.path, b.path));
    // A file cancelled last time (most often never started: the run was stopped) has shown no failure: it goes after
    // the files never run, whose outcome nobody knows yet, and before the rest.
    const cancelled = (f: T): boolean => history.files[f.path]?.outcome === "cancelled";
    const lastRun = (f: T): string | undefined => history.files[f.path]?.lastRun;
    const edited = (f: T): boolean => options.editedSince !== undefined && timed(f) && lastRun(f) !== undefined && options.editedSince(f.path, lastRun(f) as string);
    const rest = others.filter(timed);
    const editedFiles = new Set(rest.filter(edited));
    return [...failed.filter((f) => !cancelled(f)).sort(longestFirst), ...[...editedFiles].sort(longestFirst), ...untimed, ...failed.filter(cancelled).sort(longestFirst), ...rest.filter((f) => !editedFiles.has(f)).sort(longestFirst)];
  }
  const arrange = (list: T[]): T[] => (options.order === "random" ? shuffle(list, options.seed) : list);
  return options.failedFirst ? [...arrange(failed), ...arrange(others)] : arrange(byName);
}

export interface LastFailedSelection<T> {
  files: T[];
  /** Nothing failed last time, so everything runs (as pytest's --lf does). */
  everything: boolean;
}

/** The files that failed, timed out or were cancelled last time, or hold a test pytest remembers failing (`cached`, by file); all of them when none did. */
export function selectLastFailed<T extends { path: string }>(files: readonly T[], history: History, cached: ReadonlyMap<string, readonly string[]> = new Map()): LastFailedSelection<T> {
  const failed = files.filter((f) => failedLastTime(f.path, history) || (cached.get(f.path)?.length ?? 0) > 0);
  return failed.length === 0 ? { files: [...files], everything: true } : { files: failed, everything: false };
}

/** Fisher–Yates with mulberry32: the same seed shuffles the same way everywhere. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const result = [...items];
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}
