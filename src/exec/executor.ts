/**
 * The pool: worker slots, the order shards start in, iterations, retries,
 * and stopping (fail-fast, interrupts). It decides what runs when; running
 * one pytest process is the shard runner's job, and formatting is the
 * reporters'.
 */
import { setMaxListeners } from "node:events";
import pLimit, { type LimitFunction } from "p-limit";
import { EnvironmentFailure, StartCancelled } from "../errors.js";
import type { RunEvents, StopReason } from "../events.js";
import { failedOnItsOwn, failedTests, isFailure, type FileResult } from "../model.js";
import { cancelledBeforeStart } from "./results.js";
import type { TestFile } from "../discovery/selection.js";

/** The files one pytest process runs: one file in parallel mode, the whole selection in serial mode. */
export interface Shard {
  paths: string[];
  /** The same files as discovery found them: how each is given to pytest. */
  files: TestFile[];
}

export interface ShardPlacement {
  iteration: number;
  attempt: number;
  slot: number;
}

export interface ShardSignals {
  cancel: AbortSignal;
  hurry: AbortSignal;
}

export type ShardRunner = (shard: Shard, placement: ShardPlacement, signals: ShardSignals) => Promise<FileResult[]>;

export interface IterationPolicy {
  /** How many iterations; null runs until the deadline. */
  count: number | null;
  /** Seconds since the start of the run after which no file starts; null for none. */
  deadlineSeconds: number | null;
  delaySeconds: number;
  keepGoing: boolean;
  /**
   * Start the next iteration's files as slots free up instead of waiting for
   * the slowest file of the current one, so the load never drains.
   */
  sustained: boolean;
}

export interface ExecutorPlan {
  /** Shards of one iteration, in the order they start. */
  shards: Shard[];
  workers: number;
  failFast: boolean;
  /** pytest's -x or --maxfail N, made to act across the run: stop once this many tests have failed; null for no limit. */
  maxFailedTests: number | null;
  retries: number;
  iterations: IterationPolicy;
}

export interface ExecutionResult {
  results: FileResult[];
  stopReason: StopReason | null;
  iterationsStarted: number;
  /** The iteration whose failures ended a repeated run early (without --keep-going), if one did. */
  haltedAfterIteration: number | null;
}

export const SINGLE_ITERATION: IterationPolicy = { count: 1, deadlineSeconds: null, delaySeconds: 0, keepGoing: false, sustained: false };

export class Executor {
  private readonly cancelController = new AbortController();
  private readonly hurryController = new AbortController();
  private readonly limit: LimitFunction;
  private readonly freeSlots: number[];
  private readonly results: FileResult[] = [];
  private stopReason: StopReason | null = null;
  private firstFailedIteration: number | null = null;
  private failedTestCount = 0;
  private iterationsStarted = 0;
  private haltedAfterIteration: number | null = null;

  constructor(
    private readonly plan: ExecutorPlan,
    private readonly runShard: ShardRunner,
    private readonly events: RunEvents,
    /** Seconds since the start of the run. */
    private readonly clock: () => number,
  ) {
    this.limit = pLimit(plan.workers);
    // Every running shard, and every kill in progress, listens to these two signals.
    setMaxListeners(2 * plan.workers + 10, this.cancelController.signal, this.hurryController.signal);
    this.freeSlots = Array.from({ length: plan.workers }, (_, slot) => slot);
  }

