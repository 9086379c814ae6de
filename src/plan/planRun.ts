/**
 * The plan of a run, decided before anything runs: the batches of files each
 * pytest process runs, the worker count, the iteration policy, what every
 * process is given, and what pytest's cross-file options come to. Pure:
 * plain data in, plain data out; the notices say what was decided, for the
 * console.
 */
import type { RunConfig } from "../config/runConfig.js";
import type { ForwardedArgs } from "../config/pytestArgs.js";
import type { Listing } from "../discovery/askPytest.js";
import type { CollectionRequest } from "../discovery/selection.js";
import type { IterationPolicy } from "../exec/executor.js";
import type { Batch } from "../model.js";
import { SINGLE_ITERATION } from "../exec/executor.js";
import type { TestFile } from "../model.js";
import type { History } from "./history.js";
import { batchSeconds, failedFirst as failedFirstBatches, packBatches } from "./pack.js";
import { partBatches, planSplits, type SplitFile } from "./split.js";
import { fileEstimate } from "./shard.js";
import { nameSome } from "../format.js";

export interface RunPlan {
  parallel: boolean;
  workers: number;
  /** One iteration's batches, in the order they start. */
  batches: Batch[];
  iterations: IterationPolicy;
  /** -k, -m, --headed and what follows `--`, minus the options the run acts on itself. */
  forwardedArgs: string[];
  /** A serial run of the whole selection gets exactly a plain run's arguments; null when it was narrowed. */
  plainTargets: string[] | null;
  failFast: boolean;
  maxFailedTests: number | null;
  retries: number;
}

export interface PlanInput {
  config: RunConfig;
  /** The files to run, in order (after --last-failed, --shard and --order). */
  files: readonly TestFile[];
  /** --last-failed or --shard left out part of the selection. */
  narrowed: boolean;
  request: CollectionRequest;
  given: ForwardedArgs;
  /** pytest's answer; null for a direct serial run, whose one process applies pytest's options itself. */
  listing: Listing | null;
  history: History;
  /** The machine's available parallelism, for `--workers auto`. */
  cpus: number;
  /** Files --split never splits (marked grimoire_serial, or matching --no-split). */
  unsplittable?: ReadonlySet<string>;
  /** The xdist_group names each file's tests carry: files of one group never run at the same time. */
  groups?: ReadonlyMap<string, readonly string[]>;
}

export function planRun(input: PlanInput): RunPlan {
  const { config, files, history } = input;
  const parallel = config.mode === "parallel";
  // The slots asked for; a run uses no more of them than it has processes to run at once. Parts of split files count:
  // one long file alone splits over the workers. Modules checked for doctests count too: a test file and three such
  // modules are work for two workers.
  const wanted = slotCount(config, input.cpus);
  const failedFirst = config.order === "history" || config.failedFirst;
  const batches = parallel ? withGroups(parallelBatches(files, history, wanted, config.pack, config.split ? (input.unsplittable ?? new Set()) : null, failedFirst), input.groups) : [serialBatch(files)];
  const workers = parallel ? workerCount(config.workers, batches.length, input.cpus) : 1;
  return {
    parallel,
    workers,
    batches,
    iterations: iterationPolicy(config, parallel),
    forwardedArgs: [...grimoireForwardedArgs(config), ...input.given.forwarded, ...(stopsAtFirstFailure(config, parallel, input.given) ? ["-x"] : [])],
    plainTargets: input.narrowed ? null : plainTargets(input.request),
    failFast: config.failFast,
    maxFailedTests: maxFailedTests(input.given, input.listing),
    retries: config.retries,
  };
}

/**
 * --fail-fast stops the run at a file's first failure: the file's own pytest
 * stops there too (-x), instead of running the rest of its tests before the
 * run can stop. A --pack process too: the run stops at that failure, so the
 * pack's other files go unrun either way, and without -x the run learned of
 * the failure only when the whole pack ended (billiard's trial: a failure at
 * 1.8 s stopped the run at 8.9 s). Not where the arguments say -x already.
 */
