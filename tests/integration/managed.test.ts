/**
 * Issue 5: one app server and one cloned PostgreSQL database per file, on a
 * real throw-away PostgreSQL cluster. After every run: no clone, no server,
 * no pytest left, and the template untouched.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresBin, startPostgres, type Postgres } from "../helpers/postgres.js";
import { temporaryProjects, processesIn, processesWith, readReport, runCli, startCli, killedMarkers, type Project } from "../helpers/project.js";

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

const project = temporaryProjects();
const marker = killedMarkers();

/** A small app: its rows live in the database DATABASE_URL names. */
const APP = `import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
import psycopg

DB = os.environ["DATABASE_URL"]

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with psycopg.connect(DB) as conn:
            if self.path == "/db":
                self.reply(conn.execute("select current_database()").fetchone()[0])
            else:
                self.reply(sorted(r[0] for r in conn.execute("select name from items")))

    def do_POST(self):
        name = parse_qs(urlparse(self.path).query)["name"][0]
        with psycopg.connect(DB) as conn:
            conn.execute("insert into items (name) values (%s)", (name,))
        self.reply("ok")

print("serving on", os.environ["PORT"], flush=True)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

const SETUP = `import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    conn.execute("create table if not exists items (name text)")
    if conn.execute("select count(*) from items").fetchone()[0] == 0:
        conn.execute("insert into items values ('seed')")
print("template ready")
`;

/** A test file that writes its own row through the server and must see only the seed and its own row. */
function isolatedTest(name: string, extra = ""): string {
  return `import json, os, urllib.parse, urllib.request

BASE = os.environ["E2E_BASE_URL"]

def get(path):
    with urllib.request.urlopen(BASE + path) as r:
        return json.load(r)

def test_sees_only_its_own_rows():
    urllib.request.urlopen(urllib.request.Request(BASE + "/rows?name=${name}", method="POST")).read()
    assert get("/rows") == sorted(["seed", "${name}"])
    assert "_grimoire_" in get("/db")
    assert urllib.parse.unquote(urllib.parse.urlparse(os.environ["DATABASE_URL"]).path) == "/" + get("/db")
