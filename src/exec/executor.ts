/**
 * The pool: worker slots, the order batches start in, iterations, retries,
 * and stopping (fail-fast, interrupts). It decides what runs when; running
 * one pytest process is the batch runner's job, and formatting is the
 * reporters'.
 */
import { setMaxListeners } from "node:events";
import pLimit, { type LimitFunction } from "p-limit";
import { EnvironmentFailure, StartCancelled } from "../errors.js";
import type { Progress, RunEvents, StopCause } from "../events.js";
import { failedOnItsOwn, failedTests, isFailure, type Batch, type FileResult } from "../model.js";
import { cancelledBeforeStart, combineParts } from "./results.js";
import { sleep } from "../process/sleep.js";
import { MAX_LEASES_AHEAD_PER_SLOT } from "../defaults.js";
import { GroupLocks } from "./groupLocks.js";

export interface Placement {
  iteration: number;
  attempt: number;
  slot: number;
  /** Batches not yet started when this one starts (more iterations may follow): whether preparing the slot's next one is worth it. */
  upcoming: number;
}

export interface BatchSignals {
  cancel: AbortSignal;
  hurry: AbortSignal;
}

export type BatchRunner = (batch: Batch, placement: Placement, signals: BatchSignals) => Promise<FileResult[]>;

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
  batches: Batch[];
  workers: number;
  failFast: boolean;
  /** pytest's -x or --maxfail N, made to act across the run: stop once this many tests have failed; null for no limit. */
  maxFailedTests: number | null;
  retries: number;
  iterations: IterationPolicy;
}

export interface ExecutionResult {
  results: FileResult[];
  stopped: StopCause | null;
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
  private stopped: StopCause | null = null;
  private firstFailedIteration: number | null = null;
  private failedTestCount = 0;
  private readonly progress: Progress;
  /** Final results of the parts of split files (by part index), by iteration and path, until every part is in. */
  private readonly partsDone = new Map<string, FileResult[]>();
  private iterationsStarted = 0;
  private haltedAfterIteration: number | null = null;
  private readonly groups = new GroupLocks();

  constructor(
    private readonly plan: ExecutorPlan,
    private readonly runBatch: BatchRunner,
    private readonly events: RunEvents,
    /** Seconds since the start of the run. */
    private readonly clock: () => number,
  ) {
    this.limit = pLimit(plan.workers);
    // Every running batch, every kill in progress and every lease being prepared ahead listens to these two signals.
    setMaxListeners((2 + MAX_LEASES_AHEAD_PER_SLOT) * plan.workers + 10, this.cancelController.signal, this.hurryController.signal);
    this.freeSlots = Array.from({ length: plan.workers }, (_, slot) => slot);
    this.progress = { done: 0, perIteration: plan.batches.reduce((sum, b) => sum + b.paths.length, 0), running: 0, failed: 0, iteration: 1 };
  }

  /** Stops the run: nothing new starts and every running tree is killed. The first cause wins. */
  /** Why the run stopped early (--fail-fast, --maxfail, an interrupt, an environment that failed), or null. */
  get stoppedBy(): StopCause | null {
    return this.stopped;
  }

  stop(cause: StopCause): void {
    if (this.stopped !== null) return;
    this.stopped = cause;
    this.events.emit({ type: "stopping", cause });
    this.cancelController.abort();
  }

  /** Ends the grace period of every kill in progress (a second Ctrl-C). */
  hurry(): void {
    this.hurryController.abort();
  }

  get stopping(): StopCause | null {
    return this.stopped;
  }

  async execute(): Promise<ExecutionResult> {
    if (this.plan.iterations.sustained) await this.runSustained();
    else await this.runWithBarriers();
    const notStarted = this.results.filter((r) => r.status === "cancelled" && r.slot === -1).map((r) => r.path);
    if (notStarted.length > 0) {
      this.events.emit({ type: "cancelled", paths: notStarted });
      this.report({ done: this.progress.done + notStarted.length });
    }
    return { results: this.results, stopped: this.stopped, iterationsStarted: this.iterationsStarted, haltedAfterIteration: this.haltedAfterIteration };
  }

