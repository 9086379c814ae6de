/**
 * Issue 3: fail-fast, timeouts and signals kill whole process trees, fast,
 * and nothing is left running. Every fixture test starts grandchildren that
 * carry a marker in their command line, some in their own session, some
 * re-parented to init, some ignoring SIGTERM; after each run no process with
 * the marker may remain.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HONOUR_TERM, IGNORE_TERM, hangingProject as makeHangingProject } from "../helpers/hanging.js";
import { killedMarkers, processesIn, processesWith, type Project, readReport, runCli, SMALL_HEAP, startCli, temporaryProjects, testEnv, until } from "../helpers/project.js";
import { freePort } from "../../src/managed/ports.js";

const project = temporaryProjects();
const marker = killedMarkers();

/** Fails once `count` files are ready, so that they are all running when it does. */
function failWhenReady(sync: string, count: number): string {
  return `import pathlib, time

def test_fail_when_others_run():
    deadline = time.monotonic() + 60
    while len(list(pathlib.Path(${JSON.stringify(sync)}).iterdir())) < ${count} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert False, "this failure triggers fail-fast"
`;
}

function hangingProject(mark: string, count: number, grandchild: string, extra: Record<string, string> = {}): { p: Project; sync: string } {
  return makeHangingProject(project, mark, count, grandchild, extra);
}

describe("--fail-fast", () => {
  it.each([
    ["trees that ignore SIGTERM", IGNORE_TERM, 1],
    ["trees that honour SIGTERM", HONOUR_TERM, 5],
  ])("kills %s, cancels the rest, and exits within the grace period", async (_name, grandchild, grace) => {
    const mark = marker("failfast");
    const { p, sync } = hangingProject(mark, 4, grandchild);
    p.write("tests/e2e/test_0_fails.py", failWhenReady(sync, 4));
    p.write("tests/http/test_queued.py", "def test_never_started():\n    pass\n");

    const result = await runCli(["--parallel", "-n", "5", "--fail-fast", "--kill-grace", String(grace), "--report-json", "r.json"], { cwd: p.root });

    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    const report = readReport(p, "r.json");
    const statuses = Object.fromEntries(report.files.map((f) => [f.path, f.status]));
    expect(statuses).toEqual({
      "tests/e2e/test_0_fails.py": "failed",
      "tests/e2e/test_hang_0.py": "cancelled",
      "tests/e2e/test_hang_1.py": "cancelled",
      "tests/e2e/test_hang_2.py": "cancelled",
      "tests/e2e/test_hang_3.py": "cancelled",
      "tests/http/test_queued.py": "cancelled",
    });
    expect(report.files.find((f) => f.path === "tests/http/test_queued.py")?.slot).toBe(-1);
    const failed = report.files.find((f) => f.status === "failed");
    const failedAt = (failed?.startSeconds ?? 0) + (failed?.durationSeconds ?? 0);
    const stopSeconds = report.wallSeconds - failedAt;
    // Trees that ignore SIGTERM take the whole grace period; those that honour it go at once.
    if (grandchild === IGNORE_TERM) expect(stopSeconds).toBeGreaterThanOrEqual(grace * 0.9);
    expect(stopSeconds).toBeLessThan(Math.min(grace, 1) + 1.5);
    // Said as it happens, and in the summary once everything has stopped.
    expect(result.stdout).toMatch(/^tests\/e2e\/test_0_fails\.py failed \(--fail-fast\): stopping every running test process$/m);
    expect(result.stdout).toMatch(/^Stopped early: tests\/e2e\/test_0_fails\.py failed \(--fail-fast\)$/m);
    expect(result.stdout).toMatch(/Cancelled: 5 \(4 stopped while running, 1 not started\)/);
    expect(result.stdout).toMatch(/^\s+tests\/http\/test_queued\.py$/m);
  });
});

