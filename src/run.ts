/**
 * One run, as a story: refuse what can be refused before anything is
 * written, ask pytest which files to run, plan, start the reporters and the
 * managed environment, run the batches, finish (every process gone), then
 * the verdict and the reports. Everything that must be undone belongs to the
 * session (session.ts); every decision belongs to the planner (plan/) or the
 * executor (exec/executor.ts); nothing here formats text.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readChanges, type ChangeSet } from "./changes/git.js";
import { importRoots } from "./changes/importGraph.js";
import { importGraph, scanImports, type ScannedImports } from "./changes/importScan.js";
import { collectOnly } from "./collectOnly.js";
import { prepareOutputDir, prepareOutputFile } from "./config/outputPaths.js";
import { readForwardedArgs } from "./config/pytestArgs.js";
import type { RunConfig } from "./config/runConfig.js";
import { KEPT_LOG_RUNS, STATE_DIR } from "./defaults.js";
import { askPytest, type Listing } from "./discovery/askPytest.js";
import { collectionRequest, selectionFrom } from "./discovery/selection.js";
import { StartCancelled } from "./errors.js";
import { RunEvents, type LoadPlan } from "./events.js";
import { createBatchRunner } from "./exec/batchRunner.js";
import { Executor, type ExecutionResult, type IterationPolicy } from "./exec/executor.js";
import { ForkServer, type ForkServerOptions } from "./exec/forkServer.js";
import { PLUGIN_MODULE, targetsOf, withPluginPath } from "./exec/pytestCommand.js";
import { EXIT, exitCodeOf } from "./exitCode.js";
import type { RunReport, TestFile } from "./model.js";
import { describeChanges, describeSelection, selectChanged, type ChangedSelection } from "./plan/changed.js";
import { historyFile, readHistory, recordRun } from "./plan/history.js";
import { planFiles } from "./plan/planFiles.js";
import { acrossFileNotices, grimoireForwardedArgs, planRun, plainTargets, type RunPlan } from "./plan/planRun.js";
import { readLastFailed, updateLastFailed, writeLastFailed } from "./plan/pytestCache.js";
import { launch, type Launcher } from "./process/launch.js";
import { compareCodeUnits, toProjectPath } from "./projectPaths.js";
import { checkPytest, choosePython, type PythonCommand } from "./python.js";
import { consoleReporter } from "./report/consoleReporter.js";
import { githubReporter } from "./report/githubReporter.js";
import { junitOfRun } from "./report/junitMerge.js";
import { writeReportFiles } from "./report/reportFiles.js";
import { colourEnabled, palette } from "./report/style.js";
import { assignTags } from "./report/tags.js";
import { createTerminal, wantsSpinner, type Terminal, type TerminalStreams } from "./report/terminal.js";
import { RunSession } from "./session.js";
import { stateDir } from "./stateDir.js";

export interface RunIO extends TerminalStreams {
  env: NodeJS.ProcessEnv;
}

export async function run(config: RunConfig, io: RunIO): Promise<number> {
  const started = performance.now();
  const clock = (): number => (performance.now() - started) / 1000;
  const session = new RunSession(newRunId());
  const interrupted = (): number => exitCodeOf({ results: [], stopReason: "interrupt", interruptedBy: session.interruptedBy, flakyPasses: config.flakyPasses });
  try {
    // 1. What can be refused is refused before anything is written: a typo leaves no trace.
    for (const [flag, file] of [["--report-json", config.reportJson], ["--junit-xml", config.junitXml], ["--report-html", config.reportHtml]] as const) {
      if (file !== null) prepareOutputFile(flag, file);
    }
    const request = collectionRequest({ root: config.root, paths: config.paths, scope: config.scope });
    const given = readForwardedArgs(config.pytestArgs);
    // --changed: git is asked first; when nothing changed there is nothing to start.
    const changes = config.changed === null ? null : await readChanges(config.root, config.changed.ref);
    if (changes !== null && changes.files.length === 0) {
      session.useTerminal(await createTerminal(io, false)).out(`${describeChanges(changes)}\n`);
      return EXIT.passed;
    }

    // 2. The fork server warms up while the log folder is made; once it is ready, pytest is known to be importable.
    const chosen = choosePython(config.root, config.python, io.env);
    session.startForkServer(forkServerOptions(config, chosen, session.runId, io.env));
    // The project's imports are read (or taken from the cache) while the fork server warms up.
    const scanned = changes === null ? null : scanImports(config.root);
    const logDir = prepareLogDir(config, session.runId);
    const server = await session.forkServer();
    const python = server instanceof ForkServer ? chosen : await checkPytest(chosen, config.root, io.env);
    const launcher: Launcher = server instanceof ForkServer ? (spec) => (server.usable ? server.launch(spec) : launch(spec)) : launch;
    const junitDir = path.join(logDir, "junit");
    fs.mkdirSync(junitDir, { recursive: true });

    // 3. pytest says which files a plain run of the selection collects.
    const forwardedArgs = [...grimoireForwardedArgs(config), ...given.forwarded];
    const listing = await askPytest({
      root: config.root,
      python,
      args: request.args,
      pytestArgs: [...forwardedArgs, "-p", PLUGIN_MODULE, `--junitxml=${path.join(junitDir, "collect.xml")}`],
      env: { ...io.env, PYTHONPATH: withPluginPath(io.env["PYTHONPATH"]) },
      launcher,
      logFile: path.join(logDir, "collect.log"),
      cancel: session.stopping,
      hurry: session.hurrying,
      killGraceMs: config.killGraceSeconds * 1000,
    });
    if (listing === "cancelled" || session.interruptedBy !== null) return interrupted();
    const selection = selectionFrom(request, listing, config.root);
    const changed = changes === null || scanned === null ? null : changedFiles(selection.files, changes, scanned, listing, config);
    const colour = colourEnabled(io.stdout, io.env);
    if (given.collectOnly || listing.options.collectOnly) {
      const out = session.useTerminal(await createTerminal(io, false));
      const affected = changed === null ? null : selection.files.filter((f) => changed.reasons.has(f.path));
      if (changed !== null) out.out(describeSelection(changed).map((line) => `${line}\n`).join(""));
      if (affected !== null && affected.length === 0) return EXIT.passed;
      const code = await collectOnly({
        baseEnv: io.env,
        baseUrl: config.baseUrl,
        runId: session.runId,
        colour,
        columns: null,
        workers: 1,
        root: config.root,
        python,
        command: { rootdir: listing.rootdir, forwardedArgs },
        targets: affected !== null ? targetsOf(affected, config.root) : config.shard === null ? { args: plainTargets(request), only: null } : targetsOf(selection.files, config.root),
        logDir,
        launcher,
        killGraceMs: config.killGraceSeconds * 1000,
        cancel: session.stopping,
        hurry: session.hurrying,
        out: (text) => out.out(text),
      });
      return session.interruptedBy !== null ? interrupted() : code;
    }

    // 4. The plan: which files, in which batches, on how many workers. Pure.
    const history = readHistory(config.root);
    const chosenFiles = planFiles(selection.files, history, {
      order: config.order,
      seed: config.seed ?? crypto.randomInt(2 ** 31),
      lastFailed: config.mode !== "debug" && (config.lastFailed || given.lastFailed || listing.options.lastFailed),
      failedFirst: config.failedFirst || given.failedFirst || listing.options.failedFirst,
      shard: config.shard,
      changed,
    });
    const plan = planRun({ config, files: chosenFiles.files, narrowed: chosenFiles.narrowed, request, given, listing, history, cpus: os.availableParallelism() });

    // 5. The reporters, which only listen from here on.
    const events = new RunEvents((error) => session.fail(error));
    const terminal = session.useTerminal(await createTerminal(io, wantsSpinner(io, io.env)));
    const width = io.stdout.isTTY === true && io.stdout.columns !== undefined ? io.stdout.columns : null;
    attachReporters(events, terminal, { config, colour, width, env: io.env });
    const files = chosenFiles.files;
    const load: LoadPlan | null = config.load === null ? null : { iterations: config.load.loop, durationSeconds: config.load.durationSeconds, sustained: plan.iterations.sustained };
    events.emit({
      type: "run-start",
      runId: session.runId,
      mode: plan.parallel ? "parallel" : "serial",
      files: files.map((f) => f.path),
      doctestModules: files.filter((f) => f.kind === "doctests").map((f) => f.path),
      workers: plan.workers,
      logDir: toProjectPath(config.root, logDir),
      load,
    });
    for (const message of [...selection.notices, ...acrossFileNotices(config, given, listing, plan.maxFailedTests), ...chosenFiles.notices]) events.emit({ type: "notice", message });
    const reportOf = (exitCode: number, results: RunReport["files"]): RunReport => ({
      version: 1,
      runId: session.runId,
      exitCode,
      wallSeconds: clock(),
      workers: plan.workers,
      files: results,
      ...(chosenFiles.shard === null ? {} : { shard: chosenFiles.shard }),
    });
    if (files.length === 0) {
      // A CI shard with nothing to do (more shards than files) is a passing, empty part of the whole, as is a change no test depends on;
      // a selection with nothing in it is exit 5.
      const nothingAffected = changed !== null && selection.files.length > 0;
      const report = reportOf(chosenFiles.shard === null && !nothingAffected ? EXIT.noTests : EXIT.passed, []);
      writeReportFiles(report, reportOutputs(config, logDir, report));
      events.emit({ type: "run-finish", report, stopped: null, haltedAfterIteration: null });
      return report.exitCode;
    }
    if (typeof server === "string") events.emit({ type: "fork-server-unavailable", reason: server });
    const lastFailedBefore = listing.cacheDir === null ? null : readLastFailed(listing.cacheDir);

    // 6. The managed environment: servers and clones are leased per batch; --setup runs now.
    let environment = null;
    if (config.managed !== null) {
      try {
        environment = await session.openEnvironment(config.managed, { root: config.root, runId: session.runId, logDir, baseEnv: io.env, killGraceSeconds: config.killGraceSeconds, events });
      } catch (error) {
        if (error instanceof StartCancelled) return interrupted();
        throw error;
      }
    }

    // 7. The batches run; whatever happens, every process of the run is gone afterwards.
    const runBatch = createBatchRunner({
      root: config.root,
      python,
      runId: session.runId,
      logDir,
      workers: plan.workers,
      mode: config.mode,
      rootdir: listing.rootdir,
      forwardedArgs: plan.forwardedArgs,
      plainTargets: plan.plainTargets,
      baseUrl: config.baseUrl,
      baseEnv: io.env,
      colour,
      columns: width === null ? null : Math.max(40, width - (plan.parallel ? tagColumnWidth(files.map((f) => f.path)) : 0)),
      timeoutSeconds: config.timeoutSeconds,
      killGraceSeconds: config.killGraceSeconds,
      events,
      clock,
      environment,
      launcher,
      forked: server instanceof ForkServer,
    });
    const executor = new Executor(executorPlan(plan, clock()), runBatch, events, clock);
    session.onStop((cause) => executor.stop(cause));
    session.hurrying.addEventListener("abort", () => executor.hurry(), { once: true });
    let outcome: ExecutionResult;
    let teardownFailed = false;
    try {
      outcome = await executor.execute();
    } finally {
      ({ teardownFailed } = await session.finish(events, config.killGraceSeconds));
    }

    // 8. The verdict, the reports, and what is remembered for next time.
    const stopReason = outcome.stopped?.reason ?? (teardownFailed ? "environment" : null);
    const exitCode = session.failure !== null ? EXIT.internal : exitCodeOf({ results: outcome.results, stopReason, interruptedBy: session.interruptedBy, flakyPasses: config.flakyPasses });
    const report = reportOf(exitCode, [...outcome.results].sort((a, b) => a.startSeconds - b.startSeconds || compareCodeUnits(a.path, b.path)));
    writeReportFiles(report, reportOutputs(config, logDir, report));
    if (listing.cacheDir !== null && lastFailedBefore !== null) keepLastFailed(listing.cacheDir, lastFailedBefore, report, events);
    // A CI shard leaves the history alone: its sibling shards must divide the files by the same history,
    // and merge-reports records the whole run once they are done.
    if (config.shard === null) {
      try {
        await recordRun(config.root, outcome.results);
      } catch (error) {
        events.emit({ type: "warning", message: `could not record this run in ${historyFile(config.root)}: ${(error as Error).message}` });
      }
    }
    events.emit({ type: "run-finish", report, stopped: outcome.stopped, haltedAfterIteration: outcome.haltedAfterIteration });
    if (session.failure !== null) throw session.failure;
    return exitCode;
  } finally {
    await session.close();
  }
}

function attachReporters(events: RunEvents, terminal: Terminal, options: { config: RunConfig; colour: boolean; width: number | null; env: NodeJS.ProcessEnv }): void {
  events.on(consoleReporter({ terminal, colours: palette(options.colour), quiet: options.config.quiet, verbose: options.config.verbose, width: options.width }));
  if (options.env["GITHUB_ACTIONS"] === "true") events.on(githubReporter(options.env, (text) => terminal.out(text)));
}

function executorPlan(plan: RunPlan, startsAt: number): ConstructorParameters<typeof Executor>[0] {
  return { batches: plan.batches, workers: plan.workers, failFast: plan.failFast, maxFailedTests: plan.maxFailedTests, retries: plan.retries, iterations: withDeadlineFrom(plan.iterations, startsAt) };
}

/** --duration counts from the moment tests start, after discovery and --setup. */
function withDeadlineFrom(policy: IterationPolicy, startSeconds: number): IterationPolicy {
  return policy.deadlineSeconds === null ? policy : { ...policy, deadlineSeconds: startSeconds + policy.deadlineSeconds };
}