  private report(change: Partial<Progress>): void {
    Object.assign(this.progress, change);
    this.events.emit({ type: "progress", progress: { ...this.progress } });
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

  /** Each iteration queues the next one as its own last batch starts, so the queue never runs dry. */
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
    if (this.stopped !== null) return false;
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

  private async runIteration(iteration: number, onLastBatchStarting: () => void): Promise<void> {
    this.iterationsStarted = Math.max(this.iterationsStarted, iteration);
    this.events.emit({ type: "iteration-start", iteration });
    this.report({ iteration: Math.max(this.progress.iteration, iteration) });
    const startedAt = this.clock();
    const last = this.plan.batches.length - 1;
    const policy = this.plan.iterations;
    const moreIterations = policy.count === null || iteration < policy.count;
    const jobs = this.plan.batches.map((batch, index) =>
      this.limit(() => {
        if (index === last) onLastBatchStarting();
        return this.runJob(batch, iteration, last - index + (moreIterations ? this.plan.batches.length : 0));
      }),
    );
    const results = [...(await Promise.all(jobs)).flat(), ...this.finishPartlyRun(iteration)];
    this.events.emit({ type: "iteration-finish", iteration, results, seconds: this.clock() - startedAt });
  }

  /** One batch, once no batch of a group it holds runs (xdist_group): files of one group run one after another. */
  private async runJob(batch: Batch, iteration: number, upcoming: number): Promise<FileResult[]> {
    const groups = batch.groups ?? [];
    if (groups.length === 0) return this.runJobInSlot(batch, iteration, upcoming);
    await this.groups.take(groups);
    try {
      return await this.runJobInSlot(batch, iteration, upcoming);
    } finally {
      this.groups.give(groups);
    }
  }

  /** One batch in one slot, with its retries. Returns the final result of each of its files. */
  private async runJobInSlot(batch: Batch, iteration: number, upcoming: number): Promise<FileResult[]> {
    if (this.stopped !== null) {
      const cancelled = batch.paths.map((path) => cancelledBeforeStart(path, iteration, 1, this.clock()));
      return this.finish(batch, cancelled);
    }
    const stoppedAfterFailure = !this.plan.iterations.keepGoing && this.firstFailedIteration !== null && iteration > this.firstFailedIteration;
    if (this.pastDeadline() || stoppedAfterFailure) return [];

    const slot = this.freeSlots.shift();
    if (slot === undefined) throw new Error("no free worker slot: the pool ran more batches than it has slots");
    try {
      const finals: FileResult[] = [];
      let reported: FileResult[] = [];
      const failedBefore = new Set<string>();
      let pending = batch;
      for (let attempt = 1; ; attempt++) {
        this.report({ running: this.progress.running + 1 });
        let results = await this.runSafely(pending, { iteration, attempt, slot, upcoming }).finally(() => (this.progress.running -= 1));
        // Files a shared process never reached because it ended early (a test's os._exit, a crash) run in a new one.
        const reached: FileResult[] = [];
        for (let left = unreached(pending, results, this.stopsWith(results)); left !== null; left = unreached(left.batch, results, this.stopsWith(results))) {
          reached.push(...left.reached);
          this.report({ running: this.progress.running + 1 });
          results = await this.runSafely(left.batch, { iteration, attempt, slot, upcoming }).finally(() => (this.progress.running -= 1));
        }
        results = [...reached, ...results];
        const mayRetry = attempt <= this.plan.retries && this.stopped === null;
        const retry = new Set(results.filter((r) => mayRetry && failedOnItsOwn(r.status)).map((r) => r.path));
        // The files a shared process never reached once it stopped at the failure (a serial run's -x) run with the retry:
        // the session they were to be part of runs again. Left out, the run failed on them where the retry passed.
        const notReached = retry.size === 0 ? new Set<string>() : new Set(results.filter((r) => r.status === "cancelled" && r.log === null).map((r) => r.path));
        for (const path of notReached) retry.add(path);
        for (const result of results) {
          if (notReached.has(result.path)) continue;
          if (result.status === "passed" && failedBefore.has(result.path)) result.status = "flaky";
          if (retry.has(result.path)) {
            failedBefore.add(result.path);
            this.results.push(result);
            this.events.emit({ type: "file-finish", result, willRetry: true });
          } else {
            finals.push(result);
          }
        }
        if (retry.size === 0) {
          reported = this.finish(batch, finals);
          this.report({ done: this.progress.done + reported.length, failed: this.progress.failed + reported.filter((r) => failedOnItsOwn(r.status)).length });
          break;
        }
        pending = narrowBatch(batch, retry);
      }
      // A part that failed stops the run at once with fail-fast, as a file would; it need not wait for its file's other parts.
      for (const result of finals) if (isFailure(result.status)) this.onFileFailed(result, iteration);
      return reported;
    } finally {
      this.freeSlots.push(slot);
      this.freeSlots.sort((a, b) => a - b);
    }
  }

  /** Whether the run is stopping, or will once these results are in (a failure under --fail-fast or pytest's -x). */
  private stopsWith(results: readonly FileResult[]): boolean {
    return this.stopped !== null || (this.stopsAtFirstFailure && results.some((r) => isFailure(r.status)));
  }

  /** --fail-fast, or pytest's -x (--maxfail=1) acting across the run. */
  private get stopsAtFirstFailure(): boolean {
    return this.plan.failFast || this.plan.maxFailedTests === 1;
  }

  /**
   * Records a batch's final results and tells the reporters, which see a
   * split file once: when its last part is in, as the parts combined.
   * Returns what was reported.
   */
  private finish(batch: Batch, finals: FileResult[]): FileResult[] {
    const part = batch.part;
    let reported = finals;
    if (part !== undefined) {
      reported = [];
      for (const result of finals) {
        const key = `${result.iteration}\0${result.path}`;
        const done = this.partsDone.get(key) ?? [];
        done[part.index] = result;
        if (done.filter((r) => r !== undefined).length < part.count) {
          this.partsDone.set(key, done);
          continue;
        }
        this.partsDone.delete(key);
        reported.push(combineParts(done));
      }
    }
    for (const result of reported) {
      this.results.push(result);
      this.events.emit({ type: "file-finish", result, willRetry: false });
    }
    return reported;
  }

  /**
   * Split files of an iteration that a deadline (--duration) ended before
   * all their parts started: reported from the parts that ran.
   */
  private finishPartlyRun(iteration: number): FileResult[] {
    const reported: FileResult[] = [];
    for (const [key, done] of this.partsDone) {
      if (!key.startsWith(`${iteration}\0`)) continue;
      this.partsDone.delete(key);
      const result = combineParts(done.filter((r) => r !== undefined));
      this.results.push(result);
      this.events.emit({ type: "file-finish", result, willRetry: false });
      reported.push(result);
    }
    return reported;
  }

  /**
   * A batch runner that throws (its managed server would not start, or a bug)
   * stops the whole run, and the batch's files count as not started.
   */
  private async runSafely(batch: Batch, placement: Placement): Promise<FileResult[]> {
    try {
      return await this.runBatch(batch, placement, { cancel: this.cancelController.signal, hurry: this.hurryController.signal });
    } catch (error) {
      if (error instanceof EnvironmentFailure) this.stop({ reason: "environment", message: error.message });
      else if (!(error instanceof StartCancelled)) this.stop({ reason: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return batch.paths.map((path) => cancelledBeforeStart(path, placement.iteration, placement.attempt, this.clock()));
    }
  }

  private onFileFailed(result: FileResult, iteration: number): void {
    if (result.status === "cancelled") return;
    if (this.firstFailedIteration === null || iteration < this.firstFailedIteration) this.firstFailedIteration = iteration;
    // A file that failed without a test report (a crash, a timeout) counts as one failed test.
    this.failedTestCount += result.tests === null ? 1 : Math.max(1, failedTests(result.tests));
    const limit = this.plan.maxFailedTests;
    // The failed batch has left the running count by now: the others are what the stop kills.
    const othersRunning = this.progress.running;
    if (this.stopsAtFirstFailure) this.stop({ reason: "fail-fast", result, pytestExitFirst: !this.plan.failFast, othersRunning });
    else if (limit !== null && this.failedTestCount >= limit) this.stop({ reason: "max-failures", failedTests: this.failedTestCount, limit, result, othersRunning });
  }
}

/**
 * The files of a shared process (a pack) that it never reached because it ended early by itself, as a batch of their
 * own, with the results of the rest; null when there are none, when the run is stopping, when the process was timed
 * out (its time is spent), or when it reached none of its files (a new process would end the same way, before any).
 * Files its pytest session left when it ended (-x, --maxfail: leftByPytest) are not run again: neither would a plain
 * run have run them.
 */
export function unreached(batch: Batch, results: readonly FileResult[], stopping: boolean): { batch: Batch; reached: FileResult[] } | null {
  if (stopping || batch.paths.length < 2 || results.some((r) => r.status === "timeout")) return null;
  const left = new Set(results.filter((r) => r.status === "cancelled" && r.log === null && r.leftByPytest !== true).map((r) => r.path));
  if (left.size === 0 || left.size >= batch.paths.length) return null;
  return { batch: narrowBatch(batch, left), reached: results.filter((r) => !left.has(r.path)) };
}

/**
 * The part of a batch that covers the given files, for a retry. A serial run that learned its files from its pytest
 * process (no listing) has none in its batch: its retry is of the files that failed, as files of their own (it once
 * gave its second pytest no argument at all, which ran every file of the project, those never selected too: a
 * helper's trial of marshmallow).
 */
export function narrowBatch(batch: Batch, paths: ReadonlySet<string>): Batch {
  if (batch.paths.length === 0) return { ...batch, paths: [...paths], files: [...paths].map((path) => ({ path, named: null, folder: null, kind: "tests" as const })) };
  return { ...batch, paths: batch.paths.filter((p) => paths.has(p)), files: batch.files.filter((f) => paths.has(f.path)) };
}