describe("--fail-fast at a failing test", () => {
  it("stops the failing file at its first failure (its pytest gets -x), not once the rest of its tests have run, and keeps its whole run's duration", async () => {
    // After its failure, the file's next test, and the other file's, wait for a file nobody writes (up to 30 s).
    const waits = "import pathlib, time\n\ndef wait():\n    deadline = time.monotonic() + 30\n    while not pathlib.Path('never').exists() and time.monotonic() < deadline:\n        time.sleep(0.05)\n";
    const p = project({
      "tests/http/test_a.py": `${waits}\ndef test_1_fails():\n    assert False\n\ndef test_2_waits():\n    wait()\n`,
      "tests/http/test_b.py": `${waits}\ndef test_waits():\n    wait()\n`,
    });
    // The file's whole run took 25 s before: its run cut short at the failure says nothing of that.
    const before = { seconds: 25, outcome: "passed", runs: 1, lastRun: "2026-12-01T00:00:00.000Z", failedTests: [], recent: "P", tests: {} };
    fs.mkdirSync(path.join(p.root, ".grimoire"), { recursive: true });
    fs.writeFileSync(path.join(p.root, ".grimoire/history.json"), JSON.stringify({ version: 1, files: { "tests/http/test_a.py": before } }));
    const result = await runCli(["--parallel", "-n", "2", "--fail-fast", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.seconds).toBeLessThan(20);
    const history = JSON.parse(fs.readFileSync(path.join(p.root, ".grimoire/history.json"), "utf8")) as { files: Record<string, { seconds: number; recent: string }> };
    expect(history.files["tests/http/test_a.py"]).toMatchObject({ seconds: 25, recent: "PF" });
    const report = readReport(p, "r.json");
    expect(Object.fromEntries(report.files.map((f) => [f.path, f.status]))).toEqual({ "tests/http/test_a.py": "failed", "tests/http/test_b.py": "cancelled" });
    expect(report.files.find((f) => f.path === "tests/http/test_a.py")?.tests).toMatchObject({ passed: 0, failed: 1 });
    // test_b was stopped in its one test: nothing of it to count, and no "(0 passed)" to say so.
    expect(result.stdout).toMatch(/^CANCEL +tests\/http\/test_b\.py +[\d.]+s$/m);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("says a file it cancelled after some of its tests was stopped, not that it stopped at a failure of its own", async () => {
    // test_b's first test passes and its second waits; test_a fails once that second one has begun.
    const waitFor = (name: string) => `pathlib.Path(${JSON.stringify(name)})`;
    const p = project({
      "tests/http/test_a.py": `import pathlib, time\n\ndef test_fails_once_b_waits():\n    deadline = time.monotonic() + 30\n    while not ${waitFor("b-waits")}.exists() and time.monotonic() < deadline:\n        time.sleep(0.02)\n    assert False\n`,
      "tests/http/test_b.py": `import pathlib, time\n\ndef test_1_passes():\n    pass\n\ndef test_2_waits():\n    ${waitFor("b-waits")}.write_text("")\n    deadline = time.monotonic() + 30\n    while not ${waitFor("never")}.exists() and time.monotonic() < deadline:\n        time.sleep(0.05)\n`,
    });
    const result = await runCli(["--parallel", "-n", "2", "--fail-fast"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.seconds).toBeLessThan(20);
    // A helper's Ctrl-C and --fail-fast read "(1 passed; stopped at a failure before its last test)" of a file with none.
    // How many of its tests did not finish: "stopped before its last test" read as one short (three helpers' trials).
    expect(result.stdout).toMatch(/^CANCEL +tests\/http\/test_b\.py +[\d.]+s +\(1 passed; stopped with 1 of its 2 tests unfinished\)$/m);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("counts no failure of a test that caught the stop's KeyboardInterrupt and failed for it (click's CliRunner: 'Aborted!', exit 1)", async () => {
    // sqlite-utils' trial: "stopped while running: 1 failed before it was stopped", and two failures in the Tests line.
    const p = project({
      "tests/http/test_a.py": "import pathlib, time\n\ndef test_fails_once_b_waits():\n    deadline = time.monotonic() + 30\n    while not pathlib.Path('b-waits').exists() and time.monotonic() < deadline:\n        time.sleep(0.02)\n    assert False\n",
      "tests/http/test_b.py":
        "import pathlib, time\n\ndef run_command():\n    pathlib.Path('b-waits').write_text('')\n    try:\n        time.sleep(30)\n    except KeyboardInterrupt:\n        return 1\n    return 0\n\ndef test_command_exits_0():\n    assert run_command() == 0\n",
    });
    const result = await runCli(["--parallel", "-n", "2", "--fail-fast", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const report = readReport(p, "r.json");
    expect(Object.fromEntries(report.files.map((f) => [f.path, [f.status, f.tests?.failed ?? null]]))).toEqual({ "tests/http/test_a.py": ["failed", 1], "tests/http/test_b.py": ["cancelled", 0] });
    expect(report.files.find((f) => f.path === "tests/http/test_b.py")?.cases).toEqual([]);
    expect(result.stdout).toMatch(/^Tests: 0 passed, 1 failed/m);
    expect(result.stdout).not.toMatch(/before it was stopped/);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("--timeout", () => {
  it("kills the file's whole tree, marks it timeout, shows its last lines, and lets the others finish", async () => {
    const mark = marker("timeout");
    const { p } = hangingProject(mark, 1, IGNORE_TERM, { "tests/http/test_quick.py": "def test_quick():\n    pass\n" });
    const result = await runCli(["--parallel", "-n", "2", "--timeout", "3", "--kill-grace", "1", "--report-json", "r.json", "--junit-xml", "j.xml"], { cwd: p.root });

    expect(result.code).toBe(1);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    const report = readReport(p, "r.json");
    const hung = report.files.find((f) => f.path === "tests/e2e/test_hang_0.py");
    expect(hung?.status).toBe("timeout");
    // The reports name the test the stop interrupted, which pytest's own report leaves out.
    expect(hung?.stoppedIn).toBe("tests/e2e/test_hang_0.py::test_hang");
    expect(report.files.find((f) => f.path === "tests/http/test_quick.py")?.stoppedIn).toBeUndefined();
    // It ignored SIGTERM: killed with SIGKILL once the grace period was over, and said so.
    expect(hung?.killedAfterGraceSeconds).toBe(1);
    expect(report.files.find((f) => f.path === "tests/http/test_quick.py")?.killedAfterGraceSeconds).toBeUndefined();
    expect(result.stdout).toMatch(/^TIMEOUT +tests\/e2e\/test_hang_0\.py .*\(killed with SIGKILL: still running 1\.0s after it was told to stop/m);
    expect(fs.readFileSync(path.join(p.root, "j.xml"), "utf8")).toMatch(/<testcase classname="tests\.e2e\.test_hang_0" name="test_hang" time="[\d.]+"><error message="no result within the 3s time limit">/);
    expect(hung?.durationSeconds).toBeGreaterThanOrEqual(3);
    expect(hung?.durationSeconds).toBeLessThan(3 + 1 + 2);
    expect(report.files.find((f) => f.path === "tests/http/test_quick.py")?.status).toBe("passed");
    expect(result.stdout).toMatch(/^TIMEOUT\s+tests\/e2e\/test_hang_0\.py/m);
    const summary = result.stdout.slice(result.stdout.lastIndexOf("───"));
    expect(summary).toMatch(/TIMEOUT\s+tests\/e2e\/test_hang_0\.py \(no result within the 3s time limit\)/);
    // Where the test was when it was stopped, even though pytest was capturing its output.
    expect(summary).toMatch(/│ grimoire-run stopped this test, tests\/\S+, here:/);
    expect(summary).toMatch(/│ .*test_hang_0\.py", line \d+, in test_hang/);
  });

  it("shows where the test was stopped, though the process printed more on its way out (httpcore's unraisable warnings)", async () => {
    const noisy = "import atexit, time\n\natexit.register(lambda: print('\\n'.join(f'shutdown line {i}' for i in range(40)), flush=True))\n\ndef test_hangs():\n    time.sleep(60)\n";
    const p = project({ "tests/http/test_noisy.py": noisy });
    const result = await runCli(["--parallel", "--timeout", "2", "--kill-grace", "1"], { cwd: p.root });
    expect(result.code).toBe(1);
    const summary = result.stdout.slice(result.stdout.lastIndexOf("───"));
    expect(summary).toMatch(/│ grimoire-run stopped this test, tests\/\S+, here:/);
    expect(summary).toMatch(/│ .*test_noisy\.py", line \d+, in test_hangs/);
    // Said to be where it was stopped, not the log's last lines (a helper's trial).
    expect(summary).toMatch(/\n {11}\d+ lines where it was stopped \(the log has what followed\):\n {11}│ grimoire-run stopped this test, tests\/\S+, here:/);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("signals to grimoire-run", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s kills every tree, prints the summary, and exits %i", async (signal, code) => {
    const mark = marker(signal);
    const { p } = hangingProject(mark, 3, HONOUR_TERM, { "tests/http/test_later.py": "def test_later():\n    pass\n" });
    const cli = startCli(["--parallel", "-n", "3", "--report-json", "r.json", "--", "-s"], { cwd: p.root });
    await cli.waitForOutput(/READY/, 3);
    cli.child.kill(signal);
    const result = await cli.done;

    expect(result.code).toBe(code);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    expect(result.stdout).toMatch(new RegExp(`Interrupted by ${signal}`));
    // What a second one does, in the words of the signal that came (SIGTERM's said "press Ctrl-C again": a helper's trial).
    expect(result.stdout).toMatch(signal === "SIGINT" ? /\(press Ctrl-C again to kill at once\)/ : new RegExp(`\\(a second ${signal} to kill at once\\)`));
    expect(result.stdout).toMatch(/4 files: 4 cancelled/);
    const statuses = readReport(p, "r.json").files.map((f) => f.status);
    expect(statuses).toEqual(["cancelled", "cancelled", "cancelled", "cancelled"]);
  });

  it("Ctrl-C while pytest is still listing the files (or a serial run's pytest still collecting) says so, leaves nothing running, and exits 130", async () => {
    // A conftest slow to import keeps the listing session busy; it says when it has started.
    const p = project({
      "tests/conftest.py": "import pathlib, time\npathlib.Path('listing-started').touch()\ntime.sleep(60)\n",
      "tests/http/test_a.py": "def test_a():\n    pass\n",
    });
    const cli = startCli(["--parallel", "-n", "2"], { cwd: p.root });
    await until(() => fs.existsSync(path.join(p.root, "listing-started")), "the listing session to import the conftest", 30_000);
    cli.child.kill("SIGINT");
    const result = await cli.done;

    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^Interrupted by SIGINT while pytest was listing the test files: no test ran$/m);
    expect(result.stdout).toMatch(/^INTERRUPTED \(exit code 130\)$/m);
    expect(processesIn(p.root)).toEqual([]);

    // A serial run's one pytest process, stopped before it collected: it found no file, and says nothing it did not do.
    fs.rmSync(path.join(p.root, "listing-started"));
    const serial = startCli([], { cwd: p.root });
    await until(() => fs.existsSync(path.join(p.root, "listing-started")), "the serial process to import the conftest", 30_000);
    serial.child.kill("SIGINT");
    const stopped = await serial.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).not.toMatch(/Found \d+ test file/);
    expect(stopped.stdout).toMatch(/^CANCEL +tests\/http +[\d.]+s$/m);
    expect(stopped.stdout).toMatch(/^INTERRUPTED \(exit code 130\)$/m);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("a second Ctrl-C skips the grace period", async () => {
    const mark = marker("hurry");
    const { p } = hangingProject(mark, 2, IGNORE_TERM);
    const cli = startCli(["--parallel", "-n", "2", "--kill-grace", "60", "--", "-s"], { cwd: p.root });
    await cli.waitForOutput(/READY/, 2);
    cli.child.kill("SIGINT");
    await cli.waitForOutput(/Interrupted by SIGINT/);
    const secondAt = performance.now();
    cli.child.kill("SIGINT");
    const result = await cli.done;

    expect(result.code).toBe(130);
    expect((performance.now() - secondAt) / 1000).toBeLessThan(5);
    expect(result.stdout).toMatch(/^Interrupted again: killing what is still running at once$/m);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("what tests leave behind", () => {
  it("kills processes a passing test left running, in its group or daemonized, and says so", async () => {
    const mark = marker("leftover");
    const daemon = `DAEMON = "import os, subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', sys.argv[1]], start_new_session=True); os._exit(0)"`;
    const p = project({
      "tests/http/test_leaky.py": `import subprocess, sys

MARK = ${JSON.stringify(mark)}
${daemon}

def test_starts_a_server_and_forgets_it():
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", MARK])
    subprocess.run([sys.executable, "-c", DAEMON, MARK], check=True)
`,
      "tests/http/test_only_daemon.py": `import subprocess, sys

MARK = ${JSON.stringify(mark)}
${daemon}

def test_starts_a_daemon_and_forgets_it():
    subprocess.run([sys.executable, "-c", DAEMON, MARK], check=True)
`,
    });
    const result = await runCli(["--parallel"], { cwd: p.root });
    expect(result.code).toBe(0);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    // The first file still had a process in its group: its whole tree (the daemon too) is killed as it ends.
    // Each named by pid and command line, so that the user can tell which of the tests' processes it was.
    expect(result.stderr).toMatch(/tests\/http\/test_leaky\.py left 2 processes running after pytest exited \(pid \d+: \S*python\S* -c import time; time\.sleep\(600\) GRIMOIRE_MARK_leftover_\w+; pid \d+: .+\); grimoire-run killed them$/m);
    // The second left only a daemon outside its group: the sweep at the end of the run finds it.
    expect(result.stderr).toMatch(/killed 1 leftover process started by the tests \(pid \d+: \S*python\S* -c import time; time\.sleep\(600\) GRIMOIRE_MARK_leftover_\w+\)$/m);
  });

  it("keeps a server a finished file left listening for the files still running, and kills it at the end of the run", async () => {
    // The "start the dev server unless it answers, never stop it" fixture: whichever file starts it ends while others
    // use it. A helper's trial: killed as its starter ended, 2 runs of 8 failed (ConnectionRefusedError).
    const mark = marker("devserver");
    const port = await freePort();
    const server = `import http.server, sys; http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()`;
    const shared = `import os, socket, subprocess, sys, time, urllib.request

PORT = ${port}
STARTER = os.path.join(os.path.dirname(__file__), "starter.pid")

def answers():
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
        return True
    except OSError:
        return False

def until(check):
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.02)
`;
    const p = project({
      "tests/http/test_starts.py": `${shared}
def test_starts_the_dev_server_and_leaves_it():
    subprocess.Popen([sys.executable, "-c", ${JSON.stringify(server)}, str(PORT), ${JSON.stringify(mark)}])
    until(answers)
    with open(STARTER, "w") as handle:
        handle.write(str(os.getpid()))
`,
      "tests/http/test_uses.py": `${shared}
def gone(pid):
    try:
        os.kill(pid, 0)
        return False
    except ProcessLookupError:
        return True

def test_uses_it_once_its_starter_has_ended():
    until(lambda: os.path.exists(STARTER) and os.path.getsize(STARTER) > 0)
    starter = int(open(STARTER).read())
    until(lambda: gone(starter))
    # Leftovers are killed 0.3 s after their file's process ends, if they are: past that, the server must still answer.
    time.sleep(1.5)
    assert urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=5).status == 200
`,
    });
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^warning: tests\/http\/test_starts\.py left 1 process listening on a port after pytest exited \(pid \d+: \S*python\S* -c import http\.server.*\); grimoire-run let it serve the files running after it and killed it at the end of the run$/m,
    );
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("says so of a process a test forked without an exec, too, forked file or not", async () => {
    // Its /proc environ is the fork server's (no marker), and its parent is gone: only its process group says whose it is.
    const p = project({
      "tests/http/test_forks.py": "import os, time\n\ndef test_forks_and_forgets():\n    if os.fork() == 0:\n        time.sleep(600)\n        os._exit(0)\n",
    });
    for (const mode of [[], ["--no-fork-server"]]) {
      const result = await runCli(["--parallel", ...mode], { cwd: p.root });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/tests\/http\/test_forks\.py left 1 process running after pytest exited \(pid \d+: .+\); grimoire-run killed it$/m);
      expect(processesIn(p.root)).toEqual([]);
    }
  });
});

describe("what ends by itself as pytest exits", () => {
  it("is not called left behind: a helper that ends once pytest's end closes its pipe (as multiprocessing's resource tracker does) ends in peace", async () => {
    const mark = marker("settles");
    // The helper ignores SIGTERM, as the resource tracker does, and ends when its stdin, a pipe from pytest, closes.
    const helper = "import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); sys.stdin.read()";
    const p = project({
      "tests/http/test_tracker.py": `import subprocess, sys

HELPERS = []

def test_starts_a_tracker():
    HELPERS.append(subprocess.Popen([sys.executable, "-c", ${JSON.stringify(helper)}, ${JSON.stringify(mark)}], stdin=subprocess.PIPE))
`,
    });
    const result = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/left 1 process|leftover/);
    // Not held up by a kill's grace period (2 s) either.
    expect(readReport(p, "r.json").files[0]?.durationSeconds).toBeLessThan(1.5);
    expect(processesWith(mark)).toEqual([]);
  });
});

describe("crashes", () => {
  it("names the signal of a crashed pytest and stops the run under --fail-fast", async () => {
    const mark = marker("crash");
    const { p, sync } = hangingProject(mark, 2, HONOUR_TERM);
    p.write(
      "tests/e2e/test_0_segfault.py",
      `import ctypes, pathlib, time

def test_segfault():
    deadline = time.monotonic() + 60
    while len(list(pathlib.Path(${JSON.stringify(sync)}).iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    ctypes.string_at(0)
`,
    );
    const result = await runCli(["--parallel", "-n", "3", "--fail-fast", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    const crashed = readReport(p, "r.json").files.find((f) => f.path === "tests/e2e/test_0_segfault.py");
    expect(crashed).toMatchObject({ status: "failed", signal: "SIGSEGV", exitCode: null });
    expect(result.stdout).toMatch(/killed by SIGSEGV/);
  });
});

describe("output volume", () => {
  it("streams 100 MB from one file to the log and the console with bounded memory, without blocking it", async () => {
    const p = project({
      "tests/http/test_flood.py": `import sys

def test_flood():
    line = "x" * 99 + "\\n"
    block = line * 10_000
    for _ in range(100):
        sys.stdout.write(block)
    sys.stdout.flush()
`,
      "tests/http/test_quiet.py": "def test_quiet():\n    pass\n",
    });
    const cli = startCli(["--parallel", "-n", "2", "--report-json", "r.json", "--", "-s"], { cwd: p.root, env: testEnv(SMALL_HEAP), keepStdout: 100_000 });
    let peakKb = 0;
    const pid = cli.child.pid as number;
    const sample = (): void => {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      } catch {
        // exited
      }
    };
    const sampler = setInterval(sample, 20);
    const result = await cli.done;
    clearInterval(sampler);

    expect(result.code, result.stderr).toBe(0);
    const report = readReport(p, "r.json");
    const flood = report.files.find((f) => f.path === "tests/http/test_flood.py");
    expect(fs.statSync(path.join(p.root, flood?.log ?? "")).size).toBeGreaterThan(100_000_000);
    expect(result.stdout).toMatch(/^flood \| x{99}$/m);
    // grimoire-run needs about 75 MB; 100 MB of output kept in memory would make it 175 MB at least.
    expect(peakKb / 1024).toBeLessThan(140);
  });
});
