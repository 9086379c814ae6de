/**
 * Runs a shard as one pytest process: the command line, the environment
 * the contract promises, the log and JUnit paths, and the translation of
 * the process's fate into file results.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toProjectPath } from "../discovery/findTestFiles.js";
import type { RunEvents, ShardStart } from "../events.js";
import { isFailure, type FileResult } from "../model.js";
import type { PythonCommand } from "../python.js";
import type { Shard, ShardPlacement, ShardRunner, ShardSignals } from "./executor.js";
import type { Launcher } from "./launch.js";
import type { ManagedEnvironment } from "../managed/environment.js";
import type { ForkServer } from "./forkServer.js";
import { resultOfFile, resultsOfSerialRun, statusOf } from "./results.js";
import { runProcess, type ProcessReport } from "./runProcess.js";

/** The folder holding grimoire-run's pytest plugin, put on every pytest's PYTHONPATH. */
export const PLUGIN_DIR = fileURLToPath(new URL("../../python", import.meta.url));
export const PLUGIN_MODULE = "grimoire_run_pytest";

export interface PytestSettings {
  root: string;
  python: PythonCommand;
  runId: string;
  /** Absolute. */
  logDir: string;
  workers: number;
  mode: "parallel" | "serial" | "debug";
  /** -k, -m, --headed and everything after `--`, in that order. */
  forwardedArgs: string[];
  baseUrl: string | null;
  /** The environment every pytest process starts from. */
  baseEnv: NodeJS.ProcessEnv;
  /** Ask pytest for colour (grimoire-run's own output is coloured). */
  colour: boolean;
  /** Terminal width left for pytest after the tag, when there is a terminal. */
  columns: number | null;
  timeoutSeconds: number | null;
  killGraceSeconds: number;
  events: RunEvents;
  clock: () => number;
  /** Managed servers and databases, leased for each shard; null when grimoire-run starts none. */
  environment: ManagedEnvironment | null;
  /** Forks each parallel file's pytest from a warmed-up process; null to start each one afresh. */
  forkServer: ForkServer | null;
  launcher?: Launcher;
}

const MODE_ARGS: Record<PytestSettings["mode"], string[]> = {
  parallel: [],
  serial: ["-x"],
  debug: ["--lf", "-x", "--tb=long", "-v"],
};

/** pytest's arguments: what follows `python -m pytest`. */
export function pytestArgs(settings: Pick<PytestSettings, "mode" | "forwardedArgs">, targets: readonly string[], junitFile: string, pack = false): string[] {
  return [
    ...MODE_ARGS[settings.mode],
    // In a pack, a file that fails to import must not keep the pack's other files from running.
    ...(pack ? ["--continue-on-collection-errors"] : []),
    ...settings.forwardedArgs,
    "-p",
    PLUGIN_MODULE,
    `--junitxml=${junitFile}`,
    // A file whose name starts with a dash must never be read as an option.
    ...targets.map((target) => (target.startsWith("-") ? `./${target}` : target)),
  ];
}

export interface PytestEnvInput {
  slot: number;
  iteration: number;
  attempt: number;
  treeId: string;
  artifactsDir: string;
  logFile: string;
}

/** PYTHONPATH with grimoire-run's Python folder (its pytest plugin, its fork server) first. */
export function withPluginPath(pythonPath: string | undefined): string {
  return pythonPath === undefined || pythonPath === "" ? PLUGIN_DIR : `${PLUGIN_DIR}${path.delimiter}${pythonPath}`;
}

export function pytestEnv(settings: Pick<PytestSettings, "baseEnv" | "baseUrl" | "workers" | "runId" | "colour" | "columns">, input: PytestEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...settings.baseEnv };
  env["PYTHONPATH"] = withPluginPath(env["PYTHONPATH"]);
  // Output must arrive line by line, as it happens, not in 8 KiB blocks at exit.
  env["PYTHONUNBUFFERED"] = "1";
  if (settings.baseUrl !== null) env["E2E_BASE_URL"] = settings.baseUrl;
  env["GRIMOIRE_SLOT"] = String(input.slot);
  env["GRIMOIRE_WORKERS"] = String(settings.workers);
  env["GRIMOIRE_ITERATION"] = String(input.iteration);
  env["GRIMOIRE_ATTEMPT"] = String(input.attempt);
  env["GRIMOIRE_RUN_ID"] = settings.runId;
  env["GRIMOIRE_TREE_ID"] = input.treeId;
  env["GRIMOIRE_LOG_FILE"] = input.logFile;
  env["GRIMOIRE_ARTIFACTS_DIR"] = input.artifactsDir;
  // pytest colours by its own rules (it reads FORCE_COLOR=0 as "force"); it follows grimoire-run's decision instead.
  if (env["PY_COLORS"] === undefined) env["PY_COLORS"] = settings.colour ? "1" : "0";
  if (settings.columns !== null) env["COLUMNS"] = String(settings.columns);
  return env;
}

/** The deepest folder holding every one of the paths (project-relative, with `/`); "." for the root. */
export function commonFolder(paths: readonly string[]): string {
  const folders = paths.map((p) => p.split("/").slice(0, -1));
  const first = folders[0] ?? [];
  let depth = 0;
  while (depth < first.length && folders.every((f) => f[depth] === first[depth])) depth++;
  return depth === 0 ? "." : first.slice(0, depth).join("/");
}