  /** Stops the run: nothing new starts and every running tree is killed. The first reason wins. */
  stop(reason: StopReason, detail: string, cause: FileResult | null = null): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.events.emit({ type: "stopping", reason, detail, cause });
    this.cancelController.abort();
  }

  /** Ends the grace period of every kill in progress (a second Ctrl-C). */
  hurry(): void {
    this.hurryController.abort();
  }

  get stopping(): StopReason | null {
    return this.stopReason;
  }

  async execute(): Promise<ExecutionResult> {
    if (this.plan.iterations.sustained) await this.runSustained();
    else await this.runWithBarriers();
    const notStarted = this.results.filter((r) => r.status === "cancelled" && r.slot === -1).map((r) => r.path);
    if (notStarted.length > 0) this.events.emit({ type: "cancelled", paths: notStarted });
    return { results: this.results, stopReason: this.stopReason, iterationsStarted: this.iterationsStarted, haltedAfterIteration: this.haltedAfterIteration };
  }

  private async runWithBarriers(): Promise<void> {
    for (let iteration = 1; this.mayStartIteration(iteration); iteration++) {
      if (iteration > 1 && this.plan.iterations.delaySeconds > 0) {
        await sleep(this.plan.iterations.delaySeconds * 1000, this.cancelController.signal);
        if (!this.mayStartIteration(iteration)) break;
      }
      await this.runIteration(iteration, () => undefined);
    }
  }

  /** Each iteration queues the next one as its own last shard starts, so the queue never runs dry. */
  private async runSustained(): Promise<void> {
    const iterations: Promise<void>[] = [];
    const start = (iteration: number): void => {
      iterations.push(
        this.runIteration(iteration, () => {
          if (this.mayStartIteration(iteration + 1)) start(iteration + 1);
        }),
      );
    };
    start(1);
    for (let i = 0; i < iterations.length; i++) await iterations[i];
  }

  private mayStartIteration(iteration: number): boolean {
    const policy = this.plan.iterations;
    if (this.stopReason !== null) return false;
    if (policy.count !== null && iteration > policy.count) return false;
    if (this.pastDeadline()) return false;
    if (policy.keepGoing || this.firstFailedIteration === null) return true;
    this.haltedAfterIteration = this.firstFailedIteration;
    return false;
  }

  private pastDeadline(): boolean {
    const deadline = this.plan.iterations.deadlineSeconds;
    return deadline !== null && this.clock() >= deadline;
  }

  private async runIteration(iteration: number, onLastShardStarting: () => void): Promise<void> {
    this.iterationsStarted = Math.max(this.iterationsStarted, iteration);
    this.events.emit({ type: "iteration-start", iteration });
    const startedAt = this.clock();
    const last = this.plan.shards.length - 1;
    const jobs = this.plan.shards.map((shard, index) =>
      this.limit(() => {
        if (index === last) onLastShardStarting();
        return this.runJob(shard, iteration);
      }),
    );
    const results = (await Promise.all(jobs)).flat();
    this.events.emit({ type: "iteration-finish", iteration, results, seconds: this.clock() - startedAt });
  }

  /** One shard in one slot, with its retries. Returns the final result of each of its files. */
  private async runJob(shard: Shard, iteration: number): Promise<FileResult[]> {
    if (this.stopReason !== null) {
      const cancelled = shard.paths.map((path) => cancelledBeforeStart(path, iteration, 1, this.clock()));
      this.results.push(...cancelled);
      return cancelled;
    }
    const stoppedAfterFailure = !this.plan.iterations.keepGoing && this.firstFailedIteration !== null && iteration > this.firstFailedIteration;
    if (this.pastDeadline() || stoppedAfterFailure) return [];

    const slot = this.freeSlots.shift();
    if (slot === undefined) throw new Error("no free worker slot: the pool ran more shards than it has slots");
    try {
      const finals: FileResult[] = [];
      const failedBefore = new Set<string>();
      let pending = shard;
      for (let attempt = 1; ; attempt++) {
        const results = await this.runSafely(pending, { iteration, attempt, slot });
        const mayRetry = attempt <= this.plan.retries && this.stopReason === null;
        const retry = new Set(results.filter((r) => mayRetry && failedOnItsOwn(r.status)).map((r) => r.path));
        for (const result of results) {
          if (result.status === "passed" && failedBefore.has(result.path)) result.status = "flaky";
          this.results.push(result);
          this.events.emit({ type: "file-finish", result, willRetry: retry.has(result.path) });
          if (retry.has(result.path)) failedBefore.add(result.path);
          else finals.push(result);
        }
        if (retry.size === 0) break;
        pending = narrowShard(shard, retry);
      }
      for (const result of finals) if (isFailure(result.status)) this.onFileFailed(result, iteration);
      return finals;
    } finally {
      this.freeSlots.push(slot);
      this.freeSlots.sort((a, b) => a - b);
    }
  }

  /**
   * A shard runner that throws (its managed server would not start, or a bug)
   * stops the whole run, and the shard's files count as not started.
   */
  private async runSafely(shard: Shard, placement: ShardPlacement): Promise<FileResult[]> {
    try {
      return await this.runShard(shard, placement, { cancel: this.cancelController.signal, hurry: this.hurryController.signal });
    } catch (error) {
      if (error instanceof EnvironmentFailure) this.stop("environment", error.message);
      else if (!(error instanceof StartCancelled)) this.stop("error", `grimoire-run hit an internal error; stopping every running test process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return shard.paths.map((path) => cancelledBeforeStart(path, placement.iteration, placement.attempt, this.clock()));
    }
  }

  private onFileFailed(result: FileResult, iteration: number): void {
    if (result.status === "cancelled") return;
    if (this.firstFailedIteration === null || iteration < this.firstFailedIteration) this.firstFailedIteration = iteration;
    const what = `${result.path} ${result.status === "timeout" ? "timed out" : "failed"}`;
    // A file that failed without a test report (a crash, a timeout) counts as one failed test.
    this.failedTestCount += result.tests === null ? 1 : Math.max(1, failedTests(result.tests));
    const limit = this.plan.maxFailedTests;
    if (this.plan.failFast) this.stop("fail-fast", what, result);
    else if (limit !== null && this.failedTestCount >= limit) {
      this.stop("fail-fast", limit === 1 ? `${what} (pytest's -x stops at the first failure)` : `${this.failedTestCount} tests failed (pytest's --maxfail=${limit})`, result);
    }
  }
}

/** The part of a shard that covers the given files, for a retry. */
export function narrowShard(shard: Shard, paths: ReadonlySet<string>): Shard {
  return { paths: shard.paths.filter((p) => paths.has(p)), files: shard.files.filter((f) => paths.has(f.path)) };
}

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      abort.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort.addEventListener("abort", done, { once: true });
  });
}
