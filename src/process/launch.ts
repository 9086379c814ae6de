/**
 * Starting one child process the way every process of a run is started:
 * no shell unless the command is one (a file name is only ever an argument),
 * its own session and process group (so the whole tree can be signalled, and
 * a Ctrl-C in the terminal reaches grimoire-run alone, which then decides),
 * piped output. The spawn itself is injected, so that what is built on this
 * can be tested without processes. Every group started and every leader
 * reaped is told to the run's watchdog (watchdog.ts), which needs the list
 * where it cannot find a run's processes by their environment (macOS).
 */
import { spawn as nodeSpawn, type StdioOptions } from "node:child_process";
import type { Socket } from "node:net";
import { Readable, type Writable } from "node:stream";
import { takeEarlyPython } from "./earlyPython.js";

export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A serial run inherits stdin so that pdb works; parallel runs get none; the fork server is spoken to through it. */
  stdin: "ignore" | "inherit" | "pipe";
  /** A descriptor of grimoire-run's handed to the child as its fd 3 (the fork server passes it on to a serial run). */
  fd3?: number;
  /** The arguments after `python -m pytest`, for a launcher that runs pytest in-process (the fork server). */
  pytestArgs?: string[];
  /**
   * The watchdog: a process that must outlive grimoire-run. Its stdout goes
   * nowhere, its stderr is grimoire-run's own (so that what it says after
   * grimoire-run died reaches the same terminal or CI log), it does not keep
   * grimoire-run's event loop alive, and it is not one of the run's groups.
   */
  background?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError: Error | null;
  /** Set when the process was ended from outside with its own exit status unknown (the fork server that forked it failed): why. */
  lost?: string;
}

export interface LaunchedProcess {
  /** null only when the process could not be started. */
  pid: number | null;
  stdout: Readable;
  stderr: Readable;
  /** With `stdin: "pipe"`: the child's stdin. */
  stdin: Writable | null;
  /** Resolves once the process has exited and been reaped; never rejects. */
  exited: Promise<Exit>;
}

export type Launcher = (spec: LaunchSpec) => LaunchedProcess | Promise<LaunchedProcess>;

export type Spawn = typeof nodeSpawn;

/** Who hears of every process group launched, and of its leader's exit. */
export interface GroupObserver {
  started: (pid: number) => void;
  reaped: (pid: number) => void;
}

let groupObserver: GroupObserver | null = null;

/** The run's watchdog listens from here on (null: nobody does). One run per grimoire-run process. */
export function observeGroups(observer: GroupObserver | null): void {
  groupObserver = observer;
}

export function createLauncher(spawn: Spawn = nodeSpawn): Launcher {
  return (spec) => {
    // The run's first Python may have been started already, before grimoire-run's modules were loaded (earlyPython.ts).
    const early = spawn === nodeSpawn ? takeEarlyPython(spec) : null;
    if (early !== null) {
      const observer = groupObserver;
      if (early.pid !== null) {
        const pid = early.pid;
        observer?.started(pid);
        void early.exited.then(() => observer?.reaped(pid));
      }
      return early;
    }
    const background = spec.background === true;
    const stdio: StdioOptions = background
      ? [spec.stdin, "ignore", "inherit"]
      : [spec.stdin, "pipe", "pipe", ...(spec.fd3 === undefined ? [] : [spec.fd3])];
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio, shell: false });
    const pid = child.pid ?? null;
    const observer = background ? null : groupObserver;
    if (pid !== null) observer?.started(pid);
    const exited = new Promise<Exit>((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, spawnError: error }));
      child.once("exit", (code, signal) => {
        if (pid !== null) observer?.reaped(pid);
        resolve({ code, signal, spawnError: null });
      });
    });
    // An error writing to a child that died must not take grimoire-run down: its exit says what happened.
    child.stdin?.on("error", () => undefined);
    if (background) {
      child.unref();
      (child.stdin as Socket | null)?.unref();
      return { pid, stdout: Readable.from([]), stderr: Readable.from([]), stdin: child.stdin ?? null, exited };
    }
    return { pid, stdout: child.stdout as Readable, stderr: child.stderr as Readable, stdin: child.stdin ?? null, exited };
  };
}

export const launch: Launcher = createLauncher();
