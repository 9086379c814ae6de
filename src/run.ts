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
import fg from "fast-glob";
import { probeBaseUrl, unreachableWarning } from "./baseUrlCheck.js";
import { readChanges, type ChangeSet } from "./changes/git.js";
import { importRoots } from "./changes/importGraph.js";
import { importGraph, scanImports, type ScannedImports } from "./changes/importScan.js";
import { collectOnly } from "./collectOnly.js";
import { prepareOutputDir, prepareOutputFile } from "./config/outputPaths.js";
import { readForwardedArgs } from "./config/pytestArgs.js";
import type { RunConfig } from "./config/runConfig.js";
import { DB_CONNECTIONS_PER_LEASE, KEPT_LOG_RUNS, STATE_DIR } from "./defaults.js";
import { plural } from "./format.js";
import { askPytest, type Listing } from "./discovery/askPytest.js";
import { collectionRequest, selectionFrom } from "./discovery/selection.js";
import { StartCancelled, UsageError } from "./errors.js";
import { RunEvents, type LoadPlan } from "./events.js";
import { createBatchRunner } from "./exec/batchRunner.js";
import { Executor, type ExecutionResult, type IterationPolicy } from "./exec/executor.js";
import { ForkServer, type ForkServerOptions } from "./exec/forkServer.js";
import { PLUGIN_MODULE, targetsOf, withPluginPath } from "./exec/pytestCommand.js";
import { EXIT, exitCodeOf } from "./exitCode.js";
import { combineCoverage } from "./coverage/combine.js";
import { dataFilesToCombine, processDataFolder, testsFailedIn } from "./coverage/dataFiles.js";
import type { CoverageResult, CoverageSettings, FileResult, RunReport, TestFile } from "./model.js";
import { describeChanges, describeSelection, selectChanged, type ChangedSelection } from "./plan/changed.js";
import { flakyFiles } from "./plan/flakes.js";
import { historyFile, readHistoryChecked, recordRun, updateHistory, type History } from "./plan/history.js";
import { planFiles } from "./plan/planFiles.js";
import { estimateFiles } from "./plan/estimate.js";
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
  const session = new RunSession(newRunId(), config.killGraceSeconds);
  const interrupted = (): number => exitCodeOf({ results: [], stopReason: "interrupt", interruptedBy: session.interruptedBy, flakyPasses: config.flakyPasses });
  try {
    // 1. What can be refused is refused before anything is written: a typo leaves no trace.
    for (const [flag, file] of [["--report-json", config.reportJson], ["--junit-xml", config.junitXml], ["--report-html", config.reportHtml]] as const) {
      if (file !== null) prepareOutputFile(flag, file);
    }
    const request = collectionRequest({ root: config.root, paths: config.paths, scope: config.scope });
    const parsed = readForwardedArgs(config.pytestArgs);
    // --changed: git is asked first; when nothing changed there is nothing to start.
    const changes = config.changed === null ? null : await readChanges(config.root, config.changed.ref);
    if (changes !== null && changes.files.length === 0) {
      session.useTerminal(await createTerminal(io, false)).out(`${describeChanges(changes)}\n`);
      return EXIT.passed;
    }
    // A serial run of the whole selection is one plain pytest process: pytest itself collects, and says what it
    // collected before its first test; --last-failed and --failed-first are pytest's own there. Not when pytest-cov
    // may measure (its report is grimoire-run's to print and judge: the listing reads its options), nor with --changed
    // (the listing says which files there are to choose from).
    const direct = config.mode !== "parallel" && config.shard === null && changes === null && !parsed.collectOnly && !mayMeasureCoverage(config.root, config.pytestArgs, io.env);
    const given = !direct ? parsed : { ...parsed, forwarded: [...(config.mode !== "debug" && (config.lastFailed || parsed.lastFailed) ? ["--lf"] : []), ...(config.failedFirst || parsed.failedFirst ? ["--ff"] : []), ...parsed.forwarded] };

    // 2. The fork server warms up while the log folder is made; once it is ready, pytest is known to be importable.
    const chosen = choosePython(config.root, config.python, io.env);
    session.startForkServer(direct ? null : forkServerOptions(config, chosen, session.runId, io.env));
    // The project's imports are read (or taken from the cache) while the fork server warms up.
    const scanned = changes === null ? null : scanImports(config.root);
    const { dir: logDir, moved: logsMoved } = prepareLogDir(config, session.runId);
    session.logIn(logDir);
    // Every process of the run carries its id, the Python check and the listing session too: the watchdog finds them by it.
    const runEnv = { ...io.env, GRIMOIRE_RUN_ID: session.runId };
    const server = await session.forkServer();
    const python = server instanceof ForkServer ? chosen : await checkPytest(chosen, config.root, runEnv);
    const launcher: Launcher = server instanceof ForkServer ? (spec) => (server.usable ? server.launch(spec) : launch(spec)) : launch;
    const junitDir = path.join(logDir, "junit");
    fs.mkdirSync(junitDir, { recursive: true });

    // Whether the tests' server answers, found out while pytest lists the files.
    const baseUrlProblem = config.baseUrl === null ? Promise.resolve(null) : probeBaseUrl(config.baseUrl);

    // 3. pytest says which files a plain run of the selection collects (a direct serial run's own process says it later).
    const forwardedArgs = [...grimoireForwardedArgs(config), ...given.forwarded];
    const listing = direct ? null : await askPytest({
      root: config.root,
      python,
      args: request.args,
      pytestArgs: [...forwardedArgs, "-p", PLUGIN_MODULE, `--junitxml=${path.join(junitDir, "collect.xml")}`],
      env: { ...runEnv, PYTHONPATH: withPluginPath(io.env["PYTHONPATH"]) },
      launcher,
      logFile: path.join(logDir, "collect.log"),
      cancel: session.stopping,
      hurry: session.hurrying,
      killGraceMs: config.killGraceSeconds * 1000,
    });
    if (listing === "cancelled" || session.interruptedBy !== null) return interrupted();
    const selection = listing === null ? { files: [], searched: request.args, notices: request.notices } : selectionFrom(request, listing, config.root);
    const changed = changes === null || scanned === null || listing === null ? null : changedFiles(selection.files, changes, scanned, listing, config);
    const colour = colourEnabled(io.stdout, io.env);
    if (listing !== null && (given.collectOnly || listing.options.collectOnly)) {
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
        targets: affected !== null ? targetsOf(affected, config.root) : config.shard === null ? { args: plainTargets(request), subset: null, only: null } : targetsOf(selection.files, config.root),
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
    const { history, problem: historyProblem, unreadable: historyUnreadable } = readHistoryChecked(config.root);
    const chosenFiles = planFiles(selection.files, history, {
      order: config.order,
      seed: config.seed ?? crypto.randomInt(2 ** 31),
      lastFailed: !direct && config.mode !== "debug" && (config.lastFailed || given.lastFailed || listing?.options.lastFailed === true),
      failedFirst: !direct && (config.failedFirst || given.failedFirst || listing?.options.failedFirst === true),
      shard: config.shard,
      estimates: estimateFiles(config.root, selection.files.filter((f) => history.files[f.path]?.seconds == null).map((f) => f.path)),
      changed,
    });
    const plan = planRun({
      config,
      files: chosenFiles.files,
      narrowed: chosenFiles.narrowed,
      request,
      given,
      listing,
      history,
      cpus: os.availableParallelism(),
      unsplittable: config.split ? unsplittable(config, chosenFiles.files.map((f) => f.path)) : new Set(),
    });

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
      files: direct ? null : files.map((f) => f.path),
      doctestModules: files.filter((f) => f.kind === "doctests").map((f) => f.path),
      workers: plan.workers,
      logDir: toProjectPath(config.root, logDir),
      load,
    });
    for (const message of [...selection.notices, ...(listing === null ? [] : acrossFileNotices(config, given, listing, plan.maxFailedTests)), ...chosenFiles.notices]) events.emit({ type: "notice", message });
    if (logsMoved !== null) events.emit({ type: "warning", message: logsMoved });
    const unreachable = await baseUrlProblem;
    if (unreachable !== null && config.baseUrl !== null) events.emit({ type: "warning", message: unreachableWarning(config.baseUrl, config.baseUrlFrom, unreachable) });
    if (historyProblem !== null) {
      const kept = historyUnreadable && config.shard === null ? `; this run starts a new one and keeps the damaged file as ${toProjectPath(config.root, historyFile(config.root))}.damaged` : "";
      events.emit({ type: "warning", message: `${toProjectPath(config.root, historyFile(config.root))} could not be read: ${historyProblem}${kept}` });
    }
    const reportOf = (exitCode: number, results: RunReport["files"]): RunReport => ({
      version: 1,
      runId: session.runId,
      exitCode,
      wallSeconds: clock(),
      workers: plan.workers,
      files: results,
      ...(chosenFiles.shard === null ? {} : { shard: chosenFiles.shard }),
    });
    if (files.length === 0 && !direct) {
      // A CI shard with nothing to do (more shards than files) is a passing, empty part of the whole, as is a change no test depends on;
      // a selection with nothing in it is exit 5.
      const nothingAffected = changed !== null && selection.files.length > 0;
      const report = reportOf(chosenFiles.shard === null && !nothingAffected ? EXIT.noTests : EXIT.passed, []);
      writeReportFiles(report, reportOutputs(config, logDir, report));
      events.emit({ type: "run-finish", report, stopped: null, haltedAfterIteration: null });
      return report.exitCode;
    }
    if (typeof server === "string") events.emit({ type: "fork-server-unavailable", reason: server });
    if (server instanceof ForkServer) {
      for (const { module, reason } of server.preloaded.refused) events.emit({ type: "warning", message: `not preloading ${module}: ${reason}; each file imports it itself` });
    } else if (config.preload.length > 0) {
      events.emit({ type: "notice", message: `--preload has no effect without the fork server: each file imports ${config.preload.join(", ")} itself` });
    }
    // A direct serial run is one pytest process, which keeps its own cache whole.
    const lastFailedBefore = listing === null || listing.cacheDir === null ? null : readLastFailed(listing.cacheDir);

    // 6. The managed environment: servers and clones are leased per batch, browsers served per slot; --setup runs now.
    let environment = null;
    let workers = plan.workers;
    if (config.managed !== null) {
      try {
        environment = await session.openEnvironment(config.managed, { root: config.root, runId: session.runId, logDir, baseEnv: io.env, killGraceSeconds: config.killGraceSeconds, events });
      } catch (error) {
        if (error instanceof StartCancelled) return interrupted();
        throw error;
      }
      // PostgreSQL's max_connections bounds how many clones are in use at once, prepared ones included.
      if (environment.maxLeases !== null && environment.maxLeases < workers) {
        events.emit({ type: "notice", message: `PostgreSQL has connections for ${plural(environment.maxLeases, "more clone")} (${DB_CONNECTIONS_PER_LEASE} connections each): running at most ${environment.maxLeases} files at once` });
        workers = environment.maxLeases;
      }
      const ahead = environment.prepareAhead(workers);
      if (config.managed.isolation === "file" && ahead < workers && environment.maxLeases !== null) {
        events.emit({ type: "notice", message: `PostgreSQL's max_connections leaves room to prepare ${ahead === 0 ? "no file" : plural(ahead, "file")} ahead of the running ones` });
      }
    }

    const browsers =
      config.browserServer === null
        ? null
        : await session.openBrowsers({ ...config.browserServer, headed: config.headed }, python, {
            runId: session.runId,
            root: config.root,
            baseEnv: io.env,
            killGraceMs: config.killGraceSeconds * 1000,
            onReplaced: (slot, reason) => events.emit({ type: "notice", message: `slot ${slot} gets a new browser for its next file: ${reason}` }),
          });

    // 7. The batches run; whatever happens, every process of the run is gone afterwards.
    const measuring = listing?.coverage ?? null;
    const runBatch = createBatchRunner({
      root: config.root,
      python,
      runId: session.runId,
      logDir,
      workers,
      mode: config.mode,
      rootdir: listing?.rootdir ?? null,
      forwardedArgs: plan.forwardedArgs,
      plainTargets: plan.plainTargets,
      baseUrl: config.baseUrl,
      baseEnv: io.env,
      colour,
      columns: width === null ? null : Math.max(40, width - (plan.parallel ? tagColumnWidth(files.map((f) => f.path)) : 0)),
      timeoutSeconds: config.timeoutSeconds,
      killGraceSeconds: config.killGraceSeconds,
      slowNoticeSeconds: config.slowNoticeSeconds,
      events,
      clock,
      environment,
      browsers,
      launcher,
      forked: server instanceof ForkServer,
      coverage: measuring !== null,
    });
    const executor = new Executor({ ...executorPlan(plan, clock()), workers }, runBatch, events, clock);
    session.onStop((cause) => executor.stop(cause));
    session.hurrying.addEventListener("abort", () => executor.hurry(), { once: true });
    let outcome: ExecutionResult;
    let teardownFailed = false;
    try {
      outcome = await executor.execute();
    } finally {
      ({ teardownFailed } = await session.finish(events, config.killGraceSeconds));
    }

    // 8. Coverage, as one pytest-cov run would have it: every process's data combined, reported and judged once.
    const coverage =
      measuring === null || session.interruptedBy !== null || session.failure !== null
        ? null
        : await reportCoverage(measuring, { config, python, logDir, env: io.env, columns: width, results: outcome.results, events });

    // 9. The verdict, what is remembered for next time (the flake rates come from it), and the reports.
    const stopReason = outcome.stopped?.reason ?? (teardownFailed ? "environment" : null);
    const exitCode =
      session.failure !== null
        ? EXIT.internal
        : exitCodeOf({ results: outcome.results, stopReason, interruptedBy: session.interruptedBy, flakyPasses: config.flakyPasses, coverageFailed: coverage?.failed ?? false });
    // A run whose logs went to the temp folder (a read-only project) is not recorded either.
    const remembered = await rememberRun(config, history, outcome.results, events, logsMoved === null);
    const report: RunReport = {
      ...reportOf(exitCode, [...outcome.results].sort((a, b) => a.startSeconds - b.startSeconds || compareCodeUnits(a.path, b.path))),
      flaky: flakyFiles(remembered, outcome.results.map((r) => r.path)),
      ...(coverage === null ? {} : { coverage }),
    };
    writeReportFiles(report, reportOutputs(config, logDir, report));
    if (listing !== null && listing.cacheDir !== null && lastFailedBefore !== null) keepLastFailed(listing.cacheDir, lastFailedBefore, report, events);
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
  return {
    python,
    root: config.root,
    env,
    runId,
    killGraceMs: config.killGraceSeconds * 1000,
    ...(config.mode === "parallel" ? {} : { stdin: 0 }),
    preload: config.preload,
    perFileEnv: perFileEnv(config),
  };
}

