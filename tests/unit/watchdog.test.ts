/**
 * The watchdog's decisions, with plain data: what grimoire-run told it, and
 * which processes it would end once grimoire-run is gone. Its real behaviour
 * (grimoire-run killed with SIGKILL) is in tests/integration/faults.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LaunchedProcess, LaunchSpec } from "../../src/process/launch.js";
import { Watchdog } from "../../src/process/watchdog.js";
import { apply, newState, reportOf, treesToEnd } from "../../src/process/watchdogProcess.js";
import { markedIn, type ProcessSnapshot } from "../../src/process/processTree.js";

const MARK = "GRIMOIRE_RUN_ID=run-1";

function snapshot(environs: Record<number, string[]>): ProcessSnapshot {
  return { table: [], environ: new Map(Object.entries(environs).map(([pid, vars]) => [Number(pid), Buffer.from(vars.map((v) => `${v}\0`).join(""))])) };
}

describe("what grimoire-run tells its watchdog", () => {
  it("keeps the groups launched and not reaped, the log file, the files to remove and the notes; ignores lines it cannot read", () => {
    const state = newState();
    for (const line of ['{"op":"group","pid":10}', '{"op":"group","pid":11}', '{"op":"reaped","pid":10}', "not json", '{"op":"log","file":"/l/watchdog.log"}', '{"op":"remove","path":"/tmp/s.sock"}', '{"op":"note","text":"n"}', "{}"]) apply(state, line);
    expect(state).toEqual({ groups: new Set([11]), log: "/l/watchdog.log", remove: ["/tmp/s.sock"], notes: ["n"], done: false });
    apply(state, '{"op":"done"}');
    expect(state.done).toBe(true);
  });
});

describe("what the watchdog ends", () => {
  const alive = new Set([11, 12, 20, 21]);
  const edges = (canScanEnvironments: boolean) => ({ isAlive: (pid: number) => alive.has(pid), leadsGroup: (pid: number) => pid === 20, canScanEnvironments });
  const state = newState();
  for (const pid of [11, 12, 13]) apply(state, JSON.stringify({ op: "group", pid }));
  // 11: a launched leader with the run's id; 12: its pid now another program's (no id); 20: a forked pytest leading its group; 21: a daemon.
  const found = snapshot({ 11: [MARK], 12: ["HOME=/root"], 20: ["A=1", MARK], 21: [`${MARK}x`, MARK], 30: ["GRIMOIRE_RUN_ID=run-2"] });

  it("on Linux: every process carrying the run's id, with its group when it leads one, and no launched pid that lost it", () => {
    expect(treesToEnd(state, markedIn(found, MARK), MARK, edges(true))).toEqual([
      { pid: 11, group: true, marker: MARK },
      { pid: 20, group: true, marker: MARK },
      { pid: 21, group: false, marker: MARK },
    ]);
  });

  it("without /proc (macOS): the launched groups whose leader lives", () => {
    expect(treesToEnd(state, [], MARK, edges(false))).toEqual([
      { pid: 11, group: true, marker: MARK },
      { pid: 12, group: true, marker: MARK },
    ]);
  });
});

describe("the watchdog's start", () => {
  const saved = { NODE_OPTIONS: process.env["NODE_OPTIONS"], NODE_EXTRA_CA_CERTS: process.env["NODE_EXTRA_CA_CERTS"] };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("is Node.js without grimoire-run's NODE_OPTIONS and certificate bundle, and with the rest of its environment", async () => {
    process.env["NODE_OPTIONS"] = "--max-old-space-size=40";
    process.env["NODE_EXTRA_CA_CERTS"] = "/etc/ssl/certs/ca-certificates.crt";
    const specs: LaunchSpec[] = [];
    const launcher = (spec: LaunchSpec): LaunchedProcess => {
      specs.push(spec);
      return { pid: null, stdout: null, stderr: null, stdin: null, exited: new Promise(() => undefined) } as unknown as LaunchedProcess;
    };
    const watchdog = Watchdog.start("run-1", 1000, launcher);
    await watchdog.done();
    expect(specs).toHaveLength(1);
    expect(specs[0]?.command).toBe(process.execPath);
    expect(specs[0]?.env).not.toHaveProperty("NODE_OPTIONS");
    expect(specs[0]?.env).not.toHaveProperty("NODE_EXTRA_CA_CERTS");
    expect(specs[0]?.env["PATH"]).toBe(process.env["PATH"]);
  });

  it("names the processes it signalled, as many as it counts, the rest counted where the system told no name", () => {
    const outcome = { signalled: [11, 12, 13, 14], commands: new Map(), forced: 0, survivors: [] };
    const said = reportOf("run-1", "99", 1000, outcome, ["python3", "python3", "sh"], []);
    expect(said).toBe("grimoire-run watchdog: grimoire-run (pid 99) ended before its run run-1 did; ended the 4 processes the run left running (python3 ×2, sh and 1 more).\n");
  });
});
