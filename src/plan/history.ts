/**
 * What grimoire-run remembers of each file between runs: a smoothed duration
 * and the last outcome, in `.grimoire/history.json`. Written under a lock
 * and through a rename, so two runs at once neither corrupt the file nor
 * lose each other's updates. A damaged file is only a lost hint: its
 * readable entries are kept, and a file that is not JSON at all is kept
 * aside as `history.json.damaged` before a new one is written.
 */
import fs from "node:fs";
import path from "node:path";
import { writeJsonFile } from "../atomicWrite.js";
import { HISTORY_LOCK_POLL_MS, HISTORY_LOCK_WAIT_MS, HISTORY_SMOOTHING, STATE_DIR } from "../defaults.js";
import { sleep } from "../process/sleep.js";
import { finalResults, type FileResult, type FileStatus } from "../model.js";
import { isAlive } from "../process/processTree.js";

/** A file's last outcome: the heaviest of its statuses in the run that recorded it. */
export type RecordedOutcome = FileStatus;

export interface FileHistory {
  /** Smoothed duration of the file's runs, in seconds; null until it has run to an end. */
  seconds: number | null;
  outcome: RecordedOutcome;
  runs: number;
  /** ISO time of the run that last updated this entry. */
  lastRun: string;
  /** pytest node ids of the tests that failed (or errored) in the run that last updated this entry; empty when none did or none are known. */
  failedTests?: string[];
}

export interface History {
  version: 1;
  files: Record<string, FileHistory>;
}

export const EMPTY_HISTORY: History = { version: 1, files: {} };

export function historyFile(root: string): string {
  return path.join(root, STATE_DIR, "history.json");
}

/** The recorded history, or an empty one when there is none or it cannot be read (it is only a hint). */
export function readHistory(root: string): History {
  return readHistoryChecked(root).history;
}

export interface HistoryRead {
  history: History;
  /** What was wrong with the file, in words, or null when it was whole (or absent). */
  problem: string | null;
  /** The file as a whole could not be read: it is kept beside the new one when this run records (recordRun). */
  unreadable: boolean;
}

const OUTCOMES: ReadonlySet<string> = new Set<FileStatus>(["passed", "failed", "timeout", "cancelled", "no-tests", "flaky"]);

/** An entry as updateHistory writes it, or null: a hand-edited or half-merged entry must not reach the arithmetic (`"runs": "x"` would become "x1"). */
function checkedEntry(value: unknown): FileHistory | null {
  if (typeof value !== "object" || value === null) return null;
  const entry = value as Record<string, unknown>;
  const seconds = entry["seconds"];
  const runs = entry["runs"];
  const failedTests = entry["failedTests"];
  if (seconds !== null && !(typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0)) return null;
  if (typeof entry["outcome"] !== "string" || !OUTCOMES.has(entry["outcome"])) return null;
  if (typeof runs !== "number" || !Number.isSafeInteger(runs) || runs < 0) return null;
  if (typeof entry["lastRun"] !== "string") return null;
  if (failedTests !== undefined && !(Array.isArray(failedTests) && failedTests.every((id) => typeof id === "string"))) return null;
  return {
    seconds,
    outcome: entry["outcome"] as FileStatus,
    runs,
    lastRun: entry["lastRun"],
    ...(failedTests === undefined ? {} : { failedTests: failedTests as string[] }),
  };
}

/** The history with what was wrong with it: a file that is not JSON, or entries that are not what grimoire-run writes (dropped). */
export function readHistoryChecked(root: string): HistoryRead {
  let text: string;
  try {
    text = fs.readFileSync(historyFile(root), "utf8");
  } catch {
    return { history: EMPTY_HISTORY, problem: null, unreadable: false };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // The parser quotes what it choked on, which may be any byte: shown as "?" rather than sent to a terminal.
    // eslint-disable-next-line no-control-regex
    const why = (error as Error).message.replace(/[\x00-\x1f\x7f]/g, "?");
    return { history: EMPTY_HISTORY, problem: `it is not JSON (${why})`, unreadable: true };
  }
  const top = parsed as Partial<History> | null;
  if (typeof top !== "object" || top === null || top.version !== 1 || typeof top.files !== "object" || top.files === null || Array.isArray(top.files)) {
    return { history: EMPTY_HISTORY, problem: "it is not a history of this version of grimoire-run", unreadable: true };
  }
  const files: Record<string, FileHistory> = {};
  const dropped: string[] = [];
  for (const [file, value] of Object.entries(top.files)) {
    const entry = checkedEntry(value);
    if (entry === null) dropped.push(file);
    else files[file] = entry;
  }
  const problem = dropped.length === 0 ? null : `${dropped.length === 1 ? "the entry" : `${dropped.length} entries`} for ${dropped.slice(0, 3).join(", ")}${dropped.length > 3 ? ", …" : ""} could not be read and ${dropped.length === 1 ? "was" : "were"} left out`;
  return { history: { version: 1, files }, problem, unreadable: false };
}

