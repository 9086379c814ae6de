/**
 * Small pytest projects made in a temp folder, and grimoire-run run on them
 * as a user would run it: the built CLI, in a child process.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface Project {
  root: string;
  write: (file: string, content: string) => void;
  read: (file: string) => string;
  remove: () => void;
}

export function makeProject(files: Record<string, string>): Project {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-test-"));
  const write = (file: string, content: string): void => {
    const full = path.join(root, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  };
  for (const [file, content] of Object.entries(files)) write(file, content);
  return {
    root,
    write,
    read: (file) => fs.readFileSync(path.join(root, file), "utf8"),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** For a test file: makes temp projects, each removed once the test that made it is over. */
export function temporaryProjects(): (files: Record<string, string>) => Project {
  const made: Project[] = [];
  afterEach(() => {
    for (const p of made.splice(0)) p.remove();
  });
  return (files) => {
    const p = makeProject(files);
    made.push(p);
    return p;
  };
}

/**
 * For tests that measure grimoire-run's memory: its JavaScript heap held to 40 MB, as a busy machine's lazy garbage
 * collector would not keep it (CI saw 132 MB where an idle machine peaks at 75 MB). What the run keeps as strings then
 * ends it out of memory, and what stays in its resident memory is kept, not garbage waiting for a collection.
 */
export const SMALL_HEAP = { NODE_OPTIONS: "--max-old-space-size=40" };

let pythonPath: string | undefined;

/**
 * PATH with the folder of the interpreter `python3` runs first: where `python3` is a version manager's shim (pyenv's
 * runs bash scripts before the interpreter, 0.1 to 0.3 s a start here), every Python a run starts pays it; the same
 * interpreter found directly does not. Asked once.
 */
function pathWithPython(): string {
  if (pythonPath === undefined) {
    const current = process.env["PATH"] ?? "";
    try {
      const executable = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
      pythonPath = executable === "" ? current : [path.dirname(executable), current].filter(Boolean).join(path.delimiter);
    } catch {
      pythonPath = current;
    }
  }
  return pythonPath;
}

/**
 * The environment fixture runs start from. Third-party pytest plugins
 * installed on the machine are not loaded: they cost most of a second per
 * pytest process and the behaviour under test does not depend on them. Nor is
 * a NODE_EXTRA_CA_CERTS (this machine's sandbox sets it): Node.js reads that
 * bundle of certificates as it starts, 130 ms of CPU against 30 ms without,
 * in each of the suite's thousand-odd runs, and no run under test connects
 * over TLS (the bench leaves it out of its contenders too).
 */
export function testEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithPython(), PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1", CI: "1" };
  for (const key of Object.keys(env)) if (key.startsWith("GRIMOIRE_") || key === "E2E_BASE_URL" || key === "FORCE_COLOR" || key === "NODE_EXTRA_CA_CERTS") delete env[key];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves once stdout holds `count` matches of the pattern, or rejects if the process ends first. */
  waitForOutput: (pattern: RegExp, count?: number) => Promise<void>;
  /** Resolves once stderr matches `pattern`. */
  waitForStderr: (pattern: RegExp) => Promise<void>;
  /** What grimoire-run has printed on stdout so far. */
  stdoutSoFar: () => string;
  done: Promise<CliResult>;
}

export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Keep only this many trailing characters of stdout (a test that makes it print megabytes). */
  keepStdout?: number;
  /** grimoire-run's stdin: nothing (the default), or a pipe the test holds open (`child.stdin`). */
  stdin?: "ignore" | "pipe";
}

