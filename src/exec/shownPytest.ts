/**
 * One pytest process whose output the user reads as it prints it, untagged
 * (`-- --co`, `-- --fixtures`): whole lines go to `out` as they come, and the
 * run's stop (Ctrl-C) ends its tree. It never decides anything from what
 * pytest says: its caller reads the report.
 */
import type { Launcher } from "../process/launch.js";
import { runProcess, type ProcessReport } from "../process/runProcess.js";
import type { PythonCommand } from "../python.js";

export interface ShownPytest {
  root: string;
  python: PythonCommand;
  /** What follows `python -m pytest`. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Marks the process and all it starts (GRIMOIRE_TREE_ID), so that the tree can be found and ended. */
  treeId: string;
  logFile: string;
  /** Lines that are noise for the reader (pytest announcing grimoire-run's own JUnit file). */
  drop?: (line: string) => boolean;
  launcher: Launcher;
  killGraceMs: number;
  cancel: AbortSignal;
  hurry: AbortSignal;
  out: (text: string) => void;
}

export function runShownPytest(request: ShownPytest): Promise<ProcessReport> {
  return runProcess(
    {
      launch: {
        command: request.python.command,
        args: [...request.python.args, "-m", "pytest", ...request.args],
        pytestArgs: request.args,
        cwd: request.root,
        env: { ...request.env, GRIMOIRE_TREE_ID: request.treeId },
        stdin: "ignore",
      },
      marker: `GRIMOIRE_TREE_ID=${request.treeId}`,
      logFile: request.logFile,
      ...(request.drop === undefined ? {} : { drop: request.drop }),
      outputMode: "lines",
      timeoutMs: null,
      killGraceMs: request.killGraceMs,
      cancel: request.cancel,
      hurry: request.hurry,
      onOutput: (lines) => request.out(lines.map((line) => `${line}\n`).join("")),
    },
    request.launcher,
  );
}
