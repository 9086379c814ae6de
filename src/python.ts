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
  /**
   * The default chosen where the project's own Python was passed over (a uv.lock without uv on PATH; outside a git
   * repository, a virtualenv in a folder above): where the Python came from, and what the run says at its start.
   */
  passedOver?: { origin: string; notice: string };
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
  const fallback: PythonCommand = { command: FALLBACK_PYTHON, args: [], source: "default" };
  const { folders, inRepository } = projectFolders(root);
  for (const folder of folders) {
    const shown = (name: string): string => path.join(path.relative(root, folder), name);
    const venv = virtualenvPython(folder);
    if (venv !== null) return { command: venv, args: [], source: shown(path.relative(folder, venv)) };
    if (fs.existsSync(path.join(folder, "uv.lock"))) {
      const uv = findOnPath("uv", env);
      if (uv !== null) return { command: uv, args: ["run", "python"], source: shown("uv.lock") };
      // The machine's python3 runs instead, said so: a helper's trial of dj-database-url ran on another pytest and its
      // plugins without a word.
      const lock = shown("uv.lock");
      fallback.passedOver ??= {
        origin: `no .venv or venv was found in the project, and its ${lock} needs uv, which is not on PATH`,
        notice: `the project has ${lock}, but uv is not on PATH: running pytest on ${FALLBACK_PYTHON}, not the project's environment (install uv, or choose a Python with --python)`,
      };
    }
  }
  if (fallback.passedOver === undefined && !inRepository) {
    // Outside a git repository a virtualenv above is not taken (it may belong to anything), but said: a helper's probe
    // project, run from its tests/ folder, ran on the machine's python3 without a word.
    for (let folder = path.dirname(path.resolve(root)); ; folder = path.dirname(folder)) {
      const venv = virtualenvPython(folder);
      if (venv !== null) {
        const shown = path.relative(root, venv);
        fallback.passedOver = {
          origin: `no .venv, venv or uv.lock was found in the folder the run started in; ${shown}, a folder above, is not taken outside a git repository`,
          notice: `${shown}, in a folder above, is not taken outside a git repository: running pytest on ${FALLBACK_PYTHON} (--python ${shown} chooses it)`,
        };
        break;
      }
      if (path.dirname(folder) === folder) break;
    }
  }
  return fallback;
}

/** A folder's virtualenv Python (VIRTUALENV_PYTHONS, the first found), or null. */
function virtualenvPython(folder: string): string | null {
  for (const candidate of VIRTUALENV_PYTHONS) {
    const file = path.join(folder, candidate);
    if (isExecutable(file)) return file;
  }
  return null;
}

/**
 * `root`, then each folder above it up to the top of its git repository; only
 * `root` itself outside one (a virtualenv found above a folder that is not in
 * a repository may belong to anything).
 */
function projectFolders(root: string): { folders: string[]; inRepository: boolean } {
  const folders: string[] = [];
  for (let folder = path.resolve(root); ; folder = path.dirname(folder)) {
    folders.push(folder);
    if (fs.existsSync(path.join(folder, ".git"))) return { folders, inRepository: true };
    if (path.dirname(folder) === folder) return { folders: folders.slice(0, 1), inRepository: false };
  }
}

export function describePython(python: PythonCommand): string {
  return [python.command, ...python.args].join(" ");
}

/** Where the Python came from, for messages: `chosen from .venv/bin/python`, or that the project has none of its own. */
export function pythonOrigin(python: PythonCommand): string {
  if (python.passedOver !== undefined) return python.passedOver.origin;
  return python.source === "default" ? "no .venv, venv or uv.lock was found in the project" : `chosen from ${python.source}`;
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
