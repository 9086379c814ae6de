/**
 * Starting one child process the way every pytest process is started:
 * no shell (a file name is only ever an argument), its own session and
 * process group (so the whole tree can be signalled, and a Ctrl-C in the
 * terminal reaches grimoire-run alone, which then decides), piped output.
 */
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";

export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A serial debugging run inherits stdin so that pdb works; parallel runs get none. */
  stdin: "ignore" | "inherit";
  /** The arguments after `python -m pytest`, for a launcher that runs pytest in-process (the fork server). */
  pytestArgs?: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError: Error | null;
}

export interface LaunchedProcess {
  /** null only when the process could not be started. */
  pid: number | null;
  stdout: Readable;
  stderr: Readable;
  /** Resolves once the process has exited and been reaped; never rejects. */
  exited: Promise<Exit>;
}

export type Launcher = (spec: LaunchSpec) => LaunchedProcess | Promise<LaunchedProcess>;

export const launch: Launcher = (spec) => {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: [spec.stdin, "pipe", "pipe"],
    shell: false,
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, spawnError: error }));
    child.once("exit", (code, signal) => resolve({ code, signal, spawnError: null }));
  });
  return { pid: child.pid ?? null, stdout: child.stdout as Readable, stderr: child.stderr as Readable, exited };
};
