/**
 * One run, start to finish: discovery and the Python check, the plan, the
 * executor, the reporters, and the final sweep for anything left running.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { RunConfig } from "./config/runConfig.js";
import { workerCount } from "./config/runConfig.js";
import { prepareOutputDir, prepareOutputFile } from "./config/outputPaths.js";
import { KEPT_LOG_RUNS, STATE_DIR } from "./defaults.js";
import { compareCodeUnits, toProjectPath } from "./projectPaths.js";
import { collectionRequest, selectionFrom, type CollectionRequest, type TestFile } from "./discovery/selection.js";
import { askPytest, type Listing } from "./discovery/askPytest.js";
import { readForwardedArgs, type ForwardedArgs } from "./config/pytestArgs.js";
import { readLastFailed, updateLastFailed, writeLastFailed, type LastFailed } from "./plan/pytestCache.js";
import { launch } from "./exec/launch.js";
import { RunEvents, type LoadPlan } from "./events.js";
import { EXIT, exitCodeOf } from "./exitCode.js";
import { Executor, SINGLE_ITERATION, type ExecutionResult, type IterationPolicy, type Shard } from "./exec/executor.js";
import { watchInterrupts, type InterruptSignal } from "./exec/interrupts.js";
import { killTrees, markedIn, takeSnapshot } from "./exec/processTree.js";
import { createPytestShardRunner } from "./exec/pytestShard.js";
import { failedOnItsOwn, type FileResult, type RunReport } from "./model.js";
import { recordRun, historyFile, readHistory, type History } from "./plan/history.js";
import { packShards } from "./plan/pack.js";
import { planFiles } from "./plan/planFiles.js";
import { mergeJUnit, readXml, type JUnitExecution } from "./report/junitMerge.js";
import { checkPytest, choosePython } from "./python.js";
import { consoleReporter } from "./report/consoleReporter.js";
import { githubReporter } from "./report/githubReporter.js";
import { writeHtmlReport } from "./report/htmlReport.js";
import { assignTags } from "./report/tags.js";
import { toJsonReport } from "./report/jsonReport.js";
import { writeJsonFile, writeTextFile } from "./atomicWrite.js";
import { colourEnabled, palette } from "./report/style.js";
import { createTerminal, wantsSpinner, type Terminal, type TerminalStreams } from "./report/terminal.js";
import { ManagedEnvironment } from "./managed/environment.js";
import { StartCancelled } from "./errors.js";
import { ForkServer } from "./exec/forkServer.js";
import { PLUGIN_MODULE, targetsOf, withPluginPath } from "./exec/pytestCommand.js";
import { collectOnly } from "./collectOnly.js";
import type { PythonCommand } from "./python.js";

export interface RunIO extends TerminalStreams {
  env: NodeJS.ProcessEnv;
}

/** Lets an uncaught error anywhere take the same cleanup path as a failure. */
export interface RunHandle {
  fail: (error: unknown) => void;
}

let activeRun: RunHandle | null = null;

export function currentRun(): RunHandle | null {
  return activeRun;
}

