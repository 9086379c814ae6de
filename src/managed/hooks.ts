/**
 * --setup and --teardown: one command each, around the whole run, through
 * /bin/sh, with the template database's URL; their output tagged on the
 * console and kept in their own log. A hook that fails is an environment
 * failure (exit 3) that names its log.
 */
import path from "node:path";
import { EnvironmentFailure, StartCancelled } from "../errors.js";
import type { EventSink } from "../events.js";
import { runProcess } from "../process/runProcess.js";
import { logTail } from "./server.js";

export interface HookContext {
  root: string;
  runId: string;
  logDir: string;
  /** The hook's environment: the run's, with GRIMOIRE_RUN_ID and the template's URL. */
  env: NodeJS.ProcessEnv;
  killGraceSeconds: number;
  events: EventSink;
}

export async function runHook(name: "setup" | "teardown", command: string, context: HookContext, cancel: AbortSignal, hurry: AbortSignal): Promise<void> {
  const treeId = `${context.runId}.${name}`;
  const logFile = path.join(context.logDir, `${name}.log`);
  const report = await runProcess({
    launch: { command: "/bin/sh", args: ["-c", command], cwd: context.root, env: { ...context.env, GRIMOIRE_TREE_ID: treeId }, stdin: "ignore" },
    marker: `GRIMOIRE_TREE_ID=${treeId}`,
    logFile,
    outputMode: "lines",
    timeoutMs: null,
    killGraceMs: context.killGraceSeconds * 1000,
    cancel,
    hurry,
    onOutput: (text) => context.events.emit({ type: "environment-output", source: name, text }),
  });
  if (report.cancelled) throw new StartCancelled(`--${name} was stopped`);
  if (report.exitCode !== 0) {
    const how = report.signal !== null ? `was killed by ${report.signal}` : `exited with code ${report.exitCode ?? "?"}`;
    const tail = logTail(report.tail);
    throw new EnvironmentFailure(`--${name} "${command}" ${how}; its log: ${logFile}${tail === "" ? "" : `\n${tail}`}`);
  }
}
