/**
 * Issue 7: the fork server makes each file's pytest cheap to start, and each
 * file must still run in a fresh process of its own, as `python -m pytest
 * FILE` would.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ForkServer } from "../../src/exec/forkServer.js";
import { outcomesOf, processesIn, processesWith, type Project, readReport, runCli, startCli, temporaryProjects, testEnv, uniqueMarker, until } from "../helpers/project.js";

const project = temporaryProjects();

/** The test environment with the project's `site-packages` folder on PYTHONPATH: what it holds counts as installed. */
const withSitePackages = (p: Project): NodeJS.ProcessEnv => testEnv({ PYTHONPATH: path.join(p.root, "site-packages") });

/** How many imports of package `name` its module noted in the project's imports.txt (a line "NAME PID" per import). */
const importsOf = (p: Project, name: string): number => p.read("imports.txt").trim().split("\n").filter((line) => line.startsWith(`${name} `)).length;

function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** Records what a test file's process looks like, for the test to compare across files. */
const probe = (name: string) => `import atexit, json, os, pathlib, random, sys
import shared_state

shared_state.touched_by.append(${JSON.stringify(name)})
os.environ["LEAKED_FROM_" + ${JSON.stringify(name)}] = "1"

def test_probe():
    pathlib.Path("seen", ${JSON.stringify(name)} + ".json").write_text(json.dumps({
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "pgid": os.getpgid(0),
        "sid": os.getsid(0),
        "touched_by": shared_state.touched_by,
        "leaked": sorted(k for k in os.environ if k.startswith("LEAKED_FROM_")),
        "random": random.random(),
        "cwd": os.getcwd(),
        "path": sys.path[:3],
        "slot": os.environ["GRIMOIRE_SLOT"],
        "argv0": sys.argv[0],
    }))
    atexit.register(lambda: pathlib.Path("seen", ${JSON.stringify(name)} + ".atexit").touch())
`;

function probeProject(count: number): Project {
  const files: Record<string, string> = { "shared_state.py": "touched_by = []\n" };
  for (let i = 0; i < count; i++) files[`tests/http/test_${i}.py`] = probe(`f${i}`);
  const p = project(files);
  fs.mkdirSync(path.join(p.root, "seen"));
  return p;
}

function seen(p: Project): Record<string, { pid: number; ppid: number; pgid: number; sid: number; touched_by: string[]; leaked: string[]; random: number; cwd: string; path: string[]; atexit?: boolean }> {
  const dir = path.join(p.root, "seen");
  const result: ReturnType<typeof seen> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const name = file.replace(/\.json$/, "");
    result[name] = { ...JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")), atexit: fs.existsSync(path.join(dir, `${name}.atexit`)) };
  }
  return result;
}