/** Which of a file's outcomes in this run is remembered: the heaviest. */
const OUTCOME_WEIGHT: Record<FileStatus, number> = { timeout: 6, failed: 5, cancelled: 4, flaky: 3, passed: 2, "no-tests": 1 };

/**
 * The history after a run. Each file's duration moves towards the mean of
 * this run's finished executions by HISTORY_SMOOTHING; cancelled and
 * timed-out executions say nothing about how long the file takes, except
 * that a timeout took at least that long. Pure.
 */
export function updateHistory(history: History, results: readonly FileResult[], now: Date): History {
  const files: Record<string, FileHistory> = { ...history.files };
  const byPath = new Map<string, FileResult[]>();
  for (const result of results) byPath.set(result.path, [...(byPath.get(result.path) ?? []), result]);
  for (const [file, runs] of byPath) {
    const ran = runs.filter((r) => r.log !== null);
    if (ran.length === 0 && files[file] !== undefined) {
      files[file] = { ...(files[file] as FileHistory), outcome: "cancelled", lastRun: now.toISOString() };
      continue;
    }
    const previous = files[file];
    const finished = ran.filter((r) => r.status !== "cancelled" && r.status !== "timeout").map((r) => r.durationSeconds);
    const timedOut = ran.filter((r) => r.status === "timeout").map((r) => r.durationSeconds);
    let seconds = previous?.seconds ?? null;
    if (finished.length > 0) {
      const mean = finished.reduce((a, b) => a + b, 0) / finished.length;
      seconds = seconds === null ? mean : seconds + HISTORY_SMOOTHING * (mean - seconds);
    }
    if (timedOut.length > 0) seconds = Math.max(seconds ?? 0, ...timedOut);
    // Each iteration's last attempt counts (a retry that passed makes it flaky), and a failing iteration is never outweighed by a passing one.
    const finals = finalResults(runs);
    const outcome = finals.reduce((a, b) => (OUTCOME_WEIGHT[b.status] > OUTCOME_WEIGHT[a.status] ? b : a)).status;
    const failedTests = [...new Set(finals.flatMap((r) => r.cases.filter((c) => c.outcome === "failed" || c.outcome === "error").map((c) => c.nodeid)))];
    files[file] = {
      seconds: seconds === null ? null : Math.round(seconds * 1000) / 1000,
      outcome,
      runs: (previous?.runs ?? 0) + ran.length,
      lastRun: now.toISOString(),
      failedTests,
    };
  }
  return { version: 1, files };
}


/**
 * Records a run: under `history.json.lock` (taken with O_EXCL, taken over
 * from a holder that died), re-reads the file, applies this run's results,
 * and writes it to a temporary file renamed over the old one.
 */
export async function recordRun(root: string, results: readonly FileResult[], now = new Date()): Promise<void> {
  const file = historyFile(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  const release = await acquireLock(lock);
  try {
    const read = readHistoryChecked(root);
    // A file that could not be read at all is kept for whoever wants to look at it, not overwritten.
    if (read.unreadable) fs.copyFileSync(file, `${file}.damaged`);
    writeJsonFile(file, updateHistory(read.history, results, now));
  } finally {
    release();
  }
}

async function acquireLock(lock: string): Promise<() => void> {
  const giveUpAt = Date.now() + HISTORY_LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = fs.openSync(lock, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readOrEmpty(lock);
    const pid = Number(holder);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || Date.now() >= giveUpAt) {
      // A lock whose holder is gone (or held longer than any write takes) is taken over, unless
      // another run took it over first: then it holds another pid, and is waited for.
      if (readOrEmpty(lock) === holder) fs.rmSync(lock, { force: true });
      continue;
    }
    await sleep(HISTORY_LOCK_POLL_MS);
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