function reportOutputs(config: RunConfig, logDir: string, report: RunReport): Parameters<typeof writeReportFiles>[1] {
  return { root: config.root, logDir, reportJson: config.reportJson, reportHtml: config.reportHtml, junitXml: config.junitXml, junit: () => junitOfRun(report.files) };
}

/**
 * The fork server where it can serve (Linux), or null. Every mode asks
 * pytest for its files through it, and runs its pytest processes from it.
 */
function forkServerOptions(config: RunConfig, python: PythonCommand, runId: string, baseEnv: NodeJS.ProcessEnv): ForkServerOptions | null {
  if (!config.forkServer || process.platform !== "linux") return null;
  const env = { ...baseEnv, PYTHONPATH: withPluginPath(baseEnv["PYTHONPATH"]) };
  // A serial run's one process takes grimoire-run's stdin, for pdb; parallel processes never read it.
  return { python, root: config.root, env, runId, killGraceMs: config.killGraceSeconds * 1000, ...(config.mode === "parallel" ? {} : { stdin: 0 }) };
}

/** pytest's last-failed memory, made whole again after the per-file processes each wrote their own. */
function keepLastFailed(cacheDir: string, before: ReturnType<typeof readLastFailed>, report: RunReport, events: RunEvents): void {
  try {
    writeLastFailed(cacheDir, updateLastFailed(before, report.files));
  } catch (error) {
    events.emit({ type: "warning", message: `could not update pytest's last-failed cache in ${cacheDir}: ${(error as Error).message}` });
  }
}

