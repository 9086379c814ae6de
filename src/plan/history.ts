/**
 * What grimoire-run remembers of each file between runs: a smoothed duration,
 * the last outcome, each test's seconds (for --split), and the last few
 * outcomes of the file and of each of its tests (for flake rates, flakes.ts),
 * in `.grimoire/history.json`. Written under a lock and through a rename, so
 * two runs at once neither corrupt the file nor lose each other's updates. A
 * damaged file is only a lost hint: its readable entries are kept, and a file
 * that is not JSON at all is kept aside as `history.json.damaged` before a
 * new one is written.
 */
import fs from "node:fs";
import path from "node:path";
import { writeJsonFile } from "../atomicWrite.js";
import { HISTORY_LOCK_POLL_MS, HISTORY_LOCK_WAIT_MS, HISTORY_NODEID_MAX_CHARS, HISTORY_RECENT_RUNS, HISTORY_SMOOTHING, STATE_DIR } from "../defaults.js";
import { sleep } from "../process/sleep.js";
import { filesByLog, finalResults, PYTEST_USAGE_ERROR, type FileResult, type FileStatus, type TestOutcome } from "../model.js";
import { isAlive } from "../process/processTree.js";

/** A file's last outcome: the heaviest of its statuses in the run that recorded it. */
export type RecordedOutcome = FileStatus;

export interface FileHistory {
  /** Smoothed duration of the file's runs, in seconds; null until it has run to an end or been cut off (see atLeast). */
  seconds: number | null;
  outcome: RecordedOutcome;
  runs: number;
  /** ISO time of the run that last updated this entry. */
  lastRun: string;
  /** pytest node ids of the tests that failed (or errored) in the run that last updated this entry; empty when none did or none are known. */
  failedTests?: string[];
  /**
   * The file's last HISTORY_RECENT_RUNS outcomes, oldest first, a letter per
   * run of it (per iteration, its last attempt): P passed, F failed or timed
   * out, K flaky (failed, then passed on a retry). A cancelled run adds
   * nothing, nor does one in which the module failed to import. Missing in
   * files written before it existed.
   */
  recent?: string;
  /**
   * Each test's last outcomes by node id, a letter per run of its file: P
   * passed, F failed (or errored), K failed then passed on a retry, `-` no
   * verdict (skipped, xfailed, not selected, not reached). A test with no
   * verdict in the whole window is forgotten.
   */
  tests?: Record<string, string>;
  /** Each test's smoothed seconds (setup, call and teardown), by pytest node id, in the order pytest ran them: what --split divides a file by. */
  testSeconds?: Record<string, number>;
  /**
   * What one process of the file spends besides its tests (smoothed): its start, pytest's configuration, collecting
   * the whole file, the session's end. Each part of a split file pays it again. Absent until a process of its own ran
   * it to its end.
   */
  perProcessSeconds?: number;
  /**
   * The seconds of the whole file's tests (smoothed), from the end of each process's collection to its session's end,
   * a split file's parts summed: what parts share out. Absent until a process of its own ran all of it.
   */
  afterCollectionSeconds?: number;
  /**
   * The source the last letters were recorded on (changes/sourceState.ts). A
   * run on other source first adds `|` to the letters: a pass and a failure
   * count as a flake only between two of them (flakes.ts).
   */
  source?: string;
  /** pytest-xdist's xdist_group names of its tests when it last collected them (a conftest's marks included): files of one group never run at once. */
  groups?: string[];
  /**
   * `seconds` were measured on processes started afresh (no fork server), Python's and pytest's start included. A
   * run on forked processes replaces them; a run started afresh does not move seconds measured on forked ones, which
   * `--pack` judges a file's quickness by. Absent: forked (or unknown, before it existed).
   */
  fresh?: true;
  /**
   * The run that last updated the entry ran the file in one pytest process with other files (a serial run of several,
   * a pack): a failure in a process of its own next time may be its tests' need of what another file did first.
   * Absent: a process of its own (or unknown, before it existed).
   */
  shared?: true;
  /**
   * `seconds` are only how long a run cut off (cancelled by --fail-fast or an interrupt, or timed out) had run when
   * the file had never run to its end: at least that long. Its next run to an end replaces them. Absent: measured.
   */
  atLeast?: true;
}

export interface History {
  version: 1;
  files: Record<string, FileHistory>;
}