export async function run(config: RunConfig, io: RunIO): Promise<number> {
  const started = performance.now();
  const clock = (): number => (performance.now() - started) / 1000;
  const runId = newRunId();
  let executor: Executor | null = null;
  let earlyStop: InterruptSignal | null = null;
  let internalError: unknown = null;
  // Before the executor exists (during --setup), interrupts reach the run through these.
  const stopping = new AbortController();
  const hurrying = new AbortController();
  const interrupts = watchInterrupts({
    stop: (signal) => {
      earlyStop = signal;
      stopping.abort();
      executor?.stop("interrupt", `Interrupted by ${signal}: stopping every running test process (press Ctrl-C again to kill at once)`);
    },
    hurry: () => {
      hurrying.abort();
      executor?.hurry();
    },
  });
  const fail = (error: unknown): void => {
    internalError ??= error;
    executor?.stop("error", `grimoire-run hit an internal error; stopping every running test process: ${String(error)}`);
  };
  activeRun = { fail };
  const events = new RunEvents(fail);
  const interrupted = (): number => exitCodeOf({ results: [], stopReason: "interrupt", interruptedBy: earlyStop, flakyPasses: config.flakyPasses });
  let terminal: Terminal | null = null;
  let environment: ManagedEnvironment | null = null;
  let forkServerStart: Promise<ForkServer | string | null> | null = null;

  try {
    if (config.reportJson !== null) prepareOutputFile("--report-json", config.reportJson);
    if (config.junitXml !== null) prepareOutputFile("--junit-xml", config.junitXml);
    if (config.reportHtml !== null) prepareOutputFile("--report-html", config.reportHtml);
    const chosen = choosePython(config.root, config.python, io.env);
    forkServerStart = startForkServer(config, chosen, runId, io.env);
    // Paths are checked before anything is written: a typo leaves no trace.
    const request = collectionRequest({ root: config.root, paths: config.paths, scope: config.scope });
    const logDir = prepareLogDir(config, runId);
    const given = readForwardedArgs(config.pytestArgs);
    const forwarded = [...grimoireForwardedArgs(config), ...given.forwarded];
    // Once the fork server is ready, pytest is known to be importable; without one, that is checked first.
    const server = await forkServerStart;
    const python = server instanceof ForkServer ? chosen : await checkPytest(chosen, config.root, io.env);
    if (earlyStop !== null) return interrupted();
    const junitDir = path.join(logDir, "junit");
    fs.mkdirSync(junitDir, { recursive: true });
    const listing = await askPytest({
      root: config.root,
      python,
      args: request.args,
      pytestArgs: [...forwarded, "-p", PLUGIN_MODULE, `--junitxml=${path.join(junitDir, "collect.xml")}`],
      env: { ...io.env, PYTHONPATH: withPluginPath(io.env["PYTHONPATH"]) },
      launcher: server instanceof ForkServer && server.usable ? (spec) => server.launch(spec) : launch,
      logFile: path.join(logDir, "collect.log"),
      cancel: stopping.signal,
      hurry: hurrying.signal,
      killGraceMs: config.killGraceSeconds * 1000,
    });
    if (listing === "cancelled" || earlyStop !== null) return interrupted();
    const selection = selectionFrom(request, listing, config.root);
    const across = acrossFiles(config, given, listing);
    const colour = colourEnabled(io.stdout, io.env);
    const envSettings = { baseEnv: io.env, baseUrl: config.baseUrl, runId, colour, columns: null };
    if (across.collectOnly) {
      terminal = await createTerminal(io, false);
      const out = terminal;
      const code = await collectOnly({
        ...envSettings,
        workers: 1,
        root: config.root,
        python,
        command: { rootdir: listing.rootdir, forwardedArgs: forwarded },
        targets: config.shard === null ? plainTargets(request) : targetsOf(selection.files, config.root).args,
        logDir,
        launcher: server instanceof ForkServer && server.usable ? (spec) => server.launch(spec) : launch,
        killGraceMs: config.killGraceSeconds * 1000,
        cancel: stopping.signal,
        hurry: hurrying.signal,
        out: (text) => out.out(text),
      });
      return earlyStop !== null ? interrupted() : code;
    }

    const history = readHistory(config.root);
    const plan = planFiles(selection.files, history, {
      order: config.order,
      seed: config.seed ?? crypto.randomInt(2 ** 31),
      lastFailed: across.lastFailed,
      failedFirst: across.failedFirst,
      shard: config.shard,
    });
    const files = plan.files;
    const parallel = config.mode === "parallel";
    const workers = parallel ? workerCount(config.workers, Math.max(1, files.filter((f) => f.kind !== "doctests").length)) : 1;
    terminal = await createTerminal(io, wantsSpinner(io, io.env));
    const width = io.stdout.isTTY === true && io.stdout.columns !== undefined ? io.stdout.columns : null;
    events.on(consoleReporter({ terminal, colours: palette(colour), quiet: config.quiet, verbose: config.verbose, width }));
    if (io.env["GITHUB_ACTIONS"] === "true") {
      const out = terminal;
      events.on(githubReporter(io.env, (text) => out.out(text)));
    }

    const iterations = iterationPolicy(config, parallel);
    const load: LoadPlan | null = config.load === null ? null : { iterations: config.load.loop, durationSeconds: config.load.durationSeconds, sustained: iterations.sustained };
    const doctestModules = files.filter((f) => f.kind === "doctests").map((f) => f.path);
    events.emit({ type: "run-start", runId, mode: parallel ? "parallel" : "serial", files: files.map((f) => f.path), doctestModules, workers, logDir: toProjectPath(config.root, logDir), load });
    for (const message of [...selection.notices, ...across.notices, ...plan.notices]) events.emit({ type: "notice", message });
    if (files.length === 0) {
      // A CI shard with nothing to do (more shards than files) is a passing, empty part of the whole; a selection with nothing in it is exit 5.
      const exitCode = plan.shard === null ? EXIT.noTests : EXIT.passed;
      const report: RunReport = { version: 1, runId, exitCode, wallSeconds: clock(), workers, files: [], ...(plan.shard === null ? {} : { shard: plan.shard }) };
      writeReports(config, logDir, report);
      events.emit({ type: "run-finish", report, haltedAfterIteration: null });
      return exitCode;
    }

    const forkServer = server instanceof ForkServer ? server : null;
    if (typeof server === "string") events.emit({ type: "notice", message: `starting each pytest afresh: the fork server is not available (${server})` });
    const lastFailedBefore = listing.cacheDir === null ? null : readLastFailed(listing.cacheDir);

    if (config.managed !== null) {
      const context = { root: config.root, runId, logDir, baseEnv: io.env, killGraceSeconds: config.killGraceSeconds, events };
      try {
        environment = await ManagedEnvironment.open(config.managed, context, stopping.signal, hurrying.signal);
      } catch (error) {
        if (error instanceof StartCancelled) return interrupted();
        throw error;
      }
    }

    const runShard = createPytestShardRunner({
      root: config.root,
      python,
      runId,
      logDir,
      workers,
      mode: config.mode,
      rootdir: listing.rootdir,
      forwardedArgs: forwarded,
      plainTargets: plan.narrowed ? null : plainTargets(request),
      baseUrl: config.baseUrl,
      baseEnv: io.env,
      colour,
      columns: width === null ? null : Math.max(40, width - (parallel ? tagColumnWidth(files.map((f) => f.path)) : 0)),
      timeoutSeconds: config.timeoutSeconds,
      killGraceSeconds: config.killGraceSeconds,
      events,
      clock,
      environment,
      forkServer,
    });
    const shards = parallel ? parallelShards(files, history, workers, config.pack) : [serialShard(files)];
    const startsAt = clock();
    executor = new Executor(
      { shards, workers, failFast: config.failFast, maxFailedTests: across.maxFail, retries: config.retries, iterations: withDeadlineFrom(iterations, startsAt) },
      runShard,
      events,
      clock,
    );
    if (earlyStop !== null) executor.stop("interrupt", `Interrupted by ${earlyStop} before the first test started`);

    let outcome: ExecutionResult;
    let teardownFailed = false;
    try {
      outcome = await executor.execute();
    } finally {
      // Whatever happened: servers stopped, clones dropped, --teardown run, and every process of the run gone.
      if (environment !== null) {
        await environment.close();
        teardownFailed = !(await environment.teardown(hurrying.signal));
        environment = null;
      }
      await closeForkServer(forkServerStart);
      forkServerStart = null;
      await sweepLeftovers(runId, config.killGraceSeconds, events);
    }

    const stopReason = outcome.stopReason ?? (teardownFailed ? "environment" : null);
    const exitCode = internalError !== null ? EXIT.internal : exitCodeOf({ results: outcome.results, stopReason, interruptedBy: earlyStop, flakyPasses: config.flakyPasses });
    const chronological = [...outcome.results].sort((a, b) => a.startSeconds - b.startSeconds || compareCodeUnits(a.path, b.path));
    const report: RunReport = { version: 1, runId, exitCode, wallSeconds: clock(), workers, files: chronological, ...(plan.shard === null ? {} : { shard: plan.shard }) };
    writeReports(config, logDir, report);
    if (listing.cacheDir !== null && lastFailedBefore !== null) keepLastFailed(listing.cacheDir, lastFailedBefore, outcome.results, events);
    // A shard leaves the history alone: its sibling shards must divide the files by the same history,
    // and merge-reports records the whole run once they are done.
    if (config.shard === null) {
      try {
        await recordRun(config.root, outcome.results);
      } catch (error) {
        events.emit({ type: "warning", message: `could not record this run in ${historyFile(config.root)}: ${(error as Error).message}` });
      }
    }
    events.emit({ type: "run-finish", report, haltedAfterIteration: outcome.haltedAfterIteration });
    if (internalError !== null) throw internalError;
    return exitCode;
  } finally {
    // Reached with an environment still open only when the run failed before executing (a usage error after --setup).
    await environment?.close();
    await closeForkServer(forkServerStart);
    terminal?.close();
    interrupts.dispose();
    activeRun = null;
  }
}