function stopsAtFirstFailure(config: RunConfig, parallel: boolean, given: ForwardedArgs): boolean {
  return parallel && config.failFast && given.maxFail !== 1;
}

/** The worker slots a run asks for, whatever it has to run: one for a serial run. */
export function slotCount(config: Pick<RunConfig, "mode" | "workers">, cpus: number): number {
  return config.mode === "parallel" ? workerCount(config.workers, Number.MAX_SAFE_INTEGER, cpus) : 1;
}

/** `auto` is the machine's available parallelism; never more workers than processes to run at once (`batches`). */
export function workerCount(workers: number | "auto", batches: number, cpus: number): number {
  const wanted = workers === "auto" ? cpus : workers;
  return Math.max(1, Math.min(wanted, batches));
}

/** -k, -m and --headed, which grimoire-run takes as options of its own and gives every pytest process. */
export function grimoireForwardedArgs(config: Pick<RunConfig, "keyword" | "markers" | "headed">): string[] {
  return [...(config.keyword === undefined ? [] : ["-k", config.keyword]), ...(config.markers === undefined ? [] : ["-m", config.markers]), ...(config.headed ? ["--headed"] : [])];
}

/** A serial run of the whole selection is given exactly what a plain pytest run of it would be. */
export function plainTargets(request: CollectionRequest): string[] {
  return request.args.flatMap((arg) => request.named.get(arg) ?? [arg]);
}

/** pytest's -x or --maxfail, from the arguments or the configuration (the listing saw both), acting across the run. */
function maxFailedTests(given: ForwardedArgs, listing: Listing | null): number | null {
  if (listing === null) return null;
  return listing.options.maxfail > 0 ? listing.options.maxfail : given.maxFail;
}

function serialBatch(files: readonly TestFile[]): Batch {
  return { paths: files.map((f) => f.path), files: [...files] };
}

/** Each batch with the xdist_group names of its files, if any. */
function withGroups(batches: Batch[], groups: ReadonlyMap<string, readonly string[]> | undefined): Batch[] {
  if (groups === undefined || groups.size === 0) return batches;
  return batches.map((batch) => {
    const names = [...new Set(batch.paths.flatMap((file) => groups.get(file) ?? []))].sort();
    return names.length === 0 ? batch : { ...batch, groups: names };
  });
}

/** What the run says of the xdist_group marks that keep files apart: the groups more than one file shares. */
export function groupNotice(config: Pick<RunConfig, "mode">, groups: ReadonlyMap<string, readonly string[]>): string | null {
  if (config.mode !== "parallel") return null;
  const filesOf = new Map<string, string[]>();
  for (const [file, names] of groups) for (const name of names) filesOf.set(name, [...(filesOf.get(name) ?? []), file]);
  const shared = [...filesOf].filter(([, files]) => files.length > 1);
  if (shared.length === 0) return null;
  const named = shared.slice(0, 3).map(([name, files]) => `${name} (${nameSome([...files].sort(), 3)})`);
  return `pytest-xdist's xdist_group marks: the files of ${shared.length === 1 ? "group" : "groups"} ${named.join("; ")}${shared.length > 3 ? ` and ${shared.length - 3} more groups` : ""} never run at the same time, as --dist loadgroup keeps a group's tests in one worker`;
}

/**
 * One process per test file (or packs of quick ones, with --pack). Modules
 * that --doctest-modules collects only for their doctests (most hold none)
 * share processes, a pack per worker: a process each would cost more than
 * their doctests.
 */
