/**
 * `--shard I/N`: the selection cut into N parts of about equal recorded
 * duration, for CI matrices whose jobs each run one part. Pure and
 * deterministic: every job computes the same partition from the same files
 * and history, so together they run every file exactly once.
 */
import crypto from "node:crypto";
import { compareCodeUnits } from "../projectPaths.js";
import { UsageError } from "../errors.js";
import { UNKNOWN_FILE_SECONDS } from "../defaults.js";
import type { History } from "./history.js";

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
  /** Where the part came from when it was not given as I/N (`--shard auto`: the CI service's variables). */
  source?: string;
}

export interface Part {
  paths: string[];
  /** Sum of the files' recorded (or estimated) durations. */
  seconds: number;
}

export interface Partition {
  /** Part I is `parts[I - 1]`; there are no more parts than files, and a part past the last is empty. */
  parts: Part[];
  /** Identifies the partition: jobs that disagree on it (different history) are caught when reports are merged. */
  digest: string;
}


export function parseShard(value: string, flag = "--shard"): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count || count > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${flag} must be I/N with 1 <= I <= N, like 2/4; got "${value}"`);
  }
  return { index, count };
}

/**
 * Longest-processing-time assignment: files from the longest down, each to
 * the part with the least time so far (on a tie, the fewest files, then the
 * first). Files
 * without history count as the mean of those with one. The parts then
 * differ by at most the longest file, and by far less when many short files
 * fill in behind a few long ones. `perFileSeconds` is added to every file's
 * estimate: what a file costs beyond its tests' recorded time. `targets`: the
 * seconds each part is to hold where they differ (one per part, `count` of
 * them): each file then goes to the part with the most room left.
 */
export function partition(paths: readonly string[], history: History, count: number, perFileSeconds = 0, targets?: readonly number[]): Partition {
  const estimate = fileEstimate(paths, history, perFileSeconds);
  const sorted = [...paths].sort((a, b) => estimate(b) - estimate(a) || compareCodeUnits(a, b));
  // No more parts than files: the others are empty (a CI matrix larger than the suite), and a count of 10^15 must not allocate them.
  const parts: Part[] = Array.from({ length: Math.max(1, Math.min(count, paths.length)) }, () => ({ paths: [], seconds: 0 }));
  const room = (part: Part, i: number): number => (targets?.[i] ?? 0) - part.seconds;
  for (const p of sorted) {
    // The part with the most room (equal targets: the least time), then the fewest files (files of no recorded time
    // still spread out).
    const roomier = (a: Part, i: number, b: Part, j: number): boolean => room(a, i) > room(b, j) || (room(a, i) === room(b, j) && a.paths.length < b.paths.length);
    const roomiest = parts.reduce((best, part, i) => (roomier(part, i, parts[best] as Part, best) ? i : best), 0);
    const part = parts[roomiest] as Part;
    part.paths.push(p);
    part.seconds += estimate(p);
  }
  for (const part of parts) part.paths.sort(compareCodeUnits);
  const digest = crypto.createHash("sha256").update(JSON.stringify(parts.map((p) => p.paths))).digest("hex").slice(0, 12);
  return { parts, digest };
}

/**
 * Each file's estimated seconds: its recorded duration, or for a file without one the mean of those with one, plus
 * `perFileSeconds`.
 */
export function fileEstimate(paths: readonly string[], history: History, perFileSeconds = 0): (path: string) => number {
  const known = paths.map((p) => history.files[p]?.seconds).filter((s): s is number => typeof s === "number");
  const fallback = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : UNKNOWN_FILE_SECONDS;
  return (p) => Math.round(((history.files[p]?.seconds ?? fallback) + perFileSeconds) * 1000) / 1000;
}
