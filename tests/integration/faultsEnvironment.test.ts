/**
 * Issue 18, the fault-injection suite (2 of 3): what the run depends on
 * failing under it. The fork server failing while it serves, managed
 * servers losing port races at 8 workers, a base URL nothing answers at, a
 * fixed port every file wants, a test that reads stdin, two runs at once in
 * one project. Each case asserts the exit code, the message, that no
 * process survives, and that nothing is lost. The matrix: docs/faults.md.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../src/managed/ports.js";
import { processesIn, processesWith, readReport, runCli, startCli, temporaryProjects, testEnv, killedMarkers } from "../helpers/project.js";

const project = temporaryProjects();
const marker = killedMarkers();

describe("the fork server failing while it serves", () => {
  /**
   * Makes the fork server's fork fail (as under a process limit) at its Nth fork: the first is the listing session's.
   * The server is the Python the run started first, before it knew what it would be (process/earlyPython.ts).
   */
  const failingFork = `import os, sys
if "grimoire_run_forkserver" in sys.orig_argv or "grimoire_run_early" in sys.orig_argv:
    real_fork, forks = os.fork, []
    def fork():
        forks.append(1)
        if len(forks) == int(os.environ["FAIL_FORK_AT"]):
            raise BlockingIOError(11, "Resource temporarily unavailable (injected)")
        return real_fork()
    os.fork = fork
`;

  function forkProject(mark: string): ReturnType<typeof project> {
    return project({
      "site/sitecustomize.py": failingFork,
      "tests/http/test_a_hang.py": `import subprocess, sys, time\n\ndef test_hang():\n    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", ${JSON.stringify(mark)}])\n    print("READY", flush=True)\n    time.sleep(600)\n`,
      "tests/http/test_b.py": "def test_b():\n    pass\n",
      "tests/http/test_c.py": "def test_c():\n    pass\n",
    });
  }

  it("a file it could not fork yet starts afresh: nothing fails for the server's sake", async () => {
    const mark = marker("forkfails");
    const p = forkProject(mark);
    p.write("tests/http/test_a_hang.py", "def test_a():\n    pass\n");
    const env = testEnv({ PYTHONPATH: path.join(p.root, "site"), FAIL_FORK_AT: "2" });
    const result = await runCli(["--parallel", "-n", "2", "--order", "name", "--report-json", "r.json"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => [f.path, f.status])).toEqual([
      ["tests/http/test_a_hang.py", "passed"],
      ["tests/http/test_b.py", "passed"],
      ["tests/http/test_c.py", "passed"],
    ]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("a file it was running fails with the server's reason, is ended with its tree, and the rest run afresh", async () => {
    const mark = marker("forkfails-running");
    const p = forkProject(mark);
    const env = testEnv({ PYTHONPATH: path.join(p.root, "site"), FAIL_FORK_AT: "3" });
    // The server forks the first file, then fails to fork the second, asked for at the same moment.
    const result = await runCli(["--parallel", "-n", "2", "--order", "name", "--report-json", "r.json"], { cwd: p.root, env });
    expect(result.code).toBe(1);
    const report = readReport(p, "r.json");
    expect(report.files.map((f) => [f.path, f.status])).toEqual([
      ["tests/http/test_a_hang.py", "failed"],
      ["tests/http/test_b.py", "passed"],
      ["tests/http/test_c.py", "passed"],
    ]);
    expect(result.stdout).toMatch(/FAIL\s+tests\/http\/test_a_hang\.py .*\(stopped when the fork server failed: BlockingIOError: \[Errno 11\] Resource temporarily unavailable \(injected\)\)/);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("managed servers at 8 workers", () => {
  it("each server that loses the race for its port gets another one, and every file runs", async () => {
    const mark = marker("race8");
    // Eight server starts (the first ones, all at once) find their port taken, as when another process wins the race for it.
    const server = `import http.server, os, socket
port = int(os.environ["PORT"])
for i in range(8):
    try:
        os.close(os.open(os.path.join("raced", str(i)), os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        continue
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    break
http.server.ThreadingHTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
`;
    const files: Record<string, string> = { "server.py": server, "raced/.keep": "" };
    for (let i = 0; i < 8; i++) files[`tests/http/test_${i}.py`] = "import os, urllib.request\n\ndef test_server_answers():\n    urllib.request.urlopen(os.environ['E2E_BASE_URL']).read()\n";
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "8", "--server", `python3 server.py ${mark}`, "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p, "r.json").files.filter((f) => f.status === "passed")).toHaveLength(8);
    // Eight starts lost the race. Each was started with the run (a slot's first file's, or its next one's) or for a file.
    expect(fs.readdirSync(path.join(p.root, "raced")).filter((name) => name !== ".keep")).toHaveLength(8);
    // A start whose file took it says so, and got another port (every file passed). A slot's next lease, which no file
    // of these eight takes, may be stopped before it finds its port taken: it has nothing to say then.
    const retries = result.stdout.match(/port \d+ was taken before the server for .+? could bind it; trying another port/g) ?? [];
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.length).toBeLessThanOrEqual(8);
    for (const retry of retries) expect(retry).toMatch(/for (tests\/http\/test_\d\.py|the first file of slot \d|a coming file of slot \d) could/);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("the server the tests are pointed at", () => {
  it("one that does not answer is said once, before the tests, and the tests fail as they would", async () => {
    const p = project({ "tests/http/test_get.py": "import os, urllib.request\n\ndef test_home():\n    urllib.request.urlopen(os.environ['E2E_BASE_URL'], timeout=5)\n" });
    const result = await runCli(["--parallel", "--base-url", "http://127.0.0.1:1/"], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^warning: --base-url http:\/\/127\.0\.0\.1:1\/ does not answer \(ECONNREFUSED\): tests that use it will fail unless something starts it\./m);
    expect(result.stdout).toMatch(/Connection refused/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("says where a URL that does not answer came from when the project's .env gave it, which plain pytest never reads", async () => {
    const p = project({ ".env": "E2E_BASE_URL=http://127.0.0.1:1/\n", "tests/http/test_get.py": "def test_home():\n    pass\n" });
    const result = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ E2E_BASE_URL: undefined }) });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: E2E_BASE_URL \(from \.env\) http:\/\/127\.0\.0\.1:1\/ does not answer \(ECONNREFUSED\)/m);
    const given = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ E2E_BASE_URL: "http://127.0.0.1:1/" }) });
    expect(given.stderr).toMatch(/^warning: E2E_BASE_URL http:\/\/127\.0\.0\.1:1\/ does not answer/m);
  });
});

describe("a fixed port in every file", () => {
  /** A module fixture that starts a server on one fixed port and waits, without a limit, until its own server answers. */
  const conftest = (mark: string) => `import os, subprocess, sys, time, urllib.request, uuid
import pytest

SERVER = """
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(sys.argv[1].encode())
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()
"""

@pytest.fixture(scope="module")
def server():
    token = uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, "-c", SERVER, token, os.environ["FIXED_PORT"], ${JSON.stringify(mark)}])
    while True:
        try:
            if urllib.request.urlopen("http://127.0.0.1:" + os.environ["FIXED_PORT"], timeout=1).read().decode() == token:
                break
        except OSError:
            pass
        time.sleep(0.05)
    yield
    process.terminate()
`;
  const usesServer = "import time\n\ndef test_uses_server(server):\n    time.sleep(0.5)\n";

  it("a file that waits forever for it is named while it waits, with --timeout and GRIMOIRE_SLOT; Ctrl-C ends it", async () => {
    const mark = marker("fixedport");
    const p = project({ "tests/http/conftest.py": conftest(mark), "tests/http/test_a.py": usesServer, "tests/http/test_b.py": usesServer });
    const env = testEnv({ FIXED_PORT: String(await freePort()) });
    const cli = startCli(["--parallel", "-n", "2", "--slow-notice", "1"], { cwd: p.root, env });
    // One file gets the port and passes; the other waits for it, and is named at 1s, 2s, 4s…
    await cli.waitForOutput(/^PASS\s+tests\/http\/test_[ab]\.py/m);
    const waiting = /^PASS\s+tests\/http\/test_a\.py/m.test(cli.stdoutSoFar()) ? "b" : "a";
    await cli.waitForOutput(new RegExp(`^SLOW\\s+tests/http/test_${waiting}\\.py\\s+\\d+\\.0s\\s+still running {2}\\(\\d+\\.\\ds of CPU\\)$`, "m"));
    await cli.waitForOutput(/No --timeout is set \(grimoire-run's limit per file; pytest-timeout's, after --, limits each test\): a file that waits forever runs until the run is stopped; --timeout SECONDS ends it\. If it waits for a fixed port another file holds, it never gets it: give files that run at once ports derived from GRIMOIRE_SLOT/);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/2 files: 1 passed, 1 cancelled/);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("with --timeout the waiting file times out; a file that fails to bind it is told about GRIMOIRE_SLOT", async () => {
    const mark = marker("fixedport-timeout");
    const p = project({ "tests/http/conftest.py": conftest(mark), "tests/http/test_a.py": usesServer, "tests/http/test_b.py": usesServer });
    const env = testEnv({ FIXED_PORT: String(await freePort()) });
    const waiting = await runCli(["--parallel", "-n", "2", "--timeout", "4", "--kill-grace", "1", "--slow-notice", "1", "--report-json", "r.json"], { cwd: p.root, env });
    expect(waiting.code).toBe(1);
    expect(waiting.stdout).toMatch(/--timeout stops it at 4\.0s\. If it waits for a fixed port another file holds/);
    // Named at 1 s and 2 s; at 4 s its TIMEOUT line says it, with no SLOW line just before.
    expect(waiting.stdout).toMatch(/^SLOW\s+tests\/http\/test_[ab]\.py\s+2\.0s\s+still running {2}\(\d+\.\ds of CPU\)$/m);
    expect(waiting.stdout).not.toMatch(/^SLOW\s+tests\/http\/test_[ab]\.py\s+4\.0s/m);
    expect(readReport(p, "r.json").files.map((f) => f.status).sort()).toEqual(["passed", "timeout"]);
    expect(processesWith(mark)).toEqual([]);

    const binding = "import os, socket, time\n\ndef test_binds():\n    s = socket.socket()\n    s.bind(('127.0.0.1', int(os.environ['FIXED_PORT'])))\n    s.listen()\n    time.sleep(1)\n";
    p.write("tests/http/test_a.py", binding);
    p.write("tests/http/test_b.py", binding);
    const failing = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/│ E\s+OSError: \[Errno 98\] Address already in use/);
    expect(failing.stdout).toMatch(/A port was already in use: files that run at once cannot share a fixed port; derive ports from GRIMOIRE_SLOT/);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("files that share a SQLite file", () => {
  it("fail as they would under xdist, and are told that files at once need a database file each (sqladmin's test.db)", async () => {
    // Each file makes the same table in test.db once both are running: one of them finds it there already.
    const makesTable = `import os, pathlib, sqlite3, time

def test_makes_its_table():
    here = pathlib.Path("started") / os.environ["GRIMOIRE_SLOT"]
    here.parent.mkdir(exist_ok=True)
    here.touch()
    deadline = time.monotonic() + 30
    while len(list(here.parent.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    db = sqlite3.connect("test.db", timeout=10)
    db.execute("CREATE TABLE product (id INTEGER)")
    db.commit()
`;
    const p = project({ "tests/http/test_a.py": makesTable, "tests/http/test_b.py": makesTable });
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/sqlite3\.OperationalError: table product already exists/);
    expect(result.stdout).toMatch(/^SQLite found a table gone or already there, or its database locked: files that run at once cannot share one SQLite file \(a test\.db in the working folder\); derive its name from GRIMOIRE_SLOT/m);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("a file that is slow because it computes", () => {
  it("is named as busy, with the CPU it used, and gets no advice about waiting forever (cattrs' hypothesis tests)", async () => {
    const busy = "import time\n\ndef test_computes():\n    deadline = time.monotonic() + 3\n    while time.monotonic() < deadline:\n        sum(range(1000))\n";
    const p = project({ "tests/http/test_busy.py": busy });
    const result = await runCli(["--parallel", "--slow-notice", "1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^SLOW\s+tests\/http\/test_busy\.py\s+\d\.0s\s+still running {2}\(\d+\.\ds of CPU: busy, not waiting\)$/m);
    expect(result.stdout).not.toMatch(/waits forever|fixed port/);
  });

  it("is named as running on a machine short of CPU, not waiting, where other work leaves it little of the CPU (packaging's tests on a loaded machine)", async () => {
    // The test computes on CPU 0 at the lowest priority, beside three processes of no file's (they leave its tree at
    // once) that compute there at the default one: it gets a sliver of the CPU, and runs all the while.
    const starved = `import os, pathlib, subprocess, sys, time

# Each stops once the test has ended (it leaves the file), and after 10 s whatever happens.
SPIN = "import os, pathlib, time\\nos.sched_setaffinity(0, {0})\\nif os.fork(): os._exit(0)\\nend = time.monotonic() + 10\\nwhile time.monotonic() < end and not pathlib.Path('spun').exists(): sum(range(1000))"

def test_computes_starved():
    os.sched_setaffinity(0, {0})
    try:
        for _ in range(3):
            subprocess.run([sys.executable, "-c", SPIN], check=True)
        os.nice(19)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            sum(range(1000))
    finally:
        pathlib.Path("spun").touch()
`;
    const p = project({ "tests/http/test_starved.py": starved });
    const result = await runCli(["--parallel", "--slow-notice", "1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^SLOW\s+tests\/http\/test_starved\.py\s+\d\.0s\s+still running {2}\(0\.\ds of CPU: running, on a machine short of CPU, not waiting\)$/m);
    // While its test computes. Its exit, at the lowest priority on a busy CPU, can come after the next notice, which
    // then says it waits at its exit, truly (a clean-clone CI run met it).
    const whileRunning = result.stdout.split(/\d+ passed in /)[0] ?? "";
    expect(whileRunning).not.toMatch(/waits forever|fixed port/);
  });
});

describe("a file that waits on a process it started", () => {
  it("counts its subprocess's CPU as its own, and with one worker says nothing of ports another file could hold (pytest-timeout's pexpect tests)", async () => {
    const computes = "import subprocess, sys\n\ndef test_runs_a_child():\n    subprocess.run([sys.executable, '-c', 'import time\\nd = time.monotonic() + 3\\nwhile time.monotonic() < d: sum(range(1000))'], check=True)\n";
    const waits = "import time\n\ndef test_waits():\n    time.sleep(2.5)\n";
    const p = project({ "tests/http/test_child.py": computes, "tests/http/test_waits.py": waits });
    const result = await runCli(["--parallel", "-n", "1", "--slow-notice", "1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^SLOW\s+tests\/http\/test_child\.py\s+\d\.0s\s+still running {2}\(\d+\.\ds of CPU: busy, not waiting\)$/m);
    expect(result.stdout).toMatch(/^SLOW\s+tests\/http\/test_waits\.py\s+\d\.0s\s+still running {2}\(0\.\ds of CPU\)$/m);
    expect(result.stdout).toMatch(/No --timeout is set \(grimoire-run's limit per file; pytest-timeout's, after --, limits each test\): a file that waits forever runs until the run is stopped; --timeout SECONDS ends it\.\n/);
    expect(result.stdout).not.toMatch(/fixed port/);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("a file whose process outlives its session", () => {
  it("says a process working at its exit is working, and one that waits there is waiting (tox's trial read both at once)", async () => {
    const thread = (body: string) => `import threading, time\n\ndef test_leaves_a_thread():\n    def work():\n        deadline = time.monotonic() + 4\n        while time.monotonic() < deadline:\n${body}\n    threading.Thread(target=work).start()\n`;
    const p = project({ "tests/http/test_works.py": thread("            sum(range(1000))"), "tests/http/test_waits.py": thread("            time.sleep(0.05)") });
    const result = await runCli(["--parallel", "-n", "2", "--slow-notice", "1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^SLOW\s+tests\/http\/test_works\.py\s+\d\.0s\s+pytest's session ended, and the process is still working at its exit \(a thread, a child process or an exit handler\) {2}\(\d+\.\ds of CPU: (busy|running, on a machine short of CPU)\)$/m);
    // Looked at as it runs, on a machine short of CPU, the waiting one may be said to run: never to be busy.
    expect(result.stdout).toMatch(/^SLOW\s+tests\/http\/test_waits\.py\s+\d\.0s\s+pytest's session ended, and the process (waits at its exit {2}\(0\.\ds of CPU\)|is still working at its exit .*: running, on a machine short of CPU\))$/m);
    expect(result.stdout).not.toMatch(/not waiting/);
    expect(processesIn(p.root)).toEqual([]);
  });
});

describe("a test that reads stdin", () => {
  const reads = "import sys\n\ndef test_reads_stdin():\n    assert sys.stdin.read() == ''\n";

  it("in parallel runs reads nothing and never waits, even with -s and grimoire-run's stdin an open pipe", async () => {
    const p = project({ "tests/http/test_a.py": reads, "tests/http/test_b.py": reads });
    const cli = startCli(["--parallel", "--report-json", "r.json", "--", "-s"], { cwd: p.root, stdin: "pipe" });
    const result = await cli.done;
    cli.child.stdin?.destroy();
    expect(result.code, result.stdout).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => f.status)).toEqual(["passed", "passed"]);
  });

  it("in a serial run, under pytest's capture, fails as plain pytest does instead of waiting", async () => {
    const p = project({ "tests/http/test_a.py": reads });
    const cli = startCli([], { cwd: p.root, stdin: "pipe" });
    const result = await cli.done;
    cli.child.stdin?.destroy();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/reading from stdin while output is captured/);
  });
});

describe("two runs at once in one project", () => {
  it("keep their own logs, reports and history entries whole", async () => {
    const test = (name: string) => `import os, time\n\ndef test_${name}():\n    print("RUN", os.environ["GRIMOIRE_RUN_ID"], flush=True)\n    time.sleep(0.3)\n`;
    const p = project({ "tests/http/test_a.py": test("a"), "tests/http/test_b.py": test("b"), "tests/e2e/test_c.py": test("c") });
    const one = startCli(["--parallel", "-n", "2", "--report-json", "one.json", "--", "-s"], { cwd: p.root });
    const two = startCli(["--parallel", "-n", "2", "--report-json", "two.json", "--", "-s"], { cwd: p.root });
    const [a, b] = await Promise.all([one.done, two.done]);
    expect([a.code, b.code]).toEqual([0, 0]);
    for (const report of [readReport(p, "one.json"), readReport(p, "two.json")]) {
      expect(report.files.map((f) => f.status)).toEqual(["passed", "passed", "passed"]);
      for (const file of report.files) {
        // Each log holds its own run's output, whole: no line of the other run in it.
        const log = fs.readFileSync(path.join(p.root, file.log ?? ""), "utf8");
        expect(log.match(/^.*RUN \S+/gm)?.map((line) => line.split(" ").at(-1))).toEqual([report.runId]);
        expect(log).toMatch(/1 passed/);
      }
    }
    expect(fs.readdirSync(path.join(p.root, ".grimoire", "logs"))).toHaveLength(2);
    const history = JSON.parse(p.read(".grimoire/history.json")) as { files: Record<string, { runs: number }> };
    expect(Object.entries(history.files).map(([file, entry]) => [file, entry.runs]).sort()).toEqual([
      ["tests/e2e/test_c.py", 2],
      ["tests/http/test_a.py", 2],
      ["tests/http/test_b.py", 2],
    ]);
    // No half-written history or other leftover: only what a run keeps (the bytecode cache where PYTHONDONTWRITEBYTECODE
    // is set; the note of its own write of pytest's memory of failures, for --last-failed).
    expect(fs.readdirSync(path.join(p.root, ".grimoire")).filter((name) => name !== "pycache").sort()).toEqual([".gitignore", "history.json", "lastfailed-written.json", "logs"]);
    expect(JSON.parse(p.read(".grimoire/lastfailed-written.json"))).toMatchObject({ file: path.join(p.root, ".pytest_cache", "v", "cache", "lastfailed") });
  });
});
