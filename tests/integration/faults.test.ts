/**
 * Issue 18, the fault-injection suite (1 of 3): grimoire-run itself stopped
 * mid-run, by any signal, SIGKILL included, with and without the fork
 * server, with managed servers and --setup running. Every case asserts the
 * exit code, what grimoire-run (or its watchdog) says, that no process of
 * the run survives (by marker and by working folder), and that nothing is
 * lost. The full matrix, with the test that keeps each case, is in
 * docs/faults.md; faultsEnvironment.test.ts and faultsInput.test.ts hold the
 * rest of it.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HONOUR_TERM, IGNORE_TERM, hangingProject } from "../helpers/hanging.js";
import { processesIn, processesWith, processesWithEnv, readReport, startCli, temporaryProjects, killedMarkers, until, type RunningCli } from "../helpers/project.js";

const project = temporaryProjects();
const marker = killedMarkers();

/** A managed app server: Python's own http.server on $PORT, with the marker in its command line. */
const SERVER = `import http.server, os
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), http.server.SimpleHTTPRequestHandler).serve_forever()
`;

/** The id of the one run made in the project: its log folder's name. */
function runIdOf(root: string): string {
  const logs = fs.readdirSync(path.join(root, ".grimoire", "logs"));
  expect(logs).toHaveLength(1);
  return logs[0] as string;
}

/** SIGINT (signal 2) in /proc's masks of pending signals. */
const SIGINT_BIT = 1n << 1n;

/** Waits until grimoire-run has taken its SIGINT (none is pending any more), which is when a second Ctrl-C pressed at once would find it. */
async function sigintTaken(cli: RunningCli): Promise<void> {
  const pending = (): bigint => {
    const status = fs.readFileSync(`/proc/${cli.child.pid}/status`, "utf8");
    return BigInt(`0x${/ShdPnd:\s+([0-9a-f]+)/.exec(status)?.[1] ?? "0"}`) | BigInt(`0x${/SigPnd:\s+([0-9a-f]+)/.exec(status)?.[1] ?? "0"}`);
  };
  await until(() => (pending() & SIGINT_BIT) === 0n, "grimoire-run took its SIGINT");
}