${extra}`;
}

let templateCount = 0;
/** A fresh template database for each test, filled by --setup. */
function template(name = `shop_${++templateCount}`): { name: string; url: string } {
  return { name, url: pg.url(name) };
}

function managedProject(files: Record<string, string>): { p: Project; mark: string } {
  const mark = marker("server");
  const p = project({ "app.py": APP, "setup_db.py": SETUP, ...files });
  return { p, mark };
}

function managedArgs(mark: string, db: { url: string }, extra: string[] = []): string[] {
  return ["--parallel", "--server", `python3 app.py ${mark}`, "--database-url", db.url, "--setup", "python3 setup_db.py", ...extra];
}

async function clones(): Promise<string[]> {
  const rows = await pg.query("select datname from pg_database where datname like '%\\_grimoire\\_%' order by 1");
  return rows.map((r) => String(r["datname"]));
}

async function templateRows(db: { name: string }): Promise<string[]> {
  return (await pg.queryIn(db.name, "select name from items order by 1")).map((r) => String(r["name"]));
}

describe("per-file isolation", () => {
  it("gives each file its own server and clone, seeded from the template, which stays untouched", async () => {
    const db = template();
    const { p, mark } = managedProject({ "tests/http/test_a.py": isolatedTest("a"), "tests/http/test_b.py": isolatedTest("b"), "tests/e2e/test_c.py": isolatedTest("c") });
    const result = await runCli([...managedArgs(mark, db), "--report-json", "r.json"], { cwd: p.root });

    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => f.status)).toEqual(["passed", "passed", "passed"]);
    expect(result.stdout).toMatch(/setup \| template ready/);
    expect(await templateRows(db)).toEqual(["seed"]);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    const logs = fs.readdirSync(path.join(p.root, ".grimoire", "logs"));
    const serverLogs = fs.readdirSync(path.join(p.root, ".grimoire", "logs", logs[0] as string)).filter((f) => f.endsWith(".server.log"));
    expect(serverLogs.sort()).toEqual(["tests_e2e_test_c.py.server.log", "tests_http_test_a.py.server.log", "tests_http_test_b.py.server.log"]);
  });

  it("with --isolation slot, reuses one server and clone per worker slot", async () => {
    const db = template();
    const countRows = `import json, os, urllib.request\n\ndef test_writes():\n    urllib.request.urlopen(urllib.request.Request(os.environ["E2E_BASE_URL"] + "/rows?name=" + os.environ["GRIMOIRE_SLOT"], method="POST")).read()\n`;
    const { p, mark } = managedProject(Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`tests/http/test_${i}.py`, countRows])));
    const result = await runCli(managedArgs(mark, db, ["-n", "2", "--isolation", "slot"]), { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const logDir = path.join(p.root, ".grimoire", "logs", fs.readdirSync(path.join(p.root, ".grimoire", "logs"))[0] as string);
    expect(fs.readdirSync(logDir).filter((f) => f.endsWith(".server.log")).sort()).toEqual(["slot-0.server.log", "slot-1.server.log"]);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("in serial mode runs one server and one clone for the whole selection", async () => {
    const db = template();
    const { p, mark } = managedProject({
      "tests/http/test_a.py": "import os, urllib.request\n\ndef test_a():\n    urllib.request.urlopen(urllib.request.Request(os.environ['E2E_BASE_URL'] + '/rows?name=a', method='POST')).read()\n",
      "tests/http/test_b.py": "import json, os, urllib.request\n\ndef test_b():\n    assert json.load(urllib.request.urlopen(os.environ['E2E_BASE_URL'] + '/rows')) == ['a', 'seed']\n",
    });
    const args = managedArgs(mark, db).filter((a) => a !== "--parallel");
    const result = await runCli(args, { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await clones()).toEqual([]);
  });

  it("quotes every identifier: a database URL whose template name holds quotes, a semicolon and spaces works end to end", async () => {
    const db = template(`we"ird 'shop; ${templateCount}`);
    const { p, mark } = managedProject({ "tests/http/test_a.py": isolatedTest("a") });
    const result = await runCli(managedArgs(mark, db), { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await templateRows(db)).toEqual(["seed"]);
    expect(await clones()).toEqual([]);
  });
});

