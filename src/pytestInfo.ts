/**
 * pytest's information options after `--` (`--version`, `--help`, `--markers`,
 * `--fixtures`, `--fixtures-per-test`): pytest prints and runs no test. One
 * plain pytest process over what a plain run would get prints it, and the run
 * ends with pytest's exit code: no listing, no logs, no summary. It never runs
 * a test, so nothing of a run (a fork server, servers, browsers) is started.
 */
import os from "node:os";
import { UsageError } from "./errors.js";
import type { Launcher } from "./process/launch.js";
import { runShownPytest } from "./exec/shownPytest.js";
import type { PythonCommand } from "./python.js";

export interface PytestInfoRequest {
  root: string;
  python: PythonCommand;
  /** Everything pytest is given: the forwarded arguments, then the collection arguments. */
  args: string[];
  env: NodeJS.ProcessEnv;
  runId: string;
  launcher: Launcher;
  killGraceMs: number;
  cancel: AbortSignal;
  hurry: AbortSignal;
  out: (text: string) => void;
}

/** pytest's exit code; null when the run was stopped (Ctrl-C) before pytest ended. */
export async function showPytestInfo(request: PytestInfoRequest): Promise<number | null> {
  const report = await runShownPytest({ ...request, env: { ...request.env, GRIMOIRE_RUN_ID: request.runId }, treeId: `${request.runId}.info`, logFile: os.devNull });
  if (report.cancelled) return null;
  if (report.spawnError !== null) throw new UsageError(`could not start ${[request.python.command, ...request.python.args].join(" ")}: ${report.spawnError}`);
  return report.exitCode ?? 1;
}
