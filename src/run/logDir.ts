/**
 * The run's id and its log folder: `--log-dir`, or `.grimoire/logs/<run>`
 * with the older runs' folders pruned, or the temp folder when the project
 * cannot be written in.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { prepareOutputDir } from "../config/outputPaths.js";
import type { RunConfig } from "../config/runConfig.js";
import { KEPT_LOG_RUNS, STATE_DIR } from "../defaults.js";
import { UsageError } from "../errors.js";
import { stateDir } from "../stateDir.js";

/**
 * The run's log folder: --log-dir, or `.grimoire/logs/<run>`; `prune`, the
 * older runs' folders beyond KEPT_LOG_RUNS, for the run to remove once its
 * tests are done (removing a run of 120 files' logs took 50 ms, which the
 * first test waited for). A project that cannot be written in (a read-only
 * checkout, a `.grimoire` that is not a writable folder) still runs its
 * tests, as plain pytest would there: only its logs go to the temp folder,
 * and `moved` says why.
 */
export function prepareLogDir(config: RunConfig, runId: string): { dir: string; moved: string | null; prune: string[] } {
  if (config.logDir !== null) {
    prepareOutputDir("--log-dir", config.logDir);
    return { dir: config.logDir, moved: null, prune: [] };
  }
  const state = path.join(config.root, STATE_DIR);
  try {
    const kept = keptLogDir(path.join(state, "logs"), runId);
    stateDir(config.root);
    return { ...kept, moved: null };
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    let kept: { dir: string; prune: string[] };
    try {
      kept = keptLogDir(path.join(os.tmpdir(), "grimoire-logs"), runId);
    } catch {
      throw new UsageError(`cannot write in ${STATE_DIR}/ in the project (${why}), nor in the temp folder ${os.tmpdir()}: pass --log-dir with a folder that can be written`);
    }
    return { ...kept, moved: `cannot write in ${STATE_DIR}/ in the project (${why}): this run's logs are in ${kept.dir} and it is not recorded in the history (--log-dir chooses where logs go)` };
  }
}

/** `logs/<run>`, made, and the folders of older runs beyond KEPT_LOG_RUNS. Throws the system's error when it cannot be written. */
function keptLogDir(logs: string, runId: string): { dir: string; prune: string[] } {
  // One level at a time: a recursive mkdir reports a read-only file system as ENOENT.
  for (const dir of [path.dirname(logs), logs]) {
    try {
      fs.mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  fs.accessSync(logs, fs.constants.W_OK);
  const older = fs.readdirSync(logs).sort();
  const prune = older.slice(0, Math.max(0, older.length - (KEPT_LOG_RUNS - 1))).map((name) => path.join(logs, name));
  const dir = path.join(logs, runId);
  fs.mkdirSync(dir, { recursive: true });
  return { dir, prune };
}

/** Removes the older runs' log folders prepareLogDir named; one that cannot be removed is left for the next run. */
export async function pruneLogDirs(folders: readonly string[]): Promise<void> {
  await Promise.all(folders.map((folder) => fs.promises.rm(folder, { recursive: true, force: true }).catch(() => undefined)));
}
