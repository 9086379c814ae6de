/** Servers finished files left listening: kept for the files still running, the oldest file's killed beyond the most kept. */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { killKept, ListeningLeftovers } from "../../src/process/listeningLeftovers.js";
import { isAlive } from "../../src/process/processTree.js";

/** A pid no process has (above Linux's largest). */
const NO_PROCESS = 4_194_305;

describe("ListeningLeftovers", () => {
  it("keeps up to the most, gives back the oldest beyond it by the file that left them, and hands over the rest at the end", () => {
    const kept = new ListeningLeftovers(2);
    const self = { pid: process.pid, command: "server a" };
    expect(kept.keep("tests/test_a.py", [self])).toEqual([]);
    expect(kept.keep("tests/test_b.py", [{ pid: process.pid, command: "server b" }])).toEqual([]);
    expect(kept.keep("tests/test_c.py", [{ pid: process.pid, command: "server c" }])).toEqual([{ label: "tests/test_a.py", processes: [self] }]);
    expect(kept.takeAll().map(({ label }) => label)).toEqual(["tests/test_b.py", "tests/test_c.py"]);
    expect(kept.takeAll()).toEqual([]);
  });

  it("counts a file's server with its workers once", () => {
    const kept = new ListeningLeftovers(1);
    const workers = Array.from({ length: 9 }, () => ({ pid: process.pid, command: "gunicorn -w 8" }));
    expect(kept.keep("tests/test_a.py", workers)).toEqual([]);
    expect(kept.keep("tests/test_b.py", [])).toEqual([]);
    expect(kept.takeAll()).toEqual([{ label: "tests/test_a.py", processes: workers }]);
  });

  it("forgets a process that is gone by then: nothing of the run's is left to kill under its pid", () => {
    const kept = new ListeningLeftovers(1);
    kept.keep("tests/test_a.py", [{ pid: NO_PROCESS, command: "server" }]);
    expect(kept.keep("tests/test_b.py", [])).toEqual([]);
    expect(kept.takeAll()).toEqual([]);
  });

  it("kills what it kept, with the command line it had when kept", async () => {
    const server = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const exited = new Promise((resolve) => server.once("exit", resolve));
    const pid = server.pid as number;
    const kept = new ListeningLeftovers();
    kept.keep("tests/test_a.py", [{ pid, command: "node server" }]);
    const killed = await killKept(kept.takeAll(), { graceMs: 2_000 });
    await exited;
    expect(killed).toEqual([{ label: "tests/test_a.py", processes: [{ pid, command: expect.stringContaining("setInterval") as unknown as string }] }]);
    expect(isAlive(pid)).toBe(false);
  });
});
