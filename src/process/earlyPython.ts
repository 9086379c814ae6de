/**
 * The run's first Python, started before grimoire-run has loaded its own
 * modules (python/grimoire_run_early.py). Node.js takes a tenth of a second
 * or more to load them and read the configuration before it starts its first
 * Python (the fork server, or a serial run's one pytest); a Python's own start
 * (a pyenv shim, a virtualenv's site, the interpreter) takes as long again,
 * and both waited for each other. The command's entry starts a Python at once,
 * with the environment the run will most likely give it, and the run's first
 * launch of `python -m pytest` or of the fork server takes it over instead of
 * starting one (launch.ts), by sending it the module, the arguments and the
 * environment's differences.
 *
 * It is taken over only where the process it becomes is the one the run
 * would have started: the same command, folder and arguments, and no
 * difference in a variable that the interpreter or a shim reads as it starts
 * (STARTUP_VARIABLES). Otherwise it is ended, and the run starts its Python
 * as it always did. One that is never taken ends with the run (or by itself
 * when grimoire-run's end closes its stdin): nothing is left running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { readDotenv } from "../config/dotenv.js";
import { mayMeasureCoverage, readOrEmpty } from "../discovery/coverageAsked.js";
import { withPluginPath } from "../packageFiles.js";
import { choosePython, viaUv } from "../python.js";
import { newRunId } from "../run/runId.js";
import type { Exit, LaunchedProcess, LaunchSpec } from "./launch.js";

/** What the early Python can become: `python -m` one of these. */
const MODULES: ReadonlySet<string> = new Set(["pytest", "grimoire_run_forkserver"]);

/** The module it starts as. */
const EARLY_MODULE = "grimoire_run_early";
/**
 * A word after it, which the module ignores: its command line stays the one it started with, and `ps`, `pgrep -f
 * pytest` and a look for a run's test processes should find it for what it becomes, a pytest (or the fork server of the
 * pytest processes).
 */
const EARLY_LABEL = "pytest";

/**
 * Variables read before the early Python reads its line: by the dynamic loader, the C library and the interpreter as
 * it starts (sys.path, flags, the locale and encodings, the user's site folder), or by a shim choosing the interpreter
 * (pyenv, uv, conda). A difference in one of them means that the run's Python would not have started the same.
 */
const STARTUP_VARIABLES = /^(PYTHON|PYENV|LC_|LD_|DYLD_|MALLOC_|CONDA|UV_)|^(LANG|LANGUAGE|TZ|HOME|PATH|VIRTUAL_ENV|GLIBC_TUNABLES)$/;

/**
 * Set for an early Python that imports pytest while it waits: the command line looks like a serial run of the whole
 * selection, whose first Python is one `python -m pytest` (serialRunLikely). Taken off before it becomes that process.
 */
const PYTEST_AHEAD_VARIABLE = "GRIMOIRE_EARLY_PYTEST";

/** Options whose run starts the fork server first, not a plain `python -m pytest` (run/start.ts's direct run). */
const NOT_DIRECT = ["parallel", "shard", "changed"] as const;

/** Command-line words after which no run starts a Python (help, version, configuration, subcommands), or that choose another one. */
const NOT_A_RUN: ReadonlySet<string> = new Set(["-h", "--help", "--version", "--print-config", "--list-flaky", "--python"]);

interface Early {
  child: ChildProcess;
  command: string;
  pythonArgs: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether grimoire-run's stdin was handed to it as fd 3. */
  fd3: boolean;
  /** It imports pytest while it waits (PYTEST_AHEAD_VARIABLE): it may become `python -m pytest` only. */
  pytestAhead: boolean;
  exit: Exit | null;
  exited: Promise<Exit>;
}

let pending: Early | null = null;
let startedRunId: string | null = null;

/**
 * Starts the early Python for a command line that is a run (not --help,
 * --version, a subcommand, nor a --python of its own) on Linux, where the
 * fork server serves; elsewhere, and when the project's Python is `uv run`
 * (which resolves the environment first), none.
 */
