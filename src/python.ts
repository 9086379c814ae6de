/**
 * Which Python runs pytest, and whether pytest is there at all: found out
 * once, before any test starts, so that a missing pytest is one clear
 * message and not a failure per file.
 */
import fs from "node:fs";
import path from "node:path";
import { FALLBACK_PYTHON, PYTHON_CHECK_TIMEOUT_SECONDS, VIRTUALENV_PYTHONS } from "./defaults.js";
import { splitArgs } from "./config/shellWords.js";
import { UsageError } from "./errors.js";
import { capture } from "./process/capture.js";

export interface PythonCommand {
  command: string;
  args: string[];
  /** Where the choice came from, for messages: "--python", ".venv/bin/python", "uv.lock", "../.venv/bin/python" (a folder up), "default". */
  source: string;
}

/** A `uv run python` chosen for the project's uv.lock (resolved to the project's interpreter once checked). */
export function viaUv(python: PythonCommand): boolean {
  return path.basename(python.source) === "uv.lock";
}

export function choosePython(root: string, explicit: string | undefined, env: NodeJS.ProcessEnv): PythonCommand {
  if (explicit !== undefined && explicit.trim() !== "") {
    const [command, ...args] = splitArgs(explicit);
    if (command === undefined) throw new UsageError("--python is empty");
    return { command, args, source: "--python" };
  }
  // Started in a folder of the project (its tests/, say), as pytest may be: the project's own Python is further up.
  for (const folder of projectFolders(root)) {
    const shown = (name: string): string => path.join(path.relative(root, folder), name);
    for (const candidate of VIRTUALENV_PYTHONS) {
      const file = path.join(folder, candidate);
      if (isExecutable(file)) return { command: file, args: [], source: shown(candidate) };
    }
    if (fs.existsSync(path.join(folder, "uv.lock"))) {
      const uv = findOnPath("uv", env);
      if (uv !== null) return { command: uv, args: ["run", "python"], source: shown("uv.lock") };
    }
  }
  return { command: FALLBACK_PYTHON, args: [], source: "default" };
}

/**
 * `root`, then each folder above it up to the top of its git repository; only
 * `root` itself outside one (a virtualenv found above a folder that is not in
 * a repository may belong to anything).
 */
function projectFolders(root: string): string[] {
  const folders: string[] = [];
  for (let folder = path.resolve(root); ; folder = path.dirname(folder)) {
    folders.push(folder);
    if (fs.existsSync(path.join(folder, ".git"))) return folders;
    if (path.dirname(folder) === folder) return folders.slice(0, 1);
  }
}

export function describePython(python: PythonCommand): string {
  return [python.command, ...python.args].join(" ");
}

/**
 * Checks that pytest can be imported, and resolves a `uv run python` to the
 * project's own interpreter so that each file does not pay for `uv run` again.
 */
/** The oldest Python grimoire-run's pytest plugin runs on; the fork server needs FORK_SERVER_PYTHON (python/grimoire_run_forkserver.py says so itself). */
export const MIN_PYTHON = [3, 7] as const;
export const FORK_SERVER_PYTHON = [3, 8] as const;

/** How the Python was chosen, under an error about it: no option of grimoire-run's is wrong but --python. */
const PYTHON_SEE = "grimoire-run runs the project's .venv or venv Python (in its folder, or one above it in its git repository), `uv run python` where the project uses uv, else python3; --python chooses another.";

export async function checkPytest(python: PythonCommand, root: string, env: NodeJS.ProcessEnv): Promise<PythonCommand> {
  // Written for any Python, 2 included: one too old for grimoire-run's plugin is told so (exit 4), not sent to install pytest.
  const probe = `import sys; print(sys.executable); print('.'.join(map(str, sys.version_info[:3]))); sys.exit(4) if sys.version_info < (${MIN_PYTHON.join(", ")}) else None; import importlib.util as u; sys.exit(0 if u.find_spec('pytest') else 3)`;
  const result = await capture(python.command, [...python.args, "-c", probe], { cwd: root, env, timeoutMs: PYTHON_CHECK_TIMEOUT_SECONDS * 1000 });
  const shown = describePython(python);
  const how = python.source === "default" ? "" : ` (chosen from ${python.source})`;
  if (result.error !== null) {
    throw new UsageError(
      `cannot run Python: ${shown}${how}: ${result.error}. Install Python 3, or pass --python with the interpreter of your project (for example --python .venv/bin/python).`,
      PYTHON_SEE,
    );
  }
  if (result.code === 4) {
    const version = result.stdout.trim().split("\n")[1] ?? "older";
    throw new UsageError(
      `${shown}${how} is Python ${version}: grimoire-run's pytest plugin needs Python ${MIN_PYTHON.join(".")} or newer (its fork server ${FORK_SERVER_PYTHON.join(".")} or newer). Pass --python with a newer interpreter.`,
      PYTHON_SEE,
    );
  }
  if (result.code === 3) {
    throw new UsageError(
      `pytest is not installed for ${shown}${how}. Install it with: ${shown} -m pip install pytest` +
        " — or pass --python with the interpreter that has it.",
      PYTHON_SEE,
    );
  }
  if (result.code !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-3).join("\n");
    throw new UsageError(`${shown}${how} failed (exit ${String(result.code)}) while checking for pytest:\n${detail}`, PYTHON_SEE);
  }
  const executable = result.stdout.trim().split("\n")[0];
  if (viaUv(python) && executable !== undefined && isExecutable(executable)) {
    return { command: executable, args: [], source: python.source };
  }
  return python;
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