function writeReports(config: RunConfig, logDir: string, report: RunReport): void {
  const json = toJsonReport(report);
  writeJsonFile(path.join(logDir, "report.json"), json);
  writeHtmlReport(path.join(logDir, "report.html"), json, config.root);
  if (config.reportJson !== null) writeJsonFile(config.reportJson, json);
  if (config.reportHtml !== null) writeHtmlReport(config.reportHtml, json, config.root);
  if (config.junitXml !== null) writeTextFile(config.junitXml, mergeJUnit(junitExecutions(report.files)));
}

/** One entry per pytest report: the files of a serial run share theirs. */
function junitExecutions(results: readonly FileResult[]): JUnitExecution[] {
  const executions: JUnitExecution[] = [];
  const byReport = new Map<string, FileResult[]>();
  for (const result of results) {
    if (result.junit === null) executions.push({ result, results: [result], xml: null });
    else byReport.set(result.junit, [...(byReport.get(result.junit) ?? []), result]);
  }
  for (const [file, group] of byReport) {
    const worst = group.find((r) => failedOnItsOwn(r.status)) ?? (group[0] as FileResult);
    executions.push({ result: worst, results: group, xml: readXml(file) });
  }
  return executions.sort((a, b) => a.result.startSeconds - b.result.startSeconds || compareCodeUnits(a.result.path, b.result.path));
}