/** --changed: the import graph of the project's own files, resolved against the folders the pytest session had on sys.path, and what it says to run. */
function changedFiles(candidates: readonly TestFile[], changes: ChangeSet, scanned: ScannedImports, listing: Listing, config: RunConfig): ChangedSelection {
  const root = fs.realpathSync(config.root);
  const inProject = (entry: string): string | null => {
    const relative = toProjectPath(root, entry);
    return relative === ".." || relative.startsWith("../") || path.isAbsolute(relative) ? null : relative === "." ? "" : relative;
  };
  const sysPath = listing.sysPath.flatMap((entry) => inProject(realPathOr(entry)) ?? []);
  const graph = importGraph(config.root, scanned, {
    deleted: changes.files.filter((f) => f.deleted && f.path.endsWith(".py")).map((f) => f.path),
    roots: importRoots(sysPath, scanned.files.some((file) => file.startsWith("src/"))),
  });
  const inifile = listing.inifile === null ? null : toProjectPath(root, realPathOr(listing.inifile));
  return selectChanged(candidates, { changes, graph, always: config.changedAlways, inifile });
}

function realPathOr(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** Room the tag column takes from the terminal's width (`tag | `), so that pytest's lines fit behind their tags. */
function tagColumnWidth(paths: readonly string[]): number {
  return Math.max(0, ...[...assignTags(paths).values()].map((tag) => tag.length)) + 3;
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
  const logs = path.join(config.root, STATE_DIR, "logs");
  prepareOutputDir("the log folder", logs);
  stateDir(config.root);
  const older = fs.readdirSync(logs).sort();
  for (const name of older.slice(0, Math.max(0, older.length - (KEPT_LOG_RUNS - 1)))) {
    fs.rmSync(path.join(logs, name), { recursive: true, force: true });
  }
  const dir = path.join(logs, runId);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
