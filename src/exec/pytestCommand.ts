/**
 * What one pytest process is started with: its arguments, its environment
 * and its file names. Pure: the runner that spawns it is batchRunner.ts.
 *
 * A file found in a folder is never named to pytest: pytest runs a named
 * file even where its own rules would skip it, and collects it in ways a
 * folder run does not (a module under --doctest-modules becomes a test
 * module too). Its process gets the folder a plain run gets, and the plugin
 * ignores everything else there (GRIMOIRE_ONLY_FILES).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FAILURE_DETAILS_PER_PROCESS, FAILURE_TEXT_CHARS } from "../defaults.js";
import type { TestFile, TestSubset } from "../model.js";
import { isWithin } from "../projectPaths.js";
import { PYTHON_DIR, withPluginPath } from "../packageFiles.js";

/** The folder holding grimoire-run's pytest plugin, put on every pytest's PYTHONPATH. */
export const PLUGIN_DIR = PYTHON_DIR;
export const PLUGIN_MODULE = "grimoire_run_pytest";

export type PytestMode = "parallel" | "serial" | "debug" | "collect";

const MODE_ARGS: Record<PytestMode, string[]> = {
  parallel: [],
  serial: ["-x"],
  debug: ["--lf", "-x", "--tb=long", "-v"],
  collect: ["--collect-only"],
};

export interface CommandSettings {
  mode: PytestMode;
  /** pytest's rootdir as the listing found it: every process shares it, so node ids and conftest lookup match a plain run. */
  rootdir: string | null;
  /** -k, -m, --headed and everything after `--`, in that order. */
  forwardedArgs: string[];
  /**
   * Folders whose conftest defines a hook that acts on the whole session
   * (pytest_configure, pytest_collection_modifyitems, …), absolute: a process
   * limited to some files still walks to them, so that pytest loads those
   * conftests as a plain run does.
   */
  sessionConftests: readonly string[];
}

export interface ProcessTargets {
  /** Collection arguments: the folders of the files found in folders, and what was named. */
  args: string[];
  /** One part of a split file: the tests it runs (GRIMOIRE_TESTS_SUBSET); null for whole files. */
  subset: TestSubset | null;
  /** Absolute paths the process is limited to within its folders; null for no limit. */
  only: string[] | null;
}

/**
 * Collection arguments for a process running these files: each named file as
 * named, each other file by its folder, limited to itself. A process so
 * limited also gets the folder of each session-wide conftest (absolute, as
 * CommandSettings has them) that its folders do not reach: a plain run walks
 * every folder of its arguments, and such a conftest's hooks act on the files
 * of the others (`testpaths = a b`, a conftest in `a/` that marks every test).
 */
export function targetsOf(files: readonly TestFile[], root: string, sessionConftests: readonly string[] = []): ProcessTargets {
  const args: string[] = [];
  const only: string[] = [];
  const named: string[] = [];
  const add = (arg: string): void => {
    if (!args.includes(arg)) args.push(arg);
  };
  for (const file of files) {
    if (file.named !== null) {
      for (const target of file.named) add(target);
      named.push(path.join(root, file.path));
    } else {
      add(file.folder ?? file.path);
      only.push(path.join(root, file.path));
    }
  }
  if (only.length > 0) {
    // A file named as given (a path, node ids) beside one reached through its folder (a --pack of `tests/sub
    // tests/test_c.py`): the limit that keeps the folder to its files lets it through too.
    only.push(...named);
    const walked = args.map((arg) => path.resolve(root, arg));
    const reached = (folder: string): boolean => walked.some((target) => isWithin(folder, target) || isWithin(target, folder));
    for (const folder of sessionConftests.filter((conftestFolder) => !reached(conftestFolder))) add(path.relative(root, folder) || ".");
  }
  // A pack's files that run their tests that failed last time (--last-failed) share one list: each file's are kept, or
  // the whole file where the collection finds none of them (a file with none listed).
  const failed = files.length > 1 && files.every((file) => file.subset === undefined || file.subset.run === "failed") ? files.flatMap((file) => file.subset?.nodeids ?? []) : [];
  const subset = files.length === 1 ? (files[0]?.subset ?? null) : failed.length > 0 ? { run: "failed" as const, nodeids: failed } : null;
  return { args, subset, only: only.length > 0 ? only : null };
}