/** What each file's process is given differently from the fork server's environment: no preload may read it at import. */
function perFileEnv(config: RunConfig): string[] {
  return ["GRIMOIRE_*", "E2E_BASE_URL", "PY_COLORS", "COLUMNS", "PYTHONUNBUFFERED", ...(config.managed?.database === null || config.managed === null ? [] : [config.managed.database.envName])];
}

/**
 * Combines the processes' coverage data and reports it (on the console, in
 * the files pytest-cov was asked for). A CI shard reports its own part and
 * leaves --cov-fail-under to merge-reports, which judges all shards' data
 * together (the summary says so). The processes' own data files go once
 * combined.
 */
async function reportCoverage(
  settings: CoverageSettings,
  run: { config: RunConfig; python: PythonCommand; logDir: string; env: NodeJS.ProcessEnv; columns: number | null; results: readonly FileResult[]; events: RunEvents },
): Promise<CoverageResult> {
  const sharded = run.config.shard !== null;
  const combined = await combineCoverage({
    root: run.config.root,
    python: run.python,
    env: run.env,
    settings,
    dataFiles: dataFilesToCombine(run.results),
    keep: false,
    testsFailed: testsFailedIn(run.results),
    judge: !sharded,
    workDir: processDataFolder(run.logDir),
    columns: run.columns,
  });
  run.events.emit({ type: "coverage", output: combined.output, result: combined.result });
  if (combined.problem !== null) run.events.emit({ type: "warning", message: `coverage: ${combined.problem}` });
  else fs.rmSync(processDataFolder(run.logDir), { recursive: true, force: true });
  return combined.result;
}

