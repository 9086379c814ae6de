/**
 * The run's watchdog process: `node watchdogProcess.js RUN_ID GRACE_MS
 * RUNNER_PID`, started by watchdog.ts before anything else of the run, in a
 * session of its own, without the run's GRIMOIRE_RUN_ID. It reads
 * grimoire-run's messages on stdin until the pipe closes, which happens
 * however grimoire-run ends, SIGKILL included. After "done" it exits at once.
 * Without it, grimoire-run died before it could clean up, and the watchdog
 * does it instead: every process whose environment carries
 * GRIMOIRE_RUN_ID=RUN_ID (found in /proc, Linux), and every process group
 * grimoire-run launched whose leader it had not reaped yet (the only way on
 * macOS, which has no /proc), gets SIGTERM, then SIGKILL after the grace
 * period, re-scanned for children meanwhile (processTree.ts). Then it removes
 * the run's stray files and says what it did on grimoire-run's stderr and in
 * the run's log folder.
 *
 * It must never end anything while grimoire-run lives, nor anything that is
 * not the run's. It ignores SIGINT, SIGTERM and SIGHUP: a Ctrl-C, a closed
 * terminal or a CI runner's SIGTERM to every process is grimoire-run's to
 * handle, and should grimoire-run not survive it, this is what cleans up.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { KillOutcome, ProcessTree } from "./processTree.js";
import type { WatchdogMessage } from "./watchdog.js";

export interface WatchdogState {
  /** Leaders of the groups grimoire-run launched and has not reaped. */
  groups: Set<number>;
  log: string | null;
  remove: string[];
  notes: string[];
  done: boolean;
}

export function newState(): WatchdogState {
  return { groups: new Set(), log: null, remove: [], notes: [], done: false };
}

/** One line from grimoire-run. A line that is not a message is ignored: the watchdog must outlast any mistake. */
export function apply(state: WatchdogState, line: string): void {
  let message: WatchdogMessage;
  try {
    message = JSON.parse(line) as WatchdogMessage;
  } catch {
    return;
  }
  if (message.op === "group" && Number.isInteger(message.pid)) state.groups.add(message.pid);
  else if (message.op === "reaped") state.groups.delete(message.pid);
  else if (message.op === "log" && typeof message.file === "string") state.log = message.file;
  else if (message.op === "remove" && typeof message.path === "string") state.remove.push(message.path);
  else if (message.op === "note" && typeof message.text === "string") state.notes.push(message.text);
  else if (message.op === "done") state.done = true;
}

/**
 * What is left of the run: the `marked` processes (those carrying `marker`,
 * each with its own group when it leads one), and the launched groups whose
 * leader lives. On Linux a launched leader must also carry the marker: once
 * grimoire-run is gone its reaped pid could already be another process's,
 * which would not.
 */
export function treesToEnd(state: WatchdogState, marked: readonly number[], marker: string, edges: { isAlive: (pid: number) => boolean; leadsGroup: (pid: number) => boolean; canScanEnvironments: boolean }): ProcessTree[] {
  const trees: ProcessTree[] = [];
  for (const pid of state.groups) {
    if (edges.isAlive(pid) && (!edges.canScanEnvironments || marked.includes(pid))) trees.push({ pid, group: true, marker });
  }
  for (const pid of marked) if (!state.groups.has(pid)) trees.push({ pid, group: edges.leadsGroup(pid), marker });
  return trees;
}

function commandName(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return null;
  }
}

/** "python3 ×4, sh, node": what was ended, by command name, most frequent first. */
function describeProcesses(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => (count > 1 ? `${name} ×${count}` : name))
    .join(", ");
}

/** A program's name from its command line (`/usr/bin/python3 -m x`: python3), or null where none was told. */
function programOf(command: string | undefined): string | null {
  const first = command?.trim().split(/\s+/)[0];
  return first === undefined || first === "" ? null : path.basename(first);
}

/**
 * What the watchdog says it did. `names`: the command names of the processes it signalled, where the system told them
 * (the rest are counted). Before, the names were those of the trees it found, some gone before a signal: "ended the
 * 12 processes (sh ×5, python3 ×5, python ×3)", 13 names (a helper's trial).
 */
export function reportOf(runId: string, runnerPid: string, graceMs: number, outcome: KillOutcome, names: readonly string[], notes: readonly string[]): string {
  const count = outcome.signalled.length;
  const more = count > names.length ? ` and ${count - names.length} more` : "";
  const what = names.length > 0 ? ` (${describeProcesses(names)}${more})` : "";
  const forced = outcome.forced > 0 ? `, ${outcome.forced} of them with SIGKILL after the ${graceMs / 1000}s grace period` : "";
  const stuck = outcome.survivors.length > 0 ? ` Could not end: ${outcome.survivors.join(", ")} (stuck in the kernel).` : "";
  return `grimoire-run watchdog: grimoire-run (pid ${runnerPid}) ended before its run ${runId} did; ended the ${count === 1 ? "process" : `${count} processes`} the run left running${what}${forced}.${stuck}${notes.map((note) => ` ${note}`).join("")}\n`;
}

async function endRun(state: WatchdogState, runId: string, graceMs: number, runnerPid: string): Promise<void> {
  // Loaded only now: a watchdog that is told "done" (nearly all of them) starts and ends without it.
  const { groupHasMembers, isAlive, killTrees, markedIn, takeSnapshot } = await import("./processTree.js");
  const marker = `GRIMOIRE_RUN_ID=${runId}`;
  const trees = treesToEnd(state, markedIn(await takeSnapshot(), marker), marker, { isAlive, leadsGroup: groupHasMembers, canScanEnvironments: process.platform === "linux" });
  for (const file of state.remove) fs.rmSync(file, { force: true });
  if (trees.length === 0) return;
  const roots = new Map(trees.map((tree) => [tree.pid, commandName(tree.pid)]));
  const outcome = await killTrees(trees, { graceMs });
  const names = outcome.signalled.map((pid) => roots.get(pid) ?? programOf(outcome.commands.get(pid))).filter((name): name is string => name !== null);
  const report = reportOf(runId, runnerPid, graceMs, outcome, names, state.notes);
  try {
    fs.writeSync(2, report);
  } catch {
    // Nobody reads grimoire-run's stderr any more: the log file still tells.
  }
  if (state.log !== null) {
    try {
      fs.appendFileSync(state.log, `${report}pids: ${outcome.signalled.join(" ")}\n`);
    } catch {
      // The log folder went with the run.
    }
  }
}

async function main(): Promise<void> {
  const [runId, graceArg, runnerPid = "?"] = process.argv.slice(2);
  const graceMs = Number(graceArg);
  if (runId === undefined || !Number.isFinite(graceMs)) {
    fs.writeSync(2, "usage: node watchdogProcess.js RUN_ID GRACE_MS RUNNER_PID\n");
    process.exit(2);
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => undefined);
  const state = newState();
  let pending = "";
  process.stdin.on("data", (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) apply(state, line);
  });
  await new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.stdin.once("error", resolve);
  });
  if (!state.done) await endRun(state, runId, graceMs, runnerPid);
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    try {
      fs.writeSync(2, `grimoire-run watchdog: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    } finally {
      process.exit(1);
    }
  });
}