describe("the fork server", () => {
  it("runs each file in a fresh process of its own: own pid, session and group, no state from other files", async () => {
    const p = probeProject(6);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/tests\/http\/test_0\.py: \(forked\) python3 -m pytest/);
    // Its folder argument is limited to the file by a file the line names, kept in the log folder.
    const only = /tests\/http\/test_0\.py: .* tests\/http {2}\(only this file: GRIMOIRE_ONLY_FILES=(\S+)\)$/m.exec(result.stdout)?.[1];
    expect(only, result.stdout).toBeDefined();
    expect(p.read(only ?? "")).toBe(`${path.join(fs.realpathSync(p.root), "tests", "http", "test_0.py")}\n`);
    const files = Object.values(seen(p));
    expect(files).toHaveLength(6);
    expect(new Set(files.map((f) => f.pid)).size).toBe(6);
    // Forked by one server, not by grimoire-run itself.
    expect(new Set(files.map((f) => f.ppid)).size).toBe(1);
    for (const file of files) {
      expect(file.pgid).toBe(file.pid);
      expect(file.sid).toBe(file.pid);
      expect(file.touched_by).toHaveLength(1);
      expect(file.leaked).toHaveLength(1);
      expect(file.cwd).toBe(fs.realpathSync(p.root));
      // As `python -m pytest` from the project root has it: the test's folder, inserted by pytest, then the root.
      expect(file.path.slice(0, 2)).toEqual([path.join(fs.realpathSync(p.root), "tests", "http"), fs.realpathSync(p.root)]);
      expect(file.atexit).toBe(true);
    }
    expect(new Set(files.map((f) => f.random)).size).toBe(6);
  });

  it("lists the files in a process the server forks before it warms up, and the files in processes it forks after", async () => {
    const p = probeProject(2);
    // The listing's process notes its parent (the same server as the files') and whether the server had warmed up
    // when it forked it: the warm-up leaves its memory of plugins' fixture names in pytest (grimoire_run_fixture_names).
    fs.writeFileSync(
      path.join(p.root, "conftest.py"),
      'import os, pathlib, _pytest.fixtures\nwarm = "dir" in vars(_pytest.fixtures)\nif os.environ.get("GRIMOIRE_LIST_FILE"):\n    pathlib.Path("seen", "listing.txt").write_text(f"{os.getppid()} {warm}")\nelse:\n    pathlib.Path("seen", f"file-{os.getpid()}.txt").write_text(str(warm))\n',
    );
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const files = Object.values(seen(p));
    expect(files).toHaveLength(2);
    expect(fs.readFileSync(path.join(p.root, "seen", "listing.txt"), "utf8")).toBe(`${String(files[0]?.ppid)} False`);
    for (const file of files) expect(fs.readFileSync(path.join(p.root, "seen", `file-${String(file.pid)}.txt`), "utf8")).toBe("True");
  });

  it("--no-fork-server starts each pytest afresh, with the same results", async () => {
    const p = probeProject(3);
    const result = await runCli(["--parallel", "-n", "2", "--no-fork-server", "--verbose"], { cwd: p.root });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\(forked\)/);
    const files = Object.values(seen(p));
    expect(files.every((f) => f.touched_by.length === 1 && f.pgid === f.pid && f.atexit === true)).toBe(true);
  });

  it("when the server dies, its running files fail with the reason, and the rest start afresh", async () => {
    const mark = uniqueMarker("zygote");
    const p = project({
      "tests/http/test_0_kills_server.py": `import os, signal, subprocess, sys, time

def test_kill_my_parent():
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", ${JSON.stringify(mark)}])
    os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(600)
`,
      ...Object.fromEntries([1, 2, 3].map((i) => [`tests/http/test_${i}.py`, "def test_ok():\n    pass\n"])),
    });
    const result = await runCli(["--parallel", "-n", "1", "--order", "name", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    const report = readReport(p, "r.json");
    const killer = report.files.find((f) => f.path === "tests/http/test_0_kills_server.py");
    expect(killer?.status).toBe("failed");
    expect(result.stdout).toMatch(/stopped when the fork server exited/);
    expect(report.files.filter((f) => f.status === "passed")).toHaveLength(3);
    expect(processesWith(mark)).toEqual([]);
  });

  /** A file that starts a grandchild, says READY, then hangs; its processes all work in the project folder. */
  const hanging = (mark: string) => `import subprocess, sys, time

def test_hang():
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", ${JSON.stringify(mark)}])
    print("READY", flush=True)
    time.sleep(600)
`;

  it("a grimoire-run killed with SIGKILL leaves no forked pytest running: the server ends them", async () => {
    const mark = uniqueMarker("sigkilled");
    const p = project({ "tests/http/test_hang_a.py": hanging(mark), "tests/http/test_hang_b.py": hanging(mark) });
    const cli = startCli(["--parallel", "-n", "2", "--kill-grace", "1", "--", "-s"], { cwd: p.root });
    await cli.waitForOutput(/READY/, 2);
    // The server, its two forked files and their grandchildren.
    expect(processesIn(p.root).length).toBeGreaterThanOrEqual(5);
    cli.child.kill("SIGKILL");
    await cli.done;
    await until(() => processesIn(p.root).length === 0, "the server and every process it forked are gone");
    expect(processesWith(mark)).toEqual([]);
  });

  it("when the server is sent SIGTERM, its running files end and are reported failed, and the rest run afresh", async () => {
    const mark = uniqueMarker("termed");
    const p = project({ "tests/http/test_hang.py": hanging(mark), "tests/http/test_ok.py": "def test_ok():\n    pass\n" });
    const cli = startCli(["--parallel", "-n", "1", "--order", "name", "--report-json", "r.json", "--", "-s"], { cwd: p.root });
    await cli.waitForOutput(/READY/);
    // Its forked files carry its command line too; the server is the one grimoire-run started (the early Python, which
    // became the fork server: process/earlyPython.ts).
    const serverPid = processesWith("-m grimoire_run_early").find((pid) => parentOf(pid) === cli.child.pid);
    expect(serverPid).toBeDefined();
    process.kill(serverPid as number, "SIGTERM");
    const result = await cli.done;
    expect(result.code).toBe(1);
    expect(processesWith(mark)).toEqual([]);
    expect(processesIn(p.root)).toEqual([]);
    const report = readReport(p, "r.json");
    expect(report.files.find((f) => f.path === "tests/http/test_hang.py")?.status).toBe("failed");
    expect(report.files.find((f) => f.path === "tests/http/test_ok.py")?.status).toBe("passed");
  });

  it("falls back to fresh processes, and says so, when the server cannot be used", async () => {
    // A site hook that starts a thread in every Python: forking such a process is unsafe.
    const p = project({
      "site/sitecustomize.py": "import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n",
      "tests/http/test_a.py": "def test_a():\n    pass\n",
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    const result = await runCli(["--parallel", "--verbose"], { cwd: p.root, env: testEnv({ PYTHONPATH: path.join(p.root, "site") }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/starting each pytest afresh: the fork server is not available \(the Python's start-up started a thread \(time\), and forking a process with threads is unsafe\)/);
    expect(result.stdout).not.toMatch(/\(forked\)/);
  });
});

describe("the fork server's two paths to grimoire-run", () => {
  // A stand-in server that tells of each file's start and exit before the file's output connection is even made:
  // the worst order in which grimoire-run can hear of a file that ends at once (its events and its output come by
  // different paths). The real server connects before it forks; grimoire-run must still wait for the output.
  const LATE_OUTPUT_SERVER = `import json, os, socket, sys, time
print(json.dumps({"op": "ready", "pid": os.getpid()}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"op": "started", "id": request["id"], "pid": os.getpid()}), flush=True)
    print(json.dumps({"op": "exited", "id": request["id"], "code": 1}), flush=True)
    time.sleep(0.3)
    output = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    output.connect(request["socket"])
    output.sendall(f"{request['id']}\\nwhat the file printed before it failed\\n".encode())
    output.close()
`;

  it("keeps a file's output that arrives after its exit", async () => {
    const p = project({});
    const server = await ForkServer.start({ python: { command: "python3", args: ["-c", LATE_OUTPUT_SERVER], source: "test" }, root: p.root, env: testEnv(), runId: uniqueMarker("late"), killGraceMs: 1000 });
    if (typeof server === "string") throw new Error(server);
    try {
      const child = await server.launch({ command: "unused", args: [], cwd: p.root, env: testEnv(), stdin: "ignore", pytestArgs: ["tests"] });
      const chunks: Buffer[] = [];
      for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe("what the file printed before it failed\n");
      expect((await child.exited).code).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe("--preload", () => {
  /** Notes each import of itself in a file, with the pid that did it. */
  const COUNTED = (name: string, reads = "") => `import os
${reads}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "imports.txt"), "a") as out:
    out.write("${name} " + str(os.getpid()) + "\\n")
VALUE = 42
`;
  const USES = "import heavy, settings_at_import\n\ndef test_uses():\n    assert heavy.VALUE == 42\n    assert settings_at_import.SLOT == __import__('os').environ['GRIMOIRE_SLOT']\n";

  it("imports a module once in the fork server for every file, and refuses one that reads what each file sets for itself", async () => {
    const files: Record<string, string> = { "heavy.py": COUNTED("heavy"), "settings_at_import.py": COUNTED("settings", 'SLOT = os.environ.get("GRIMOIRE_SLOT")') };
    for (let i = 0; i < 4; i++) files[`tests/http/test_${i}.py`] = USES;
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--preload", "heavy,settings_at_import"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const imports = p.read("imports.txt").trim().split("\n").map((line) => line.split(" ")[0]);
    // heavy: tried in a child, then once in the server; settings_at_import: refused, so imported by each of the 4 files (plus the refused try).
    expect(imports.filter((name) => name === "heavy")).toHaveLength(2);
    expect(imports.filter((name) => name === "settings")).toHaveLength(5);
    expect(result.stderr).toMatch(/not preloading settings_at_import: its import reads GRIMOIRE_SLOT, which each file sets for itself; each file imports it itself/);
  });

  it("says so when a module it preloads read at import a variable the conftests then set (structlog and FORCE_COLOR)", async () => {
    const files: Record<string, string> = {
      "colourlib.py": 'import os\nCOLOUR = os.environ.get("FORCE_COLOR") == "1"\n',
      "quietlib.py": 'import os\nQUIET = os.environ.get("QUIET_LIB")\n',
      "tests/conftest.py": 'import os\nos.environ["FORCE_COLOR"] = "1"\nimport colourlib, quietlib\n',
    };
    for (let i = 0; i < 2; i++) files[`tests/http/test_${i}.py`] = "import colourlib\n\ndef test_colour():\n    assert colourlib.COLOUR\n";
    const p = project(files);
    const plain = await runCli(["--parallel", "-n", "2", "--no-fork-server", "--preload", "colourlib"], { cwd: p.root });
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    const preloaded = await runCli(["--parallel", "-n", "2", "--preload", "colourlib,quietlib", "--verbose"], { cwd: p.root });
    // The preload changes the outcome, as it would for the user: what the run must not leave unsaid.
    expect(preloaded.code).toBe(1);
    expect(preloaded.stdout).toMatch(/imported once for every file \(--preload\): colourlib, quietlib/);
    expect(preloaded.stderr).toMatch(/--preload colourlib: its import in the fork server read FORCE_COLOR before any conftest ran, and the conftests or plugins then set or changed FORCE_COLOR/);
    // quietlib read QUIET_LIB, which nothing changed.
    expect(preloaded.stderr).not.toMatch(/--preload quietlib/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("refuses a module that warns at import: each file's import is where the project's warning filters see it", async () => {
    // Under `filterwarnings = error` plain pytest fails each file on the warning; a preload must not turn that green.
    const files: Record<string, string> = {
      "pytest.ini": "[pytest]\nfilterwarnings =\n    error\n",
      "oldlib.py": 'import warnings\nwarnings.warn("oldlib is deprecated", DeprecationWarning)\nVALUE = 1\n',
    };
    for (let i = 0; i < 2; i++) files[`tests/http/test_${i}.py`] = "import oldlib\n\ndef test_uses():\n    assert oldlib.VALUE == 1\n";
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--preload", "oldlib", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toMatch(/not preloading oldlib: its import warns \(DeprecationWarning: oldlib is deprecated\), and pytest's warning filters decide what that does in each file/);
    expect(readReport(p, "r.json").files.map((file) => file.status)).toEqual(["failed", "failed"]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("leaves a file's own multiprocessing children joined at its end, as a fresh process does, where the server imported multiprocessing", async () => {
    // multiprocessing's exit handler joins the non-daemonic children a test started: registered in the server, it was dropped with the server's.
    const test = [
      "import multiprocessing, pathlib, time",
      "def write():",
      "    time.sleep(0.5)",
      "    pathlib.Path('child-wrote').write_text('yes')",
      "def test_starts_a_child():",
      "    multiprocessing.get_context('fork').Process(target=write).start()",
      "",
    ].join("\n");
    const p = project({ "tests/http/test_child.py": test });
    const result = await runCli(["--parallel", "--preload", "multiprocessing.pool"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(p.read("child-wrote")).toBe("yes");
    expect(result.stderr + result.stdout).not.toMatch(/left \d+ process/);
  });

  it("imports once what the conftests import from an installed package (auto-preload), never what reads a file's own variables or starts a thread", async () => {
    // Three installed packages (a site-packages folder on PYTHONPATH), each noting its imports in the project folder, and the conftest importing them.
    const site = (name: string, extra = "") => ({ [`site-packages/${name}/__init__.py`]: `import os\n${extra}\nwith open("imports.txt", "a") as out:\n    out.write("${name} " + str(os.getpid()) + "\\n")\n` });
    const files: Record<string, string> = {
      ...site("heavylib"),
      ...site("slotlib", 'SLOT = os.environ.get("GRIMOIRE_SLOT")'),
      ...site("envscan", 'PREFIXED = {k: v for k, v in os.environ.items() if k.startswith("ENVSCAN_")}'),
      // An installed package that reads the project's own settings module at import: never the project's code.
      ...site("settingsreader", "import proj_settings"),
      "proj_settings.py": "DEBUG = True\n",
      "tests/conftest.py": "import heavylib, slotlib, envscan, settingsreader\n",
    };
    for (let i = 0; i < 4; i++) files[`tests/http/test_${i}.py`] = "import os, slotlib\n\ndef test_uses():\n    assert slotlib.SLOT == os.environ['GRIMOIRE_SLOT']\n";
    const p = project(files);
    const env = withSitePackages(p);
    const importsBy = (name: string): number => importsOf(p, name);

    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for every file \(auto-preload, the conftests import them\): envscan, heavylib/);
    expect(result.stdout).toMatch(/not preloading slotlib: its import reads GRIMOIRE_SLOT/);
    expect(result.stdout).toMatch(/not preloading settingsreader: its import imported the project's own code \(proj_settings\)/);
    // The listing's import, the try in a child, then the server's; no file imports them again. slotlib: the listing's, the refused try, and each file's.
    expect(importsBy("heavylib")).toBe(3);
    expect(importsBy("envscan")).toBe(3);
    expect(importsBy("slotlib")).toBe(6);

    p.write("imports.txt", "");
    const off = await runCli(["--parallel", "-n", "2", "--no-auto-preload"], { cwd: p.root, env });
    expect(off.code, off.stdout + off.stderr).toBe(0);
    expect(importsBy("heavylib")).toBe(5);

    // Not while pytest-cov measures: a package imported before coverage starts would have its module-level lines missed.
    p.write("imports.txt", "");
    const measured = await runCli(["--parallel", "-n", "2", "--", "-p", "pytest_cov", "--cov=heavylib"], { cwd: p.root, env });
    expect(measured.code, measured.stdout + measured.stderr).toBe(0);
    expect(importsBy("heavylib")).toBe(5);

    // A package that starts a thread at import: the server forks no more, the files start afresh, and say so.
    p.write("site-packages/heavylib/__init__.py", "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n");
    const threaded = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env });
    expect(threaded.code, threaded.stdout + threaded.stderr).toBe(0);
    expect(threaded.stdout).toMatch(/the fork server forks no more files \(a module it preloaded \(.*heavylib.*\) started a thread/);
    expect(threaded.stdout).not.toMatch(/\(forked\).*test_0\.py/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("preloads a settings module that copies the environment with the run's E2E_BASE_URL in it, and refuses one that leaves a file open", async () => {
    const files: Record<string, string> = {
      // Snapshots the environment at import: preloaded without the base URL, every file would test the default server.
      "site-packages/appsettings.py": 'import os\n_ENV = dict(os.environ)\nBASE_URL = _ENV.get("E2E_BASE_URL", "http://localhost:8000")\n',
      // Opens its log at import: each forked file closes what the server holds open, and its lines would go astray.
      "site-packages/auditlog.py": 'LOG = open("audit.log", "a")\n',
      "tests/conftest.py": "import appsettings, auditlog\n",
      "tests/http/test_target.py": "import os, appsettings\n\ndef test_base_url():\n    assert appsettings.BASE_URL == os.environ['E2E_BASE_URL']\n",
      "tests/http/test_audit.py": "import os, auditlog\n\ndef test_logged():\n    token = f'token-{os.getpid()}'\n    auditlog.LOG.write(token + '\\n')\n    auditlog.LOG.flush()\n    with open('audit.log') as log:\n        assert token in log.read()\n",
    };
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--verbose", "--base-url", "http://127.0.0.1:9/"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for every file \(auto-preload, the conftests import them\): appsettings\n/);
    expect(result.stdout).toMatch(/not preloading auditlog: its import left open \S*audit\.log, which each forked file would lose/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("gives a preloaded module that keeps sys.stdin, sys.stdout or sys.stderr from its import pytest's capture of it, as a plain run's import gives it (dnspython's Tokenizer)", async () => {
    const files: Record<string, string> = {
      // Kept as a default argument (dnspython's `Tokenizer(f=sys.stdin)`), a logging handler's stream, a module's name.
      "site-packages/streamlib.py":
        "import logging, sys\n\ndef source(f=sys.stdin):\n    return '<stdin>' if f is sys.stdin else '<file>'\n\nLOG = logging.getLogger('streamlib')\nLOG.addHandler(logging.StreamHandler())\nOUT = sys.stdout\n\ndef shout(text):\n    print(text, file=OUT)\n    LOG.warning(text)\n",
      // Keeps one where no file could be given its own: refused, and imported by each file.
      "site-packages/tuplelib.py": "import sys\nSTREAMS = (sys.stdout, sys.stderr)\n",
      "tests/conftest.py": "import streamlib, tuplelib\n",
    };
    for (const n of [1, 2]) {
      files[`tests/http/test_streams${n}.py`] =
        "import sys, streamlib, tuplelib\n\ndef test_default_is_stdin():\n    assert streamlib.source() == '<stdin>'\n\ndef test_captured(request):\n    streamlib.shout('hello')\n    out, err = request.config.pluginmanager.getplugin('capturemanager').read_global_capture()\n    assert 'hello' in out and 'hello' in err\n\ndef test_tuple():\n    assert tuplelib.STREAMS[0] is sys.stdout\n";
    }
    const p = project(files);
    const env = withSitePackages(p);
    const plain = spawnSync("python3", ["-m", "pytest", "-p", "no:cacheprovider", "tests/http"], { cwd: p.root, env, encoding: "utf8" });
    expect(plain.status, plain.stdout).toBe(0);
    for (const mode of [[], ["--pack"]]) {
      const result = await runCli(["--parallel", "-n", "2", "--verbose", ...mode], { cwd: p.root, env });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/imported once for every file \(auto-preload, the conftests import them\): streamlib\n/);
      expect(result.stdout).toMatch(/not preloading tuplelib: its import keeps sys.stdout in a tuple where each file could not be given pytest's capture of it/);
    }
    expect(processesIn(p.root)).toEqual([]);
  });

  it("leaves pytest-twisted's reactor to each file's session: a project's --reactor=asyncio passes as under plain pytest (scrapy's suite)", async () => {
    // pytest-twisted's way, in small: its pytest_configure installs the reactor --reactor names, one a process, and fails
    // on another one installed already. The warm-up configured it in the server: every file found the default one.
    const twistedLike = [
      "import sys, types",
      "",
      "def pytest_addoption(parser):",
      "    parser.addoption('--reactor', default='default')",
      "",
      "def pytest_configure(config):",
      "    wanted = config.getoption('reactor')",
      "    installed = sys.modules.get('fake_reactor')",
      "    if installed is None:",
      "        sys.modules['fake_reactor'] = types.SimpleNamespace(kind=wanted)",
      "    elif installed.kind != wanted:",
      "        raise RuntimeError(f'expected the {wanted} reactor but found the {installed.kind} one')",
      "",
    ].join("\n");
    const files: Record<string, string> = {
      "site-packages/pytest_twisted.py": twistedLike,
      "site-packages/pytest_twisted-1.14.dist-info/METADATA": "Metadata-Version: 2.1\nName: pytest-twisted\nVersion: 1.14\n",
      "site-packages/pytest_twisted-1.14.dist-info/entry_points.txt": "[pytest11]\ntwisted = pytest_twisted\n",
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = ["--reactor=asyncio"]\n',
    };
    for (const n of [1, 2]) files[`tests/http/test_reactor${n}.py`] = "import sys\n\ndef test_reactor():\n    assert sys.modules['fake_reactor'].kind == 'asyncio'\n";
    const p = project(files);
    // Entry points load, as in a user's pytest: pytest-twisted is one.
    const env = testEnv({ PYTHONPATH: path.join(p.root, "site-packages"), PYTEST_DISABLE_PLUGIN_AUTOLOAD: undefined });
    const plain = spawnSync("python3", ["-m", "pytest", "-p", "no:cacheprovider", "tests/http"], { cwd: p.root, env, encoding: "utf8" });
    expect(plain.status, plain.stdout).toBe(0);
    for (const mode of [["--parallel", "-n", "2"], ["tests/http/test_reactor1.py"]]) {
      const result = await runCli(mode, { cwd: p.root, env });
      expect(result.code, result.stdout + result.stderr).toBe(0);
    }
    expect(processesIn(p.root)).toEqual([]);
  });

  it("leaves a preloaded module that keeps os.environ the process's own, where a test's monkeypatch.setenv reaches it (rich's Console, typer's suite)", async () => {
    const files: Record<string, string> = { "site-packages/envholder.py": "import os\nENVIRON = os.environ\n", "tests/conftest.py": "import envholder\n" };
    for (let i = 0; i < 2; i++) files[`tests/http/test_${i}.py`] = "import os, envholder\n\ndef test_sees_setenv(monkeypatch):\n    monkeypatch.setenv('COLUMNS', '200')\n    assert envholder.ENVIRON is os.environ\n    assert envholder.ENVIRON['COLUMNS'] == '200'\n";
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for every file \(auto-preload, the conftests import them\): envholder\n/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("leaves to each file a package the conftest imports after setting the variables it reads at import", async () => {
    const files: Record<string, string> = {
      "site-packages/strictlib.py": 'import os\nMODE = os.environ.get("STRICTLIB_MODE", "default")\nSTRICT = os.environ.get("STRICTLIB_STRICT") == "1"\n\ndef check(x):\n    if STRICT and x < 0:\n        raise ValueError("negative")\n    return x\n',
      "tests/conftest.py": 'import os\nos.environ["STRICTLIB_MODE"] = "test"\nos.environ["STRICTLIB_STRICT"] = "1"\nimport strictlib\n',
      "tests/http/test_mode.py": "import strictlib\n\ndef test_mode():\n    assert strictlib.MODE == 'test'\n",
      // A real bug the strict mode the conftest asks for catches: preloaded without it, a false pass.
      "tests/http/test_bug.py": "import strictlib\n\ndef test_bug():\n    strictlib.check(-1)\n",
    };
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--verbose", "--report-json", "r.json"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(Object.fromEntries(readReport(p, "r.json").files.map((f) => [f.path, f.status]))).toEqual({ "tests/http/test_mode.py": "passed", "tests/http/test_bug.py": "failed" });
    expect(result.stdout).not.toMatch(/imported once for every file \(auto-preload[^\n]*strictlib/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("leaves to each file a package the app imports after configuring logging, whose logger the configuration would disable", async () => {
    // A helper's trial: an app calling dictConfig, then importing httpx; preloaded, httpx's logger existed before the
    // configuration in every file and was disabled, and the tests of its request log failed where plain pytest passes.
    const files: Record<string, string> = {
      "site-packages/clientlib.py": 'import logging\nLOG = logging.getLogger("clientlib")\n\ndef get(url):\n    LOG.info("HTTP Request: GET %s", url)\n',
      "app/__init__.py": 'import logging.config\nlogging.config.dictConfig({"version": 1, "root": {"level": "INFO"}})\nimport clientlib\n',
      "tests/conftest.py": "import app\n",
    };
    for (const n of [1, 2]) files[`tests/http/test_log${n}.py`] = 'import logging\nimport clientlib\n\ndef test_logged(caplog):\n    with caplog.at_level(logging.INFO):\n        clientlib.get("http://x.test/")\n    assert "HTTP Request: GET http://x.test/" in caplog.text\n';
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env: testEnv({ PYTHONPATH: [path.join(p.root, "site-packages"), p.root].join(path.delimiter) }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/imported once for every file \(auto-preload[^\n]*clientlib/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("gives each file its own draws from a preloaded package's generator seeded at import (Faker's), as fresh processes get", async () => {
    // Four files each insert a fake address into a table with a unique key: forked with the server's state, they drew
    // the same one and three failed (a helper's trial, with Faker and PostgreSQL).
    const files: Record<string, string> = {
      "site-packages/fakelib.py": "import random\n_RANDOM = random.Random()\n\ndef email():\n    return f'user{_RANDOM.getrandbits(64)}@example.com'\n",
      "tests/conftest.py": "import fakelib\n",
    };
    for (const n of [1, 2, 3, 4]) files[`tests/http/test_user${n}.py`] = `import fakelib\n\ndef test_user():\n    with open("emails.txt", "a") as out:\n        out.write(fakelib.email() + "\\n")\n`;
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for every file \(auto-preload[^\n]*fakelib/);
    const emails = fs.readFileSync(path.join(p.root, "emails.txt"), "utf8").trim().split("\n");
    expect(emails).toHaveLength(4);
    expect(new Set(emails).size).toBe(4);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("imports once the modules of an installed package the conftests import, not only the package", async () => {
    const noting = 'import os\nwith open("imports.txt", "a") as out:\n    out.write(str(os.getpid()) + "\\n")\n';
    const files: Record<string, string> = {
      "site-packages/weblib/__init__.py": "",
      "site-packages/weblib/sync_api/__init__.py": "from . import _impl\n",
      "site-packages/weblib/sync_api/_impl.py": noting,
      "tests/conftest.py": "from weblib.sync_api import _impl\n",
    };
    for (let i = 0; i < 4; i++) files[`tests/http/test_${i}.py`] = "def test_uses():\n    pass\n";
    const p = project(files);
    const env = withSitePackages(p);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for every file \(auto-preload, the conftests import them\): weblib\n/);
    // The listing's import, the try in a child, then the server's: no file's conftest imports it again.
    expect(p.read("imports.txt").trim().split("\n")).toHaveLength(3);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("follows an auto-preloaded package into the submodules the test modules import", async () => {
    const files: Record<string, string> = {
      "site-packages/scilib/__init__.py": "",
      "site-packages/scilib/sparse.py": 'import os, time\ntime.sleep(0.05)\nwith open("imports.txt", "a") as out:\n    out.write(str(os.getpid()) + "\\n")\n',
      "tests/conftest.py": "import scilib\n",
    };
    for (let i = 0; i < 5; i++) files[`tests/http/test_${i}.py`] = "import scilib.sparse\n\ndef test_uses():\n    pass\n";
    const p = project(files);
    const env = withSitePackages(p);
    const result = await runCli(["--parallel", "-n", "1", "--verbose"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for the files forked from now on \(preloaded packages' modules, and installed packages, as the files import them\): scilib\.sparse\n/);
    // The first file's import (perhaps the second's too), then the server's: the last files inherit it.
    expect(p.read("imports.txt").trim().split("\n").length).toBeLessThanOrEqual(3);

    p.write("imports.txt", "");
    const off = await runCli(["--parallel", "-n", "1", "--no-auto-preload"], { cwd: p.root, env });
    expect(off.code, off.stdout + off.stderr).toBe(0);
    expect(p.read("imports.txt").trim().split("\n")).toHaveLength(5);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("learns an installed package the test modules import at a cost, never one a file imports after changing os.environ", async () => {
    const noting = (name: string, extra = "") => `import os, time\n${extra}time.sleep(0.2)\nwith open("imports.txt", "a") as out:\n    out.write("${name} " + str(os.getpid()) + "\\n")\n`;
    const files: Record<string, string> = {
      "site-packages/weblib/__init__.py": noting("weblib"),
      // Reads, at import, what the test module sets just before importing it: the server's import would miss it.
      "site-packages/envlib/__init__.py": noting("envlib", 'MODE = os.environ.get("ENVLIB_MODE")\n'),
    };
    for (let i = 0; i < 5; i++) files[`tests/http/test_${i}.py`] = `import os\nimport weblib\nos.environ["ENVLIB_MODE"] = "file ${i}"\nimport envlib\n\ndef test_uses():\n    assert envlib.MODE == "file ${i}"\n`;
    const p = project(files);
    const env = withSitePackages(p);
    const importsBy = (name: string): number => importsOf(p, name);

    const result = await runCli(["--parallel", "-n", "1", "--verbose"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for the files forked from now on \(preloaded packages' modules, and installed packages, as the files import them\): weblib\n/);
    // The first file's import (perhaps the second's too), then the server's: the last files inherit it. envlib: every file's own.
    expect(importsBy("weblib")).toBeLessThanOrEqual(3);
    expect(importsBy("envlib")).toBe(5);

    p.write("imports.txt", "");
    const off = await runCli(["--parallel", "-n", "1", "--no-auto-preload"], { cwd: p.root, env });
    expect(off.code, off.stdout + off.stderr).toBe(0);
    expect(importsBy("weblib")).toBe(5);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("learns one package after another without piling up listeners on the run's stop (Node.js warned at the 11th: flask-security's trial)", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 13; i++) {
      files[`site-packages/lib${i}/__init__.py`] = "import time\ntime.sleep(0.1)\n";
      files[`tests/http/test_${String(i).padStart(2, "0")}.py`] = `import lib${i}\n\ndef test_uses():\n    pass\n`;
    }
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "1", "--verbose", "--order", "name"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Each file taught the server its package, for the files forked after it.
    expect(result.stdout.match(/imported once for the files forked from now on .*: lib\d+\n/g)?.length ?? 0).toBeGreaterThanOrEqual(11);
    expect(result.stderr).not.toMatch(/MaxListenersExceededWarning/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("names, at the run's end, a module each file imported for itself at a cost, and no longer once it is preloaded", async () => {
    const files: Record<string, string> = { "slowhelper.py": "import time\ntime.sleep(0.25)\nTABLE = [1]\n", "quickhelper.py": "TABLE = [2]\n" };
    for (let i = 0; i < 6; i++) files[`tests/http/test_${i}.py`] = "import quickhelper, slowhelper\n\ndef test_uses():\n    assert slowhelper.TABLE and quickhelper.TABLE\n";
    const p = project(files);
    const hint = /Imported by each file for itself: slowhelper \(the project's own code\), (\d+\.\d) s in all over 6 files\. --preload slowhelper imports it once for the run/;

    const plain = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    const seconds = Number(hint.exec(plain.stdout)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(1.5);
    expect(plain.stdout).not.toMatch(/quickhelper/);
    // Before the summary: the last thing said about the run, not after its verdict.
    expect(plain.stdout.indexOf("--preload slowhelper")).toBeLessThan(plain.stdout.indexOf("PASSED"));

    // --pack-under: the files of the run before count as quick however long a loaded machine made them take.
    for (const extra of [["--preload", "slowhelper"], ["--no-fork-server"], ["--pack", "--pack-under", "60"]]) {
      const other = await runCli(["--parallel", "-n", "2", ...extra], { cwd: p.root });
      expect(other.code, other.stdout + other.stderr).toBe(0);
      expect(other.stdout, extra.join(" ")).not.toMatch(/imported by each file/);
    }
    expect(processesIn(p.root)).toEqual([]);
  });

  it("neither names nor keeps preloaded a package an import hook of the session changes as it is imported (typeguard's --typeguard-packages): the files import it through the hook", async () => {
    // The conftest's hook stands for typeguard's, which its pytest_configure installs for the packages it is told to check:
    // preloaded by the server, before any session, the package went without its checks, and a failing suite passed.
    const conftest = [
      "import sys",
      "from importlib.machinery import PathFinder, SourceFileLoader",
      "",
      "class MarkingLoader(SourceFileLoader):",
      "    def source_to_code(self, data, path, *, _optimize=-1):",
      "        return compile(data + b'\\nCHECKED = True\\n', path, 'exec', dont_inherit=True)",
      "",
      "class MarkingFinder:",
      "    def find_spec(self, fullname, path=None, target=None):",
      "        if fullname.partition('.')[0] != 'checked':",
      "            return None",
      "        spec = PathFinder.find_spec(fullname, path, target)",
      "        if spec is not None and isinstance(spec.loader, SourceFileLoader):",
      "            spec.loader = MarkingLoader(spec.loader.name, spec.loader.path)",
      "        return spec",
      "",
      "def pytest_configure(config):",
      "    sys.meta_path.insert(0, MarkingFinder())",
      "",
    ].join("\n");
    const files: Record<string, string> = { "tests/conftest.py": conftest, "checked/__init__.py": "import time\ntime.sleep(0.3)\n" };
    for (let i = 0; i < 5; i++) files[`tests/http/test_${i}.py`] = "import checked\n\ndef test_checked():\n    assert getattr(checked, 'CHECKED', False)\n";
    const p = project(files);
    const plainPytest = spawnSync("python3", ["-m", "pytest", "-p", "no:cacheprovider", "tests/http"], { cwd: p.root, env: testEnv(), encoding: "utf8" });
    expect(plainPytest.status, plainPytest.stdout).toBe(0);

    const plain = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(/Imported by each file for itself|--preload checked/);

    const preloaded = await runCli(["--parallel", "-n", "2", "--preload", "checked", "--report-json", "r.json"], { cwd: p.root });
    expect(preloaded.code, preloaded.stdout + preloaded.stderr).toBe(0);
    expect(Object.values(outcomesOf(readReport(p, "r.json")))).toEqual(Array(5).fill("passed"));
    expect(preloaded.stdout + preloaded.stderr).toMatch(/checked was preloaded, and an import hook each file's pytest session installs \(conftest\.MarkingFinder\) changes it as it is imported: .*take checked out of --preload/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("does not name again a module a --preload of it was refused, in a later run, until a --preload of it is taken (django-ninja's suite)", async () => {
    // Slow, and reads at import what each file sets for itself: the hint names it, the server refuses it.
    const files: Record<string, string> = { "slowsettings.py": 'import os, time\ntime.sleep(0.25)\nSLOT = os.environ.get("GRIMOIRE_SLOT")\n' };
    for (let i = 0; i < 6; i++) files[`tests/http/test_${i}.py`] = "import slowsettings\n\ndef test_uses():\n    assert slowsettings.SLOT is not None\n";
    const p = project(files);
    const hint = /Imported by each file for itself: slowsettings/;
    const first = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(hint);

    const tried = await runCli(["--parallel", "-n", "2", "--preload", "slowsettings"], { cwd: p.root });
    expect(tried.code, tried.stdout + tried.stderr).toBe(0);
    expect(tried.stderr).toMatch(/not preloading slowsettings: its import reads GRIMOIRE_SLOT/);
    const after = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).not.toMatch(hint);

    // Once it no longer reads what each file sets, a --preload of it is taken, and the memory of the refusal goes.
    p.write("slowsettings.py", "import time\ntime.sleep(0.25)\nSLOT = 0\n");
    const taken = await runCli(["--parallel", "-n", "2", "--preload", "slowsettings"], { cwd: p.root });
    expect(taken.code, taken.stdout + taken.stderr).toBe(0);
    expect(taken.stderr).not.toMatch(/not preloading/);
    const again = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(again.stdout).toMatch(hint);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("does not name a package auto-preload refused where a --preload of it would be refused the same way, and names one it refused for the project's code", async () => {
    const files: Record<string, string> = {
      "site-packages/slowslot.py": 'import os, time\ntime.sleep(0.25)\nSLOT = os.environ.get("GRIMOIRE_SLOT")\n',
      // Refused by auto-preload for importing the project's settings: yours to preload, so still named.
      "site-packages/slowsettings.py": "import time, proj_settings\ntime.sleep(0.25)\nDEBUG = proj_settings.DEBUG\n",
      "proj_settings.py": "DEBUG = True\n",
      "tests/conftest.py": "import slowslot, slowsettings\n",
    };
    for (let i = 0; i < 6; i++) files[`tests/http/test_${i}.py`] = "import slowslot, slowsettings\n\ndef test_uses():\n    assert slowslot.SLOT is not None and slowsettings.DEBUG\n";
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/not preloading slowslot: its import reads GRIMOIRE_SLOT/);
    expect(result.stdout).toMatch(/not preloading slowsettings: its import imported the project's own code/);
    expect(result.stdout).toMatch(/Imported by each file for itself: slowsettings, /);
    expect(result.stdout).not.toMatch(/slowslot, \d|--preload slowslot/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("leaves nothing of a refused preload in the server: the project's logger keeps one filter, its own file's (sanic's suite)", async () => {
    const p = project({
      "proj/__init__.py": "",
      "proj/log.py": "import logging\n\nclass VerbosityFilter(logging.Filter):\n    verbosity = 0\n\n    def filter(self, record):\n        return getattr(record, 'verbosity', 0) <= self.verbosity\n\nlogger = logging.getLogger('proj')\nlogger.addFilter(VerbosityFilter())\n",
      // An installed helper that imports the project: auto-preload refuses it (the project's own code).
      "site-packages/helper.py": "import proj.log\n",
      "tests/conftest.py": "import helper\n",
      "tests/http/test_verbose.py":
        "import logging\nfrom proj.log import VerbosityFilter, logger\n\ndef test_verbose_record_kept(caplog):\n    VerbosityFilter.verbosity = 1\n    with caplog.at_level(logging.INFO):\n        logger.info('hello', extra={'verbosity': 1})\n    assert ('proj', logging.INFO, 'hello') in caplog.record_tuples\n    assert len(logger.filters) == 1\n",
    });
    const result = await runCli(["--parallel", "--verbose"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/not preloading helper: its import imported the project's own code/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("never names a package the fork server preloads already (auto-preload's), whose module each file imports for itself after changing os.environ", async () => {
    const files: Record<string, string> = {
      "site-packages/djlike/__init__.py": "",
      // Reads, at import, what each test module sets just before importing it: every file imports it for itself.
      "site-packages/djlike/db.py": 'import os, time\ntime.sleep(0.3)\nNAME = os.environ.get("DJLIKE_DB")\n',
      "tests/conftest.py": "import djlike\n",
    };
    for (let i = 0; i < 6; i++) files[`tests/http/test_${i}.py`] = `import os\nos.environ["DJLIKE_DB"] = "db ${i}"\nimport djlike.db\n\ndef test_uses():\n    assert djlike.db.NAME == "db ${i}"\n`;
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env: withSitePackages(p) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for every file \(auto-preload, the conftests import them\): djlike/);
    // --preload djlike would change nothing: the server has it, and each file's djlike.db stays its own.
    expect(result.stdout).not.toMatch(/Imported by each file for itself|--preload djlike/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("follows a preloaded package into the submodules its files import, for the files forked after", async () => {
    // A package whose __init__ imports nothing of it: preloading it alone would spare the files nothing.
    const files: Record<string, string> = {
      "pkg/__init__.py": "",
      // Heavy as its name says: an import under a millisecond is not worth following (the import times leave it out).
      "pkg/heavy.py": COUNTED("pkg.heavy") + "IMPORTED_IN = os.getpid()\nWORK = sum(range(300000))\n",
      "pkg/tests/__init__.py": "",
      "pkg/tests/helpers.py": COUNTED("pkg.tests.helpers"),
    };
    for (let i = 0; i < 5; i++) files[`tests/http/test_${i}.py`] = `import os, pkg.heavy, pkg.tests.helpers\n\ndef test_uses():\n    with open("inherited.txt", "a") as out:\n        out.write(f"{os.getpid() != pkg.heavy.IMPORTED_IN} {pkg.heavy.IMPORTED_IN}\\n")\n`;
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "1", "--preload", "pkg", "--verbose"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/imported once for the files forked from now on \(preloaded packages' modules, and installed packages, as the files import them\): pkg\.heavy\n/);
    const seen = p.read("inherited.txt").trim().split("\n").map((line) => line.split(" "));
    // The first file imports it itself; the server imports it once that file has ended, and the last files inherit it.
    expect(seen[0]?.[0]).toBe("False");
    const inherited = seen.filter(([wasInherited]) => wasInherited === "True");
    expect(inherited.length).toBeGreaterThanOrEqual(3);
    expect(new Set(inherited.map(([, pid]) => pid)).size).toBe(1);
    expect(seen.at(-1)?.[0]).toBe("True");
    // Test code inside the package is left to each file (each notes its imports beside itself).
    expect(p.read("pkg/tests/imports.txt").trim().split("\n")).toHaveLength(5);
    expect(p.read("pkg/imports.txt").trim().split("\n").length).toBeLessThanOrEqual(3);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("lets the files it runs end as they would where a followed module starts a thread: the server forks no more, the rest start afresh", async () => {
    // asyncer's docs_src, a helper's trial: the file running beside the preload was killed and said FAIL, its test passed.
    const files: Record<string, string> = {
      "pkg/__init__.py": "",
      "pkg/thr.py": "import threading, time\nthreading.Thread(target=time.sleep, args=(3,), daemon=True).start()\nWORK = sum(range(300000))\n",
    };
    for (let i = 0; i < 6; i++) files[`tests/http/test_${i}.py`] = "import time\n\ndef test_x():\n    time.sleep(0.5)\n    import pkg.thr\n";
    const p = project(files);
    const result = await runCli(["--parallel", "-n", "2", "--preload", "pkg", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/the fork server forks no more files \(a module it preloaded \(.*pkg\.thr.*\) started a thread/);
    expect(result.stdout).toMatch(/^6 files: 6 passed$/m);
    expect(readReport(p, "r.json").files.map((f) => [f.status, f.exitCode])).toEqual(Array(6).fill(["passed", 0]));
    expect(processesIn(p.root)).toEqual([]);
  });

  it("runs a plugin the project names with -p as plain pytest does, though the warm-up imported it (an editable install): no warning, under filterwarnings = error", async () => {
    // An editable install: the distribution declares the plugin's entry point, and its files (which pytest would mark
    // for assertion rewriting) are elsewhere, as a .pth file puts them. anyio's suite, installed so, names it with -p.
    const p = project({
      "site-packages/toyplug-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: toyplug\nVersion: 1.0\n",
      "site-packages/toyplug-1.0.dist-info/entry_points.txt": "[pytest11]\ntoyplug = toyplug.plugin\n",
      "site-packages/toyplug-1.0.dist-info/RECORD": "toyplug-1.0.dist-info/METADATA,,\n",
      "src/toyplug/__init__.py": "",
      "src/toyplug/plugin.py": "import pytest\n\n@pytest.fixture\ndef toy():\n    return 'toy'\n",
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p toyplug"\nfilterwarnings = ["error"]\n',
      "tests/http/test_a.py": "def test_a(toy):\n    assert toy == 'toy'\n",
      "tests/http/test_b.py": "def test_b(toy):\n    assert toy == 'toy'\n",
    });
    const pythonPath = [path.join(p.root, "site-packages"), path.join(p.root, "src")].join(path.delimiter);
    // The warm-up imports it by its entry point (plugin autoloading on, as most users have it); or --preload names it.
    for (const [env, args] of [
      [testEnv({ PYTHONPATH: pythonPath, PYTEST_DISABLE_PLUGIN_AUTOLOAD: undefined }), []],
      [testEnv({ PYTHONPATH: pythonPath }), ["--preload", "toyplug"]],
    ] as const) {
      const result = await runCli(["--parallel", "-n", "2", "--verbose", "--report-json", "report.json", ...args], { cwd: p.root, env });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/\(forked\)/);
      expect(result.stdout).not.toMatch(/already imported/);
      expect(readReport(p).files.map((f) => f.tests?.passed)).toEqual([1, 1]);
    }
    const env = testEnv({ PYTHONPATH: pythonPath });
    // What the server did not import still warns, as in plain pytest: a conftest that asks too late.
    p.write("tests/conftest.py", "import latelib\nimport pytest\npytest.register_assert_rewrite('latelib')\n");
    p.write("src/latelib.py", "");
    const late = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env });
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/Module already imported so cannot be rewritten; latelib/);
    // Said from the conftest's line, as plain pytest says it: a filter on the warning's module lets it pass (pytest's
    // own test_issue4445_rewrite checks that location).
    p.write("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-p toyplug"\nfilterwarnings = ["error", "ignore::pytest.PytestAssertRewriteWarning:conftest"]\n');
    const filtered = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env });
    expect(filtered.code, filtered.stdout + filtered.stderr).toBe(0);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("leaves to each file an installed package whose asserts pytest rewrites (register_assert_rewrite): its failures say what plain pytest's say", async () => {
    const p = project({
      "site-packages/helperlib/__init__.py": "from .checks import same\n",
      "site-packages/helperlib/checks.py": "def same(a, b):\n    assert a == b\n",
      "site-packages/otherlib/__init__.py": "",
      "tests/conftest.py": "import pytest\npytest.register_assert_rewrite('helperlib.checks')\nimport helperlib, otherlib\n",
      "tests/http/test_a.py": "import helperlib\n\ndef test_a():\n    helperlib.same(1, 2)\n",
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    const env = withSitePackages(p);
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/imported once for every file \(auto-preload, the conftests import them\): otherlib\n/);
    // pytest's rewritten assert: the values compared, as plain pytest shows them.
    expect(result.stdout).toMatch(/E +assert 1 == 2/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("asks git for pytest-benchmark's commit information once, not once per file, and its benchmarks still run", async () => {
    // pytest-benchmark, loaded by autoload, runs git six times at every session's start (its --benchmark-autosave tag).
    const p = project({
      "bin/git": `#!/bin/sh\necho "$*" >> "${"$"}GIT_CALLS"\nexec ${execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim()} "$@"\n`,
      "tests/http/test_bench.py": "def test_sum(benchmark):\n    assert benchmark(sum, [1, 2]) == 3\n",
      ...Object.fromEntries([0, 1, 2, 3].map((i) => [`tests/http/test_${i}.py`, "def test_x():\n    pass\n"])),
    });
    fs.chmodSync(path.join(p.root, "bin", "git"), 0o755);
    for (const args of [["init", "-q"], ["add", "-A"], ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "start"]]) execFileSync("git", args, { cwd: p.root });
    const calls = path.join(p.root, "git-calls.txt");
    const env = testEnv({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: undefined, PATH: `${path.join(p.root, "bin")}${path.delimiter}${process.env["PATH"] ?? ""}`, GIT_CALLS: calls });
    const describes = (): number => fs.readFileSync(calls, "utf8").split("\n").filter((line) => line.startsWith("describe --dirty")).length;

    const result = await runCli(["--parallel", "-n", "2", "--report-json", "report.json"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p).files.map((f) => f.tests?.passed)).toEqual([1, 1, 1, 1, 1]);
    // The listing's session (forked before the server remembers anything) and the fork server's warm-up: not the 5 files.
    expect(describes()).toBe(2);
    fs.rmSync(calls);
    const fresh = await runCli(["--parallel", "-n", "2", "--no-fork-server"], { cwd: p.root, env });
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(0);
    expect(describes()).toBe(6);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("gives a test's own call of pytest-benchmark's get_commit_info the repository as it is then, not as the warm-up saw it", async () => {
    // pytest-benchmark's own suite: test_get_branch_info checked out a branch and read the warm-up's instead.
    const p = project({
      "tests/http/test_branch.py": `import subprocess
from pytest_benchmark.utils import get_commit_info

def test_sees_the_branch_it_checked_out():
    subprocess.run(["git", "checkout", "-q", "-b", "feature"], check=True)
    try:
        info = get_commit_info()
    finally:
        subprocess.run(["git", "checkout", "-q", "-"], check=True)
        subprocess.run(["git", "branch", "-q", "-D", "feature"], check=True)
    assert info["branch"] == "feature"
`,
      "tests/http/test_other.py": "def test_x():\n    pass\n",
    });
    for (const args of [["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "start"]]) execFileSync("git", args, { cwd: p.root });
    const env = testEnv({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: undefined });
    for (const mode of [["--parallel", "-n", "2"], []]) {
      const result = await runCli(mode, { cwd: p.root, env });
      expect(result.code, result.stdout + result.stderr).toBe(0);
    }
    expect(processesIn(p.root)).toEqual([]);
  });

  it("keeps forking when its memories of a session break the warm-up, and says so with --verbose", async () => {
    // A pytest the fixture-name memory was not written for, as sitecustomize makes it: its session fails while the memory is in.
    const sitecustomize = `try:
    import grimoire_run_fixture_names as names
except ImportError:
    names = None
if names is not None:
    remember = names.install
    def install():
        import _pytest.fixtures as fixtures
        original = fixtures.FixtureManager.parsefactories
        def parsefactories(self, *args, **kwargs):
            raise TypeError("a memory written for another pytest")
        fixtures.FixtureManager.parsefactories = parsefactories
        forget = remember()
        def undo():
            fixtures.FixtureManager.parsefactories = original
            if forget is not None:
                forget()
        return undo
    names.install = install
`;
    const p = project({ "site/sitecustomize.py": sitecustomize, "tests/http/test_a.py": "def test_a():\n    pass\n", "tests/http/test_b.py": "def test_b():\n    pass\n" });
    const result = await runCli(["--parallel", "-n", "2", "--verbose"], { cwd: p.root, env: testEnv({ PYTHONPATH: path.join(p.root, "site") }) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/the fork server's warm-up failed with its memories of a session \(pytest ended the warm-up session with an internal error \(exit code 3\)\): each file makes them itself/);
    expect(result.stdout).toMatch(/tests\/http\/test_a\.py: \(forked\)/);
    expect(result.stdout).not.toMatch(/starting each pytest afresh/);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("is a list in pyproject.toml, refuses what is not a module name, and says when there is no fork server to preload into", async () => {
    const p = project({ "pyproject.toml": '[tool.grimoire-run]\npreload = ["heavy"]\n', "heavy.py": COUNTED("heavy"), "tests/http/test_a.py": "import heavy\n\ndef test_a():\n    pass\n" });
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    // Tried in a child, then imported in the server; the file imports it no more.
    expect(p.read("imports.txt").trim().split("\n")).toHaveLength(2);
    const bad = await runCli(["--parallel", "--preload", "not a module"], { cwd: p.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--preload: "not a module" is not a Python module name/);
    const fresh = await runCli(["--parallel", "--no-fork-server"], { cwd: p.root });
    expect(fresh.stdout).toMatch(/--preload has no effect without the fork server/);
  });
});

describe("the bytecode cache", () => {
  /** Every file under `folder`, relative to it, with `/`. */
  const filesUnder = (folder: string): string[] => (fs.existsSync(folder) ? (fs.readdirSync(folder, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(folder, name)).isFile()).map((name) => name.split(path.sep).join("/")) : []);
  const files = {
    "helper.py": "X = 1\n",
    "tests/http/test_a.py": "import sys\nimport helper\n\ndef test_a():\n    assert helper.X == 1 and not sys.dont_write_bytecode\n",
    "tests/http/test_b.py": "import helper\n\ndef test_b():\n    assert helper.X == 1\n",
  };
  const noBytecode = testEnv({ PYTHONDONTWRITEBYTECODE: "1", PYTHONPYCACHEPREFIX: undefined });
  /** The project's files dated a minute back, as sources are that were not written moments before the run (those get no bytecode kept). */
  const aged = (p: Project): Project => {
    const then = Date.now() / 1000 - 60;
    for (const name of filesUnder(p.root)) fs.utimesSync(path.join(p.root, name), then, then);
    return p;
  };

  it("keeps a parallel run's bytecode in .grimoire/pycache when PYTHONDONTWRITEBYTECODE is set, and the project's tree free of __pycache__", async () => {
    const p = aged(project(files));
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: noBytecode });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const cached = filesUnder(path.join(p.root, ".grimoire", "pycache"));
    // The project's module, and each test module as pytest's assertion rewriting compiled it, each under a hash of its content.
    expect(cached.some((name) => /\/helper\.[0-9a-f]{16}\.cpython-\d+\.pyc$/.test(name))).toBe(true);
    expect(cached.filter((name) => /\/[0-9a-f]{16}\/test_[ab]\.cpython-\d+-pytest-[\d.]+\.pyc$/.test(name))).toHaveLength(2);
    // The fork server's own imports use the cache too, but not for the warm-up's test module, in a new temporary folder each run.
    expect(cached.filter((name) => name.includes("grimoire-warm-"))).toEqual([]);
    expect(filesUnder(p.root).filter((name) => name.includes("__pycache__"))).toEqual([]);

    // A test module replaced by one of the same size and date (cp -p, rsync -t, an archive) runs its new code.
    const before = fs.statSync(path.join(p.root, "tests/http/test_b.py")).mtime;
    p.write("tests/http/test_b.py", "import helper\n\ndef test_b():\n    assert helper.X == 2\n");
    fs.utimesSync(path.join(p.root, "tests/http/test_b.py"), before, before);
    const replaced = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: noBytecode });
    expect(replaced.code, replaced.stdout + replaced.stderr).toBe(1);
    expect(replaced.stdout).toMatch(/FAIL\s+tests\/http\/test_b\.py/);
  });

  it("keeps no bytecode of a module written moments ago (a scratch module written again in the same second and size runs its new code), and leaves py_compile's where it is (alembic's suite)", async () => {
    // Each test writes scratch/mod_x.py, loads it and removes the folder, as alembic's staging does; the second writes
    // the same size and the same modification second as the first, which bytecode kept elsewhere would match.
    const load = `import importlib.util, os, shutil, time

STAMP = []

def load(value):
    shutil.rmtree("scratch", ignore_errors=True)
    os.makedirs("scratch")
    with open("scratch/mod_x.py", "w") as out:
        out.write(f"VALUE = {value}\\n")
    STAMP[:] = STAMP or [int(time.time())]
    os.utime("scratch/mod_x.py", (STAMP[0], STAMP[0]))
    spec = importlib.util.spec_from_file_location("mod_x", "scratch/mod_x.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shutil.rmtree("scratch")
    return module.VALUE

def test_1():
    assert load(1) == 1

def test_2():
    assert load(2) == 2

def test_compiled_on_purpose():
    # Code that compiles on purpose (alembic's sourceless scripts) finds the bytecode beside the source, as in a plain run.
    import py_compile
    os.makedirs("scripts", exist_ok=True)
    with open("scripts/rev.py", "w") as out:
        out.write("REV = 1\\n")
    assert py_compile.compile("scripts/rev.py").startswith(os.path.join("scripts", "__pycache__", "rev."))
`;
    const p = aged(project({ ...files, "tests/http/test_scratch.py": load }));
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: noBytecode });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The project's module, written before, is kept as before.
    expect(filesUnder(path.join(p.root, ".grimoire", "pycache")).some((name) => /\/helper\.[0-9a-f]{16}\.cpython-\d+\.pyc$/.test(name))).toBe(true);
  });

  it("leaves the tests' environment the user's: a Python their test starts compiles beside the sources as in a plain run", async () => {
    const test = `import os, pathlib, subprocess, sys

def test_compileall_writes_beside_the_sources():
    assert os.environ.get("PYTHONDONTWRITEBYTECODE") == "1" and "PYTHONPYCACHEPREFIX" not in os.environ
    assert not any(key.startswith("GRIMOIRE_BYTECODE") for key in os.environ)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "pkg"], check=True)
    assert list(pathlib.Path("pkg", "__pycache__").glob("mod.*.pyc"))
`;
    const p = aged(project({ ...files, "pkg/mod.py": "VALUE = 1\n", "tests/http/test_compileall.py": test }));
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root, env: noBytecode });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The file's own imports still used the cache.
    expect(filesUnder(path.join(p.root, ".grimoire", "pycache")).some((name) => /\/helper\.[0-9a-f]{16}\.cpython-\d+\.pyc$/.test(name))).toBe(true);
  });

  it("is not used with --no-bytecode-cache, by a serial run (one plain pytest process), or by processes started afresh", async () => {
    for (const args of [["--parallel", "-n", "2", "--no-bytecode-cache"], [], ["--parallel", "-n", "2", "--no-fork-server"]]) {
      const p = project({ ...files, "tests/http/test_a.py": "import sys\nimport helper\n\ndef test_a():\n    assert helper.X == 1 and sys.dont_write_bytecode\n" });
      const result = await runCli(args, { cwd: p.root, env: noBytecode });
      expect(result.code, args.join(" ") + result.stdout + result.stderr).toBe(0);
      expect(fs.existsSync(path.join(p.root, ".grimoire", "pycache")), args.join(" ")).toBe(false);
    }
  });
});

