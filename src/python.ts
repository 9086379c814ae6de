/**
 * Which Python runs pytest. Read by the command's entry before the rest of
 * grimoire-run is loaded (process/earlyPython.ts): it imports nothing that
 * starts processes (whether pytest is there is pytestCheck.ts's).
 */
import fs from "node:fs";
import path from "node:path";
import { FALLBACK_PYTHON, VIRTUALENV_PYTHONS } from "./defaults.js";
import { splitArgs } from "./config/shellWords.js";
import { UsageError } from "./errors.js";

export interface PythonCommand {
  command: string;
  args: string[];
  /** Where the choice came from, for messages: "--python", ".venv/bin/python", "uv.lock", "../.venv/bin/python" (a folder up), "default". */
  source: string;
  /** The default chosen where the project has a uv.lock and uv is not on PATH: that uv.lock, for the run to say so. */
  uvLockWithoutUv?: string;
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
  let uvLockWithoutUv: string | undefined;
  for (const folder of projectFolders(root)) {
    const shown = (name: string): string => path.join(path.relative(root, folder), name);
    for (const candidate of VIRTUALENV_PYTHONS) {
      const file = path.join(folder, candidate);
      if (isExecutable(file)) return { command: file, args: [], source: shown(candidate) };
    }
    if (fs.existsSync(path.join(folder, "uv.lock"))) {
      const uv = findOnPath("uv", env);
      if (uv !== null) return { command: uv, args: ["run", "python"], source: shown("uv.lock") };
      uvLockWithoutUv ??= shown("uv.lock");
    }
  }
  return { command: FALLBACK_PYTHON, args: [], source: "default", ...(uvLockWithoutUv === undefined ? {} : { uvLockWithoutUv }) };
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

/** Where the Python came from, for messages: `chosen from .venv/bin/python`, or that the project has none of its own. */
export function pythonOrigin(python: PythonCommand): string {
  if (python.uvLockWithoutUv !== undefined) return `no .venv or venv was found in the project, and its ${python.uvLockWithoutUv} needs uv, which is not on PATH`;
  return python.source === "default" ? "no .venv, venv or uv.lock was found in the project" : `chosen from ${python.source}`;
}

/**
 * Said at a run's start where the project has a uv.lock but uv is not on PATH: the run's Python is the machine's
 * python3, not the project's environment (dj-database-url's trial ran on another pytest and its plugins, without a word).
 */
export function uvMissingNotice(python: PythonCommand): string | null {
  if (python.uvLockWithoutUv === undefined) return null;
  return `the project has ${python.uvLockWithoutUv}, but uv is not on PATH: running pytest on ${describePython(python)}, not the project's environment (install uv, or choose a Python with --python)`;
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
