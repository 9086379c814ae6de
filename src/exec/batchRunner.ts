/**
 * Runs a shard as one pytest process: its command (pytestCommand.ts), its
 * log, JUnit and records files, and the translation of the process's fate
 * into file results.
 */
import fs from "node:fs";
import path from "node:path";
import type { RunEvents, ShardStart } from "../events.js";
import { isFailure, type FileResult } from "../model.js";
import { toProjectPath } from "../projectPaths.js";
import type { PythonCommand } from "../python.js";
import type { Shard, ShardPlacement, ShardRunner, ShardSignals } from "./executor.js";
import type { Launcher } from "./launch.js";
import type { ManagedEnvironment } from "../managed/environment.js";
import type { ForkServer } from "./forkServer.js";
import { logName, pytestArgs, pytestEnv, targetsOf, type CommandSettings, type EnvSettings } from "./pytestCommand.js";
import { resultOfFile, resultsOfSerialRun, statusOf } from "./results.js";
import { runProcess, type ProcessReport } from "./runProcess.js";
import { relativeRecords } from "./testRecords.js";

export interface PytestSettings extends CommandSettings, EnvSettings {
  root: string;
  python: PythonCommand;
  /** Absolute. */
  logDir: string;
  /**
   * A serial run of the whole selection gets exactly a plain run's arguments
   * (these), with no limit; null when the selection was narrowed (a CI
   * shard, --last-failed), which limits it to its files.
   */
  plainTargets: string[] | null;
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

export function createPytestShardRunner(settings: PytestSettings): ShardRunner {
  let nextShardId = 1;
  const junitDir = path.join(settings.logDir, "junit");
  fs.mkdirSync(junitDir, { recursive: true });

  return async (shard: Shard, placement: ShardPlacement, signals: ShardSignals): Promise<FileResult[]> => {
    const id = nextShardId++;
    const name = logName(shard.paths, placement.iteration, placement.attempt, settings.mode);
    const parallel = settings.mode === "parallel";
    const pack = parallel && shard.paths.length > 1;
    // A retry runs only the files that failed: never a plain run's arguments.
    const plain = !parallel && placement.attempt === 1 ? settings.plainTargets : null;
    const targets = plain !== null ? { args: plain, only: null } : targetsOf(shard.files, settings.root);
    const onlyFile = targets.only === null ? null : path.join(settings.logDir, `${name}.files`);
    if (onlyFile !== null) fs.writeFileSync(onlyFile, (targets.only ?? []).map((file) => `${file}\n`).join(""));
    const logFile = path.join(settings.logDir, `${name}.log`);
    const junitFile = path.join(junitDir, `${name}.xml`);
    const recordsFile = path.join(junitDir, `${name}.records`);
    fs.rmSync(junitFile, { force: true });
    fs.rmSync(recordsFile, { force: true });
    const treeId = `${settings.runId}.${id}`;
    const marker = `GRIMOIRE_TREE_ID=${treeId}`;
    const where = shard.paths.length === 1 ? (shard.paths[0] as string) : pack ? `the pack of ${shard.paths.join(", ")}` : "the serial run";
    const lease = settings.environment === null ? null : await settings.environment.lease({ label: where, slot: placement.slot, logName: name, ...signals });
    const artifactsDir = path.join(settings.logDir, `${name}.artifacts`);
    const env = { ...pytestEnv(settings, { ...placement, treeId, artifactsDir, logFile, recordsFile, onlyFile }), ...lease?.env };
    const pytest = pytestArgs(settings, targets.args, junitFile, { pack });
    const args = [...settings.python.args, "-m", "pytest", ...pytest];
    const forkServer = settings.forkServer !== null && settings.forkServer.usable ? settings.forkServer : null;

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
          launch: { command: settings.python.command, args, pytestArgs: pytest, cwd: settings.root, env, stdin: parallel ? "ignore" : "inherit" },
          marker,
          logFile,
          junitFile,
          recordsFile,
          outputMode: parallel ? "lines" : "raw",
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
    const outcome = { ...report, records: report.records === null ? null : relativeRecords(report.records, settings.root) };
    if (shard.paths.length === 1 && parallel) return [resultOfFile(run, outcome)];
    return resultsOfSerialRun(run, shard.paths, outcome);
  };
}
