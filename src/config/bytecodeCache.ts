/**
 * Where a parallel run's Python processes keep the bytecode they compile when
 * the environment asks Python not to write it (`PYTHONDONTWRITEBYTECODE`, as
 * many Docker images set). One plain pytest process compiles each module it
 * imports once; a process per file compiles the project's modules, its test
 * modules (assertion rewriting) and every dependency a forked file imports
 * again in every file. Kept under grimoire-run's own folder (by the paths
 * `PYTHONPYCACHEPREFIX` would give), the project's tree stays free of
 * `__pycache__`, as the variable wants, and each module is compiled once
 * until it changes.
 */
import path from "node:path";
import { STATE_DIR } from "../defaults.js";

/** The folder, under the project's `.grimoire/`. */
export function bytecodeCacheDir(root: string): string {
  return path.join(root, STATE_DIR, "pycache");
}

/** The variable that gives a forked file the folder (python/grimoire_run_fork.py takes it out of the file's environment). */
export const BYTECODE_CACHE_VARIABLE = "GRIMOIRE_BYTECODE_CACHE";

/**
 * A forked file's environment: unchanged unless Python is told not to write
 * bytecode and no cache folder of the user's says where it may; then with
 * `folder` in BYTECODE_CACHE_VARIABLE, which the file's own imports and
 * pytest's rewriting use and its tests never see: the environment they and
 * the processes they start see is the user's, PYTHONDONTWRITEBYTECODE
 * included (a test that runs `python -m compileall` finds the bytecode beside
 * the sources, as in a plain run). Only files forked from the fork server get
 * it: there a module compiled beside its source is still read from there
 * (grimoire_run_fork), where a process started afresh would compile Python's
 * own library and every installed package again into an empty folder.
 */
export function withBytecodeCache(env: NodeJS.ProcessEnv, folder: string): NodeJS.ProcessEnv {
  // Python reads a non-empty value as set, an empty one as unset.
  if ((env["PYTHONDONTWRITEBYTECODE"] ?? "") === "" || (env["PYTHONPYCACHEPREFIX"] ?? "") !== "") return env;
  return { ...env, [BYTECODE_CACHE_VARIABLE]: folder };
}