describe("grimoire-run killed with SIGKILL: its watchdog ends what the run started", () => {
  it.each([
    ["files started afresh (--no-fork-server)", ["--no-fork-server"]],
    ["files forked by the fork server", []],
  ])("%s, their grandchildren (one ignoring SIGTERM, one daemonized) and each file's managed server", async (_name, extra) => {
    const mark = marker("sigkill");
    const { p } = hangingProject(project, mark, 2, IGNORE_TERM, { "server.py": SERVER });
    const cli = startCli(["--parallel", "-n", "2", "--kill-grace", "1", "--server", `python3 server.py ${mark}`, ...extra, "--", "-s"], { cwd: p.root });
    await cli.waitForOutput(/READY/, 2);
    const runId = runIdOf(p.root);
    const firstLog = path.join(p.root, ".grimoire", "logs", runId, "tests_e2e_test_hang_0.py.log");
    // The log is written a moment after the console shows a line: a SIGKILL in that moment would lose it.
    await until(() => fs.existsSync(firstLog) && fs.readFileSync(firstLog, "utf8").includes("READY"), "the first file's READY in its log");
    // Two pytest processes with three grandchildren each, and two servers.
    expect(processesWith(mark).length).toBeGreaterThanOrEqual(8);
    const killedAt = performance.now();
    cli.child.kill("SIGKILL");
    // The watchdog holds grimoire-run's stderr until it is done: then every process must be gone.
    const result = await cli.done;
    const endedSeconds = (performance.now() - killedAt) / 1000;

    expect(result.signal).toBe("SIGKILL");
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    expect(processesWithEnv(`GRIMOIRE_RUN_ID=${runId}`)).toEqual([]);
    // The grandchildren that ignore SIGTERM take the 1s grace period, and no more than a few seconds besides.
    expect(endedSeconds).toBeLessThan(1 + 4);
    const said = /grimoire-run watchdog: grimoire-run \(pid \d+\) ended before its run \S+ did; ended the (\d+) processes the run left running \(.*python3.*\), \d+ of them with SIGKILL after the 1s grace period\./;
    expect(result.stderr).toMatch(said);
    expect(Number(said.exec(result.stderr)?.[1])).toBeGreaterThanOrEqual(8);
    // As many names as processes, the unnamed counted: "the 12 processes (sh ×5, python3 ×5, python ×3)" named 13 (a helper's trial).
    const [, count, names] = /ended the (\d+) processes the run left running \(([^)]*)\)/.exec(result.stderr) ?? [];
    const named = (names ?? "").replace(/ and (\d+) more$/, ", x ×$1").split(", ").reduce((sum, name) => sum + Number(/ ×(\d+)$/.exec(name)?.[1] ?? 1), 0);
    expect(named).toBe(Number(count));
    // The logs stay, with what the files printed, and the watchdog's account is beside them.
    const logs = path.join(p.root, ".grimoire", "logs", runId);
    expect(fs.readFileSync(path.join(logs, "watchdog.log"), "utf8")).toMatch(said);
    expect(fs.readFileSync(firstLog, "utf8")).toMatch(/READY/);
    // The fork server's socket does not stay behind in the temp folder.
    expect(fs.existsSync(path.join("/tmp", `grimoire-${runId}.sock`))).toBe(false);
  });

  it("while --setup runs, and while pytest lists the files (a conftest that hangs at import)", async () => {
    const mark = marker("sigkill-setup");
    const p = project({
      "hang.py": `import sys, time\nprint("SETTING UP", flush=True)\ntime.sleep(600)\n`,
      "tests/http/test_a.py": "def test_a():\n    pass\n",
    });
    const setup = startCli(["--parallel", "--setup", `python3 hang.py ${mark}`], { cwd: p.root });
    await setup.waitForOutput(/SETTING UP/);
    setup.child.kill("SIGKILL");
    const afterSetup = await setup.done;
    expect(processesWith(mark)).toEqual([]);
    expect(afterSetup.stderr).toMatch(/grimoire-run watchdog: .* ended the \d+ processes? the run left running/);

    p.write("tests/conftest.py", `import os, sys, subprocess, time\nif os.environ.get("GRIMOIRE_LIST_FILE"):\n    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", ${JSON.stringify(mark)}])\n    time.sleep(600)\n`);
    const listing = startCli(["--parallel", "--no-fork-server"], { cwd: p.root });
    await until(() => processesWith(mark).length > 0, "the listing session hangs in its conftest");
    listing.child.kill("SIGKILL");
    const afterListing = await listing.done;
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    expect(afterListing.stderr).toMatch(/grimoire-run watchdog: .* ended the \d+ processes the run left running/);
  });

  it("says nothing, and ends nothing, when grimoire-run finishes its run", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    pass\n" });
    const result = await startCli(["--parallel"], { cwd: p.root }).done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/watchdog/);
    expect(fs.existsSync(path.join(p.root, ".grimoire", "logs", runIdOf(p.root), "watchdog.log"))).toBe(false);
  });
});

describe("signals to grimoire-run without the fork server, managed servers running", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s ends the running file, its grandchildren and its server, cancels the rest, prints the summary, and exits %i", async (signal, code) => {
    const mark = marker(signal);
    const { p } = hangingProject(project, mark, 1, HONOUR_TERM, { "server.py": SERVER, "tests/http/test_later.py": "def test_later():\n    pass\n" });
    const cli = startCli(["--parallel", "-n", "1", "--order", "name", "--no-fork-server", "--server", `python3 server.py ${mark}`, "--report-json", "r.json", "--", "-s"], { cwd: p.root });
    await cli.waitForOutput(/READY/);
    cli.child.kill(signal);
    const result = await cli.done;

    expect(result.code).toBe(code);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    expect(result.stdout).toMatch(new RegExp(`Interrupted by ${signal}`));
    expect(result.stdout).toMatch(/Cancelled: 2 \(1 stopped while running, 1 not started\)/);
    expect(readReport(p, "r.json").files.map((f) => [f.path, f.status])).toEqual([
      ["tests/e2e/test_hang_0.py", "cancelled"],
      ["tests/http/test_later.py", "cancelled"],
    ]);
  });

  it("two Ctrl-C at once skip the grace period: trees that ignore SIGTERM are killed at once", async () => {
    const mark = marker("twice");
    const { p } = hangingProject(project, mark, 1, IGNORE_TERM, { "server.py": SERVER });
    const cli = startCli(["--parallel", "--no-fork-server", "--kill-grace", "60", "--server", `python3 server.py ${mark}`, "--", "-s"], { cwd: p.root });
    await cli.waitForOutput(/READY/);
    const firstAt = performance.now();
    cli.child.kill("SIGINT");
    await sigintTaken(cli);
    cli.child.kill("SIGINT");
    const result = await cli.done;

    expect(result.code).toBe(130);
    expect((performance.now() - firstAt) / 1000).toBeLessThan(8);
    expect(result.stdout).toMatch(/Interrupted by SIGINT/);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });
});
