/**
 * pytest's own memory of what failed (`<cache_dir>/v/cache/lastfailed`) and of
 * the tests it has seen (`cache/nodeids`), kept as one plain run would leave
 * them. Each per-file process rewrites those files with its own view, the last
 * writer winning; at the end of the run they are written once more from what
 * they held before the run and every test's outcome, so that `pytest --lf`
 * (and `grimoire-run --debug`) afterwards rerun exactly the tests that failed,
 * and `pytest --nf` takes no test of the run for a new one.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writeJsonFile, writeTextFile } from "../atomicWrite.js";
import { STATE_DIR } from "../defaults.js";
import type { FileResult } from "../model.js";
import { toProjectPath } from "../projectPaths.js";
import { stateDir } from "../stateDir.js";

export type LastFailed = Record<string, boolean>;

export function lastFailedFile(cacheDir: string): string {
  return path.join(cacheDir, "v", "cache", "lastfailed");
}

/** What pytest remembers, or an empty memory when it remembers nothing readable. */
export function readLastFailed(cacheDir: string): LastFailed {
  try {
    const parsed = JSON.parse(fs.readFileSync(lastFailedFile(cacheDir), "utf8")) as unknown;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as LastFailed;
  } catch {
    // none yet, or damaged: pytest itself starts from nothing then
  }
  return {};
}

/**
 * pytest's own rule, applied to the run's results in the order they ran: a
 * test that failed or errored is remembered, one that passed or was skipped
 * is forgotten, and a file that collected again forgets its collection error.
 * Pure.
 */
export function updateLastFailed(before: LastFailed, results: readonly FileResult[]): LastFailed {
  const after: LastFailed = { ...before };
  const ran = results.filter((r) => r.cases.length > 0).sort((a, b) => a.startSeconds - b.startSeconds);
  for (const result of ran) {
    // Narrowed by --last-failed to tests it no longer has, the file ran whole: those tests are gone (renamed or
    // removed), and kept here they narrowed every later --last-failed run to them again. pytest keeps them ("1 known
    // failures not in selected tests"), and its --lf runs everything either way.
    if (result.ranWhole === true) {
      const now = new Set(result.cases.map((test) => test.nodeid));
      for (const nodeid of Object.keys(after)) if (nodeid.startsWith(`${result.path}::`) && !now.has(nodeid)) delete after[nodeid];
    }
    for (const test of result.cases) {
      const file = test.nodeid.split("::")[0] as string;
      if (test.nodeid !== file) delete after[file];
      if (test.outcome === "failed" || test.outcome === "error") after[test.nodeid] = true;
      else delete after[test.nodeid];
    }
  }
  return after;
}

/**
 * What `--last-failed` reads of pytest's memory: its failed node ids by the project path of their file (a key that is
 * a file's path alone is a collection error), and whether pytest wrote it after grimoire-run's last run recorded its
 * history: a plain `pytest` run since, whose view of what failed is then the latest.
 */
export interface CachedFailures {
  byFile: ReadonlyMap<string, readonly string[]>;
  newerThanHistory: boolean;
}

/** Reads pytest's memory of failures for --last-failed (`rootdir`: what its node ids are relative to; `historyRun`: grimoire-run's latest recorded run, in ms, or null). */
export function readCachedFailures(cacheDir: string, root: string, rootdir: string, historyRun: number | null): CachedFailures {
  const byFile = new Map<string, string[]>();
  for (const [nodeid, failed] of Object.entries(readLastFailed(cacheDir))) {
    if (failed !== true) continue;
    const file = toProjectPath(root, path.resolve(rootdir, nodeid.split("::")[0] as string));
    byFile.set(file, [...(byFile.get(file) ?? []), nodeid]);
  }
  let written: number | null = null;
  try {
    written = fs.statSync(lastFailedFile(cacheDir)).mtimeMs;
  } catch {
    // Never written, or gone since grimoire-run wrote it: a `pytest --cache-clear` (whose run then wrote none, all
    // passing), a removed .pytest_cache. Then pytest remembers nothing failing, and its --lf runs everything; the
    // history's older failures are no newer news (a helper's trial: --lf ran 4 of 5 tests where pytest's ran 5).
    const own = readOwnWrite(root);
    return { byFile, newerThanHistory: own !== null && own.file === lastFailedFile(cacheDir) };
  }
  return { byFile, newerThanHistory: writtenSince(root, cacheDir, written, historyRun) };
}

/**
 * Whether pytest's memory, last written at `written` (ms), was written by someone else since grimoire-run's last run: by
 * the note of grimoire-run's own last write of it, where there is one for this cache (anything else wrote it: a plain
 * pytest run, a serial grimoire-run's own pytest); else by the time, after the history's last run. The time alone took
 * a plain pytest run within seconds of grimoire-run's end for grimoire-run's own write (a helper's trial: `--last-
 * failed` reran the test the plain run had seen pass).
 */
