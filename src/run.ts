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
import { compareCodeUnits, findTestFiles, toProjectPath, type TestFile } from "./discovery/findTestFiles.js";
import { RunEvents, type StopReason } from "./events.js";
import { EXIT, exitCodeOf } from "./exitCode.js";
import { Executor, SINGLE_ITERATION, type Shard } from "./exec/executor.js";
import { watchInterrupts, type InterruptSignal } from "./exec/interrupts.js";
import { killTrees, markedIn, takeSnapshot } from "./exec/processTree.js";
import { createPytestShardRunner } from "./exec/pytestShard.js";
import type { RunReport } from "./model.js";
import { checkPytest, choosePython } from "./python.js";
import { consoleReporter } from "./report/consoleReporter.js";
import { toJsonReport, writeJsonFile } from "./report/jsonReport.js";
import { colourEnabled, palette } from "./report/style.js";
import { createTerminal, wantsSpinner, type TerminalStreams } from "./report/terminal.js";

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
  const events = new RunEvents();
  let executor: Executor | null = null;
  let earlyStop: InterruptSignal | null = null;
  let internalError: unknown = null;
  const interrupts = watchInterrupts({
    stop: (signal) => {
      earlyStop = signal;
      executor?.stop("interrupt", `Interrupted by ${signal}: stopping every running test process (press Ctrl-C again to kill at once)`);
    },
    hurry: () => executor?.hurry(),
  });
  activeRun = {
    fail: (error) => {
      internalError ??= error;
      executor?.stop("error", `grimoire-run hit an internal error; stopping every running test process: ${String(error)}`);
    },
  };

  try {
    if (config.reportJson !== null) prepareOutputFile("--report-json", config.reportJson);
    const [selection, python] = await Promise.all([
      findTestFiles({ root: config.root, paths: config.paths, scope: config.scope }),
      checkPytest(choosePython(config.root, config.python, io.env), config.root, io.env),
    ]);
    if (earlyStop !== null) return exitCodeOf({ results: [], stopReason: "interrupt", interruptedBy: earlyStop, flakyPasses: true });

    const files = selection.files;
    const parallel = config.mode === "parallel";
    const workers = parallel ? workerCount(config.workers, files.length) : 1;
    const logDir = prepareLogDir(config, runId);
    const colour = colourEnabled(io.stdout, io.env);
    const colours = palette(colour);
    const terminal = createTerminal(io, wantsSpinner(io, io.env));
    let stopReason: StopReason | null = null;
    let stopDetail: string | null = null;
    events.on((event) => {
      if (event.type === "stopping") {
        stopReason = event.reason;
        stopDetail = event.detail;
      }
    });
    events.on(
      consoleReporter({
        terminal,
        colours,
        quiet: config.quiet,
        verbose: config.verbose,
        describeStop: () => (stopReason === null ? null : `Stopped early: ${stopDetail ?? stopReason}`),
      }),
    );

    const shards: Shard[] = parallel ? files.map((file) => ({ paths: [file.path], targets: file.targets })) : [serialShard(files)];
    const columns = io.stdout.isTTY === true && io.stdout.columns !== undefined ? io.stdout.columns : null;
    const tagWidth = parallel ? 20 : 0;
    const runShard = createPytestShardRunner({
      root: config.root,
      python,
      runId,
      logDir,
      workers,
      mode: config.mode,
      forwardedArgs: forwardedArgs(config),
      baseUrl: config.baseUrl,
      baseEnv: io.env,
      colour,
      columns: columns === null ? null : Math.max(40, columns - tagWidth),
      timeoutSeconds: config.timeoutSeconds,
      killGraceSeconds: config.killGraceSeconds,
      events,
      clock,
    });
    executor = new Executor({ shards, workers, failFast: config.failFast, retries: 0, iterations: SINGLE_ITERATION }, runShard, events, clock);

    events.emit({ type: "run-start", runId, mode: parallel ? "parallel" : "serial", files: files.map((f) => f.path), workers, logDir: toProjectPath(config.root, logDir) });
    if (earlyStop !== null) executor.stop("interrupt", `Interrupted by ${earlyStop} before the first test started`);
    const outcome = await executor.execute();
    await sweepLeftovers(runId, config.killGraceSeconds, events);

    const exitCode = internalError !== null ? EXIT.internal : exitCodeOf({ results: outcome.results, stopReason: outcome.stopReason, interruptedBy: earlyStop, flakyPasses: true });
    const chronological = [...outcome.results].sort((a, b) => a.startSeconds - b.startSeconds || compareCodeUnits(a.path, b.path));
    const report: RunReport = { version: 1, runId, exitCode, wallSeconds: clock(), workers, files: chronological };
    const json = toJsonReport(report);
    writeJsonFile(path.join(logDir, "report.json"), json);
    if (config.reportJson !== null) writeJsonFile(config.reportJson, json);
    events.emit({ type: "run-finish", report });
    if (internalError !== null) throw internalError;
    return exitCode;
  } finally {
    interrupts.dispose();
    activeRun = null;
  }
}

function serialShard(files: readonly TestFile[]): Shard {
  return { paths: files.map((f) => f.path), targets: files.flatMap((f) => f.targets) };
}

function forwardedArgs(config: RunConfig): string[] {
  return [
    ...(config.keyword === undefined ? [] : ["-k", config.keyword]),
    ...(config.markers === undefined ? [] : ["-m", config.markers]),
    ...(config.headed ? ["--headed"] : []),
    ...config.pytestArgs,
  ];
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