/**
 * Writes the file GRIMOIRE_ONLY_FILES names (python/grimoire_run_pytest.py's
 * OnlyFiles): the paths the process is limited to, and `+FOLDER` for each
 * folder of a session-wide conftest it must still walk.
 */
export function writeOnlyFile(file: string, only: readonly string[], settings: Pick<CommandSettings, "sessionConftests">): void {
  fs.writeFileSync(file, [...only, ...settings.sessionConftests.map((folder) => `+${folder}`)].map((line) => `${line}\n`).join(""));
}

/** pytest's arguments: what follows `python -m pytest`. */
export function pytestArgs(settings: CommandSettings, targets: readonly string[], { pack = false } = {}): string[] {
  const pinned = settings.rootdir === null || settings.forwardedArgs.some((arg) => arg === "--rootdir" || arg.startsWith("--rootdir=")) ? [] : [`--rootdir=${settings.rootdir}`];
  return [
    ...MODE_ARGS[settings.mode],
    // In a pack, a file that fails to import must not keep the pack's other files from running.
    ...(pack ? ["--continue-on-collection-errors"] : []),
    ...pinned,
    ...settings.forwardedArgs,
    "-p",
    PLUGIN_MODULE,
    // A file whose name starts with a dash must never be read as an option.
    ...targets.map((target) => (target.startsWith("-") ? `./${target}` : target)),
  ];
}

/** PYTHONPATH with grimoire-run's Python folder (its pytest plugin, its fork server) first. */
export interface EnvSettings {
  baseEnv: NodeJS.ProcessEnv;
  /** Test modules a plain run fails to import for their module name, each with the earlier module that has it (the listing's conflicts). */
  importFirst?: Readonly<Record<string, string>>;
  baseUrl: string | null;
  workers: number;
  runId: string;
  /** Ask pytest for colour (grimoire-run's own output is coloured). */
  colour: boolean;
  /** Terminal width left for pytest after the tag, when there is a terminal. */
  columns: number | null;
  /** The run's numbered temporary folder (the listing's `basetemp`), in which each process of a parallel run makes its own basetemp; null: each makes its own numbered one, as pytest does. */
  runBasetemp?: string | null;
  /** A parallel run: what a plain run's one session empties at its start was emptied once (the listing's cleanOnce, log_file, allure's results): no process empties it again (GRIMOIRE_CLEANED_ONCE). */
  cleanedOnce?: boolean;
  /** A parallel run's shared pytest-mypy results: the file naming them and the run's files (GRIMOIRE_MYPY; mypyPlan.ts); null without pytest-mypy. */
  mypy?: string | null;
  /** The run writes a merged JUnit report (--junit-xml): each process writes its own (GRIMOIRE_JUNIT_MERGED); otherwise only where pytest was given a --junitxml. */
  mergedJunit?: boolean;
  /** The run writes pytest's cache/lastfailed and cache/nodeids at its end (plan/pytestCache.ts): no process writes them (GRIMOIRE_PYTEST_CACHE_KEPT). */
  pytestCacheKept?: boolean;
}

export interface ProcessPlace {
  slot: number;
  iteration: number;
  attempt: number;
  treeId: string;
  artifactsDir: string;
  logFile: string;
  recordsFile: string;
  /** The file grimoire-run writes before it stops the process (GRIMOIRE_STOP_NOTE): the plugin's SIGTERM handler stops the session only then. */
  stopNote?: string | null;
  /** pytest's own JUnit report of the process (GRIMOIRE_JUNIT_XML): the plugin puts it where a --junitxml of the user's would go. */
  junitFile: string;
  /** The file listing what the process is limited to (GRIMOIRE_ONLY_FILES), if it is. */
  onlyFile: string | null;
  /** The file naming the tests of a split file's part (GRIMOIRE_TESTS_SUBSET), if it is one. */
  subsetFile?: string | null;
  /** A serial run that learns its files from the process: the plugin says when it has collected them. */
  announceCollected?: boolean;
  /** The process's own coverage data file, when the run combines pytest-cov's data (COVERAGE_FILE); null when it does not. */
  coverageFile?: string | null;
  /** A process that runs while others do: its own folder under a `--basetemp`, or under the run's temporary folder (GRIMOIRE_BASETEMP_NAME); null in a serial run. */
  basetempName?: string | null;
  /** The plugin times the process's imports, by package (GRIMOIRE_IMPORT_TIMES). */
  importTimes?: boolean;
  /** One process of many: the plugin records its `--durations` list for the run to print once, instead of printing it (GRIMOIRE_MERGED_DURATIONS). */
  mergedDurations?: boolean;
}