export function startCli(args: string[], options: CliOptions): RunningCli {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? testEnv(), stdio: [options.stdin ?? "ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; count: number; stderr: boolean; resolve: () => void; reject: (error: Error) => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      const flags = waiter.pattern.flags.includes("g") ? waiter.pattern.flags : `${waiter.pattern.flags}g`;
      if (((waiter.stderr ? stderr : stdout).match(new RegExp(waiter.pattern.source, flags)) ?? []).length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (options.keepStdout !== undefined && stdout.length > options.keepStdout * 2) stdout = stdout.slice(-options.keepStdout);
    check();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    check();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => {
      for (const waiter of waiters) waiter.reject(new Error(`grimoire-run ended before printing ${String(waiter.pattern)}:\n${stdout}\n${stderr}`));
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
  return {
    child,
    done,
    stdoutSoFar: () => stdout,
    waitForOutput: (pattern, count = 1) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, count, stderr: false, resolve, reject });
        check();
      }),
    waitForStderr: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, count: 1, stderr: true, resolve, reject });
        check();
      }),
  };
}

export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * Pids of live processes (zombies and this one excluded) for which `matches`
 * holds, given the process's /proc folder. A process that goes, or is not
 * ours to read, while it is looked at does not match.
 */
function liveProcesses(matches: (procDir: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (matches(`/proc/${entry}`)) found.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

/** Pids of live processes whose working folder is `dir` or inside it, removed or not. */
export function processesIn(dir: string): number[] {
  return liveProcesses((proc) => {
    const cwd = fs.readlinkSync(`${proc}/cwd`).replace(/ \(deleted\)$/, "");
    return cwd === dir || cwd.startsWith(`${dir}/`);
  });
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. For states no event announces (a process gone). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  return liveProcesses((proc) => fs.readFileSync(`${proc}/cmdline`, "utf8").replace(/\0/g, " ").includes(marker));
}

/** A unique marker to put in the command lines of a test's processes. */
export function uniqueMarker(name: string): string {
  return `GRIMOIRE_MARK_${name}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Markers whose processes are killed after each test: a failing test must
 * not leave its processes to the next one. Call at the top of a test file.
 */
export function killedMarkers(): (name: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const marker of made.splice(0)) for (const pid of processesWith(marker)) process.kill(pid, "SIGKILL");
  });
  return (name) => {
    const marker = uniqueMarker(name);
    made.push(marker);
    return marker;
  };
}

export interface JsonReportFile {
  version: number;
  runId: string;
  exitCode: number;
  wallSeconds: number;
  workers: number;
  files: {
    path: string;
    status: string;
    exitCode: number | null;
    signal: string | null;
    iteration: number;
    attempt: number;
    slot: number;
    startSeconds: number;
    durationSeconds: number;
    tests: { passed: number; failed: number; skipped: number; errors: number; xfailed: number; xpassed: number; deselected: number } | null;
    cases: { nodeid: string; outcome: string; durationSeconds: number }[];
    log: string | null;
    reason?: string;
    stoppedIn?: string;
    killedAfterGraceSeconds?: number;
    artifactFiles?: string[];
    keptDatabase?: string;
  }[];
}

/** Every test's outcome in a report, by pytest node id: the last execution of a test decides, as it does for plain pytest's last word. */
export function outcomesOf(report: JsonReportFile): Record<string, string> {
  const outcomes: Record<string, string> = {};
  for (const file of [...report.files].sort((a, b) => a.iteration - b.iteration || a.attempt - b.attempt)) {
    for (const test of file.cases) outcomes[test.nodeid] = test.outcome;
  }
  return outcomes;
}

export function readReport(project: Project, file = "report.json"): JsonReportFile {
  return JSON.parse(project.read(file)) as JsonReportFile;
}

/** Live processes (zombies excluded) whose environment holds `NAME=VALUE`, with their command names. */
export function processesWithEnv(variable: string): { pid: number; comm: string }[] {
  const needle = Buffer.from(`${variable}\0`);
  const pids = liveProcesses((proc) => {
    const environ = fs.readFileSync(`${proc}/environ`);
    const at = environ.indexOf(needle);
    return at === 0 || (at > 0 && environ[at - 1] === 0);
  });
  return pids.flatMap((pid) => {
    try {
      return [{ pid, comm: fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() }];
    } catch {
      return []; // gone meanwhile
    }
  });
}
