/**
 * The one channel from the executor to the reporters. The executor emits
 * what happened; reporters only listen, and never decide an outcome.
 */
import type { FileResult, RunReport } from "./model.js";

/** One pytest process running one or more files in a worker slot. */
export interface ShardStart {
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
}

/** How often the selection runs, in load mode. */
export interface LoadPlan {
  /** null: until the duration is up. */
  iterations: number | null;
  durationSeconds: number | null;
  sustained: boolean;
}

export type StopReason = "fail-fast" | "interrupt" | "environment" | "error";

export type RunEvent =
  | {
      type: "run-start";
      runId: string;
      mode: "parallel" | "serial";
      files: string[];
      /** Those of the files collected only for their doctests (--doctest-modules): most hold none. */
      doctestModules: string[];
      workers: number;
      logDir: string;
      load: LoadPlan | null;
    }
  | { type: "iteration-start"; iteration: number }
  | { type: "shard-start"; shard: ShardStart }
  | { type: "shard-output"; shard: ShardStart; text: string[] }
  | { type: "shard-finish"; shard: ShardStart; durationSeconds: number }
  | { type: "file-finish"; result: FileResult; willRetry: boolean }
  | { type: "iteration-finish"; iteration: number; results: FileResult[]; seconds: number }
  | { type: "stopping"; reason: StopReason; detail: string; cause: FileResult | null }
  | { type: "cancelled"; paths: string[] }
  | { type: "warning"; message: string }
  | { type: "notice"; message: string }
  | { type: "environment-output"; source: string; text: string[] }
  | { type: "run-finish"; report: RunReport; haltedAfterIteration: number | null };

export type RunListener = (event: RunEvent) => void;

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
