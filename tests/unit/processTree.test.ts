import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { describe, expect, it } from "vitest";
import { treeCpuOf, descendantsOf, killTrees, leftoversOf, type ProcessEdges, type ProcessSnapshot } from "../../src/process/processTree.js";

describe("descendantsOf", () => {
  const table = [
    { pid: 10, ppid: 1 },
    { pid: 11, ppid: 10 },
    { pid: 12, ppid: 11 },
    { pid: 13, ppid: 12 },
    { pid: 20, ppid: 1 },
    { pid: 21, ppid: 20 },
  ];
  it("walks the whole subtree, not the roots themselves", () => {
    expect([...descendantsOf(table, [10])].sort()).toEqual([11, 12, 13]);
  });
  it("takes several roots at once, and nothing from other trees", () => {
    expect([...descendantsOf(table, [12, 20])].sort()).toEqual([13, 21]);
    expect([...descendantsOf(table, [99])]).toEqual([]);
  });
  it("survives a cycle in a bad table", () => {
    expect([...descendantsOf([{ pid: 1, ppid: 2 }, { pid: 2, ppid: 1 }], [1])]).toEqual([2]);
  });
});

/**
 * A fake system for killTrees: processes that die on SIGTERM, ignore it, or
 * spawn a child while dying; a clock that moves only when the killer sleeps.
 * The escalation is checked without a single real process.
 */
class FakeSystem implements ProcessEdges {
  time = 0;
  readonly signals: string[] = [];
  private readonly processes = new Map<number, { ppid: number; group: number; alive: boolean; onTerm: "die" | "ignore" | { spawn: number } }>();

  add(pid: number, ppid: number, group: number, onTerm: "die" | "ignore" | { spawn: number } = "die"): void {
    this.processes.set(pid, { ppid, group, alive: true, onTerm });
  }

  /** Every process carries the tree's marker in its environment, as the tests' processes carry GRIMOIRE_TREE_ID. */
  snapshot = async (): Promise<ProcessSnapshot> => {
    const alive = [...this.processes].filter(([, p]) => p.alive);
    return { table: alive.map(([pid, p]) => ({ pid, ppid: p.ppid })), environ: new Map(alive.map(([pid]) => [pid, Buffer.from("TREE=t\0")])) };
  };

  isAlive = (pid: number): boolean => this.processes.get(pid)?.alive === true;

  signal = (target: number, signal: NodeJS.Signals): boolean => {
    this.signals.push(`${signal} ${target}`);
    const hit = [...this.processes].filter(([pid, p]) => p.alive && (target < 0 ? p.group === -target : pid === target));
    for (const [pid, p] of hit) {
      if (signal === "SIGKILL" || p.onTerm === "die") p.alive = false;
      else if (p.onTerm !== "ignore") {
        p.alive = false;
        this.add(p.onTerm.spawn, pid, p.onTerm.spawn, "ignore");
      }
    }
    return hit.length > 0;
  };

  now = (): number => this.time;

  /** Only the roots' command lines are known, as /proc can fail to tell one once a process is gone. */
  command = (pid: number): string | null => (this.processes.get(pid)?.ppid === 1 ? `server ${pid}` : null);

  sleep = async (ms: number, abort?: AbortSignal): Promise<void> => {
    if (abort?.aborted !== true) this.time += Math.max(1, ms);
  };
}