/** The environment the contract promises every pytest process, and what grimoire-run's plugin reads. */
export function pytestEnv(settings: EnvSettings, place: ProcessPlace): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...settings.baseEnv };
  env["PYTHONPATH"] = withPluginPath(env["PYTHONPATH"]);
  // Output must arrive line by line, as it happens, not in 8 KiB blocks at exit.
  env["PYTHONUNBUFFERED"] = "1";
  if (settings.baseUrl !== null) env["E2E_BASE_URL"] = settings.baseUrl;
  env["GRIMOIRE_SLOT"] = String(place.slot);
  env["GRIMOIRE_WORKERS"] = String(settings.workers);
  env["GRIMOIRE_ITERATION"] = String(place.iteration);
  env["GRIMOIRE_ATTEMPT"] = String(place.attempt);
  env["GRIMOIRE_RUN_ID"] = settings.runId;
  env["GRIMOIRE_TREE_ID"] = place.treeId;
  env["GRIMOIRE_LOG_FILE"] = place.logFile;
  env["GRIMOIRE_ARTIFACTS_DIR"] = place.artifactsDir;
  env["GRIMOIRE_RESULTS_FILE"] = place.recordsFile;
  setOrDelete(env, "GRIMOIRE_STOP_NOTE", place.stopNote);
  env["GRIMOIRE_JUNIT_XML"] = place.junitFile;
  setOrDelete(env, "GRIMOIRE_JUNIT_MERGED", settings.mergedJunit === true ? "1" : null);
  setOrDelete(env, "GRIMOIRE_PYTEST_CACHE_KEPT", settings.pytestCacheKept === true ? "1" : null);
  setOrDelete(env, "GRIMOIRE_ANNOUNCE_COLLECTED", place.announceCollected === true ? "1" : null);
  env["GRIMOIRE_FAILURE_CHARS"] = String(FAILURE_TEXT_CHARS);
  env["GRIMOIRE_FAILURE_DETAILS"] = String(FAILURE_DETAILS_PER_PROCESS);
  // Each process measures into a file of its own, and grimoire-run reports the combination once (grimoire_run_coverage).
  if (place.coverageFile === undefined || place.coverageFile === null) delete env["GRIMOIRE_COVERAGE"];
  else {
    env["COVERAGE_FILE"] = place.coverageFile;
    env["GRIMOIRE_COVERAGE"] = "combine";
  }
  setOrDelete(env, "GRIMOIRE_BASETEMP_NAME", place.basetempName);
  setOrDelete(env, "GRIMOIRE_RUN_BASETEMP", place.basetempName === undefined || place.basetempName === null ? null : (settings.runBasetemp ?? null));
  setOrDelete(env, "GRIMOIRE_CLEANED_ONCE", settings.cleanedOnce === true ? "1" : null);
  setOrDelete(env, "GRIMOIRE_MYPY", settings.mypy);
  setOrDelete(env, "GRIMOIRE_IMPORT_TIMES", place.importTimes === true ? "1" : null);
  setOrDelete(env, "GRIMOIRE_MERGED_DURATIONS", place.mergedDurations === true ? "1" : null);
  setOrDelete(env, "GRIMOIRE_ONLY_FILES", place.onlyFile);
  const importFirst = settings.importFirst ?? {};
  setOrDelete(env, "GRIMOIRE_IMPORT_FIRST", Object.keys(importFirst).length === 0 ? null : JSON.stringify(importFirst));
  setOrDelete(env, "GRIMOIRE_TESTS_SUBSET", place.subsetFile);
  // pytest colours by its own rules (it reads FORCE_COLOR=0 as "force"); it follows grimoire-run's decision instead, and
  // fits its lines beside the tag. Through the plugin, not PY_COLORS and COLUMNS: the tests (and the pytest a test
  // starts) see the environment a plain run gives them.
  setOrDelete(env, "GRIMOIRE_COLOR", env["PY_COLORS"] === undefined ? (settings.colour ? "yes" : "no") : null);
  setOrDelete(env, "GRIMOIRE_COLUMNS", settings.columns === null ? null : String(settings.columns));
  return withNodeCompileCache(env);
}