export function startEarlyPython(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): void {
  if (process.platform !== "linux" || pending !== null) return;
  const pyproject = readOrEmpty(path.join(cwd, "pyproject.toml"));
  if (!looksLikeARun(argv, env, pyproject)) return;
  let python;
  try {
    python = choosePython(cwd, undefined, env);
  } catch {
    return;
  }
  if (viaUv(python)) return;
  const runId = newRunId();
  const pytestAhead = serialRunLikely(argv, env, cwd, pyproject);
  // The fork server's environment (run/start.ts): the run's first Python is the fork server, or a serial run's pytest.
  const earlyEnv: NodeJS.ProcessEnv = {
    ...env,
    PYTHONPATH: withPluginPath(env["PYTHONPATH"]),
    PYTHONUNBUFFERED: "1",
    GRIMOIRE_RUN_ID: runId,
    GRIMOIRE_TREE_ID: `${runId}.forkserver`,
    ...(pytestAhead ? { [PYTEST_AHEAD_VARIABLE]: "1" } : {}),
  };
  const fd3 = isOpen(0);
  let child: ChildProcess;
  try {
    child = spawn(python.command, [...python.args, "-m", EARLY_MODULE, EARLY_LABEL], { cwd, env: earlyEnv, detached: true, stdio: ["pipe", "pipe", "pipe", fd3 ? 0 : "ignore"], shell: false });
  } catch {
    return;
  }
  child.stdin?.on("error", () => undefined);
  const early: Early = { child, command: python.command, pythonArgs: python.args, cwd, env: earlyEnv, fd3, pytestAhead, exit: null, exited: exitOf(child, (exit) => (early.exit = exit)) };
  pending = early;
  startedRunId = runId;
  process.once("exit", () => {
    if (pending === early) killGroup(early);
  });
}

/** The run id the early Python carries in its environment (GRIMOIRE_RUN_ID), for the run to take as its own; null without one. */
export function earlyRunId(): string | null {
  return startedRunId;
}

/**
 * The early Python, become the process `spec` asks for, or null when there is
 * none or it would not be that process (it is then ended: the run starts its
 * first Python itself). Only a `python -m pytest` or a fork server's spec is
 * ever compared: any other command leaves it waiting.
 */
export function takeEarlyPython(spec: LaunchSpec): LaunchedProcess | null {
  const early = pending;
  if (early === null || spec.background === true) return null;
  const module = moduleOf(spec, early);
  if (module === null) return null;
  const changes = envChanges(early.env, spec.env);
  if (!fitsEarly(spec, early, changes) || (early.pytestAhead && module !== "pytest")) {
    void discardEarlyPython();
    return null;
  }
  pending = null;
  const { set, unset } = changes;
  const stdin = early.child.stdin as Writable;
  stdin.write(`${JSON.stringify({ module, args: spec.args.slice(early.pythonArgs.length + 2), set, unset, stdin: spec.stdin, fd3: spec.fd3 !== undefined })}\n`);
  if (spec.stdin !== "pipe") stdin.end();
  return {
    pid: early.child.pid ?? null,
    stdout: early.child.stdout as NonNullable<ChildProcess["stdout"]>,
    stderr: early.child.stderr as NonNullable<ChildProcess["stderr"]>,
    stdin: spec.stdin === "pipe" ? stdin : null,
    exited: early.exited,
  };
}

/** Ends the early Python if nothing took it over; resolves once it has exited. */
export async function discardEarlyPython(): Promise<void> {
  const early = pending;
  if (early === null) return;
  pending = null;
  killGroup(early);
  await early.exited;
}

/** The module `spec` runs with `python -m`, where its Python is the early one's command (arguments aside); null otherwise. */
function moduleOf(spec: LaunchSpec, early: Early): string | null {
  const at = early.pythonArgs.length;
  const module = spec.args[at + 1];
  if (spec.command !== early.command || spec.args[at] !== "-m" || module === undefined || !MODULES.has(module)) return null;
  return early.pythonArgs.every((arg, index) => spec.args[index] === arg) ? module : null;
}

function fitsEarly(spec: LaunchSpec, early: Early, changes: EnvChanges): boolean {
  if (early.exit !== null || early.child.pid === undefined || spec.cwd !== early.cwd) return false;
  // What it can hand over as stdin and fd 3: grimoire-run's own stdin, or nothing.
  if ((spec.stdin === "inherit" || spec.fd3 !== undefined) && !early.fd3) return false;
  if (spec.fd3 !== undefined && spec.fd3 !== 0) return false;
  return readAtStart(changes).length === 0;
}