/** When grimoire-run last recorded a run (ms since the epoch), or null when it never did. */
export function latestRun(history: History): number | null {
  const times = Object.values(history.files).map((entry) => Date.parse(entry.lastRun)).filter((time) => Number.isFinite(time));
  return times.length === 0 ? null : Math.max(...times);
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

/** A number of seconds as history writes one: finite, not negative. */
function isSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** An entry as updateHistory writes it, or null: a hand-edited or half-merged entry must not reach the arithmetic (`"runs": "x"` would become "x1"). */
function checkedEntry(value: unknown): FileHistory | null {
  if (typeof value !== "object" || value === null) return null;
  const entry = value as Record<string, unknown>;
  const seconds = entry["seconds"];
  const runs = entry["runs"];
  const failedTests = entry["failedTests"];
  if (seconds !== null && !isSeconds(seconds)) return null;
  if (typeof entry["outcome"] !== "string" || !OUTCOMES.has(entry["outcome"])) return null;
  if (typeof runs !== "number" || !Number.isSafeInteger(runs) || runs < 0) return null;
  if (typeof entry["lastRun"] !== "string") return null;
  if (failedTests !== undefined && !(Array.isArray(failedTests) && failedTests.every((id) => typeof id === "string"))) return null;
  // The flake letters and the tests' seconds are hints of their own: one that is not what grimoire-run writes is left out alone.
  const recent = entry["recent"];
  const tests = recordOf(entry["tests"], (letters): letters is string => typeof letters === "string");
  const testSeconds = recordOf(entry["testSeconds"], isSeconds);
  const source = entry["source"];
  const groups = entry["groups"];
  return {
    seconds,
    outcome: entry["outcome"] as FileStatus,
    runs,
    lastRun: entry["lastRun"],
    ...(failedTests === undefined ? {} : { failedTests: failedTests as string[] }),
    ...(typeof recent === "string" ? { recent } : {}),
    ...(tests === null ? {} : { tests }),
    ...(testSeconds === null ? {} : { testSeconds }),
    ...(isSeconds(entry["perProcessSeconds"]) ? { perProcessSeconds: entry["perProcessSeconds"] } : {}),
    ...(isSeconds(entry["afterCollectionSeconds"]) ? { afterCollectionSeconds: entry["afterCollectionSeconds"] } : {}),
    ...(typeof source === "string" ? { source } : {}),
    ...(Array.isArray(groups) && groups.length > 0 && groups.every((name) => typeof name === "string") ? { groups: groups as string[] } : {}),
    ...(entry["fresh"] === true ? { fresh: true as const } : {}),
    ...(entry["shared"] === true ? { shared: true as const } : {}),
    ...(entry["atLeast"] === true && seconds !== null ? { atLeast: true as const } : {}),
  };
}

/** An object whose every value passes `valid`, or null. */
function recordOf<T>(value: unknown, valid: (item: unknown) => item is T): Record<string, T> | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  return Object.values(value).every(valid) ? (value as Record<string, T>) : null;
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
 * that a timeout took at least that long (and so did a cancelled one, for a
 * file never run to its end). `source`: the fingerprint of the
 * source the run tested, null when it is not known. `partial`: the files the
 * run ran only some tests of (given as node ids, `tests/a.py::test_x`, or
 * deselected by the run's own -k, -m or --deselect): like any run that
 * deselected some of a file's tests, it says nothing of the file's outcome as
 * a whole, and its duration moves the file's only when there was none yet;
 * the tests that ran count. The duration of a run that pytest stopped at a
 * failure (`cutShort`: -x, --maxfail) counts only in the same way; its
 * outcome counts. Pure.
 */
export function updateHistory(history: History, results: readonly FileResult[], now: Date, source: string | null = null, partial: ReadonlySet<string> = new Set()): History {
  const files: Record<string, FileHistory> = { ...history.files };
  const byPath = new Map<string, FileResult[]>();
  for (const result of results) byPath.set(result.path, [...(byPath.get(result.path) ?? []), rememberedCases(result)]);
  const filesOfLog = filesByLog(results);
  for (const [file, runs] of byPath) {
    const ran = runs.filter((r) => r.log !== null);
    if (ran.length === 0 && files[file] !== undefined) {
      files[file] = { ...(files[file] as FileHistory), outcome: "cancelled", lastRun: now.toISOString() };
      continue;
    }
    const previous = files[file];
    const finished = ran.filter((r) => r.status !== "cancelled" && r.status !== "timeout");
    const timedOut = ran.filter((r) => r.status === "timeout").map((r) => r.durationSeconds);
    // A file a stopped serial run never reached shares its process's log and took no time: it says nothing.
    const cutOff = ran.filter((r) => (r.status === "cancelled" || r.status === "timeout") && r.durationSeconds > 0).map((r) => r.durationSeconds);
    let seconds = previous?.seconds ?? null;
    let atLeast = seconds !== null && previous?.atLeast === true;
    // Some of its tests, or its tests up to a failure that stopped pytest, say little of how long the whole file takes: only a first estimate.
    const whole = partial.has(file) ? [] : finished.filter((r) => r.cutShort !== true);
    const counted = whole.length > 0 ? whole : seconds === null || atLeast ? finished : [];
    // Seconds measured afresh (no fork server: --no-fork-server, a server that could not serve) hold a start-up that
    // forked ones do not: mixed in, a run without the fork server left every quick file over --pack's 1 s, and the
    // next --pack run packed nothing (two helpers' trials). Each kind replaces the other's only where it is all there is.
    let fresh = previous?.fresh === true;
    if (counted.length > 0) {
      const mean = counted.reduce((sum, r) => sum + r.durationSeconds, 0) / counted.length;
      const measuredFresh = counted.every((r) => r.fresh === true);
      const move = moveByKind(fresh, measuredFresh);
      if (seconds === null || atLeast || move === "replace") {
        seconds = mean;
        fresh = measuredFresh;
        atLeast = false;
      } else if (move === "smooth") seconds = seconds + HISTORY_SMOOTHING * (mean - seconds);
    }
    if (cutOff.length > 0 && (seconds === null || atLeast)) {
      // Never run to its end: a file cut off after 8 s is at least that long (left at null, the next run started it
      // behind files of a second, a helper's trial).
      seconds = Math.max(seconds ?? 0, ...cutOff);
      atLeast = true;
    } else if (timedOut.length > 0) seconds = Math.max(seconds ?? 0, ...timedOut);
    // Each iteration's last attempt counts (a retry that passed makes it flaky), and a failing iteration is never outweighed by a passing one.
    const finals = finalResults(runs);
    let outcome = finals.reduce((a, b) => (OUTCOME_WEIGHT[b.status] > OUTCOME_WEIGHT[a.status] ? b : a)).status;
    let failedTests = [...new Set(finals.flatMap((r) => r.cases.filter((c) => c.outcome === "failed" || c.outcome === "error").map((c) => c.nodeid)))];
    if ((partial.has(file) || finals.some((r) => r.cutShort === true)) && previous?.outcome === "failed") {
      // A run of some of its tests (-k, -m, --deselect, node ids) says nothing of the others: a test that failed before
      // and did not run still failed, as in pytest's own last-failed memory. Forgotten, a later --last-failed ran
      // only the tests that failed since and passed while it was still broken (a helper's trial: a false green). So
      // does a run of the whole file that pytest stopped at a failure before its last test (a serial run's -x): two
      // failed parameters it never reached were forgotten (a helper's trial of stamina).
      const ran = new Set(finals.flatMap((r) => r.cases.map((c) => c.nodeid)));
      const stillFailed = (previous.failedTests ?? []).filter((nodeid) => !ran.has(nodeid));
      if (stillFailed.length > 0) {
        failedTests = [...new Set([...failedTests, ...stillFailed])];
        if (OUTCOME_WEIGHT[outcome] < OUTCOME_WEIGHT.failed) outcome = "failed";
      }
    }
    const perTest = testSeconds(previous?.testSeconds, finals, partial.has(file));
    // Only processes of its own that ran to their end say what a process of the file costs besides its tests; moved by
    // the kind of their measurement as the file's seconds are.
    const alone = finished.filter((r) => r.testsSeconds !== undefined && (filesOfLog.get(r.log as string) ?? 0) <= 1);
    const move = moveByKind(previous?.fresh === true, alone.length > 0 && alone.every((r) => r.fresh === true));
    const perProcess = smoothed(previous?.perProcessSeconds, alone.map((r) => Math.max(0, r.durationSeconds - (r.testsSeconds as number)) / (r.parts?.length ?? 1)), move);
    const afterCollection = smoothed(previous?.afterCollectionSeconds, partial.has(file) ? [] : alone.filter((r) => r.cutShort !== true).map((r) => r.testsSeconds as number), move);
    const recent = recentOutcomes(previous, runs, source, partial.has(file));
    // Known from the run that collected its tests; a run that did not (cancelled, stopped at an import) keeps the last known.
    const groups = [...runs].reverse().find((r) => r.groups !== undefined)?.groups ?? previous?.groups ?? [];
    files[file] = {
      seconds: seconds === null ? null : Math.round(seconds * 1000) / 1000,
      outcome,
      runs: (previous?.runs ?? 0) + ran.length,
      lastRun: now.toISOString(),
      failedTests,
      recent: recent.file,
      tests: recent.tests,
      ...(perTest === null ? {} : { testSeconds: perTest }),
      ...(perProcess === undefined ? {} : { perProcessSeconds: perProcess }),
      ...(afterCollection === undefined ? {} : { afterCollectionSeconds: afterCollection }),
      ...(recent.source === null ? {} : { source: recent.source }),
      ...(groups.length === 0 ? {} : { groups }),
      ...(fresh && seconds !== null ? { fresh: true as const } : {}),
      ...(ran.length > 0 && ran.every((r) => (filesOfLog.get(r.log as string) ?? 0) > 1) ? { shared: true as const } : {}),
      ...(atLeast && seconds !== null ? { atLeast: true as const } : {}),
    };
  }
  return { version: 1, files };
}

/**
 * How a run's measurement moves what history had, by their kinds (afresh, Python's and pytest's start included, or
 * forked): forked seconds replace afresh ones, afresh ones never move forked ones, and the same kind is smoothed.
 */
function moveByKind(historyFresh: boolean, measuredFresh: boolean): "replace" | "smooth" | "keep" {
  return historyFresh && !measuredFresh ? "replace" : historyFresh === measuredFresh ? "smooth" : "keep";
}

/** The mean of a run's samples moved into what history had (see moveByKind), to the millisecond; what history had when the run has none. */
function smoothed(previous: number | undefined, samples: readonly number[], move: "replace" | "smooth" | "keep"): number | undefined {
  if (samples.length === 0 || (previous !== undefined && move === "keep")) return previous;
  const mean = samples.reduce((sum, s) => sum + s, 0) / samples.length;
  const value = previous === undefined || move === "replace" ? mean : previous + HISTORY_SMOOTHING * (mean - previous);
  return Math.round(value * 1000) / 1000;
}

/** The letter a run of a file adds to its recent outcomes; null for a run that says nothing of it (cancelled, no test selected). */
const FILE_LETTER: Record<FileStatus, string | null> = { passed: "P", "no-tests": null, failed: "F", timeout: "F", flaky: "K", cancelled: null };

/**
 * A run of the file's tests, or one that says nothing of them: pytest rejected
 * its arguments (exit 4), or the module failed to import (its only outcome a
 * collection error), before any ran. A module that imports once a missing
 * package is installed or a generated file is written, on the same source, is
 * not flaky: none of its tests ever failed.
 */
function letterOf(result: FileResult): string | null {
  if (result.status === "failed" && (result.exitCode === PYTEST_USAGE_ERROR || failedToCollectOnly(result))) return null;
  return FILE_LETTER[result.status];
}

/** The result with only the tests the history remembers by their node id (HISTORY_NODEID_MAX_CHARS). */
function rememberedCases(result: FileResult): FileResult {
  if (result.cases.every((test) => test.nodeid.length <= HISTORY_NODEID_MAX_CHARS)) return result;
  return { ...result, cases: result.cases.filter((test) => test.nodeid.length <= HISTORY_NODEID_MAX_CHARS) };
}

/** Whether the file's only outcome is its module's failed import (pytest's collection error): none of its tests ran. */
export function failedToCollectOnly(result: Pick<FileResult, "cases">): boolean {
  return result.cases.length > 0 && result.cases.every((test) => test.outcome === "error" && (test.failures ?? []).length > 0 && (test.failures ?? []).every((failure) => failure.when === "collect"));
}

/** A test's verdict in one attempt: a pass, a failure, or neither. */
function verdictOf(outcome: TestOutcome): "P" | "F" | "-" {
  if (outcome === "passed" || outcome === "xpassed") return "P";
  return outcome === "failed" || outcome === "error" ? "F" : "-";
}

/**
 * A file's and its tests' recent outcomes with this run's added: a letter per
 * iteration that ran (its last attempt decides; a test that failed in an
 * earlier attempt and passed in the last is K), each kept to the last
 * HISTORY_RECENT_RUNS. Letters recorded on other source than `source` are
 * closed off with `|` before this run's first letter.
 */
function recentOutcomes(previous: FileHistory | undefined, runs: readonly FileResult[], source: string | null, partial: boolean): { file: string; tests: Record<string, string>; source: string | null } {
  let file = typeof previous?.recent === "string" ? previous.recent : "";
  const tests: Record<string, string> = {};
  for (const [nodeid, letters] of Object.entries(previous?.tests ?? {})) if (typeof letters === "string") tests[nodeid] = letters;
  const before = previous?.source ?? null;
  let recorded = false;
  const iterations = [...new Set(runs.map((r) => r.iteration))].sort((a, b) => a - b);
  for (const iteration of iterations) {
    const attempts = runs.filter((r) => r.iteration === iteration).sort((a, b) => a.attempt - b.attempt);
    const last = attempts[attempts.length - 1] as FileResult;
    const letter = letterOf(last);
    if (letter === null) continue;
    if (!recorded && source !== null && before !== null && source !== before) {
      file += SOURCE_CHANGED;
      for (const nodeid of Object.keys(tests)) tests[nodeid] += SOURCE_CHANGED;
    }
    recorded = true;
    // A run of some of the file's tests (-k, -m, --lf, node ids) says nothing of the file as a whole: only its tests' letters count.
    if ((last.tests?.deselected ?? 0) === 0 && !partial) file += letter;
    const failedBefore = new Set(attempts.slice(0, -1).flatMap((r) => r.cases.filter((c) => verdictOf(c.outcome) === "F").map((c) => c.nodeid)));
    const now = new Map(last.cases.map((c) => [c.nodeid, verdictOf(c.outcome)]));
    for (const nodeid of new Set([...Object.keys(tests), ...now.keys()])) {
      const verdict = now.get(nodeid) ?? "-";
      tests[nodeid] = `${tests[nodeid] ?? ""}${verdict === "P" && failedBefore.has(nodeid) ? "K" : verdict}`;
    }
  }
  for (const [nodeid, letters] of Object.entries(tests)) {
    const kept = lastRuns(letters);
    if (/[PFK]/.test(kept)) tests[nodeid] = kept;
    else delete tests[nodeid];
  }
  return { file: lastRuns(file), tests, source: recorded && source !== null ? source : before };
}

/** Between the letters of runs on different source (flakes.ts reads a flake only within one stretch). */
export const SOURCE_CHANGED = "|";

/** The letters of the last HISTORY_RECENT_RUNS runs, with the source changes among them (none first). */
function lastRuns(letters: string): string {
  let runs = 0;
  let start = letters.length;
  while (start > 0 && runs < HISTORY_RECENT_RUNS) {
    start--;
    if (letters[start] !== SOURCE_CHANGED) runs++;
  }
  while (letters[start] === SOURCE_CHANGED) start++;
  return letters.slice(start);
}


/**
 * Each test's seconds after a run, smoothed like a file's: the tests of a run
 * that reached its end (a file that ran whole, or every part of a split
 * file), in the order they ran; the previous ones when none did.
 */
function testSeconds(previous: Record<string, number> | undefined, finals: readonly FileResult[], partial: boolean): Record<string, number> | null {
  const complete = finals.filter((r) => r.status !== "cancelled" && r.status !== "timeout" && r.cases.length > 0);
  if (complete.length === 0) return previous ?? null;
  const seen = new Map<string, number>();
  for (const result of complete) for (const test of result.cases) seen.set(test.nodeid, test.seconds);
  // A run of some of its tests (-k, node ids, --last-failed), or one pytest stopped at a failure, says nothing of the
  // others: they keep their seconds. Forgotten, the file looked as short as the tests that ran, and the next --split
  // auto ran it whole (a helper's trial of pytest-rerunfailures: after a -k run of one test, 32 s unsplit against 20 s).
  const kept = partial || complete.some((r) => r.cutShort === true) ? Object.entries(previous ?? {}).filter(([nodeid]) => !seen.has(nodeid)) : [];
  const tests: Record<string, number> = Object.fromEntries(kept);
  for (const [nodeid, latest] of seen) {
    const before = previous?.[nodeid];
    tests[nodeid] = Math.round((before === undefined ? latest : before + HISTORY_SMOOTHING * (latest - before)) * 1000) / 1000;
  }
  return tests;
}

/**
 * Records a run: under `history.json.lock` (taken with O_EXCL, taken over
 * from a holder that died), re-reads the file, applies this run's results,
 * and writes it to a temporary file renamed over the old one. Returns the
 * history as written.
 */
export async function recordRun(root: string, results: readonly FileResult[], now = new Date(), source: string | null = null, partial: ReadonlySet<string> = new Set()): Promise<History> {
  const file = historyFile(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  const release = await acquireLock(lock);
  try {
    const read = readHistoryChecked(root);
    // A file that could not be read at all is kept for whoever wants to look at it, not overwritten.
    if (read.unreadable) fs.copyFileSync(file, `${file}.damaged`);
    const updated = updateHistory(read.history, results, now, source, partial);
    writeJsonFile(file, updated);
    return updated;
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
    // An empty lock is one its holder has just created and not yet written its pid into: held, not abandoned.
    const beingTaken = holder === "";
    if ((!beingTaken && (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid))) || Date.now() >= giveUpAt) {
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
