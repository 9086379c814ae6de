/**
 * Finding and killing whole process trees.
 *
 * Every pytest process starts as the leader of its own process group and
 * carries a marker in its environment, which its descendants inherit. A tree
 * is everything reachable three ways: the process group, the descendants
 * `pidtree` finds (including those that moved to a group or session of their
 * own), and, on Linux, every process whose environment carries the marker
 * (which also finds descendants already re-parented to init).
 */
import fs from "node:fs";
import pidtree from "pidtree";
import { KILL_GIVE_UP_MS, KILL_POLL_MS, KILL_RESCAN_MS } from "../defaults.js";
import { sleep } from "./sleep.js";

export interface ProcessTree {
  /** The root process, which is also the leader of its process group unless `group` is false. */
  pid: number;
  group?: boolean;
  /** `NAME=VALUE` present in the environment of every process of the tree, or null. */
  marker: string | null;
}

export interface KillOptions {
  graceMs: number;
  /** When aborted, the grace period ends at once and SIGKILL follows (a second Ctrl-C). */
  hurry?: AbortSignal;
  /** Processes of the trees to leave alone (and the trees' groups unsignalled, so that the signal reaches only the others). */
  spare?: ReadonlySet<number>;
}

export interface KillOutcome {
  /** The processes signalled, in all. */
  signalled: number[];
  /** Each signalled process's command line, read just before its first signal (where the system tells it). */
  commands: ReadonlyMap<number, string>;
  /** How many were still alive after the grace period and got SIGKILL. */
  forced: number;
  /** Pids still alive when grimoire-run gave up (uninterruptible sleep); normally empty. */
  survivors: number[];
}

export type ProcessTable = ReadonlyArray<{ pid: number; ppid: number }>;

/** A process that was killed for being left behind, with its command line where the system told it. */
export interface Leftover {
  pid: number;
  command: string | null;
}

/** What a kill signalled, each with its command line. */
export function leftoversOf(kill: KillOutcome): Leftover[] {
  return kill.signalled.map((pid) => ({ pid, command: kill.commands.get(pid) ?? null }));
}

/** Every descendant of the given roots in a `ppid`/`pid` table (the roots themselves excluded). */
export function descendantsOf(table: ProcessTable, roots: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of table) {
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [pid]);
    else list.push(pid);
  }
  const found = new Set<number>();
  const queue = [...roots];
  const rootSet = new Set(queue);
  while (queue.length > 0) {
    const parent = queue.pop() as number;
    for (const child of children.get(parent) ?? []) {
      if (found.has(child) || rootSet.has(child)) continue;
      found.add(child);
      queue.push(child);
    }
  }
  return found;
}

/** What a scan sees: the process table, and on Linux every readable process environment and each process group's members. */
export interface ProcessSnapshot {
  table: ProcessTable;
  environ: ReadonlyMap<number, Buffer>;
  /** Pids by process group (Linux); absent or empty elsewhere. */
  groups?: ReadonlyMap<number, number[]>;
}

let lastSnapshot: { at: number; snapshot: Promise<ProcessSnapshot> } | null = null;

/**
 * A scan begun no earlier than `notBefore` (a `performance.now()` time).
 * Killers that start at the same moment (fail-fast stopping eight files)
 * share one scan instead of spawning `ps` and walking /proc eight times;
 * a scan begun before the caller's moment is never reused.
 */
export function takeSnapshot(notBefore = performance.now()): Promise<ProcessSnapshot> {
  const now = performance.now();
  if (lastSnapshot !== null && lastSnapshot.at >= notBefore) return lastSnapshot.snapshot;
  const snapshot = (async (): Promise<ProcessSnapshot> => {
    const pids = otherPids();
    return { environ: readEnvirons(pids), groups: readGroups(pids), table: await processTable() };
  })();
  lastSnapshot = { at: now, snapshot };
  return snapshot;
}

async function processTable(): Promise<ProcessTable> {
  try {
    return await pidtree(-1, { advanced: true });
  } catch {
    // `ps` missing or failing must not stop a kill: the process group and the marker still reach the tree.
    return [];
  }
}

/** Every process but this one, from /proc (Linux; elsewhere none). */
function otherPids(): number[] {
  if (process.platform !== "linux") return [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => Number.isInteger(pid) && pid !== process.pid);
}

function readEnvirons(pids: readonly number[]): Map<number, Buffer> {
  const environ = new Map<number, Buffer>();
  for (const pid of pids) {
    try {
      environ.set(pid, fs.readFileSync(`/proc/${pid}/environ`));
    } catch {
      // gone, or not ours to read
    }
  }
  return environ;
}

/**
 * Every process's group, from /proc/PID/stat (Linux; elsewhere none). A process a forked file forked without an exec
 * carries neither the file's marker (its /proc environ is the fork server's) nor, once the file has exited, a parent in
 * the tree: its group is what still says whose it is.
 */
function readGroups(pids: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields === null) continue; // gone
    const pgrp = Number(fields[2]);
    if (!Number.isInteger(pgrp) || pgrp <= 0) continue;
    const members = groups.get(pgrp);
    if (members === undefined) groups.set(pgrp, [pid]);
    else members.push(pid);
  }
  return groups;
}