/**
 * The history with this run in it: recorded (under its lock), except by a CI
 * shard, whose sibling shards must divide the files by the same history
 * (merge-reports records the whole run once they are done). The flake rates
 * of the reports are read from it.
 */
async function rememberRun(config: RunConfig, before: History, results: readonly FileResult[], events: RunEvents, record: boolean): Promise<History> {
  if (config.shard === null && record) {
    try {
      return await recordRun(config.root, results);
    } catch (error) {
      events.emit({ type: "warning", message: `could not record this run in ${historyFile(config.root)}: ${(error as Error).message}` });
    }
  }
  return updateHistory(before, results, new Date());
}

/** pytest's last-failed memory, made whole again after the per-file processes each wrote their own. */
function keepLastFailed(cacheDir: string, before: ReturnType<typeof readLastFailed>, report: RunReport, events: RunEvents): void {
  try {
    writeLastFailed(cacheDir, updateLastFailed(before, report.files));
  } catch (error) {
    events.emit({ type: "warning", message: `could not update pytest's last-failed cache in ${cacheDir}: ${(error as Error).message}` });
  }
}

/**
 * Whether pytest-cov might be asked to measure: `--cov` in the arguments,
 * PYTEST_ADDOPTS or a configuration file pytest reads from the root. A guess
 * that may say yes wrongly (a comment), which costs a serial run only the
 * listing session.
 */