/**
 * The fork server where it can serve (Linux), null where it does not apply,
 * or why it could not start. Every mode asks pytest for its files through
 * it; parallel runs fork their files' processes from it too.
 */
async function startForkServer(config: RunConfig, python: PythonCommand, runId: string, baseEnv: NodeJS.ProcessEnv): Promise<ForkServer | string | null> {
  if (!config.forkServer || process.platform !== "linux") return null;
  const env = { ...baseEnv, PYTHONPATH: withPluginPath(baseEnv["PYTHONPATH"]) };
  // A serial run's one process takes grimoire-run's stdin, for pdb; parallel processes never read it.
  return ForkServer.start({ python, root: config.root, env, runId, killGraceMs: config.killGraceSeconds * 1000, stdin: config.mode === "parallel" ? "ignore" : 0 });
}

async function closeForkServer(start: Promise<ForkServer | string | null> | null): Promise<void> {
  const server = await start;
  if (server instanceof ForkServer) await server.close();
}

/** Room the tag column takes from the terminal's width (`tag | `), so that pytest's lines fit behind their tags. */
function tagColumnWidth(paths: readonly string[]): number {
  return Math.max(0, ...[...assignTags(paths).values()].map((tag) => tag.length)) + 3;
}

/**
 * Once, or as often as --loop and --duration say. --duration keeps the pool
 * full across iterations (sustained load) unless --delay asks for pauses,
 * which need the iterations to end; --loop keeps each iteration whole, so
 * that its result line describes one clean pass over the selection.
 */