/**
 * Pids of every process (other than this one) whose environment holds
 * `marker`, from the environments alone: the process table (a `ps`) is not
 * needed to ask. Linux only; elsewhere none.
 */
export function processesMarked(marker: string): number[] {
  return markedIn({ table: [], environ: readEnvirons(otherPids()) }, marker);
}

/** Pids of every process (other than this one) whose environment holds `marker`. Linux only; elsewhere none. */
export function markedIn(snapshot: ProcessSnapshot, marker: string): number[] {
  const needle = Buffer.from(`${marker}\0`);
  const found: number[] = [];
  for (const [pid, environ] of snapshot.environ) {
    const at = environ.indexOf(needle);
    if (at === 0 || (at > 0 && environ[at - 1] === 0)) found.push(pid);
  }
  return found;
}

/** Alive means able to run: a zombie waiting to be reaped is already gone for our purposes. */
export function isAlive(pid: number): boolean {
  if (process.platform === "linux") {
    const state = statFields(pid)?.[0];
    return state !== undefined && state !== "Z" && state !== "X";
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True while any process is left in the group (a test's leftover server, say). */
export function groupHasMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function send(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

/** Killers that start within this window of each other share their first scan. */
const SCAN_SHARE_MS = 20;

/**
 * What killing a tree needs of the system: a scan, a liveness check, a
 * signal, a clock and a pause. Injected, so that the escalation (grace
 * period, re-scans, SIGKILL, giving up) is tested with a fake process table
 * as well as with real processes.
 */
export interface ProcessEdges {
  /** A scan begun no earlier than `notBefore` (a `now()` time). */
  snapshot: (notBefore: number) => Promise<ProcessSnapshot>;
  isAlive: (pid: number) => boolean;
  /** Sends a signal to a process, or to a process group when `target` is negative; false when there was none. */
  signal: (target: number, signal: NodeJS.Signals) => boolean;
  /** Milliseconds, monotonic. */
  now: () => number;
  sleep: (ms: number, abort?: AbortSignal) => Promise<void>;
  /** A process's command line, null when the system does not tell it. */
  command?: (pid: number) => string | null;
}

export const SYSTEM_EDGES: ProcessEdges = { snapshot: takeSnapshot, isAlive, signal: send, now: () => performance.now(), sleep, command: commandOf };

/** A process's command line, from /proc (Linux); null elsewhere, or once it is gone. */
export function commandOf(pid: number): string | null {
  try {
    const words = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((word) => word !== "");
    return words.length === 0 ? null : words.join(" ");
  } catch {
    return null;
  }
}

/** Linux's clock ticks per second, in which /proc counts a process's CPU time (USER_HZ: 100 on every Linux architecture Node.js runs on). */
const CLOCK_TICKS = 100;

/**
 * The CPU seconds a process and every process under it have used (user and system, the children they have reaped
 * included), or null when the process cannot be read (gone, not Linux): a test's subprocesses (pexpect, a server)
 * working count as its file working. `running`: one of them is running or waiting for a CPU now (state R), as a
 * process that computes is, however little of the CPU a loaded machine leaves it. One walk of /proc.
 */
export function treeCpuOf(pid: number): { seconds: number; running: boolean } | null {
  const ticks = new Map<number, number>();
  const runnable = new Set<number>();
  const table: { pid: number; ppid: number }[] = [];
  for (const other of [pid, ...otherPids().filter((p) => p !== pid)]) {
    const fields = statFields(other);
    if (fields === null) continue;
    // utime, stime, cutime and cstime: the 14th to 17th fields of the line.
    const used = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    if (Number.isFinite(used)) ticks.set(other, used);
    if (fields[0] === "R") runnable.add(other);
    table.push({ pid: other, ppid: Number(fields[1]) });
  }
  const own = ticks.get(pid);
  if (own === undefined) return null;
  let total = own;
  const descendants = descendantsOf(table, [pid]);
  for (const descendant of descendants) total += ticks.get(descendant) ?? 0;
  return { seconds: total / CLOCK_TICKS, running: runnable.has(pid) || [...descendants].some((descendant) => runnable.has(descendant)) };
}

/**
 * The fields of /proc/PID/stat after the command name, from the state on (the line's 3rd field is [0]); null when
 * the process is gone, or not on Linux. "pid (comm) state ppid pgrp …": the command may hold spaces and parentheses,
 * the fields after its last ")" do not.
 */
function statFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** The processes of the trees a scan shows: the descendants of `alive` (those known so far), the marked, the groups' members. */
function membersOf(trees: readonly ProcessTree[], snapshot: ProcessSnapshot, alive: readonly number[]): Set<number> {
  const members = descendantsOf(snapshot.table, alive);
  for (const tree of trees) {
    if (tree.marker !== null) for (const pid of markedIn(snapshot, tree.marker)) members.add(pid);
    if (tree.group !== false) for (const pid of snapshot.groups?.get(tree.pid) ?? []) members.add(pid);
  }
  return members;
}

/**
 * The processes of a tree whose root has exited that listen on a TCP port (a server a test started), with their
 * descendants: a server that one file started and others use, where a fixture starts it unless it already answers.
 * From /proc (Linux); none elsewhere, where every leftover is killed at once.
 */
export async function listeningMembers(tree: ProcessTree, edges: Pick<ProcessEdges, "snapshot" | "isAlive"> = SYSTEM_EDGES): Promise<Set<number>> {
  if (process.platform !== "linux") return new Set();
  const snapshot = await edges.snapshot(performance.now());
  const members = [...membersOf([tree], snapshot, [tree.pid].filter(edges.isAlive))].filter(edges.isAlive);
  const sockets = listeningSockets();
  if (sockets.size === 0) return new Set();
  const listening = members.filter((pid) => socketsOf(pid).some((inode) => sockets.has(inode)));
  const spared = new Set(listening);
  for (const pid of descendantsOf(snapshot.table, listening)) spared.add(pid);
  return spared;
}

/** The inodes of the TCP sockets (IPv4 and IPv6) in the LISTEN state, from /proc/net. */
function listeningSockets(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(table, "latin1");
    } catch {
      continue;
    }
    // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …"; st 0A is LISTEN.
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A" && fields[9] !== undefined && fields[9] !== "0") inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The socket inodes a process holds open. */
function socketsOf(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const fd of fds) {
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith("socket:[")) inodes.push(target.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** When a process started (clock ticks since boot, /proc/PID/stat's 22nd field): a pid and this name one process, never a later one given the same pid. Null when gone, or not Linux. */
export function startTimeOf(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/**
 * SIGTERM to every process of the trees, up to `graceMs` for them to go,
 * then SIGKILL to whatever is left, re-scanning so that children spawned
 * meanwhile are caught. Resolves once a scan begun after the last known
 * process died finds nothing alive.
 */
export async function killTrees(trees: readonly ProcessTree[], options: KillOptions, edges: ProcessEdges = SYSTEM_EDGES): Promise<KillOutcome> {
  const spare = options.spare ?? new Set<number>();
  const known = new Set<number>(trees.map((tree) => tree.pid));
  const signalled = new Set<number>();
  const commands = new Map<number, string>();
  // A group with a spared member is signalled process by process, never as a group.
  const groupsSignalled = new Set<number>(spare.size > 0 ? trees.map((tree) => tree.pid) : []);

  const scan = async (notBefore: number): Promise<void> => {
    const snapshot = await edges.snapshot(notBefore);
    for (const pid of membersOf(trees, snapshot, [...known].filter(edges.isAlive))) if (!spare.has(pid)) known.add(pid);
  };
  const alive = (): number[] => [...known].filter(edges.isAlive);
  const terminateNew = (): void => {
    // Who is alive is read before any signal: a group member killed by the group signal still counts.
    const targets = alive().filter((pid) => !signalled.has(pid));
    for (const pid of targets) {
      const command = edges.command?.(pid) ?? null;
      if (command !== null) commands.set(pid, command);
    }
    for (const tree of trees) {
      if (tree.group === false || groupsSignalled.has(tree.pid)) continue;
      groupsSignalled.add(tree.pid);
      edges.signal(-tree.pid, "SIGTERM");
    }
    for (const pid of targets) {
      signalled.add(pid);
      // The group signal has reached the root already; a second SIGTERM would cut short its own cleanup.
      if (!groupsSignalled.has(pid)) edges.signal(pid, "SIGTERM");
    }
  };

  await scan(edges.now() - SCAN_SHARE_MS);
  terminateNew();

  const graceEnds = edges.now() + options.graceMs;
  let lastScan = edges.now();
  while (alive().length > 0 && edges.now() < graceEnds && options.hurry?.aborted !== true) {
    await edges.sleep(Math.min(KILL_POLL_MS, graceEnds - edges.now()), options.hurry);
    if (edges.now() - lastScan >= KILL_RESCAN_MS) {
      await scan(edges.now() - SCAN_SHARE_MS);
      terminateNew();
      lastScan = edges.now();
    }
  }

  const forcedPids = new Set<number>();
  const giveUpAt = edges.now() + KILL_GIVE_UP_MS;
  for (;;) {
    const checkedAt = edges.now();
    const left = alive();
    if (left.length === 0) {
      // Everything known is gone; a scan begun after this moment shows whether they left children behind.
      await scan(checkedAt);
      if (alive().length === 0) return { signalled: [...signalled], commands, forced: forcedPids.size, survivors: [] };
      continue;
    }
    if (edges.now() >= giveUpAt) return { signalled: [...signalled], commands, forced: forcedPids.size, survivors: left };
    if (spare.size === 0) for (const tree of trees) if (tree.group !== false) edges.signal(-tree.pid, "SIGKILL");
    for (const pid of left) {
      forcedPids.add(pid);
      edges.signal(pid, "SIGKILL");
    }
    const settleBy = edges.now() + 10 * KILL_POLL_MS;
    while (alive().length > 0 && edges.now() < settleBy) await edges.sleep(KILL_POLL_MS / 5);
    await scan(edges.now());
  }
}