function writtenSince(root: string, cacheDir: string, written: number, historyRun: number | null): boolean {
  const own = readOwnWrite(root);
  if (own !== null && own.file === lastFailedFile(cacheDir)) return written !== own.mtimeMs;
  return historyRun === null || written > historyRun + SAME_RUN_MS;
}

/** How far apart grimoire-run's writes of its history and of pytest's memory at the end of one run can be. */
const SAME_RUN_MS = 5_000;

/** grimoire-run's note of its own last write of pytest's memory of failures: which file, and its modification time then. */
interface OwnWrite {
  file: string;
  mtimeMs: number;
}

function ownWriteFile(root: string): string {
  return path.join(root, STATE_DIR, OWN_WRITE_FILE);
}

const OWN_WRITE_FILE = "lastfailed-written.json";

function readOwnWrite(root: string): OwnWrite | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(ownWriteFile(root), "utf8")) as Partial<OwnWrite>;
    return typeof parsed.file === "string" && typeof parsed.mtimeMs === "number" ? { file: parsed.file, mtimeMs: parsed.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** Notes grimoire-run's write of pytest's memory of failures (just made), by which a later write is known to be someone else's. */
export function noteOwnWrite(root: string, cacheDir: string): void {
  const file = lastFailedFile(cacheDir);
  stateDir(root);
  writeJsonFile(ownWriteFile(root), { file, mtimeMs: fs.statSync(file).mtimeMs } satisfies OwnWrite);
}

/**
 * What pytest writes into a cache folder it makes: a .gitignore that keeps the whole folder out of git, the cache
 * directory tag backup tools skip folders by (https://bford.info/cachedir/spec.html), and a README.
 */
const CACHE_DIR_FILES: Readonly<Record<string, string>> = {
  ".gitignore": "# Created by pytest automatically.\n*\n",
  "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by pytest.\n# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/spec.html\n",
  "README.md":
    "# pytest cache directory #\n\nThis directory contains data from the pytest's cache plugin,\nwhich provides the `--lf` and `--ff` options, as well as the `cache` fixture.\n\n**Do not** commit this to version control.\n\nSee [the docs](https://docs.pytest.org/en/stable/how-to/cache.html) for more information.\n",
};

/**
 * The cache folder, made as pytest makes it where it is missing: with CACHE_DIR_FILES, put in place whole by a rename
 * (a pytest making it at the same moment wins, and its folder is as good). Made bare, the run's write of pytest's memory
 * left `.pytest_cache/v/cache/lastfailed` for git to show as new, and for `git add -A` to commit (a helper's trial).
 */
function ensureCacheDir(cacheDir: string): void {
  if (fs.existsSync(cacheDir)) return;
  fs.mkdirSync(path.dirname(cacheDir), { recursive: true });
  // Not mkdtemp's 0700: made with the umask's mode, as pytest's is.
  const made = path.join(path.dirname(cacheDir), `pytest-cache-files-${process.pid}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(made);
  try {
    for (const [name, text] of Object.entries(CACHE_DIR_FILES)) fs.writeFileSync(path.join(made, name), text, { flag: "wx" });
    fs.renameSync(made, cacheDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  } finally {
    fs.rmSync(made, { recursive: true, force: true });
  }
}

/** Writes pytest's file the way pytest writes it (sorted, indented by two), in a cache folder made as pytest makes one. */
export function writeLastFailed(cacheDir: string, value: LastFailed): void {
  ensureCacheDir(cacheDir);
  const sorted = Object.fromEntries(Object.keys(value).sort().map((key) => [key, value[key]]));
  writeTextFile(lastFailedFile(cacheDir), JSON.stringify(sorted, null, 2));
}

/** pytest's memory of the tests it has seen (`cache/nodeids`), by which `--nf` runs new tests first. */
export function nodeIdsFile(cacheDir: string): string {
  return path.join(cacheDir, "v", "cache", "nodeids");
}

export function readNodeIds(cacheDir: string): string[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(nodeIdsFile(cacheDir), "utf8")) as unknown;
    if (Array.isArray(parsed)) return parsed.filter((id): id is string => typeof id === "string");
  } catch {
    // none yet, or damaged: pytest itself starts from nothing then
  }
  return [];
}

/** pytest's rule: the ids it knew, and every test the run collected (a file's collection error is no test). Pure. */
export function updateNodeIds(before: readonly string[], results: readonly FileResult[]): string[] {
  const known = new Set(before);
  for (const result of results) for (const test of result.cases) if (test.nodeid.includes("::")) known.add(test.nodeid);
  return [...known].sort();
}

export function writeNodeIds(cacheDir: string, ids: readonly string[]): void {
  ensureCacheDir(cacheDir);
  writeTextFile(nodeIdsFile(cacheDir), JSON.stringify(ids, null, 2));
}