describe("killTrees, on a fake system", () => {
  it("sends SIGTERM to the group and lets a tree that obeys go without SIGKILL", async () => {
    const system = new FakeSystem();
    system.add(100, 1, 100);
    system.add(101, 100, 100);
    const outcome = await killTrees([{ pid: 100, marker: null }], { graceMs: 2_000 }, system);
    expect(outcome).toEqual({ signalled: [100, 101], commands: new Map([[100, "server 100"]]), forced: 0, survivors: [] });
    expect(leftoversOf(outcome)).toEqual([{ pid: 100, command: "server 100" }, { pid: 101, command: null }]);
    expect(system.signals[0]).toBe("SIGTERM -100");
    expect(system.signals.some((s) => s.startsWith("SIGKILL"))).toBe(false);
    expect(system.time).toBe(0);
  });

  it("waits out the grace period for a process that ignores SIGTERM, then SIGKILLs it", async () => {
    const system = new FakeSystem();
    system.add(200, 1, 200, "ignore");
    const outcome = await killTrees([{ pid: 200, marker: null }], { graceMs: 1_000 }, system);
    expect(outcome.forced).toBe(1);
    expect(outcome.survivors).toEqual([]);
    expect(system.signals).toEqual(["SIGTERM -200", "SIGKILL -200", "SIGKILL 200"]);
    expect(system.time).toBeGreaterThanOrEqual(1_000);
  });

  it("catches a child spawned while the tree was dying, orphaned in a group of its own, by the tree's marker, and kills it too", async () => {
    const system = new FakeSystem();
    system.add(300, 1, 300, { spawn: 301 });
    const outcome = await killTrees([{ pid: 300, marker: "TREE=t" }], { graceMs: 500 }, system);
    expect(outcome.survivors).toEqual([]);
    expect(system.isAlive(301)).toBe(false);
    expect(system.signals).toContain("SIGKILL 301");
  });

  it("ends the grace period at once when hurried (a second Ctrl-C)", async () => {
    const system = new FakeSystem();
    system.add(400, 1, 400, "ignore");
    const hurry = new AbortController();
    hurry.abort();
    await killTrees([{ pid: 400, marker: null }], { graceMs: 60_000, hurry: hurry.signal }, system);
    expect(system.isAlive(400)).toBe(false);
    expect(system.time).toBeLessThan(1_000);
  });

  it("spares the processes it is told to, signalling the others one by one rather than their group", async () => {
    const system = new FakeSystem();
    system.add(600, 1, 600);
    system.add(601, 600, 600);
    system.add(602, 600, 600);
    system.add(603, 601, 600);
    system.signal(600, "SIGKILL");
    const outcome = await killTrees([{ pid: 600, marker: "TREE=t" }], { graceMs: 500, spare: new Set([601, 603]) }, system);
    expect(outcome.signalled).toEqual([602]);
    expect([601, 602, 603].map(system.isAlive)).toEqual([true, false, true]);
    expect(system.signals.filter((s) => s.includes("-"))).toEqual([]);
  });

  it("gives up on a process SIGKILL cannot end, and reports it", async () => {
    const system = new FakeSystem();
    system.add(500, 1, 500, "ignore");
    const unkillable: ProcessEdges = { ...system, signal: (target, signal) => (signal === "SIGKILL" ? true : system.signal(target, signal)) };
    const outcome = await killTrees([{ pid: 500, marker: null }], { graceMs: 100 }, unkillable);
    expect(outcome.survivors).toEqual([500]);
  });
});

describe("treeCpuOf", () => {
  it("reads the CPU time of a process and of the processes under it from /proc, and null for a process that is not there", async () => {
    const start = treeCpuOf(process.pid)?.seconds ?? null;
    // 60 ms of this process's own CPU, by Node.js's count, however long a loaded machine takes to give it (150 ms of wall
    // time gave less than 50 ms of CPU with other work on both cores).
    const used = process.cpuUsage();
    const until = performance.now() + 10_000;
    while (process.cpuUsage(used).user + process.cpuUsage(used).system < 60_000 && performance.now() < until) Math.sqrt(Math.random());
    const after = treeCpuOf(process.pid)?.seconds ?? null;
    expect(start).not.toBeNull();
    expect((after ?? 0) - (start ?? 0)).toBeGreaterThanOrEqual(0.05);
    expect(treeCpuOf(2 ** 22 + 12345)).toBeNull();
    // A child that burns CPU counts as its parent working (a test's pexpect or server subprocess).
    const child = spawn("python3", ["-c", "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\nprint('done', flush=True)\ntime.sleep(30)"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      await new Promise<void>((resolve) => child.stdout.on("data", () => resolve()));
      expect(treeCpuOf(process.pid)?.seconds ?? 0).toBeGreaterThanOrEqual((after ?? 0) + 0.35);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("says whether a process of the tree is running or waiting for a CPU, as one that computes is, and not one that sleeps", async () => {
    const started = (code: string): Promise<ChildProcessWithoutNullStreams> => {
      const child = spawn("python3", ["-c", code]);
      return new Promise((resolve) => child.stdout.once("data", () => resolve(child)));
    };
    const spinning = await started("print('go', flush=True)\nwhile True: pass");
    const sleeping = await started("import time\nprint('go', flush=True)\ntime.sleep(30)");
    try {
      expect(treeCpuOf(spinning.pid as number)?.running).toBe(true);
      // Its "go" is read as it writes it, before it reaches its sleep: looked at again until it sleeps (5 s at most).
      const until = performance.now() + 5000;
      while (treeCpuOf(sleeping.pid as number)?.running === true && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(treeCpuOf(sleeping.pid as number)?.running).toBe(false);
      expect(treeCpuOf(spinning.pid as number)?.running).toBe(true);
    } finally {
      spinning.kill("SIGKILL");
      sleeping.kill("SIGKILL");
    }
  });
});
