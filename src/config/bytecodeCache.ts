/**
 * Where a parallel run's Python processes keep the bytecode they compile when
 * the environment asks Python not to write it (`PYTHONDONTWRITEBYTECODE`, as
 * many Docker images set). One plain pytest process compiles each module it
 * imports once; a process per file compiles the project's modules, its test
 * modules (assertion rewriting) and every dependency a forked file imports
 * again in every file. Kept under grimoire-run's own folder
 * (`PYTHONPYCACHEPREFIX`), the project's tree stays free of `__pycache__`, as
 * the variable wants, and each module is compiled once until it changes.
 */
import path from "node:path";
import { STATE_DIR } from "../defaults.js";

/** The folder, under the project's `.grimoire/`. */
export function bytecodeCacheDir(root: string): string {
  return path.join(root, STATE_DIR, "pycache");
}

/**
 * A forked file's environment: unchanged unless Python is told not to write
 * bytecode and no cache folder of the user's says where it may; then without
 * that and with `folder`. Only files forked from the fork server get it: there
 * a module compiled beside its source is still read from there
 * (grimoire_run_fork), where a process started afresh would compile Python's
 * own library and every installed package again into an empty folder.
 */
export function withBytecodeCache(env: NodeJS.ProcessEnv, folder: string): NodeJS.ProcessEnv {
  // Python reads a non-empty value as set, an empty one as unset.
  if ((env["PYTHONDONTWRITEBYTECODE"] ?? "") === "" || (env["PYTHONPYCACHEPREFIX"] ?? "") !== "") return env;
  const cached: NodeJS.ProcessEnv = { ...env, PYTHONPYCACHEPREFIX: folder };
  delete cached["PYTHONDONTWRITEBYTECODE"];
  return cached;
}