function mayMeasureCoverage(root: string, pytestArgs: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (pytestArgs.some((arg) => arg.startsWith("--cov")) || (env["PYTEST_ADDOPTS"] ?? "").includes("--cov")) return true;
  return PYTEST_CONFIG_FILES.some((name) => readOrEmpty(path.join(root, name)).includes("--cov"));
}

const PYTEST_CONFIG_FILES = ["pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"];

/** Files --split must run whole: marked grimoire_serial in their source, or matching a --no-split glob. */
function unsplittable(config: RunConfig, files: readonly string[]): Set<string> {
  const matched = new Set(config.noSplit.length === 0 ? [] : fg.sync(config.noSplit, { cwd: config.root, onlyFiles: true, dot: true }));
  return new Set(files.filter((file) => matched.has(file) || readOrEmpty(path.join(config.root, file)).includes("grimoire_serial")));
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
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

/**
 * The run's log folder: --log-dir, or `.grimoire/logs/<run>` with the older
 * runs' folders pruned. A project that cannot be written in (a read-only
 * checkout, a `.grimoire` that is not a writable folder) still runs its
 * tests, as plain pytest would there: only its logs go to the temp folder,
 * and `moved` says why.
 */
function prepareLogDir(config: RunConfig, runId: string): { dir: string; moved: string | null } {
  if (config.logDir !== null) {
    prepareOutputDir("--log-dir", config.logDir);
    return { dir: config.logDir, moved: null };
  }
  const state = path.join(config.root, STATE_DIR);
  try {
    const dir = keptLogDir(path.join(state, "logs"), runId);
    stateDir(config.root);
    return { dir, moved: null };
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    let dir: string;
    try {
      dir = keptLogDir(path.join(os.tmpdir(), "grimoire-logs"), runId);
    } catch {
      throw new UsageError(`cannot write in ${STATE_DIR}/ in the project (${why}), nor in the temp folder ${os.tmpdir()}: pass --log-dir with a folder that can be written`);
    }
    return { dir, moved: `cannot write in ${STATE_DIR}/ in the project (${why}): this run's logs are in ${dir} and it is not recorded in the history (--log-dir chooses where logs go)` };
  }
}

/** `logs/<run>`, made, with the folders of older runs beyond KEPT_LOG_RUNS removed. Throws the system's error when it cannot be written. */
function keptLogDir(logs: string, runId: string): string {
  // One level at a time: a recursive mkdir reports a read-only file system as ENOENT.
  for (const dir of [path.dirname(logs), logs]) {
    try {
      fs.mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  fs.accessSync(logs, fs.constants.W_OK);
  const older = fs.readdirSync(logs).sort();
  for (const name of older.slice(0, Math.max(0, older.length - (KEPT_LOG_RUNS - 1)))) {
    fs.rmSync(path.join(logs, name), { recursive: true, force: true });
  }
  const dir = path.join(logs, runId);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
