/**
 * Issue 18, the fault-injection suite (3 of 3): what the run is given going
 * wrong. Bad flag values, file names a shell would misread, output that is
 * huge, one endless line or not UTF-8, a pytest that ends half-way, a
 * damaged history, a project grimoire-run cannot write in. Each case asserts
 * the exit code, the message, that no process survives, and that nothing is
 * lost. The matrix: docs/faults.md.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, processesIn, readReport, runCli, SMALL_HEAP, startCli, temporaryProjects, testEnv } from "../helpers/project.js";

const project = temporaryProjects();
const PASS = "def test_ok():\n    pass\n";

describe("bad flag values", () => {
  // One of each kind, end to end; every value is in tests/unit/runConfig.test.ts.
  it.each([
    [["--workers", "-1"], /--workers must be a whole number of at least 1, or auto; got "-1"/],
    [["--timeout", "NaN"], /--timeout must be a positive number of seconds; got "NaN"/],
    [["--loop", "99999999999999999999999"], /--loop must be a whole number of at least 1; got "99999999999999999999999"/],
    [["--shard", "3/2"], /--shard must be I\/N with 1 <= I <= N, like 2\/4; got "3\/2"/],
    [["--log-dir", ""], /--log-dir is empty: give a path/],
    [["--workers", ""], /--workers must be a whole number of at least 1, or auto; got ""/],
  ])("%j is bad usage: exit 2, a message, nothing written", async (args, message) => {
    const p = project({ "tests/http/test_a.py": PASS });
    const result = await runCli(["--parallel", ...args], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fs.readdirSync(p.root)).toEqual(["tests"]);
  });

  it("huge values that are valid are taken at their word: a three-year --timeout, 100000 workers, shard 10^15 of 10^15", async () => {
    const p = project({ "tests/http/test_a.py": PASS, "tests/http/test_b.py": PASS });
    const patient = await runCli(["--parallel", "--timeout", "99999999", "--workers", "100000", "--report-json", "r.json"], { cwd: p.root });
    expect(patient.code, patient.stdout + patient.stderr).toBe(0);
    expect(patient.stdout).toMatch(/^Found 2 test files, running them on 2 workers/m);
    expect(readReport(p, "r.json").files.map((f) => f.status)).toEqual(["passed", "passed"]);
    expect(patient.stderr).not.toMatch(/TimeoutOverflowWarning/);

    const last = await runCli(["--parallel", "--shard", "1000000000000000/1000000000000000"], { cwd: p.root });
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect(last.stdout).toMatch(/shard 1000000000000000\/1000000000000000: 0 files/);
  });
});

describe("file names", () => {
  it("runs files named in unicode, or starting with a dash, each on its own and reported by its name", async () => {
    const p = project({
      "tests/http/test_ünïcødé_名前.py": PASS,
      "tests/http/-x_test.py": PASS,
      "tests/http/--help_test.py": PASS,
    });
    const result = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => [f.path, f.status]).sort()).toEqual([
      ["tests/http/--help_test.py", "passed"],
      ["tests/http/-x_test.py", "passed"],
      ["tests/http/test_ünïcødé_名前.py", "passed"],
    ]);
    // Named on the command line too: a leading dash is a file here, never an option.
    const named = await runCli(["--parallel", "tests/http/-x_test.py", "--report-json", "named.json"], { cwd: p.root });
    expect(named.code, named.stdout + named.stderr).toBe(0);
    expect(readReport(p, "named.json").files.map((f) => f.path)).toEqual(["tests/http/-x_test.py"]);
  });
});

describe("output", () => {
  it("one 20 MB line without a newline, and bytes that are not UTF-8: passed, logged whole, memory flat", async () => {
    const p = project({
      "tests/http/test_line.py": `import sys

def test_one_endless_line():
    sys.stdout.buffer.write(b"not utf-8: \\xff\\xfe \\xc3\\x28 end\\n")
    block = b"y" * (1024 * 1024)
    for _ in range(20):
        sys.stdout.buffer.write(block)
    sys.stdout.flush()
`,
    });
    const cli = startCli(["--parallel", "--report-json", "r.json", "--", "-s"], { cwd: p.root, env: testEnv(SMALL_HEAP), keepStdout: 200_000 });
    // The console's lines, measured as they stream past (the kept stdout is only a tail).
    const consoleLines = { longest: 0, taggedYs: 0, current: "" };
    cli.child.stdout?.on("data", (chunk: Buffer) => {
      const lines = (consoleLines.current + chunk.toString()).split("\n");
      consoleLines.current = lines.pop() ?? "";
      for (const line of lines) {
        consoleLines.longest = Math.max(consoleLines.longest, line.length);
        if (line.startsWith("line | ")) consoleLines.taggedYs += (line.match(/y{1000,}/g) ?? []).join("").length;
      }
    });
    let peakKb = 0;
    const sampler = setInterval(() => {
      try {
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${cli.child.pid}/status`, "utf8"))?.[1] ?? 0));
      } catch {
        // exited
      }
    }, 20);
    const result = await cli.done;
    clearInterval(sampler);
    expect(result.code, result.stderr).toBe(0);
    const log = fs.readFileSync(path.join(p.root, readReport(p, "r.json").files[0]?.log ?? ""), "utf8");
    // Invalid bytes become U+FFFD, the rest of the line stays.
    expect(log).toMatch(/not utf-8: \uFFFD\uFFFD \uFFFD\( end/);
    expect((log.match(/y{1000,}/g) ?? []).join("").length).toBe(20 * 1024 * 1024);
    // The whole line reaches the console, tagged, in pieces of about 64 KiB (as much as has arrived past that), never as one 20 MB string.
    expect(consoleLines.taggedYs).toBe(20 * 1024 * 1024);
    expect(consoleLines.longest).toBeLessThan(256 * 1024);
    // The summary follows it: grimoire-run waits for a slow reader before it exits.
    expect(result.stdout).toMatch(/PASSED \(exit code 0\)\n$/);
    expect(peakKb / 1024).toBeLessThan(150);
  });
});

describe("a pytest that ends half-way", () => {
  const exitsHalfWay = "import os\n\ndef test_one():\n    pass\n\ndef test_two():\n    os._exit(0)\n\ndef test_three():\n    pass\n";

  it.each([
    ["forked by the fork server", []],
    ["started afresh", ["--no-fork-server"]],
  ])("os._exit(0) in a test, %s: exit code 0, but unfinished tests are not a pass", async (_name, extra) => {
    const p = project({ "tests/http/test_exit.py": exitsHalfWay, "tests/http/test_fine.py": PASS });
    const result = await runCli(["--parallel", ...extra, "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+tests\/http\/test_exit\.py .*\(pytest's session ended before it finished \(exit code 0\): a test or plugin ended the process\)/);
    const exited = readReport(p, "r.json").files.find((f) => f.path === "tests/http/test_exit.py");
    expect(exited).toMatchObject({ status: "failed", exitCode: 0 });
    expect(exited?.tests?.passed).toBe(1);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("a serial run whose pytest ends mid-line puts its result line on a line of its own", async () => {
    // kombu's trial: "t2/test_exit.py .FAIL     t2/test_exit.py …", glued to pytest's progress dots.
    const p = project({ "tests/http/test_exit.py": exitsHalfWay });
    const result = await runCli([], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL\s+tests\/http\/test_exit\.py /m);
    expect(result.stdout).not.toMatch(/\.FAIL/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("os._exit(1) after a test failed (pytest-timeout's thread method) says the session ended early, not only that tests failed", async () => {
    // anyio's trial: a signal timeout failed one test, then the thread method's os._exit(1) ended the process; "tests failed".
    const failsThenExits = "import os\n\ndef test_fails():\n    assert 0\n\ndef test_exits():\n    os._exit(1)\n\ndef test_never():\n    pass\n";
    const p = project({ "tests/http/test_exit.py": failsThenExits, "tests/http/test_fine.py": PASS });
    const result = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+tests\/http\/test_exit\.py .*\(1 of 1 test failed, then pytest's session ended before it finished \(exit code 1\): a test or plugin ended the process\)/);
    expect(readReport(p, "r.json").files.find((f) => f.path === "tests/http/test_exit.py")?.tests?.failed).toBe(1);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("pytest.exit() in a conftest, before any test", () => {
  const REASON = "the server is not running: nothing to test";
  const exitsIn = (where: string, returncode: string): string => {
    const call = `pytest.exit("${REASON}"${returncode})`;
    if (where === "pytest_configure") return `import pytest\n\ndef pytest_configure(config):\n    ${call}\n`;
    if (where === "pytest_sessionstart") return `import pytest\n\ndef pytest_sessionstart(session):\n    ${call}\n`;
    return `import pytest\n\n@pytest.fixture(autouse=True)\ndef server():\n    ${call}\n`;
  };
  const SAID = `pytest.exit() ended pytest's session before any test ran, with exit code`;

  // pytest_configure: a conftest's runs before grimoire-run's plugin has configured itself (a helper's exit 5 "No files ran").
  it.each(["pytest_configure", "pytest_sessionstart", "an autouse fixture"])("with exit code 0, in %s, passes every mode, saying why, as plain pytest passes", async (where) => {
    const p = project({ "tests/conftest.py": exitsIn(where, ", returncode=0"), "tests/http/test_a.py": PASS, "tests/http/test_b.py": PASS });
    for (const mode of [["--parallel"], []]) {
      const result = await runCli([...mode, "--junit-xml", "out.xml", "--report-json", "out.json"], { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      // A test's fixture ends each file's own session in a parallel run: the listing's collection saw no exit.
      if (mode.length === 0 || where !== "an autouse fixture") expect(result.stdout).toContain(`${SAID} 0: ${REASON}\nso does this run, as plain pytest's`);
      // A serial run's one process ended so still leaves the run's reports (a helper found them missing).
      if (mode.length === 0) expect(readReport(p, "out.json").exitCode).toBe(0);
      if (mode.length === 0) expect(fs.existsSync(path.join(p.root, "out.xml"))).toBe(true);
    }
    expect(processesIn(p.root)).toEqual([]);
  });

  it("with pytest's default exit code (2, interrupted) fails, with its reason, not as arguments pytest refused or a session cut short", async () => {
    const p = project({ "tests/conftest.py": exitsIn("pytest_sessionstart", ""), "tests/http/test_a.py": PASS });
    for (const mode of [["--parallel"], []]) {
      const result = await runCli(mode, { cwd: p.root });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${SAID} 2: ${REASON}`);
      expect(result.stderr).not.toMatch(/could not collect|arguments come from/);
    }
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("grimoire-run's own files", () => {
  it("a damaged history.json: a warning, the run goes on, the damaged file is kept aside, bad entries are left out", async () => {
    const p = project({ "tests/http/test_a.py": PASS, "tests/http/test_b.py": PASS, ".grimoire/history.json": "\u0000{ not json" });
    const result = await runCli(["--parallel"], { cwd: p.root });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: \.grimoire\/history\.json could not be read: it is not JSON \(.*\); this run starts a new one and keeps the damaged file as \.grimoire\/history\.json\.damaged$/m);
    expect(p.read(".grimoire/history.json.damaged")).toBe("\u0000{ not json");
    const history = JSON.parse(p.read(".grimoire/history.json")) as { files: Record<string, { runs: number; seconds: number }> };
    expect(Object.keys(history.files).sort()).toEqual(["tests/http/test_a.py", "tests/http/test_b.py"]);

    history.files["tests/http/test_a.py"] = { ...history.files["tests/http/test_a.py"], runs: "x" } as unknown as { runs: number; seconds: number };
    p.write(".grimoire/history.json", JSON.stringify(history));
    const again = await runCli(["--parallel"], { cwd: p.root });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/warning: \.grimoire\/history\.json could not be read: the entry for tests\/http\/test_a\.py could not be read and was left out/);
    const repaired = JSON.parse(p.read(".grimoire/history.json")) as { files: Record<string, { runs: number }> };
    expect([repaired.files["tests/http/test_a.py"]?.runs, repaired.files["tests/http/test_b.py"]?.runs]).toEqual([1, 2]);
  });

  it("a .grimoire that is not a writable folder: the tests run, a warning says where the logs went", async () => {
    const p = project({ "tests/http/test_a.py": PASS, ".grimoire": "a file, not a folder\n" });
    const result = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const moved = /^warning: cannot write in \.grimoire\/ in the project \(ENOTDIR\): this run's logs are in (\S+) and it is not recorded in the history/m.exec(result.stderr);
    expect(moved, result.stderr).not.toBeNull();
    const logs = moved?.[1] as string;
    expect(fs.readdirSync(logs)).toContain("tests_http_test_a.py.log");
    expect(readReport(p, "r.json").files.map((f) => f.status)).toEqual(["passed"]);
    expect(p.read(".grimoire")).toBe("a file, not a folder\n");
    fs.rmSync(logs, { recursive: true, force: true });
  });

  // A read-only bind mount, in a mount namespace of grimoire-run's own: needs unshare and the right to mount (root, here).
  const canMountReadOnly = spawnSync("unshare", ["-m", "sh", "-c", "mount --bind -o ro /tmp /tmp"]).status === 0;

  it.skipIf(!canMountReadOnly)("a read-only project: its tests run as plain pytest's would, with the logs in the temp folder", async () => {
    const p = project({ "tests/http/test_a.py": PASS, "tests/http/test_b.py": "def test_fails():\n    assert False\n" });
    const script = 'mount --bind -o ro "$1" "$1" && cd "$1" && shift && exec "$@"';
    const run = spawnSync("unshare", ["-m", "sh", "-c", script, "sh", p.root, process.execPath, CLI, "--parallel"], { env: testEnv(), encoding: "utf8" });
    const cli = { code: run.status, stdout: run.stdout, stderr: run.stderr };
    expect(cli.code, cli.stdout + cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/^PASS\s+tests\/http\/test_a\.py/m);
    expect(cli.stdout).toMatch(/^FAIL\s+tests\/http\/test_b\.py/m);
    const logs = /cannot write in \.grimoire\/ in the project \(EROFS\): this run's logs are in (\S+)/.exec(cli.stderr)?.[1];
    expect(logs, cli.stderr).toBeDefined();
    expect(cli.stdout).toContain(`log: ${path.relative(p.root, path.join(logs as string, "tests_http_test_b.py.log"))}`);
    expect(fs.existsSync(path.join(p.root, ".grimoire"))).toBe(false);
    expect(processesIn(p.root)).toEqual([]);
    fs.rmSync(logs as string, { recursive: true, force: true });
  });
});
