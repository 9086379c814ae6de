/**
 * Runs one process to its end: streams its output to its log and a
 * listener, enforces its time limit, kills its whole tree when it times out
 * or is cancelled, and cleans up whatever it left running. Knows nothing of
 * pytest, files or reports: a test process, a listing session, a --setup
 * command and the collect-only run all go through here.
 */
import fs from "node:fs";
import { DRAIN_AFTER_EXIT_MS, KILL_POLL_MS, LEFTOVER_SETTLE_MS } from "../defaults.js";
import { launch as defaultLaunch, type Launcher, type LaunchSpec } from "./launch.js";
import { OutputCapture, type OutputListener } from "./outputCapture.js";
import { commandOf, groupHasMembers, killTrees, leftoversOf, listeningMembers, type KillOutcome, type Leftover } from "./processTree.js";
import { after, sleep } from "./sleep.js";
import { whenAborted } from "./aborted.js";

export interface ProcessRequest {
  launch: LaunchSpec;
  /** `NAME=VALUE` set in `launch.env`, inherited by every descendant. */
  marker: string;
  logFile: string;
  /** Written just before the process is stopped (timeout, cancel), for it to tell grimoire-run's SIGTERM from another. */
  stopNote?: string;
  /** Lines that are noise for the reader (pytest announcing grimoire-run's own JUnit file): kept out of the log and the listener. */
  drop?: (line: string) => boolean;
  outputMode: "lines" | "raw";
  timeoutMs: number | null;
  killGraceMs: number;
  /** Fires when the run stops (fail-fast, Ctrl-C): the tree is killed and the outcome is `cancelled`. */
  cancel: AbortSignal;
  /** Fires on a second Ctrl-C: skip what is left of the grace period. */
  hurry: AbortSignal;
  onStart?: (pid: number | null) => void;
  onOutput?: OutputListener;
  /** A process left behind that listens on a TCP port is left running (ProcessReport.listening), for the run to kill later. */
  spareListening?: boolean;
}

export interface ProcessReport {
  exitCode: number | null;
  /** The signal that ended the process by itself; null when grimoire-run killed it (timeout, cancel) or it exited. */
  signal: string | null;
  timedOut: boolean;
  /** The time limit, for saying what was exceeded. */
  timeoutSeconds: number | null;
  cancelled: boolean;
  /** Why the process could not be started at all. */
  spawnError: string | null;
  /** Why the process ended with its own exit status unknown (Exit.lost). */
  lost: string | null;
  durationSeconds: number;
  /** The last lines it printed. */
  tail: string[];
  /** Processes it left behind after it exited, which were then killed. */
  leftovers: Leftover[];
  /** Processes it left behind listening on a port, with their descendants, left running (spareListening). */
  listening: Leftover[];
  /** Processes that could not be killed at all; normally none. */
  survivors: number[];
  /**
   * Stopped by the run (a timeout, a cancel) and still running after the grace period, so killed with SIGKILL: the
   * grace period in seconds (a teardown, an exit handler never finished). Null otherwise.
   */
  killedAfterGraceSeconds?: number | null;
}

export async function runProcess(request: ProcessRequest, launcher: Launcher = defaultLaunch): Promise<ProcessReport> {
  const startedAt = performance.now();
  const capture = new OutputCapture({
    logFile: request.logFile,
    mode: request.outputMode,
    onOutput: request.onOutput ?? (() => undefined),
    ...(request.drop === undefined ? {} : { drop: request.drop }),
  });
  const child = await launcher(request.launch);
  capture.attach(child.stdout);
  capture.attach(child.stderr);
  request.onStart?.(child.pid);

  let timedOut = false;
  let cancelled = false;
  let kill: KillOutcome | null = null;
  let forced = false;
  const pid = child.pid;
  if (pid !== null) {
    let cancelTimer = (): void => undefined;
    const abort = whenAborted(request.cancel);
    const stopped = new Promise<"timeout" | "cancel">((resolve) => {
      if (request.timeoutMs !== null) cancelTimer = after(request.timeoutMs, () => resolve("timeout"));
      void abort.aborted.then(() => resolve("cancel"));
    });
    const first = await Promise.race([child.exited.then(() => "exit" as const), stopped]);
    cancelTimer();
    abort.stop();
    if (first !== "exit") {
      timedOut = first === "timeout";
      cancelled = first === "cancel";
      if (request.stopNote !== undefined) writeStopNote(request.stopNote);
      kill = await killTrees([{ pid, marker: request.marker }], { graceMs: request.killGraceMs, hurry: request.hurry });
      forced = kill.forced > 0 && !request.hurry.aborted;
    }
  }
  const exit = await child.exited;
  const durationSeconds = (performance.now() - startedAt) / 1000;

  let leftovers: Leftover[] = [];
  let listening: Leftover[] = [];
  if (pid !== null && kill === null && groupHasMembers(pid) && !(await groupEnds(pid, LEFTOVER_SETTLE_MS, request.hurry))) {
    // The process is gone but something it started is still in its group: a server or browser a test did not stop.
    const tree = { pid, marker: request.marker };
    const spare = request.spareListening === true ? await listeningMembers(tree) : new Set<number>();
    kill = await killTrees([tree], { graceMs: request.killGraceMs, hurry: request.hurry, spare });
    leftovers = leftoversOf(kill);
    listening = [...spare].map((spared) => ({ pid: spared, command: commandOf(spared) }));
  }
  await capture.drained(DRAIN_AFTER_EXIT_MS);
  await capture.close();

  return {
    exitCode: exit.code,
    signal: timedOut || cancelled ? null : exit.signal,
    timedOut,
    timeoutSeconds: request.timeoutMs === null ? null : request.timeoutMs / 1000,
    cancelled,
    spawnError: exit.spawnError === null ? null : exit.spawnError.message,
    lost: exit.lost ?? null,
    durationSeconds,
    tail: capture.tail(),
    leftovers,
    listening,
    survivors: kill?.survivors ?? [],
    killedAfterGraceSeconds: forced ? request.killGraceMs / 1000 : null,
  };
}

/** Whether the process group has no member left within `ms` (polled; at once when hurried). */
async function groupEnds(pgid: number, ms: number, hurry: AbortSignal): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until && !hurry.aborted) {
    await sleep(Math.min(KILL_POLL_MS / 5, until - performance.now()), hurry);
    if (!groupHasMembers(pgid)) return true;
  }
  return !groupHasMembers(pgid);
}

/** The note a pytest process reads when SIGTERM comes (python/grimoire_run_pytest.py); a folder gone meanwhile only costs the graceful stop. */
function writeStopNote(file: string): void {
  try {
    fs.writeFileSync(file, "");
  } catch {
    // The process is killed all the same.
  }
}