function iterationPolicy(config: RunConfig, parallel: boolean): IterationPolicy {
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

/** --duration counts from the moment tests start, after discovery and --setup. */
function withDeadlineFrom(policy: IterationPolicy, startSeconds: number): IterationPolicy {
  return policy.deadlineSeconds === null ? policy : { ...policy, deadlineSeconds: startSeconds + policy.deadlineSeconds };
}

function serialShard(files: readonly TestFile[]): Shard {
  return { paths: files.map((f) => f.path), files: [...files] };
}

/**
 * One process per test file (or packs of quick ones, with --pack). Modules
 * that --doctest-modules collects only for their doctests (most hold none)
 * share processes, a pack per worker: a process each would cost more than
 * their doctests.
 */
function parallelShards(files: readonly TestFile[], history: History, workers: number, pack: RunConfig["pack"]): Shard[] {
  const tests = files.filter((f) => f.kind !== "doctests");
  const doctests = files.filter((f) => f.kind === "doctests");
  const own: Shard[] = pack !== null ? packShards(tests, history, { workers, underSeconds: pack.underSeconds }) : tests.map((file) => ({ paths: [file.path], files: [file] }));
  return [...own, ...packShards(doctests, history, { workers, underSeconds: Infinity })];
}

/** A serial run of the whole selection is given exactly what a plain pytest run of it would be. */
function plainTargets(request: CollectionRequest): string[] {
  return request.args.flatMap((arg) => request.named.get(arg) ?? [arg]);
}

/** -k, -m and --headed, which grimoire-run takes as its own options and gives every pytest process. */
function grimoireForwardedArgs(config: RunConfig): string[] {
  return [...(config.keyword === undefined ? [] : ["-k", config.keyword]), ...(config.markers === undefined ? [] : ["-m", config.markers]), ...(config.headed ? ["--headed"] : [])];
}

interface AcrossFiles {
  maxFail: number | null;
  lastFailed: boolean;
  failedFirst: boolean;
  collectOnly: boolean;
  notices: string[];
}

/**
 * pytest options that act across files, wherever they were given (after
 * `--`, in addopts, in PYTEST_ADDOPTS): what the run makes of them, and what
 * it says about it.
 */
function acrossFiles(config: RunConfig, given: ForwardedArgs, listing: Listing): AcrossFiles {
  const notices: string[] = [];
  const maxFail = listing.options.maxfail > 0 ? listing.options.maxfail : given.maxFail;
  if (maxFail !== null && config.mode === "parallel") {
    notices.push(maxFail === 1 ? "pytest's -x: the run stops at the first failing test, as with --fail-fast" : `pytest's --maxfail=${maxFail}: the run stops once ${maxFail} tests have failed`);
  }
  const debug = config.mode === "debug";
  const lastFailed = !debug && (config.lastFailed || given.lastFailed || listing.options.lastFailed);
  const failedFirst = config.failedFirst || given.failedFirst || listing.options.failedFirst;
  if (given.dropped.length > 0) notices.push(`ignoring pytest-xdist's ${given.dropped.join(" ")}: grimoire-run runs the files in parallel itself (--workers)`);
  else if (listing.options.xdistWorkers !== null) notices.push(`pytest-xdist's -n ${listing.options.xdistWorkers} (from the pytest configuration) is off in each file's process: grimoire-run runs the files in parallel itself (--workers)`);
  return { maxFail, lastFailed, failedFirst, collectOnly: given.collectOnly || listing.options.collectOnly, notices };
}

/** pytest's last-failed memory, made whole again after the per-file processes each wrote their own. */
function keepLastFailed(cacheDir: string, before: LastFailed, results: readonly FileResult[], events: RunEvents): void {
  try {
    writeLastFailed(cacheDir, updateLastFailed(before, results));
  } catch (error) {
    events.emit({ type: "warning", message: `could not update pytest's last-failed cache in ${cacheDir}: ${(error as Error).message}` });
  }
}

/** Sortable by time, unique across concurrent runs. */
function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${crypto.randomBytes(3).toString("hex")}`;
}

function prepareLogDir(config: RunConfig, runId: string): string {
  if (config.logDir !== null) {
    prepareOutputDir("--log-dir", config.logDir);
    return config.logDir;
  }
  const state = path.join(config.root, STATE_DIR);
  const logs = path.join(state, "logs");
  prepareOutputDir("the log folder", logs);
  const ignore = path.join(state, ".gitignore");
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, "# grimoire-run's logs and state: safe to delete, not for version control.\n*\n");
  const older = fs.readdirSync(logs).sort();
  for (const name of older.slice(0, Math.max(0, older.length - (KEPT_LOG_RUNS - 1)))) {
    fs.rmSync(path.join(logs, name), { recursive: true, force: true });
  }
  const dir = path.join(logs, runId);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Every process the run started carries GRIMOIRE_RUN_ID. Anything still
 * carrying it now escaped its tree (a daemon that left its group and
 * parent after its test passed): kill it, and say so.
 */
async function sweepLeftovers(runId: string, killGraceSeconds: number, events: RunEvents): Promise<void> {
  const leftovers = markedIn(await takeSnapshot(), `GRIMOIRE_RUN_ID=${runId}`);
  if (leftovers.length === 0) return;
  await killTrees(
    leftovers.map((pid) => ({ pid, marker: null, group: false })),
    { graceMs: killGraceSeconds * 1000 },
  );
  events.emit({ type: "warning", message: `killed ${leftovers.length} leftover process${leftovers.length === 1 ? "" : "es"} started by the tests (pids ${leftovers.join(", ")})` });
}
