/**
 * Issue 4: repeated and sustained runs, retries and flaky detection, on
 * real pytest runs.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type JsonReportFile, readReport, runCli, SMALL_HEAP, startCli, temporaryProjects, testEnv } from "../helpers/project.js";

const project = temporaryProjects();

const sleeper = (seconds: number): string => `import time\n\ndef test_sleep():\n    time.sleep(${seconds})\n`;

/** Seconds during which exactly `workers` files ran, between `from` and `to`, from the report's start times and durations. */
function fullPoolSeconds(report: JsonReportFile, workers: number, from: number, to: number): number {
  const edges = report.files.flatMap((f) => [
    { at: f.startSeconds, delta: 1 },
    { at: f.startSeconds + f.durationSeconds, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let last = from;
  let full = 0;
  for (const edge of edges) {
    const at = Math.min(Math.max(edge.at, from), to);
    if (running >= workers) full += at - last;
    last = at;
    running += edge.delta;
  }
  return full;
}

describe("--loop", () => {
  it("runs the whole selection N times, each iteration's number reaching the tests", async () => {
    const p = project({
      "tests/http/test_a.py": "import os, pathlib\n\ndef test_a():\n    with pathlib.Path('seen').open('a') as f:\n        f.write(os.environ['GRIMOIRE_ITERATION'] + '\\n')\n",
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    const result = await runCli(["--parallel", "--loop", "3", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(0);
    expect(p.read("seen").trim().split("\n").sort()).toEqual(["1", "2", "3"]);
    const report = readReport(p, "r.json");
    expect(report.files.map((f) => `${f.iteration}:${f.path}`).sort()).toEqual(
      [1, 2, 3].flatMap((i) => [`${i}:tests/http/test_a.py`, `${i}:tests/http/test_b.py`]),
    );
    expect(result.stdout).toMatch(/^iteration 1\/3: 2 files, 2 passed, \d+\.\ds$/m);
    expect(result.stdout).toMatch(/^iteration 3\/3: 2 files, 2 passed, \d+\.\ds$/m);
    expect(result.stdout).toMatch(/Iterations: 3, none with failures/);
    expect(result.stdout).toMatch(/Throughput: [\d.]+ files\/min, [\d.]+ tests\/min/);
  });

  it("stops after an iteration with failures, and runs on with --keep-going, never hiding the failure", async () => {
    const files = {
      "tests/http/test_second_fails.py": "import os\n\ndef test_x():\n    assert os.environ['GRIMOIRE_ITERATION'] != '2'\n",
      "tests/http/test_ok.py": "def test_ok():\n    pass\n",
    };
    const p = project(files);
    const stopping = await runCli(["--parallel", "--loop", "5", "--report-json", "r.json"], { cwd: p.root });
    expect(stopping.code).toBe(1);
    expect(Math.max(...readReport(p, "r.json").files.map((f) => f.iteration))).toBe(2);
    expect(stopping.stdout).toMatch(/Stopped after iteration 2, which had failures \(--keep-going runs on\)/);

    const going = await runCli(["--parallel", "--loop", "5", "--keep-going", "--report-json", "r.json"], { cwd: p.root });
    expect(going.code).toBe(1);
    expect(Math.max(...readReport(p, "r.json").files.map((f) => f.iteration))).toBe(5);
    expect(going.stdout).toMatch(/Iterations: 5, 1 with failures \(iteration 2\)/);
    expect(going.stdout).toMatch(/tests\/http\/test_second_fails\.py\s+5\s+4\s+1 .*FLAKY: failed in iteration 2/);
  });
});

describe("--duration", () => {
  it("starts nothing after the deadline, lets running files finish, and keeps the pool full meanwhile", async () => {
    const p = project({ "tests/http/test_short.py": sleeper(0.3), "tests/http/test_mid.py": sleeper(0.6), "tests/http/test_long.py": sleeper(1.8) });
    const result = await runCli(["--parallel", "-n", "2", "--duration", "6", "-q", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(0);
    const report = readReport(p, "r.json");
    const firstStart = Math.min(...report.files.map((f) => f.startSeconds));
    const longest = Math.max(...report.files.map((f) => f.durationSeconds));
    const deadline = firstStart + 6;
    // Nothing starts after the deadline (measured from the first start, which follows discovery by a moment).
    expect(Math.max(...report.files.map((f) => f.startSeconds))).toBeLessThan(deadline + 0.2);
    // The run ends between the deadline and the deadline plus the longest file.
    expect(report.wallSeconds).toBeGreaterThanOrEqual(6);
    expect(report.wallSeconds).toBeLessThan(deadline + longest + 1);
    expect(Math.max(...report.files.map((f) => f.iteration))).toBeGreaterThanOrEqual(3);
    // Sustained: both workers busy nearly all the time until the deadline, across iteration boundaries.
    expect(fullPoolSeconds(report, 2, firstStart, deadline) / 6).toBeGreaterThan(0.9);
    expect(result.stdout).toMatch(/running them on 2 workers, for 6\.0s, keeping every worker busy/);
  });

  it("prints the aggregate of what completed when interrupted", async () => {
    const p = project({ "tests/http/test_a.py": sleeper(0.2), "tests/http/test_b.py": sleeper(0.2) });
    const cli = startCli(["--parallel", "--duration", "60", "-q"], { cwd: p.root });
    await cli.waitForOutput(/^iteration 2: 2 files/m);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/Iterations: \d+, /);
    expect(result.stdout).toMatch(/tests\/http\/test_a\.py\s+\d+\s+\d+/);
    expect(result.stdout).toMatch(/Interrupted by SIGINT/);
    // The summary comes once everything has stopped: it no longer offers a second Ctrl-C.
    expect(result.stdout).toMatch(/Stopped early: Interrupted by SIGINT: every running test process was stopped/);
  });
});

describe("--retries", () => {
  const failFirst = "import os\n\ndef test_x():\n    assert os.environ['GRIMOIRE_ATTEMPT'] != '1'\n";

  it("re-runs a failed file in a fresh process; a pass after a failure is flaky", async () => {
    const p = project({ "tests/http/test_flaky.py": failFirst, "tests/http/test_ok.py": "def test_ok():\n    pass\n" });
    const result = await runCli(["--parallel", "--retries", "2", "--flaky-result", "pass", "--report-json", "r.json", "--junit-xml", "j.xml"], { cwd: p.root });
    expect(result.code).toBe(0);
    // The dashboard agrees with the verdict: the failed attempt is the passing test's flakyFailure, not a failure.
    const junit = p.read("j.xml");
    expect(junit).toMatch(/<testsuites name="grimoire-run" tests="2" failures="0" errors="0"/);
    expect(junit).toMatch(/<testcase classname="tests\.http\.test_flaky" name="test_x"[^>]*><flakyFailure message="AssertionError: assert /);
    const entries = readReport(p, "r.json").files.filter((f) => f.path === "tests/http/test_flaky.py");
    expect(entries.map((f) => [f.attempt, f.status])).toEqual([
      [1, "failed"],
      [2, "flaky"],
    ]);
    expect(entries[0]?.log).not.toBe(entries[1]?.log);
    expect(result.stdout).toMatch(/^FAIL\s+tests\/http\/test_flaky\.py.*→ retrying$/m);
    expect(result.stdout).toMatch(/^FLAKY\s+tests\/http\/test_flaky\.py.*\(attempt 2\)$/m);
    expect(result.stdout).toMatch(/2 files: 1 passed, 1 flaky \(1 retried attempt\)/);
  });

  it("makes flaky a failure with --flaky-result fail, and by default in CI", async () => {
    const p = project({ "tests/http/test_flaky.py": failFirst });
    expect((await runCli(["--parallel", "--retries", "1", "--flaky-result", "fail"], { cwd: p.root })).code).toBe(1);
    expect((await runCli(["--parallel", "--retries", "1"], { cwd: p.root, env: testEnv({ CI: "true" }) })).code).toBe(1);
    expect((await runCli(["--parallel", "--retries", "1"], { cwd: p.root, env: testEnv({ CI: undefined }) })).code).toBe(0);
  });

  it("re-runs in a serial run only the failed files of those selected, and only the node ids named in them", async () => {
    // A serial run of two files named, one failing: its retry gave pytest no argument, and ran the project's every file
    // (marshmallow's trial: "4 files: 1 failed, 3 cancelled" of 2 selected).
    const p = project({
      "tests/http/test_a.py": `${failFirst}\ndef test_other():\n    pass\n`,
      "tests/http/test_b.py": "def test_b():\n    pass\n",
      "tests/http/test_c.py": "def test_c():\n    pass\n",
    });
    const result = await runCli(["--retries", "1", "--flaky-result", "pass", "--report-json", "r.json", "tests/http/test_a.py::test_x", "tests/http/test_b.py"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const files = readReport(p, "r.json").files;
    // The retry is of the session pytest's -x cut short: the failed file and the file it never reached, nothing more.
    expect(files.map((f) => [f.path, f.attempt, f.status]).sort()).toEqual([
      ["tests/http/test_a.py", 1, "failed"],
      ["tests/http/test_a.py", 2, "flaky"],
      ["tests/http/test_b.py", 2, "passed"],
    ]);
    // test_x alone, as named: not test_other, not test_c.py.
    expect(files.find((f) => f.path === "tests/http/test_a.py" && f.attempt === 2)?.cases.map((c) => c.nodeid)).toEqual(["tests/http/test_a.py::test_x"]);
  });

  it("gives up after N retries", async () => {
    const p = project({ "tests/http/test_bad.py": "def test_bad():\n    assert False\n" });
    const result = await runCli(["--parallel", "--retries", "2", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(readReport(p, "r.json").files.map((f) => [f.attempt, f.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "failed"],
    ]);
  });
});

describe("bad load options", () => {
  it.each([
    [["--loop", "0"], /--loop must be a whole number of at least 1; got "0"/],
    [["--loop", "two"], /--loop must be a whole number/],
    [["--duration", "0"], /--duration must be a positive number of seconds/],
    [["--retries", "-1"], /--retries must be a whole number of at least 0/],
    [["--flaky-result", "maybe"], /--flaky-result must be pass or fail; got "maybe"/],
    [["--delay", "1"], /--delay only applies to repeated runs/],
    [["--keep-going"], /--keep-going only applies to repeated runs/],
  ])("%s is bad usage (exit 2)", async (args, message) => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    pass\n" });
    const result = await runCli(["--parallel", ...args], { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

// The slowest case of the issue-18 fault matrix (150 iterations), kept lean: one trivial file, -q.
describe("a long repeated run", () => {
  it("runs 150 iterations without growing in open files or memory", async () => {
    const p = project({ "tests/http/test_tiny.py": "def test_tiny():\n    pass\n" });
    const cli = startCli(["--parallel", "--loop", "150", "-q"], { cwd: p.root, env: testEnv(SMALL_HEAP), keepStdout: 4000 });
    const pid = cli.child.pid as number;
    let iteration = 0;
    const samples: { iteration: number; fds: number; rssMiB: number }[] = [];
    cli.child.stdout?.on("data", (chunk: Buffer) => {
      const seen = [...chunk.toString().matchAll(/^iteration (\d+)\/150/gm)].map((m) => Number(m[1]));
      if (seen.length > 0) iteration = Math.max(iteration, ...seen);
    });
    const sampler = setInterval(() => {
      try {
        const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
        const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
        samples.push({ iteration, fds, rssMiB: rss / 1024 });
      } catch {
        // exiting
      }
      // Often enough for each window to hold several samples where an iteration takes 20 ms (150 in 3 s: at 100 ms, the
      // 30 iterations of the early window held 5 samples, one short of the check's, on a quick machine).
    }, 25);
    const result = await cli.done;
    clearInterval(sampler);

    expect(result.code).toBe(0);
    const early = samples.filter((s) => s.iteration >= 10 && s.iteration < 40);
    const late = samples.filter((s) => s.iteration >= 110 && s.iteration < 150);
    expect(early.length).toBeGreaterThan(5);
    expect(late.length).toBeGreaterThan(5);
    const max = (list: typeof samples, key: "fds" | "rssMiB"): number => Math.max(...list.map((s) => s[key]));
    // A leaked descriptor per iteration would add 70 between the two windows; a leaked buffer per file, megabytes.
    expect(max(late, "fds")).toBeLessThanOrEqual(max(early, "fds") + 3);
    expect(max(late, "rssMiB")).toBeLessThan(max(early, "rssMiB") + 15);
    expect(fs.readdirSync(path.join(p.root, ".grimoire", "logs"))).toHaveLength(1);
  }, 180_000);
});
