/**
 * Runs one pytest process to its end: streams its output, enforces its time
 * limit, kills its whole tree when it times out or is cancelled, and cleans
 * up whatever its tests left running. Knows nothing of files or reports.
 */
import fs from "node:fs";
import { launch as defaultLaunch, type Launcher, type LaunchSpec } from "./launch.js";
import { OutputCapture, type OutputListener } from "./outputCapture.js";
import { groupHasMembers, killTrees, type KillOutcome } from "./processTree.js";
import type { ProcessOutcome } from "./results.js";
import { parseRecords, type ProcessRecords } from "./testRecords.js";

export interface ProcessRequest {
  launch: LaunchSpec;
  /** `NAME=VALUE` set in `launch.env`, inherited by every descendant. */
  marker: string;
  logFile: string;
  /** pytest's JUnit report (its "generated xml file" line is noise in the output); null for a process that writes none. */
  junitFile: string | null;
  /** What grimoire-run's pytest plugin records (GRIMOIRE_RESULTS_FILE), read once the process is gone. */
  recordsFile: string | null;
  outputMode: "lines" | "raw";
  timeoutMs: number | null;
  killGraceMs: number;
  /** Fires when the run stops (fail-fast, Ctrl-C): the tree is killed and the outcome is `cancelled`. */
  cancel: AbortSignal;
  /** Fires on a second Ctrl-C: skip what is left of the grace period. */
  hurry: AbortSignal;
  onStart: (pid: number | null) => void;
  onOutput: OutputListener;
}

export interface ProcessReport extends ProcessOutcome {
  /** Processes the tests left behind after pytest itself exited, which were then killed. */
  leftovers: number;
  /** Processes that could not be killed at all; normally zero. */
  survivors: number[];
}

/** How long output may keep flowing after the tree is gone before the pipes are closed by force. */
const DRAIN_AFTER_EXIT_MS = 2_000;

export async function runProcess(request: ProcessRequest, launcher: Launcher = defaultLaunch): Promise<ProcessReport> {
  const startedAt = performance.now();
  const junitNotice = `generated xml file: ${request.junitFile}`;
  const capture = new OutputCapture({
    logFile: request.logFile,
    mode: request.outputMode,
    onOutput: request.onOutput,
    ...(request.junitFile === null ? {} : { drop: (line: string) => line.startsWith("-") && line.includes(junitNotice) }),
  });
  const child = await launcher(request.launch);
  capture.attach(child.stdout);
  capture.attach(child.stderr);
  request.onStart(child.pid);

  let timedOut = false;
  let cancelled = false;
  let kill: KillOutcome | null = null;
  const pid = child.pid;
  if (pid !== null) {
    let timer: NodeJS.Timeout | undefined;
    let onCancel: (() => void) | undefined;
    const stopped = new Promise<"timeout" | "cancel">((resolve) => {
      if (request.timeoutMs !== null) timer = setTimeout(() => resolve("timeout"), request.timeoutMs);
      onCancel = () => resolve("cancel");
      if (request.cancel.aborted) onCancel();
      else request.cancel.addEventListener("abort", onCancel, { once: true });
    });
    const first = await Promise.race([child.exited.then(() => "exit" as const), stopped]);
    clearTimeout(timer);
    if (onCancel !== undefined) request.cancel.removeEventListener("abort", onCancel);
    if (first !== "exit") {
      timedOut = first === "timeout";
      cancelled = first === "cancel";
      kill = await killTrees([{ pid, marker: request.marker }], { graceMs: request.killGraceMs, hurry: request.hurry });
    }
  }
  const exit = await child.exited;
  const durationSeconds = (performance.now() - startedAt) / 1000;

  let leftovers = 0;
  if (pid !== null && kill === null && groupHasMembers(pid)) {
    // pytest is gone but something it started is still in its group: a server or browser a test did not stop.
    kill = await killTrees([{ pid, marker: request.marker }], { graceMs: request.killGraceMs, hurry: request.hurry });
    leftovers = kill.signalled;
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
    durationSeconds,
    records: request.recordsFile === null ? null : readRecords(request.recordsFile),
    tail: capture.tail(),
    leftovers,
    survivors: kill?.survivors ?? [],
  };
}

/** The plugin's records, or null when it wrote none (pytest never got as far as configuring itself). */
function readRecords(file: string): ProcessRecords | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  return parseRecords(text);
}