/** The variables read as a Python starts (STARTUP_VARIABLES) among those an environment's changes set or unset. */
export function readAtStart({ set, unset }: EnvChanges): string[] {
  return [...Object.keys(set), ...unset].filter((name) => STARTUP_VARIABLES.test(name)).sort();
}

/** An environment's differences from another's: the variables to set, and those to unset. */
export interface EnvChanges {
  set: Record<string, string>;
  unset: string[];
}

/**
 * What a process's environment changes from another's: the variables to set
 * and those to unset, applied to a Python started with `base` (the fork
 * server's files, the early Python). The Python starts from its own
 * environment, which a `--python` wrapper (a virtualenv activation, a script)
 * may have added to, and applies only these changes: as if the wrapper had
 * been started with `env`.
 */
export function envChanges(base: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv): EnvChanges {
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && base[key] !== value) set[key] = value;
  const unset = Object.keys(base).filter((key) => base[key] !== undefined && env[key] === undefined);
  return { set, unset };
}

function looksLikeARun(argv: readonly string[], env: NodeJS.ProcessEnv, pyproject: string): boolean {
  const ours = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (ours[0] === "merge-reports" || ours[0] === "install-hook") return false;
  if (ours.some((word) => NOT_A_RUN.has(word) || word.startsWith("--python="))) return false;
  if (env["GRIMOIRE_PYTHON"] !== undefined) return false;
  return !pyprojectSets(pyproject, "python");
}

/**
 * Whether the run's first Python is most likely a serial run's one `python -m pytest` (run/start.ts's direct run): no
 * option that starts the fork server first (--parallel, --shard, --changed) on the command line, in the environment,
 * .env or pyproject.toml, no --collect-only after --, and no pytest-cov to measure. Its early Python imports pytest
 * while Node.js loads grimoire-run: the serial run's first test came about 60 ms sooner (120 one-test files, 12
 * alternating runs each, 2026-12-07). Wrong, it costs the early start: a fork server is not taken over from a Python
 * that imported pytest before it could note what that import does (its random generators, exit handlers).
 */
export function serialRunLikely(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, pyproject: string): boolean {
  const at = argv.indexOf("--");
  const ours = at < 0 ? argv : argv.slice(0, at);
  const forwarded = at < 0 ? [] : argv.slice(at + 1);
  // As the run reads .env (one it cannot read stops the run anyway: no guess then).
  let dotenv: Record<string, string>;
  try {
    dotenv = readDotenv(cwd);
  } catch {
    return false;
  }
  for (const name of NOT_DIRECT) {
    const variable = `GRIMOIRE_${name.toUpperCase()}`;
    if (ours.some((word) => word === `--${name}` || word.startsWith(`--${name}=`))) return false;
    if (env[variable] !== undefined || dotenv[variable] !== undefined || pyprojectSets(pyproject, name)) return false;
  }
  if (forwarded.some((word) => word === "--collect-only" || word === "--co")) return false;
  return !mayMeasureCoverage(cwd, forwarded, env, pyproject);
}

/** Whether pyproject.toml's text sets `key` in [tool.grimoire-run] (`python`: the run would start that one). */
export function pyprojectSets(text: string, key: string): boolean {
  let inTable = false;
  for (const line of text.split("\n")) {
    const header = /^\s*\[\s*([^\]]*?)\s*\]/.exec(line);
    if (header !== null) inTable = header[1] === "tool.grimoire-run" || header[1] === 'tool."grimoire-run"';
    else if (inTable && new RegExp(`^\\s*["']?${key}["']?\\s*=`).test(line)) return true;
  }
  return false;
}

/** How the child ended (noted as it does), once it has. */
function exitOf(child: ChildProcess, noted: (exit: Exit) => void): Promise<Exit> {
  return new Promise<Exit>((resolve) => {
    const done = (exit: Exit): void => {
      noted(exit);
      resolve(exit);
    };
    child.once("error", (error) => done({ code: null, signal: null, spawnError: error }));
    child.once("exit", (code, signal) => done({ code, signal, spawnError: null }));
  });
}

function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function killGroup(early: Early): void {
  const pid = early.child.pid;
  if (pid === undefined || early.exit !== null) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone already
  }
}
