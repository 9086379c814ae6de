/**
 * Servers that passing tests left listening, kept until the run ends.
 *
 * A file's process is cleaned up after when it exits: whatever it left in
 * its tree is killed. A server is the exception: a session fixture that
 * starts the app unless it already answers ("reuse a running dev server")
 * leaves it for the next session, and in a parallel run the next session is
 * another file's, running now. Killing it as its starter ends would cut the
 * other files off mid-test (a helper's trial: 2 runs of 8 failed with
 * `ConnectionRefusedError`, where plain pytest and xdist passed every time).
 * So a leftover that listens on a TCP port lives on until the run ends, as
 * it would live through a plain run's one session, and is killed then; at
 * most LISTENING_LEFTOVERS_KEPT at a time, the oldest killed first beyond that, so that a
 * fixture that leaks a server of its own in every file cannot pile them up
 * over a long run.
 */
import { LISTENING_LEFTOVERS_KEPT } from "../defaults.js";
import { killTrees, leftoversOf, startTimeOf, type KillOptions, type Leftover } from "./processTree.js";

/** Processes one file left listening. */
export interface KeptLeftovers {
  /** The file (or what was run) that left them. */
  label: string;
  processes: Leftover[];
}

interface Kept {
  label: string;
  leftover: Leftover;
  /** Its start time when kept: a pid reused by another program by the time of the kill is left alone. */
  started: string | null;
}

export class ListeningLeftovers {
  private readonly kept: Kept[] = [];

  constructor(private readonly most = LISTENING_LEFTOVERS_KEPT) {}

  /** Keeps a file's listening leftovers; returns those that must go now, the oldest, to keep no more than the most. */
  keep(label: string, processes: readonly Leftover[]): KeptLeftovers[] {
    for (const leftover of processes) this.kept.push({ label, leftover, started: startTimeOf(leftover.pid) });
    return byLabel(this.kept.splice(0, Math.max(0, this.kept.length - this.most)));
  }

  /** Everything kept, by the file that left it; none is kept afterwards. */
  takeAll(): KeptLeftovers[] {
    return byLabel(this.kept.splice(0));
  }
}

/** Kills what was kept, each process alone (its tree's group is the file's, long gone); returns what was still alive and signalled. */
export async function killKept(kept: readonly KeptLeftovers[], options: KillOptions): Promise<KeptLeftovers[]> {
  const killed: KeptLeftovers[] = [];
  for (const { label, processes } of kept) {
    const kill = await killTrees(
      processes.map((leftover) => ({ pid: leftover.pid, marker: null, group: false })),
      options,
    );
    const commands = new Map(processes.map((leftover) => [leftover.pid, leftover.command]));
    const signalled = leftoversOf(kill).map((leftover) => ({ pid: leftover.pid, command: leftover.command ?? commands.get(leftover.pid) ?? null }));
    if (signalled.length > 0) killed.push({ label, processes: signalled });
  }
  return killed;
}

function byLabel(kept: readonly Kept[]): KeptLeftovers[] {
  const groups = new Map<string, Leftover[]>();
  for (const { label, leftover, started } of kept) {
    // Gone meanwhile, or its pid now another program's: nothing of the run's to kill.
    if (started === null || startTimeOf(leftover.pid) !== started) continue;
    const list = groups.get(label);
    if (list === undefined) groups.set(label, [leftover]);
    else list.push(leftover);
  }
  return [...groups].map(([label, processes]) => ({ label, processes }));
}
