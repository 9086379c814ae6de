/**
 * The one channel from the executor to the reporters. The executor emits
 * what happened; reporters only listen, and never decide an outcome.
 */
import type { CoverageResult, FileResult, RunReport } from "./model.js";
import type { Leftover } from "./process/processTree.js";

/** One pytest process running one or more files in a worker slot. */
export interface BatchStart {
  /** Unique within the run. */
  id: number;
  paths: string[];
  iteration: number;
  attempt: number;
  slot: number;
  startSeconds: number;
  /** Relative to the project root. */
  log: string;
  pid: number | null;
  /** The command line, for --verbose. */
  command: string[];
  /** The file (relative to the project root) that limits the command's folder arguments to the batch's files (GRIMOIRE_ONLY_FILES); null when the command names them. */
  onlyFile: string | null;
  /** The part of a split file it runs (--split), if it runs one: its notices name the part. */
  part?: { index: number; count: number };
}

/** How often the selection runs, in load mode. */
export interface LoadPlan {
  /** null: until the duration is up. */
  iterations: number | null;
  durationSeconds: number | null;
  sustained: boolean;
}

/** Why the run stopped early: what the console, the summary and the exit code each make of it. */
export type StopCause =
  /** --fail-fast, or pytest's -x: this file failed or timed out. */
  /** `othersRunning`: the files' processes still running as it stops, which the stop kills (none: it only starts no more). */
  | { reason: "fail-fast"; result: FileResult; pytestExitFirst: boolean; othersRunning: number }
  /** pytest's --maxfail N, across the run. */
  | { reason: "max-failures"; failedTests: number; limit: number; result: FileResult; othersRunning: number }
  | { reason: "interrupt"; signal: "SIGINT" | "SIGTERM" | "SIGHUP"; beforeFirstTest: boolean }
  /** A managed server or database failed. */
  | { reason: "environment"; message: string }
  /** A bug in grimoire-run. */
  | { reason: "error"; message: string };

export type StopReason = StopCause["reason"];

/** Where the run stands, after each file: for a live progress line. */
export interface Progress {
  /** Final results so far (retried attempts not counted), cancelled files included. */
  done: number;
  /** Files of one iteration. */
  perIteration: number;
  running: number;
  /** Files that failed or timed out on their own. */
  failed: number;
  iteration: number;
}

export type RunEvent =
  | {
      type: "run-start";
      runId: string;
      mode: "parallel" | "serial";
      /** The files, in order; null for a serial run that learns them from its own pytest process (see files-collected). */
      files: string[] | null;
      /** Those of the files collected only for their doctests (--doctest-modules): most hold none. */
      doctestModules: string[];
      workers: number;
      logDir: string;
      load: LoadPlan | null;
      /**
       * --pack's shares: how many files run in processes shared with others, and in how many such processes; `doctestsOnly`:
       * they are all modules checked for doctests, which a run packs by itself.
       */
      packed?: { files: number; processes: number; doctestsOnly: boolean };
      /** --split auto's parts: each split file and how many parts it runs in (absent: none split). */
      split?: { path: string; parts: number }[];
    }
  | { type: "iteration-start"; iteration: number }
  | { type: "batch-start"; batch: BatchStart }
  | { type: "batch-output"; batch: BatchStart; text: string[] }
  | { type: "batch-finish"; batch: BatchStart; durationSeconds: number }
  /**
   * A batch still running after `seconds` (--slow-notice, then twice, four times as long); `timeoutSeconds`: its limit,
   * if any; `cpuSeconds`: the CPU its pytest process has used so far (null where it cannot be read); `running`: a
   * process of its tree was running or waiting for a CPU as it was looked at.
   */
  /** `atExit`: pytest's session has ended, and the process waits at its exit (a child process, a thread, an exit handler). */
  | { type: "slow"; batch: BatchStart; seconds: number; timeoutSeconds: number | null; cpuSeconds: number | null; running?: boolean; atExit?: boolean }
  | { type: "file-finish"; result: FileResult; willRetry: boolean }
  | { type: "iteration-finish"; iteration: number; results: FileResult[]; seconds: number }
  /** A serial run's pytest process has collected: its files, as pytest ordered them. */
  | {
      type: "files-collected";
      files: string[];
      doctestModules: string[];
      /** pytest cut its collection short (-x at a module that does not import): the files after it are not among these. */
      cut: boolean;
      /** What cut it short was a stop (an interrupt while a module imported): no test runs after it. */
      stopped: boolean;
    }
  | { type: "progress"; progress: Progress }
  | { type: "stopping"; cause: StopCause }
  | { type: "cancelled"; paths: string[] }
  /** Processes of a batch (or, with `label` null, of the run) that outlived their pytest, found and killed. */
  /** `kept`: a file's leftovers that listened on a port, kept for the other files and killed at the run's end, or once too many were kept. */
  | { type: "leftovers-killed"; label: string | null; processes: Leftover[]; kept?: "run" | "limit" }
  /** Processes that would not die (uninterruptible sleep): left behind, and said so. */
  | { type: "kill-failed"; label: string; pids: number[] }
  /** The fork server could not start or warm up: each pytest starts afresh. */
  | { type: "fork-server-unavailable"; reason: string }
  | { type: "warning"; message: string }
  | { type: "notice"; message: string }
  /** pytest's `--durations` list over every file of a parallel run, in pytest's lines. */
  | { type: "durations"; lines: string[] }
  | { type: "environment-output"; source: string; text: string[] }
  /** The run's coverage, combined: pytest-cov's section of the terminal summary (as pytest-cov prints it), and the result. */
  | { type: "coverage"; output: string[]; result: CoverageResult }
  | { type: "run-finish"; report: RunReport; stopped: StopCause | null; haltedAfterIteration: number | null };

export type RunListener = (event: RunEvent) => void;

/** Where events go: the run's (RunEvents), or a HeldEvents until the run's listen. */
export interface EventSink {
  emit(event: RunEvent): void;
}

/**
 * The events of what starts with the run, before its reporters listen (the
 * test environment: --setup's output, its notices): kept in order, and told
 * to the run's events once they are released there, at the point of the run
 * where the environment is needed.
 */
export class HeldEvents implements EventSink {
  private readonly held: RunEvent[] = [];
  private target: EventSink | null = null;

  emit(event: RunEvent): void {
    if (this.target === null) this.held.push(event);
    else this.target.emit(event);
  }

  release(target: EventSink): void {
    this.target = target;
    for (const event of this.held.splice(0)) target.emit(event);
  }
}

export class RunEvents {
  private readonly listeners: RunListener[] = [];

  /**
   * @param onListenerError A listener that throws must not break the run
   * half-way (with test processes still running): its error goes here instead.
   */
  constructor(private readonly onListenerError: (error: unknown) => void = (error) => { throw error; }) {}

  on(listener: RunListener): void {
    this.listeners.push(listener);
  }

  emit(event: RunEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