function parallelBatches(files: readonly TestFile[], history: History, workers: number, pack: RunConfig["pack"], unsplittable: ReadonlySet<string> | null, failedFirst: boolean): Batch[] {
  const tests = files.filter((f) => f.kind !== "doctests");
  const doctests = files.filter((f) => f.kind === "doctests");
  const splits = unsplittable === null ? new Map<string, SplitFile>() : planSplits(tests, history, { workers, unsplittable: (path) => unsplittable.has(path) });
  const whole = (file: TestFile): Batch[] => {
    const split = splits.get(file.path);
    return split === undefined ? [{ paths: [file.path], files: [file] }] : partBatches(split);
  };
  // Packs are ordered by their own rule; a split file, longer than a share, goes before them.
  const parts = [...splits.values()].flatMap(partBatches);
  // A file without history counts as the packs count one, at the mean of the known files' seconds: counted at 0 s, its
  // worker looked free, and the doctest modules went into fewer packs than the workers could share.
  const estimate = fileEstimate(tests.map((file) => file.path), history);
  const ahead = (batches: readonly Batch[]): number[] => batches.map((batch) => batchSeconds(batch, estimate));
  const own: Batch[] =
    pack !== null ? [...parts, ...packBatches(tests.filter((file) => !splits.has(file.path)), history, { workers, underSeconds: pack.underSeconds, ahead: ahead(parts) })] : tests.flatMap(whole);
  // The doctest modules' packs run last: they fill in beside what runs before them; but one holding a module that failed
  // last time goes first where failures do (history order, --failed-first), as a test file that failed does: a doctest
  // failing in every run started last, and --fail-fast said it only at the suite's end (a helper's trial of nbformat).
  const batches = [...own, ...packBatches(doctests, history, { workers, underSeconds: Infinity, ahead: ahead(own) })];
  return failedFirst ? failedFirstBatches(batches, history) : batches;
}

/**
 * Once, or as often as --loop and --duration say. --duration keeps the pool
 * full across iterations (sustained load) unless --delay asks for pauses,
 * which need the iterations to end; --loop keeps each iteration whole, so
 * that its result line describes one clean pass over the selection.
 */
export function iterationPolicy(config: Pick<RunConfig, "load">, parallel: boolean): IterationPolicy {
  if (config.load === null) return SINGLE_ITERATION;
  const { loop, durationSeconds, delaySeconds, keepGoing } = config.load;
  return {
    count: loop,
    deadlineSeconds: durationSeconds,
    delaySeconds,
    keepGoing,
    sustained: parallel && durationSeconds !== null && delaySeconds === 0,
  };
}

/**
 * What plugins that act on the session's tests as a whole do in one process per file: each file's process writes
 * its own report over the others', stores its own durations, splits its own tests. Said before the first file.
 */
/** A plugin's name with "'s" (pytest-rerunfailures': a name that ends in s takes the apostrophe alone). */
function possessive(plugin: string): string {
  return plugin.endsWith("s") ? `${plugin}'` : `${plugin}'s`;
}

export function sessionWideWarnings(config: Pick<RunConfig, "mode">, listing: Listing): string[] {
  if (config.mode !== "parallel") return [];
  return (listing.options.sessionWide ?? []).map(([plugin, option, what]) => {
    switch (what) {
      case "report":
        return `${possessive(plugin)} ${option} writes one report of a pytest session's tests, and each file's process writes its own over the last: it will hold one file's tests, not the run's. grimoire-run's --report-html, --report-json and --junit-xml report the whole run (a run without --parallel is one pytest session)`;
      case "durations":
        return `${possessive(plugin)} ${option} stores a pytest session's durations in one file, and each file's process rewrites it with its own: it will keep some files' tests only. A run without --parallel stores them all; grimoire-run keeps each file's durations itself, for --shard`;
      case "saved run":
        return `${possessive(plugin)} ${option} saves a pytest session's benchmarks as one run in its storage, and each file's process saves its own: the storage will hold a run per file, each with one file's benchmarks, timed while other files ran. A run without --parallel saves them as one run (pytest-xdist turns benchmarks off)`;
      case "splits":
        return `${possessive(plugin)} ${option} splits a pytest session's tests into groups, and each file's process splits its own file's tests: the group runs part of every file, not the tests a plain run's group would. grimoire-run's --shard K/N splits the run by files, balanced by their recorded durations`;
    }
    return `${possessive(plugin)} ${option} acts on a pytest session's tests as a whole, and each file's process is a session of its own`;
  });
}

