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
 * it would live through a plain run's one session, and is killed then; the
 * servers of at most LISTENING_LEFTOVERS_KEPT files at a time (a server with
 * its workers counts once), the oldest file's killed first beyond that, so
 * that a fixture that leaks a server of its own in every file cannot pile
 * them up over a long run.
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
  /** Each with its start time when kept: a pid reused by another program by the time of the kill is left alone. */
  processes: { leftover: Leftover; started: string | null }[];
}

export class ListeningLeftovers {
  private readonly kept: Kept[] = [];

  /** `most`: the files whose servers are kept at a time (a server with its workers counts once). */
  constructor(private readonly most = LISTENING_LEFTOVERS_KEPT) {}

  /** Keeps what a file left listening; returns what must go now, the oldest files', to keep no more than the most. */
  keep(label: string, processes: readonly Leftover[]): KeptLeftovers[] {
    if (processes.length > 0) this.kept.push({ label, processes: processes.map((leftover) => ({ leftover, started: startTimeOf(leftover.pid) })) });
    return stillThere(this.kept.splice(0, Math.max(0, this.kept.length - this.most)));
  }

  /** Everything kept, by the file that left it; none is kept afterwards. */
  takeAll(): KeptLeftovers[] {
    return stillThere(this.kept.splice(0));
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

/** What was kept that is still the process it was: one gone meanwhile, or whose pid is now another program's, is nothing of the run's to kill. */
function stillThere(kept: readonly Kept[]): KeptLeftovers[] {
  return kept
    .map(({ label, processes }) => ({ label, processes: processes.filter(({ leftover, started }) => started !== null && startTimeOf(leftover.pid) === started).map(({ leftover }) => leftover) }))
    .filter(({ processes }) => processes.length > 0);
}