describe("cleanup", () => {
  const hang = `import pathlib, time\n\ndef test_hang():\n    print("READY", flush=True)\n    time.sleep(600)\n`;

  it.each([
    ["a failure", [] as string[]],
    ["fail-fast", ["--fail-fast"]],
    ["a timeout", ["--timeout", "3"]],
  ])("leaves no clone, server or pytest after %s, and runs --teardown", async (_name, extra) => {
    const db = template();
    const files: Record<string, string> = {
      "tests/http/test_fails.py": isolatedTest("f", "\ndef test_fails():\n    assert False\n"),
      "tests/http/test_ok.py": isolatedTest("ok"),
    };
    if (extra.includes("--timeout") || extra.includes("--fail-fast")) files["tests/e2e/test_hang.py"] = hang;
    const { p, mark } = managedProject(files);
    const result = await runCli([...managedArgs(mark, db, ["-n", "3", "--kill-grace", "1", ...extra]), "--teardown", "python3 -c \"open('torn-down', 'w')\""], { cwd: p.root });
    expect(result.code).toBe(1);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    expect(fs.existsSync(path.join(p.root, "torn-down"))).toBe(true);
    expect(await templateRows(db)).toEqual(["seed"]);
  });

  it("leaves nothing after Ctrl-C, and still runs --teardown", async () => {
    const db = template();
    const { p, mark } = managedProject({ "tests/e2e/test_hang.py": hang, "tests/http/test_hang2.py": hang });
    const cli = startCli([...managedArgs(mark, db, ["--teardown", "python3 -c \"open('torn-down', 'w')\"", "--", "-s"])], { cwd: p.root });
    await cli.waitForOutput(/READY/, 2);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    expect(fs.existsSync(path.join(p.root, "torn-down"))).toBe(true);
  });

  it("says what it is still doing when its servers take long to stop and its clones to drop at the end (a Ctrl-C waited 8.8 s without a word)", async () => {
    const db = template();
    // A server that takes 3 s to stop once told to: the run's end waits for it, past the notice's 2 s.
    const slowToStop = `import os, signal, time\n\ndef stop(*_):\n    time.sleep(3)\n    os._exit(0)\n\nsignal.signal(signal.SIGTERM, stop)\nexec(open("app.py").read())\n`;
    const { p, mark } = managedProject({ "slow_stop.py": slowToStop, "tests/http/test_ok.py": isolatedTest("ok") });
    const result = await runCli(["--parallel", "-n", "1", "--server", `python3 slow_stop.py ${mark}`, "--database-url", db.url, "--setup", "python3 setup_db.py", "--kill-grace", "10"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/still stopping \d+ app servers? and dropping their database clones \(PostgreSQL drops one database at a time\)/);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("drops, at the next start, the clones a killed run left behind", async () => {
    const db = template();
    const { p, mark } = managedProject({ "tests/e2e/test_hang.py": hang });
    const killed = startCli([...managedArgs(mark, db), "--", "-s"], { cwd: p.root });
    await killed.waitForOutput(/READY/);
    killed.child.kill("SIGKILL");
    // SIGKILL cannot be caught: the run's watchdog ends its server and pytest, and says who drops the clone.
    const afterKill = await killed.done;
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    expect(afterKill.stderr).toMatch(/grimoire-run watchdog: .* ended the \d+ processes the run left running .*Its database clones are dropped by the next run with the same --database-url\./);
    expect(await clones()).toHaveLength(1);
    // And the test database pytest-django would have made from the clone's name, which its killed session never dropped.
    const [clone] = await clones();
    await pg.query(`CREATE DATABASE "test_${clone}_gw0"`);

    p.write("tests/e2e/test_hang.py", isolatedTest("x"));
    const next = await runCli(managedArgs(mark, db), { cwd: p.root });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/dropped 2 databases \(1 clone, 1 pytest-django test database\) an earlier run left behind: (shop_\d+_grimoire_[0-9a-f]{8}_1|test_shop\S+_gw0), /);
    expect(await clones()).toEqual([]);
  });

  it("keeps a failed file's clone with --keep-failed and says how to connect", async () => {
    const db = template();
    const { p, mark } = managedProject({ "tests/http/test_fails.py": isolatedTest("f", "\ndef test_fails():\n    assert False\n"), "tests/http/test_ok.py": isolatedTest("ok") });
    const result = await runCli(managedArgs(mark, db, ["--keep-failed", "--report-json", "k.json"]), { cwd: p.root });
    expect(result.code).toBe(1);
    const kept = await clones();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/_grimoire_kept_[0-9a-f]{8}_\d+$/);
    // dropdb is told which server: the clone's host, port and user, through a database of the server's own.
    const open = `psql ${pg.url(kept[0] as string)}  (drop it with: dropdb --maintenance-db=${pg.url("postgres")} ${kept[0] as string})`;
    expect(result.stdout).toContain(`kept the database of tests/http/test_fails.py for inspection: ${open}`);
    // The failure names its server's log, kept beside its pytest log, and the clone kept (said again at the end, where
    // the lines said as it was kept have scrolled by: a helper's trial).
    expect(result.stdout).toMatch(/server log: \.grimoire\/logs\/[^/]+\/tests_http_test_fails\.py\.server\.log/);
    expect(result.stdout).toContain(`           database kept: ${open}`);
    const entries = readReport(p, "k.json").files;
    expect(entries.find((f) => f.path === "tests/http/test_fails.py")?.keptDatabase).toBe(open);
    expect(entries.find((f) => f.path === "tests/http/test_ok.py")).not.toHaveProperty("keptDatabase");
    expect((await pg.queryIn(kept[0] as string, "select name from items order by 1")).map((r) => r["name"])).toEqual(["f", "seed"]);
    // The command said drops it, on a server on no default port.
    const drop = /\(drop it with: (dropdb [^)]+)\)/.exec(open)?.[1] as string;
    const dropped = spawnSync("/bin/sh", ["-c", drop], { env: { ...process.env, PATH: `${postgresBin()}:${process.env["PATH"] ?? ""}` }, encoding: "utf8" });
    expect(dropped.status, dropped.stderr).toBe(0);
    expect(await clones()).toEqual([]);
  });
});

