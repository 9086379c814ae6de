/**
 * The run's watchdog, grimoire-run's side. SIGKILL, the OOM killer or a CI
 * runner's hard stop end grimoire-run without a chance to clean up; so the
 * first thing a run starts is a small process in a session of its own
 * (watchdogProcess.ts) that holds the read end of a pipe from grimoire-run.
 * The pipe closes when grimoire-run ends, however it ends; if grimoire-run
 * had not said "done" first, the watchdog ends every process of the run.
 *
 * This side only starts it and tells it things: the process groups the run
 * launches and reaps (its list where processes cannot be found by their
 * environment), the run's log folder, files to remove, and "done" once
 * grimoire-run's own cleanup is over. It never kills anything, and nothing
 * here throws: a watchdog that cannot be started or told costs the run
 * nothing else.
 */
import { WATCHDOG_PROGRAM } from "../packageFiles.js";
import { launch as defaultLaunch, observeGroups, type LaunchedProcess, type Launcher } from "./launch.js";

/** grimoire-run's environment, less what its watchdog's Node.js must not read as it starts. */
const NOT_FOR_THE_WATCHDOG = ["NODE_OPTIONS", "NODE_EXTRA_CA_CERTS"] as const;

/** One line on the watchdog's stdin, as JSON. */
export type WatchdogMessage =
  /** A process group the run launched (its leader's pid), and the leader reaped by grimoire-run. */
  | { op: "group"; pid: number }
  | { op: "reaped"; pid: number }
  /** Where to write what it did, should it have to act: the run's log folder. */
  | { op: "log"; file: string }
  /** A file of the run's to remove should grimoire-run die (the fork server's socket). */
  | { op: "remove"; path: string }
  /** A sentence added to what it says should it act (what the next run cleans up). */
  | { op: "note"; text: string }
  /** grimoire-run's cleanup is over: nothing to do. */
  | { op: "done" };

export class Watchdog {
  private child: LaunchedProcess | null = null;
  private readonly queued: WatchdogMessage[] = [];
  private finished = false;

  private constructor() {}

  /**
   * Starts the watchdog of run `runId`, which gives the run's processes
   * `graceMs` between SIGTERM and SIGKILL, and from this moment on tells it
   * of every process group launched.
   */
  static start(runId: string, graceMs: number, launcher: Launcher = defaultLaunch): Watchdog {
    const watchdog = new Watchdog();
    const env = { ...process.env };
    // Options meant for grimoire-run (a --require, a debugger) would slow down or break a process that must start fast;
    // a certificate bundle, which Node.js reads as it starts (80 ms of CPU here, beside the run's first Python), serves
    // a process that connects to nothing.
    for (const name of NOT_FOR_THE_WATCHDOG) delete env[name];
    const launched = launcher({ command: process.execPath, args: [WATCHDOG_PROGRAM, runId, String(graceMs), String(process.pid)], cwd: "/", env, stdin: "pipe", background: true });
    if (launched instanceof Promise) void launched.then((child) => watchdog.attach(child));
    else watchdog.attach(launched);
    observeGroups({ started: (pid) => watchdog.send({ op: "group", pid }), reaped: (pid) => watchdog.send({ op: "reaped", pid }) });
    return watchdog;
  }

  logTo(file: string): void {
    this.send({ op: "log", file });
  }

  removeIfKilled(path: string): void {
    this.send({ op: "remove", path });
  }

  note(text: string): void {
    this.send({ op: "note", text });
  }

  /** grimoire-run's own cleanup is over: the watchdog goes without doing anything. Resolves once it has been told (or cannot be). */
  async done(): Promise<void> {
    if (this.finished) return;
    observeGroups(null);
    this.send({ op: "done" });
    this.finished = true;
    const stdin = this.child?.stdin ?? null;
    if (stdin === null || stdin.destroyed) return;
    await new Promise<void>((resolve) => {
      stdin.once("error", () => resolve());
      stdin.end(() => resolve());
    });
  }

  private attach(child: LaunchedProcess): void {
    this.child = child;
    for (const message of this.queued.splice(0)) this.write(message);
    if (this.finished) child.stdin?.end();
  }

  private send(message: WatchdogMessage): void {
    if (this.finished) return;
    if (this.child === null) this.queued.push(message);
    else this.write(message);
  }

  private write(message: WatchdogMessage): void {
    const stdin = this.child?.stdin ?? null;
    if (stdin !== null && !stdin.destroyed) stdin.write(`${JSON.stringify(message)}\n`);
  }
}