/** A variable the process gets, or, with no value, one it must not inherit from grimoire-run's own environment. */
function setOrDelete(env: NodeJS.ProcessEnv, name: string, value: string | null | undefined): void {
  if (value == null) delete env[name];
  else env[name] = value;
}

/**
 * Playwright for Python starts a Node.js driver in every process that uses it
 * (about half a second of CPU, most of it compiling Playwright's code), and a
 * browser server loads the same code; Node's compile cache (Node 22.1 and
 * later, as Playwright bundles) keeps that work from one start to the next.
 * The folder is the one Node itself uses for module.enableCompileCache(); a
 * user's choice stands.
 */
export function withNodeCompileCache(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env["NODE_COMPILE_CACHE"] === undefined && env["NODE_DISABLE_COMPILE_CACHE"] === undefined) env["NODE_COMPILE_CACHE"] = path.join(os.tmpdir(), "node-compile-cache");
  return env;
}

/** pytest's note that it wrote the process's own JUnit report (`junitFile`, grimoire-run's, not the user's): dropped from its output and log. */
export function isOwnJunitNote(line: string, junitFile: string): boolean {
  return line.startsWith("-") && line.includes(`generated xml file: ${junitFile}`);
}

/**
 * The conftest pytest names when one it loads at its start fails to import (any exception there), or null: pytest
 * then stops before collecting, with the exit code of a usage error (4), as plain pytest does.
 */
export function failedConftest(lines: readonly string[]): string | null {
  for (const line of lines) {
    const found = /^ImportError while loading conftest '(.+)'\.$/.exec(line.trimEnd());
    if (found !== null) return found[1] ?? null;
  }
  return null;
}

/** A file name for a project path: `tests/e2e/test_a.py` becomes `tests_e2e_test_a.py`; a pack is named after its first file. */
export function logName(paths: readonly string[], iteration: number, attempt: number, mode: PytestMode = "parallel"): string {
  const first = (paths[0] ?? mode).replace(/[/\\]/g, "_");
  const base = paths.length === 1 ? first : mode === "parallel" ? `pack-${first}+${paths.length - 1}` : mode;
  return `${base}${iteration > 1 ? `.i${iteration}` : ""}${attempt > 1 ? `.a${attempt}` : ""}`;
}

/** The digits of a hash a process's basetemp folder is named by, at least. */
const BASETEMP_NAME_DIGITS = 8;

/**
 * The folder names processes' basetemps get (GRIMOIRE_BASETEMP_NAME), one run's: eight hexadecimal digits of a hash of
 * the process's log name, as long as pytest-xdist's `popen-gw0` or shorter. The log name itself (`tests_http_test_
 * cart.py`, a pack's `pack-…+11`) made every tmp_path longer by the file's path: filelock's test binding a Unix socket
 * in tmp_path was skipped ("AF_UNIX path too long", Linux allows 107 bytes, macOS 103) where plain pytest and xdist run
 * it (a helper's trial). Hexadecimal digits only: a test matching its tmp_path as a regular expression finds it (a
 * pack's `+` once failed pydantic-settings' tests). The same log name gets the same folder, run after run; two log
 * names of one run whose digits meet get more of them.
 */
export class BasetempNames {
  private readonly owners = new Map<string, string>();

  /** `fewest`: the digits a name has at least (fewer only in the tests, to make two names meet). */
  constructor(private readonly fewest = BASETEMP_NAME_DIGITS) {}

  name(logName: string): string {
    const digits = createHash("sha256").update(logName).digest("hex");
    for (let length = this.fewest; length < digits.length; length += 2) {
      const name = digits.slice(0, length);
      const owner = this.owners.get(name);
      if (owner === undefined || owner === logName) {
        this.owners.set(name, logName);
        return name;
      }
    }
    return digits;
  }
}