describe("servers that fail", () => {
  it("aborts the run with exit 3 when a server exits at once, showing its exit code and last lines", async () => {
    const db = template();
    const { p, mark } = managedProject({ "tests/http/test_a.py": isolatedTest("a"), "tests/http/test_b.py": isolatedTest("b") });
    const result = await runCli(
      ["--parallel", "--server", `python3 -c "import sys; print('cannot start: no config'); sys.exit(7)" ${mark}`, "--database-url", db.url, "--setup", "python3 setup_db.py"],
      { cwd: p.root },
    );
    expect(result.code).toBe(3);
    // The first servers start with the run, before pytest has said which file each slot runs first.
    expect(result.stdout).toMatch(/the server for the first file of slot \d exited before it was ready at http:\/\/127\.0\.0\.1:\d+\/ \(exit code 7\)/);
    // Its log named as every other log of the run is: from the project's root.
    expect(result.stdout).toMatch(/its log: \.grimoire\/logs\/[^/\s]+\/[\w.-]+\.server\.log/);
    expect(result.stdout).toMatch(/│ cannot start: no config/);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("aborts with exit 3 when a server never becomes ready, and kills it", async () => {
    const db = template();
    const { p, mark } = managedProject({ "tests/http/test_a.py": isolatedTest("a") });
    const started = performance.now();
    const result = await runCli(
      ["--parallel", "--server", `python3 -c "import time; print('warming up', flush=True); time.sleep(600)" ${mark}`, "--server-timeout", "2", "--database-url", db.url, "--setup", "python3 setup_db.py"],
      { cwd: p.root },
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/was not ready at http:\/\/127\.0\.0\.1:\d+\/ within 2s \(--server-timeout\)/);
    expect(result.stdout).toMatch(/│ warming up/);
    expect((performance.now() - started) / 1000).toBeLessThan(15);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("tries another port when the chosen one is taken before the server binds it", async () => {
    const db = template();
    // On its first start the server finds its port already taken by another process, as in a real bind race.
    const racing = `import os, pathlib, runpy, socket, sys
port = int(os.environ["PORT"])
flag = pathlib.Path("raced")
if not flag.exists():
    flag.touch()
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    server = socket.socket()
    server.bind(("127.0.0.1", port))
runpy.run_path("app.py", run_name="__main__")
`;
    // Two files on two workers: the servers of both slots start with the run, and whichever meets the race is used (with
    // one file, the second slot's server, unused, was let go, retry and all, and the test flaked under load).
    const { p, mark } = managedProject({ "race.py": racing, "tests/http/test_a.py": isolatedTest("a"), "tests/http/test_b.py": isolatedTest("b") });
    const result = await runCli(["--parallel", "-n", "2", "--server", `python3 race.py ${mark}`, "--database-url", db.url, "--setup", "python3 setup_db.py"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/port \d+ was taken before the server for the first file of slot \d could bind it; trying another port/);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("says a server without {port} listens on a port of its own that is taken, rather than retrying it as a race", async () => {
    // Something holds a port, and each server tries to listen on that one port, as an app that ignores PORT does.
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const held = (holder.address() as net.AddressInfo).port;
    try {
      const { p, mark } = managedProject({ "tests/http/test_a.py": isolatedTest("a") });
      // Node's error names the port (EADDRINUSE … 127.0.0.1:PORT); Python's http.server names none.
      const naming = await runCli(["--parallel", "-n", "1", "--server", `node -e "require('http').createServer().listen(${held}, '127.0.0.1')" ${mark}`], { cwd: p.root });
      expect(naming.code, naming.stdout + naming.stderr).toBe(3);
      expect(naming.stdout).toMatch(new RegExp(`exited before it was ready at http://127\\.0\\.0\\.1:(\\d+)/: port ${held}, where it tried to listen, is taken; each file's server must listen on the port grimoire-run gives it, \\1 here: PORT in its environment \\(--server has no \\{port\\}\\)`));
      expect(naming.stdout).not.toMatch(/trying another port/);
      const silent = await runCli(["--parallel", "-n", "1", "--server", `python3 -m http.server ${held} --bind 127.0.0.1 # ${mark}`], { cwd: p.root });
      expect(silent.code, silent.stdout + silent.stderr).toBe(3);
      expect(silent.stdout).toMatch(/the port it tried to listen on is taken; if it is not the one grimoire-run gave it, each file's server must listen on the port grimoire-run gives it, \d+ here: PORT in its environment \(--server has no \{port\}\)/);
      expect(processesWith(mark)).toEqual([]);
      expect(processesIn(p.root)).toEqual([]);
    } finally {
      holder.close();
    }
  });

  it("exits 3 when --setup fails, and 2 when the database cannot be reached or the template is missing", async () => {
    const { p, mark } = managedProject({ "tests/http/test_a.py": isolatedTest("a") });
    const failingSetup = await runCli(["--parallel", "--server", `python3 app.py ${mark}`, "--database-url", template().url, "--setup", "python3 -c \"import sys; print('migration 0003 failed'); sys.exit(1)\""], { cwd: p.root });
    expect(failingSetup.code).toBe(3);
    expect(failingSetup.stderr + failingSetup.stdout).toMatch(/--setup .* exited with code 1/);

    const missing = await runCli(["--parallel", "--server", `python3 app.py ${mark}`, "--database-url", pg.url("no_such_template")], { cwd: p.root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/template database "no_such_template" does not exist/);
    // What to read is managed mode's docs, not the options (a helper's "connection refused" was followed by --help's line).
    expect(missing.stderr).toMatch(/^Managed mode clones the PostgreSQL template database --database-url names/m);
    expect(missing.stderr).not.toMatch(/--help for the options/);

    const unreachable = await runCli(["--parallel", "--database-url", "postgresql://postgres:secret@127.0.0.1:1/shop"], { cwd: p.root });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot connect to PostgreSQL/);
    expect(unreachable.stderr).not.toContain("secret");
    expect(unreachable.stderr).toMatch(/^Managed mode clones the PostgreSQL template database --database-url names/m);
    expect(await clones()).toEqual([]);
  });
});

describe("the bundled example", () => {
  it("runs the Bookshop http suite with a server and a PostgreSQL clone per file", async () => {
    const example = path.resolve(import.meta.dirname, "../../examples/bookshop");
    const logDir = project({});
    const db = template(`bookshop_${++templateCount}`);
    const result = await runCli(
      ["--parallel", "--scope", "http", "--server", "python3 app.py --port {port}", "--server-ready", "http://127.0.0.1:{port}/health", "--database-url", db.url, "--setup", "python3 setup_db.py", "--log-dir", logDir.root, "--report-json", path.join(logDir.root, "r.json")],
      { cwd: example },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = readReport(logDir, "r.json");
    expect(report.files.length).toBe(5);
    expect(report.files.every((f) => f.status === "passed")).toBe(true);
    expect(await clones()).toEqual([]);
    expect((await pg.queryIn(db.name, "select count(*) as n from books"))[0]?.["n"]).toBe("5");
  });
});

describe("set-up off the critical path", () => {
  /** The app, slow to come up: it says when it started, and only listens 1.5 s later. */
  const SLOW_APP = `import os, sys, time
with open(os.environ["TIMES"], "a") as out:
    out.write(f"server {os.environ['PORT']} {time.time()}\\n")
time.sleep(1.5)
${APP}`;
  /** Each test says which server it used, and when it began and ended. */
  const TIMED_TEST = `import os, time, urllib.request

def test_uses_its_server():
    port = os.environ["E2E_BASE_URL"].rsplit(":", 1)[1].rstrip("/")
    with open(os.environ["TIMES"], "a") as out:
        out.write(f"start {port} {time.time()} {os.environ['GRIMOIRE_SLOT']}\\n")
    urllib.request.urlopen(os.environ["E2E_BASE_URL"] + "/db").read()
    time.sleep(2)
    with open(os.environ["TIMES"], "a") as out:
        out.write(f"end {port} {time.time()} {os.environ['GRIMOIRE_SLOT']}\\n")
`;

  it("prepares each slot's next server and clone while its file runs, and cleans up the one no file took", async () => {
    const db = template();
    const files: Record<string, string> = { "slow_app.py": SLOW_APP };
    for (let i = 0; i < 6; i++) files[`tests/http/test_${i}.py`] = TIMED_TEST;
    const { p, mark } = managedProject(files);
    const times = path.join(p.root, "times.txt");
    const result = await runCli(["--parallel", "-n", "2", "--server", `python3 slow_app.py ${mark}`, "--database-url", db.url, "--setup", "python3 setup_db.py"], {
      cwd: p.root,
      env: { ...process.env, ...{ PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1", CI: "1", TIMES: times } },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = fs.readFileSync(times, "utf8").trim().split("\n").map((l) => l.split(" "));
    const servers = lines.filter((l) => l[0] === "server").map((l) => ({ port: l[1], started: Number(l[2]) }));
    // A port may serve two servers in turn: a file's server is the last started on its port before the file began.
    const serverStartedFor = (run: { port: string; start: number }): number => Math.max(...servers.filter((s) => s.port === run.port && s.started < run.start).map((s) => s.started));
    const runs = lines.filter((l) => l[0] === "start").map((l) => ({ port: l[1] as string, slot: l[3], start: Number(l[2]), end: Number(lines.find((e) => e[0] === "end" && e[1] === l[1])?.[2]) }));
    expect(runs).toHaveLength(6);
    // Every file after a slot's first ran on a server that was started while the slot's previous file ran.
    for (const slot of ["0", "1"]) {
      const mine = runs.filter((r) => r.slot === slot).sort((a, b) => a.start - b.start);
      for (let i = 1; i < mine.length; i++) {
        const started = serverStartedFor(mine[i] as { port: string; start: number });
        expect(Number.isFinite(started)).toBe(true);
        expect(started).toBeLessThan(mine[i - 1]?.end as number);
      }
    }
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("starts the first slots' servers while pytest lists the files, and stops those of slots the run has no file for", async () => {
    // The listing session waits (30 s at most) for a server to have started, and writes down which had.
    const conftest = `import os, pathlib, time

if os.environ.get("GRIMOIRE_LIST_FILE"):
    deadline = time.monotonic() + 30
    while not list(pathlib.Path(".").glob("started-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    pathlib.Path("listing-saw").write_text(" ".join(sorted(p.name for p in pathlib.Path(".").glob("started-*"))))
`;
    const test = `import os, urllib.request\n\ndef test_its_server():\n    assert urllib.request.urlopen(os.environ["E2E_BASE_URL"]).status == 200\n`;
    const p = project({ "tests/http/conftest.py": conftest, "tests/http/test_a.py": test, "tests/http/test_b.py": test });
    const started = performance.now();
    // Each server marks its start, then serves the project's folder.
    const result = await runCli(["--parallel", "-n", "3", "--server", "touch started-{slot} && exec python3 -m http.server {port} --bind 127.0.0.1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(fs.readFileSync(path.join(p.root, "listing-saw"), "utf8")).toMatch(/started-\d/);
    // Three slots' servers started with the run; two files kept two, and the third was stopped, its log removed.
    expect(fs.readdirSync(p.root).filter((name) => name.startsWith("started-")).sort()).toEqual(["started-0", "started-1", "started-2"]);
    const logs = path.join(p.root, ".grimoire", "logs");
    const logFiles = fs.readdirSync(logs).flatMap((run) => (fs.statSync(path.join(logs, run)).isDirectory() ? fs.readdirSync(path.join(logs, run)) : []));
    expect(logFiles.filter((name) => name.endsWith(".server.log")).sort()).toEqual(["tests_http_test_a.py.server.log", "tests_http_test_b.py.server.log"]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("starts each slot's second server only once pytest has listed the files", async () => {
    // The listing session waits (30 s at most) for the first slots' servers, and writes down how many servers had started.
    const conftest = `import os, pathlib, time

if os.environ.get("GRIMOIRE_LIST_FILE"):
    starts = pathlib.Path("starts")
    deadline = time.monotonic() + 30
    while (not starts.exists() or len(starts.read_text().split()) < 2) and time.monotonic() < deadline:
        time.sleep(0.02)
    pathlib.Path("listing-saw").write_text(str(len(starts.read_text().split())))
`;
    const test = `import os, urllib.request\n\ndef test_its_server():\n    assert urllib.request.urlopen(os.environ["E2E_BASE_URL"]).status == 200\n`;
    const files: Record<string, string> = { "tests/http/conftest.py": conftest };
    for (const name of ["a", "b", "c", "d"]) files[`tests/http/test_${name}.py`] = test;
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--server", "echo {slot} >> starts && exec python3 -m http.server {port} --bind 127.0.0.1"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Both slots' first servers started with the run, before the listing ended; their second ones only after it.
    expect(fs.readFileSync(path.join(p.root, "listing-saw"), "utf8")).toBe("2");
    const starts = fs.readFileSync(path.join(p.root, "starts"), "utf8").split(/\s+/).filter(Boolean).sort();
    expect(starts).toEqual(["0", "0", "1", "1"]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("goes on to a slot's next file while the last file's server stops and its clone is dropped", async () => {
    // A server that takes 1.5 s to stop once told to, and notes when it has.
    const slowToStop = `import os, signal, time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

def stop(*_):
    time.sleep(1.5)
    with open(os.environ["TIMES"], "a") as out:
        out.write(f"stopped {os.environ['PORT']} {time.time()}\\n")
    os._exit(0)

signal.signal(signal.SIGTERM, stop)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), SimpleHTTPRequestHandler).serve_forever()
`;
    const test = `import os, time, urllib.request

def test_its_server():
    port = os.environ["E2E_BASE_URL"].rsplit(":", 1)[1].rstrip("/")
    with open(os.environ["TIMES"], "a") as out:
        out.write(f"start {port} {time.time()}\\n")
    assert urllib.request.urlopen(os.environ["E2E_BASE_URL"]).status == 200
`;
    const db = template();
    const { p, mark } = managedProject({ "slow_stop.py": slowToStop, "tests/http/test_a.py": test, "tests/http/test_b.py": test, "tests/http/test_c.py": test });
    const times = path.join(p.root, "times.txt");
    const result = await runCli(["--parallel", "-n", "1", "--server", `python3 slow_stop.py ${mark}`, "--database-url", db.url, "--setup", "python3 setup_db.py"], {
      cwd: p.root,
      env: { ...process.env, PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1", CI: "1", TIMES: times },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = fs.readFileSync(times, "utf8").trim().split("\n").map((l) => l.split(" "));
    const starts = lines.filter((l) => l[0] === "start").map((l) => ({ port: l[1], at: Number(l[2]) })).sort((a, b) => a.at - b.at);
    const stopped = new Map(lines.filter((l) => l[0] === "stopped").map((l) => [l[1], Number(l[2])]));
    expect(starts).toHaveLength(3);
    // Every file's server was stopped (the run waited for them all), and the next file had begun before it was.
    for (let i = 1; i < starts.length; i++) {
      const before = stopped.get((starts[i - 1] as { port: string }).port);
      expect(before).toBeDefined();
      expect((starts[i] as { at: number }).at).toBeLessThan(before as number);
    }
    expect(stopped.size).toBe(3);
    expect(await clones()).toEqual([]);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("runs no more files at once than PostgreSQL has connections for, and says so", async () => {
    // 15, 3 of them for superusers, 1 the run's own: 11, room for 2 clones. The server's own processes take none (5 rows
    // of pg_stat_activity here, counted before: room for 1).
    const small = await startPostgres({ maxConnections: 15 });
    try {
      const db = { url: small.url("shop_small") };
      const { p, mark } = managedProject({ "tests/http/test_a.py": isolatedTest("a"), "tests/http/test_b.py": isolatedTest("b"), "tests/http/test_c.py": isolatedTest("c") });
      const result = await runCli(managedArgs(mark, db, ["-n", "3"]), { cwd: p.root });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/PostgreSQL has connections for 2 more clones \(5 connections each\): running at most 2 files at once/);
      expect(result.stdout).toMatch(/leaves room to prepare no file ahead/);
      expect(processesWith(mark)).toEqual([]);
    } finally {
      await small.stop();
    }
  });
});