/** A file name for a project path: `tests/e2e/test_a.py` becomes `tests_e2e_test_a.py`; a pack is named after its first file. */
export function logName(paths: readonly string[], iteration: number, attempt: number, mode: PytestSettings["mode"] = "parallel"): string {
  const first = (paths[0] as string).replace(/[/\\]/g, "_");
  const base = paths.length === 1 ? first : mode === "parallel" ? `pack-${first}+${paths.length - 1}` : "serial";
  return `${base}${iteration > 1 ? `.i${iteration}` : ""}${attempt > 1 ? `.a${attempt}` : ""}`;
}

export function createPytestShardRunner(settings: PytestSettings): ShardRunner {
  let nextShardId = 1;
  const junitDir = path.join(settings.logDir, "junit");
  fs.mkdirSync(junitDir, { recursive: true });

  return async (shard: Shard, placement: ShardPlacement, signals: ShardSignals): Promise<FileResult[]> => {
    const id = nextShardId++;
    const name = logName(shard.paths, placement.iteration, placement.attempt, settings.mode);
    const pack = settings.mode === "parallel" && shard.paths.length > 1;
    // A pack of whole files is collected as their common folder, filtered by the plugin (see python/grimoire_run_pytest.py).
    const packList = pack && shard.targets.every((t, i) => t === shard.paths[i]) ? path.join(settings.logDir, `${name}.files`) : null;
    if (packList !== null) fs.writeFileSync(packList, shard.paths.map((p) => `${path.join(settings.root, p)}\n`).join(""));
    const logFile = path.join(settings.logDir, `${name}.log`);
    const junitFile = path.join(junitDir, `${name}.xml`);
    fs.rmSync(junitFile, { force: true });
    const treeId = `${settings.runId}.${id}`;
    const marker = `GRIMOIRE_TREE_ID=${treeId}`;
    const where = shard.paths.length === 1 ? (shard.paths[0] as string) : pack ? `the pack of ${shard.paths.join(", ")}` : "the serial run";
    const lease = settings.environment === null ? null : await settings.environment.lease({ label: where, slot: placement.slot, logName: name, ...signals });
    const artifactsDir = path.join(settings.logDir, `${name}.artifacts`);
    const env = {
      ...pytestEnv(settings, {
        ...placement,
        treeId,
        artifactsDir,
        logFile,
      }),
      ...lease?.env,
      ...(packList === null ? {} : { GRIMOIRE_PACK_LIST: packList }),
    };
    const pytest = pytestArgs(settings, packList === null ? shard.targets : [commonFolder(shard.paths)], junitFile, pack);
    const args = [...settings.python.args, "-m", "pytest", ...pytest];
    const forkServer = settings.forkServer !== null && settings.forkServer.usable && settings.mode === "parallel" ? settings.forkServer : null;

    const started: ShardStart = {
      id,
      paths: shard.paths,
      iteration: placement.iteration,
      attempt: placement.attempt,
      slot: placement.slot,
      startSeconds: settings.clock(),
      log: toProjectPath(settings.root, logFile),
      pid: null,
      command: [...(forkServer === null ? [] : ["(forked)"]), settings.python.command, ...args],
    };
    let failed = true;
    let report: ProcessReport;
    try {
      report = await runProcess(
        {
          launch: { command: settings.python.command, args, pytestArgs: pytest, cwd: settings.root, env, stdin: settings.mode === "parallel" ? "ignore" : "inherit" },
          marker,
          logFile,
          junitFile,
          outputMode: settings.mode === "parallel" ? "lines" : "raw",
          // --timeout is per file: a pack of n files gets n times as long.
          timeoutMs: settings.timeoutSeconds === null ? null : settings.timeoutSeconds * 1000 * (pack ? shard.paths.length : 1),
          killGraceMs: settings.killGraceSeconds * 1000,
          cancel: signals.cancel,
          hurry: signals.hurry,
          onStart: (pid) => {
            started.pid = pid;
            settings.events.emit({ type: "shard-start", shard: started });
          },
          onOutput: (text) => settings.events.emit({ type: "shard-output", shard: started, text }),
        },
        forkServer === null ? settings.launcher : (spec) => forkServer.launch(spec),
      );
      failed = isFailure(statusOf(report).status);
    } finally {
      await lease?.release(failed);
    }

    settings.events.emit({ type: "shard-finish", shard: started, durationSeconds: report.durationSeconds });
    if (report.leftovers > 0) {
      settings.events.emit({
        type: "warning",
        message: `${where} left ${report.leftovers} process${report.leftovers === 1 ? "" : "es"} running after pytest exited; grimoire-run killed ${report.leftovers === 1 ? "it" : "them"}`,
      });
    }
    if (report.survivors.length > 0) {
      settings.events.emit({ type: "warning", message: `could not kill processes of ${where}: ${report.survivors.join(", ")}` });
    }
    const run = {
      path: shard.paths[0] as string,
      iteration: placement.iteration,
      attempt: placement.attempt,
      slot: placement.slot,
      startSeconds: started.startSeconds,
      log: started.log,
      junit: junitFile,
      artifacts: fs.existsSync(artifactsDir) ? toProjectPath(settings.root, artifactsDir) : null,
      pid: started.pid,
    };
    if (shard.paths.length === 1 && settings.mode === "parallel") return [resultOfFile(run, report)];
    return resultsOfSerialRun(run, shard.paths, report, { stopsAtFirstFailure: !pack });
  };
}
