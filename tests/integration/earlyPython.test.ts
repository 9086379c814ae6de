/**
 * The run's first Python, started before grimoire-run loads its modules (process/earlyPython.ts): it becomes a serial
 * run's pytest or a parallel run's fork server where that process would have started the same, is ended otherwise,
 * and is never left running.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Project, processesIn, readReport, runCli, startCli, temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

/** The project's Python: notes each start (its pid and arguments) in `starts`, then is python3 with the same pid. */
const COUNTING_PYTHON = '#!/bin/sh\necho "$$ $*" >> "$(dirname "$0")/../../starts"\nexec python3 "$@"\n';

/** A test that writes what its process is, as `python -m pytest` would show it, to seen-<name>.json. */
function seeing(name: string): string {
  return [
    "import json, os, sys",
    "",
    `def test_${name}():`,
    `    with open("seen-${name}.json", "w") as out:`,
    "        json.dump({",
    '            "pid": os.getpid(), "ppid": os.getppid(),',
    '            "orig_argv": sys.orig_argv, "argv0": os.path.basename(os.path.dirname(sys.argv[0])) + "/" + os.path.basename(sys.argv[0]),',
    '            "main": sys.modules["__main__"].__spec__.name, "slot": os.environ.get("GRIMOIRE_SLOT"),',
    '            "aheadAtStart": b"GRIMOIRE_EARLY_PYTEST=1" in open("/proc/self/environ", "rb").read().split(b"\\0"),',
    '            "aheadNow": "GRIMOIRE_EARLY_PYTEST" in os.environ,',
    "        }, out)",
    "",
  ].join("\n");
}

interface Seen {
  pid: number;
  ppid: number;
  orig_argv: string[];
  argv0: string;
  main: string;
  slot: string | null;
  /** The process started with pytest to import ahead (a serial run's guess), and its tests see that variable. */
  aheadAtStart: boolean;
  aheadNow: boolean;
}

const seen = (p: Project, name: string): Seen => JSON.parse(fs.readFileSync(path.join(p.root, `seen-${name}.json`), "utf8")) as Seen;

/** Each Python the project's .venv started: its pid and its arguments. */
function starts(p: Project): { pid: number; args: string }[] {
  const file = path.join(p.root, "starts");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => ({ pid: Number(line.split(" ")[0]), args: line.slice(line.indexOf(" ") + 1) }));
}

function countingProject(files: Record<string, string>): Project {
  const p = project(files);
  p.write(".venv/bin/python", COUNTING_PYTHON);
  fs.chmodSync(path.join(p.root, ".venv/bin/python"), 0o755);
  return p;
}

describe("the early Python", () => {
  it("is a serial run's one pytest: started once, as python -m pytest, in the run's environment", async () => {
    const p = countingProject({ "tests/http/test_a.py": seeing("a") });
    const result = await runCli(["--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => f.status)).toEqual(["passed"]);
    const test = seen(p, "a");
    expect(starts(p)).toEqual([{ pid: test.pid, args: "-m grimoire_run_early pytest" }]);
    expect(test.orig_argv.slice(1, 3)).toEqual(["-m", "pytest"]);
    expect(test.argv0).toBe("pytest/__main__.py");
    expect(test.main).toBe("pytest.__main__");
    expect(test.slot).toBe("0");
    // It imported pytest while it waited (a serial run, as the command line said), and its tests do not see it so.
    expect([test.aheadAtStart, test.aheadNow]).toEqual([true, false]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("is a parallel run's fork server, which forks the files", async () => {
    const p = countingProject({ "tests/http/test_a.py": seeing("a"), "tests/http/test_b.py": seeing("b") });
    const result = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const [server, ...others] = starts(p);
    expect(others).toEqual([]);
    expect(server?.args).toBe("-m grimoire_run_early pytest");
    expect([seen(p, "a").ppid, seen(p, "b").ppid]).toEqual([server?.pid, server?.pid]);
    expect(seen(p, "a").orig_argv.slice(1, 3)).toEqual(["-m", "pytest"]);
    expect(seen(p, "a").aheadAtStart).toBe(false);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("is no fork server where it imported pytest on a wrong guess of a serial run: another Python serves", async () => {
    // --parallel as a dotted key at pyproject.toml's top, which the command's entry does not read: it guessed serial.
    const p = countingProject({ "pyproject.toml": "tool.grimoire-run.parallel = true\n", "tests/http/test_a.py": seeing("a"), "tests/http/test_b.py": seeing("b") });
    const result = await runCli(["-n", "2"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Found 2 test files, running them on 2 workers/m);
    const [early, server, ...others] = starts(p);
    expect(others).toEqual([]);
    expect(early?.args).toBe("-m grimoire_run_early pytest");
    expect(server?.args).toMatch(/-m grimoire_run_forkserver/);
    expect([seen(p, "a").ppid, seen(p, "b").ppid]).toEqual([server?.pid, server?.pid]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("is ended where the run chooses another Python (GRIMOIRE_PYTHON in .env), which then runs the tests", async () => {
    const p = countingProject({ ".env": "GRIMOIRE_PYTHON=python3\n", "tests/http/test_a.py": seeing("a") });
    const result = await runCli([], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const [early, ...others] = starts(p);
    expect(early?.args).toBe("-m grimoire_run_early pytest");
    expect(others).toEqual([]);
    expect(seen(p, "a").pid).not.toBe(early?.pid);
    expect(seen(p, "a").orig_argv.slice(1, 3)).toEqual(["-m", "pytest"]);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("hands a serial run's pytest grimoire-run's stdin (pdb, input())", async () => {
    const p = countingProject({ "tests/http/test_a.py": "def test_reads():\n    assert input() == 'typed'\n" });
    const cli = startCli(["--", "-s"], { cwd: p.root, stdin: "pipe" });
    cli.child.stdin?.end("typed\n");
    const result = await cli.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(starts(p).map((s) => s.args)).toEqual(["-m grimoire_run_early pytest"]);
  });

  it("is not started for --help, --version or --print-config, and is ended after a usage error", async () => {
    const p = countingProject({ "tests/http/test_a.py": seeing("a") });
    for (const args of [["--help"], ["--version"], ["--print-config"], ["--parallel", "--python", "python3"]]) {
      const result = await runCli(args, { cwd: p.root });
      expect(result.code, args.join(" ") + result.stderr).toBe(0);
      expect(starts(p), args.join(" ")).toEqual([]);
    }
    const bad = await runCli(["--workers", "many"], { cwd: p.root });
    expect(bad.code).toBe(2);
    expect(starts(p).map((s) => s.args)).toEqual(["-m grimoire_run_early pytest"]);
    expect(processesIn(p.root)).toEqual([]);
  });
});
