/**
 * The rules the end-of-run hints share, for a cost each file's process pays
 * for itself that an option would pay once (--preload, --pack, --reuse-db,
 * --browser-server). Pure.
 */
import { EARLY_PACK_HINT_MIN_SECONDS, EARLY_PACK_HINT_MIN_SHARE, PACK_HINT_MIN_FILES_PER_WORKER, PRELOAD_HINT_MIN_SECONDS, PRELOAD_HINT_MIN_SHARE } from "../defaults.js";

/**
 * Whether seconds a hint would save are worth one: PRELOAD_HINT_MIN_SECONDS or more, and PRELOAD_HINT_MIN_SHARE of the
 * files' summed time.
 */
export function worthAHint(seconds: number, fileSeconds: number): boolean {
  return seconds >= Math.max(PRELOAD_HINT_MIN_SECONDS, PRELOAD_HINT_MIN_SHARE * fileSeconds);
}

/**
 * What --pack would spare of `seconds` that `files` files each paid in their own process, `workers` at a time: a pack
 * is a worker's share, which pays it once, so the files beyond one per worker are what it saves. Nothing below
 * PACK_HINT_MIN_FILES_PER_WORKER files a worker, where packing gained nothing worth a hint.
 */
export function packSpares(seconds: number, files: number, workers: number): number {
  return files < PACK_HINT_MIN_FILES_PER_WORKER * workers ? 0 : seconds * (1 - workers / files);
}

/** What the first files that paid a cost show of the rest of the run. */
export interface Pace {
  /** Seconds the files left would add, workers at a time. */
  more: number;
  /** Files left to run. */
  left: number;
}

/**
 * The seconds a cost the first `files` files paid (`seconds` of their `fileSeconds`) would add over the rest of a run of
 * `planned` files, `seen` of them over, `workers` at a time, when that is worth saying during the run: the first
 * files show it (one per worker, two at least), it is EARLY_PACK_HINT_MIN_SHARE of their time, and comes to
 * EARLY_PACK_HINT_MIN_SECONDS more; null otherwise.
 */
export function earlyPace(cost: { seconds: number; files: number; fileSeconds: number }, planned: number, seen: number, workers: number): Pace | null {
  const { seconds, files, fileSeconds } = cost;
  if (files < Math.max(2, workers) || seconds < EARLY_PACK_HINT_MIN_SHARE * fileSeconds) return null;
  const left = Math.max(0, planned - seen);
  const more = ((seconds / files) * left) / Math.max(1, workers);
  return more < EARLY_PACK_HINT_MIN_SECONDS ? null : { more, left };
}