/** Why a parallel run refuses a plugin's option (the listing's refusedInParallel), or null where it refuses none. */
export function refusedInParallel(config: Pick<RunConfig, "mode">, listing: Listing): string | null {
  if (config.mode !== "parallel") return null;
  const reasons = (listing.options.refusedInParallel ?? []).map(([plugin, option, what]) => {
    switch (what) {
      case "benchmark-compare":
        return `${possessive(plugin)} ${option}: each file's process would compare its benchmarks with the run the file before it saved, not with the last run's, and a regression would pass. Name the run to compare with (--benchmark-compare=0001), or run the benchmarks without --parallel (one pytest session)`;
      case "suite-reruns":
        return `${possessive(plugin)} ${option} caps the reruns of a whole pytest session, and each file's process is a session of its own: every file would get the whole budget, and tests a plain run fails once the budget is spent would pass on a rerun (pytest-xdist's workers share one budget). Give each file its own cap (--reruns, the flaky mark), or run without --parallel (one pytest session)`;
      case "inline-snapshot":
        return `${possessive(plugin)} ${option} writes snapshots and rewrites test sources at the end of a session that has seen every test: one process per file would have each file's session delete the snapshots the others are writing, as pytest-xdist's workers would (inline-snapshot refuses those). Run it without --parallel (one pytest session), then the suite in parallel`;
    }
    return `${possessive(plugin)} ${option} acts on a pytest session's tests as a whole, and each file's process is a session of its own: run it without --parallel`;
  });
  return reasons.length === 0 ? null : reasons.join("\n");
}

export function acrossFileNotices(config: Pick<RunConfig, "mode" | "workers" | "workersGiven">, given: ForwardedArgs, listing: Listing | null, maxFailed: number | null): string[] {
  const notices: string[] = [];
  // `grimoire-run -n 4` reads as a parallel run; without --parallel it is one pytest process, and said so.
  if (config.workersGiven && config.mode !== "parallel") {
    const many = config.workers === "auto" ? "one per CPU" : `${config.workers} at a time`;
    notices.push(`-n/--workers ${config.workers} has no effect without --parallel: this run is one pytest process (--parallel runs the files ${many})`);
  }
  if (maxFailed !== null && config.mode === "parallel") {
    notices.push(maxFailed === 1 ? "pytest's -x (or --maxfail=1): the run stops at the first failing test, as with --fail-fast" : `pytest's --maxfail=${maxFailed}: the run stops once ${maxFailed} tests have failed`);
  }
  // A serial run has no workers of its own to speak of: its one pytest process runs without xdist's too (yarl's trial).
  // Said of a serial run of the whole selection too, which lists nothing beforehand (a helper's trial on werkzeug: the
  // -n after -- went without a word); its addopts' -n is known only to a listing.
  const why = config.mode === "parallel" ? "grimoire-run runs the files in parallel itself (--workers)" : "this run is one pytest process, without workers (--parallel runs the files in parallel)";
  // `-n 0` asks xdist for no workers, which each process has anyway: nothing is ignored, the configuration's -n included
  // (a helper's trial of cheroot, whose pytest.ini says -n auto, read "ignoring pytest-xdist's -n 0").
  if (/^(-n ?0|--numprocesses[= ]0)$/.test(given.dropped.join(" "))) return notices;
  if (given.dropped.length > 0) notices.push(`ignoring pytest-xdist's ${given.dropped.join(" ")}: ${why}`);
  else if (listing !== null && listing.options.xdistWorkers !== null) {
    // pytest-xdist has resolved `-n auto` to a number by now: said as what it came to, not as what was written.
    notices.push(`pytest-xdist's -n from the pytest configuration (${listing.options.xdistWorkers} workers here) is off in ${config.mode === "parallel" ? "each file's process" : "its process"}: ${why}`);
  }
  return notices;
}
