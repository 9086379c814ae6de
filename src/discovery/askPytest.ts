/**
 * Asks pytest which files a plain run would collect: one pytest session with
 * the run's own arguments, in which grimoire-run's plugin records every file
 * collector and opens none (see python/grimoire_run_pytest.py). Conftests are
 * loaded and every ignore rule applied exactly as in a plain run; no test
 * module is imported. Forked from the fork server where there is one (pytest
 * and its plugins are imported already), else a fresh process. The answer is
 * read as soon as the plugin says it is written: the session's end (the
 * plugins' summaries and teardown: Hypothesis's imports all of Hypothesis)
 * runs on beside the run's first files, and the run awaits it before it ends.
 */
import fs from "node:fs";
import { PYTEST_ARGUMENTS_SEE, PytestExited, UsageError } from "../errors.js";
import { failedConftest, isOwnJunitNote } from "../exec/pytestCommand.js";
import type { Launcher } from "../process/launch.js";
import { runProcess } from "../process/runProcess.js";
import { toProjectPath } from "../projectPaths.js";
import type { CoverageSettings } from "../model.js";
import type { PytestExit } from "../exec/testRecords.js";
import { describePython, pythonOrigin, type PythonCommand } from "../python.js";

/** What pytest would collect, and the settings every process of the run must share with that answer. */
export interface Listing {
  /**
   * Absolute paths, with the class of each collector pytest made for the file (Module, DoctestModule, DoctestTextfile, a
   * plugin's); `empty` for a doctest text file whose collection found no example; `folder` for a folder whose own
   * collector yields tests (a conftest's pytest_collect_directory). Absent: false.
   */
  files: { path: string; kinds: string[]; empty?: boolean; folder?: boolean }[];
  /** Collectors above the files that failed (a conftest that does not import), absolute. */
  errors: { nodeid: string; path: string; message: string }[];
  rootdir: string;
  inifile: string | null;
  /** The collection arguments pytest used (the given ones, or its testpaths), absolute. */
  args: string[];
  /** pytest-randomly's seed as the listing's session resolved it (a new one, or `last`'s), when the plugin is active: every file's process is given it. Absent: null. */
  randomlySeed?: number | null;
  /** A fingerprint of the installed distributions (their folders' names, versions included): one of a run's conditions for the flake rates. Absent: unknown. */
  distributions?: string;
  /** pytest's cache folder, or null when the cache plugin is off. */
  cacheDir: string | null;
  /**
   * The run's numbered temporary folder (pytest-of-USER/pytest-N, made by pytest's own rules, locked) when the request
   * asked for one (GRIMOIRE_LIST_BASETEMP): each process of a parallel run makes its basetemp in it. Null where the user
   * gave --basetemp. Absent: null.
   */
  basetemp?: string | null;
  /** pytest-cov's options when it measures (--cov, from the arguments or addopts); null when it does not. Absent: read as null. */
  coverage?: CoverageSettings | null;
  /** `sys.path` once pytest was configured and its conftests loaded (absolute): where imports are found. */
  sysPath: string[];
  /** The project's own modules pytest loaded as plugins (absolute; not conftests): every test runs with them. Absent: none. */
  pluginFiles?: string[];
  /** Top-level names of installed packages (site-packages) the conftests and plugins imported: what auto-preload imports once. Absent: none. */
  imported?: string[];
  /** The deepest modules of those packages the conftests and plugins imported (`playwright.sync_api`), in import order: auto-preload imports them too. Absent: none. */
  importedModules?: string[];
  /** Environment variables the conftests and plugins set, changed or removed (sorted): what a --preload imported before them did not see. Absent: none. */
  environChanged?: string[];
  /** Test modules a plain run fails to import because an earlier one has their module name, each with that earlier one (absolute paths). Absent: none. */
  conflicts?: Record<string, string>;
  /** Folders (absolute) whose conftest defines a hook acting on the whole session, which every file's process must load. Absent: none. */
  sessionConftests?: string[];
  /**
   * Folders a plugin empties at the start of every session, which the run empties once before its first file instead
   * (pytest-playwright's --output, where no conftest defines its clean-up itself). Absent: none.
   */
  cleanOnce?: CleanOnce[];
  /** pytest-mypy's files (absolute, in collection order) and the one whose session holds its exit status check (null: --mypy-no-status-check); null without pytest-mypy. Absent: null. */
  mypy?: { paths: string[]; status: string | null } | null;
  /** pytest's `testpaths` (relative to the rootdir, as written) and `python_files` patterns. Absent from an older plugin: none, and pytest's default. */
  testpaths?: string[];
  pythonFiles?: string[];
  /** pytest's `--doctest-glob`s (`test*.txt` by default); empty with the doctest plugin off. Absent: none. */
  textFiles?: string[];
  /** pytest options in effect (from the arguments, addopts and PYTEST_ADDOPTS) that act across files. */
  options: {
    maxfail: number;
    lastFailed: boolean;
    /** pytest's --lfnf: what --lf runs when nothing failed last time. Absent: "all". */
    lastFailedNoFailures?: "all" | "none";
    failedFirst: boolean;
    collectOnly: boolean;
    /** `--sw` / `--stepwise` (or `--sw-skip`): one session's walk through the tests, resumed at its last failure. Absent: false. */
    stepwise?: boolean;
    /** pytest-xdist's -n, when it would distribute; each grimoire-run process runs without it. */
    xdistWorkers: number | string | null;
    /**
     * Plugins' options that act on the session's tests as a whole, each as [plugin, option, what it is for]: a
     * "report" of them all (pytest-html's --html), pytest-split's "durations" file or "splits". Absent: none.
     */
    sessionWide?: [string, string, "report" | "durations" | "splits" | "saved run"][];
    /**
     * Plugins' options that one process per file would turn into a false result or lost files, each as [plugin, the
     * option as given, which case]: pytest-benchmark's comparison with the latest saved run while each file saves its
     * own ("benchmark-compare"), inline-snapshot's flags that write snapshots ("inline-snapshot"). Absent: none.
     */
    refusedInParallel?: [string, string, string][];
  };
}

/** A folder a plugin empties at every session's start: which plugin, by which option, and the folder (absolute). */
export interface CleanOnce {
  plugin: string;
  option: string;
  path: string;
}

export interface ListingRequest {
  root: string;
  python: PythonCommand;
  /** Collection arguments (project paths); empty for pytest's default. */
  args: string[];
  /** The arguments every pytest process of the run gets (forwarded ones, -p plugin, JUnit), before the collection arguments. */
  pytestArgs: string[];
  env: NodeJS.ProcessEnv;
  launcher: Launcher;
  /** Where the listing session's output goes, and its answer beside it. */
  logFile: string;
  cancel: AbortSignal;
  hurry: AbortSignal;
  killGraceMs: number;
}

/** pytest's answer, and the end of the session that gave it. */
export interface Answer {
  listing: Listing;
  /** Settles when the listing's process has ended (never rejects): the run awaits it before it ends. */
  ended: Promise<void>;
  /** The listing session's exit code once it has ended (null when it was killed or never started), as its plugins left it. */
  exitCode: Promise<number | null>;
}

/** Lines of pytest's own output shown when it could not answer. */
const SHOWN_LINES = 25;
/** The line the plugin prints once its answer is written, followed by the answer's path (python/grimoire_run_pytest.py's `_LISTED`). */
const LISTED = "grimoire-run: listed the files in ";

export async function askPytest(request: ListingRequest): Promise<Answer | "cancelled"> {
  const answer = request.logFile.replace(/\.log$/, ".json");
  fs.rmSync(answer, { force: true });
  const pytestArgs = [...request.pytestArgs, ...request.args.map((arg) => (arg.startsWith("-") ? `./${arg}` : arg))];
  const ownJunit = request.env["GRIMOIRE_JUNIT_XML"];
  let written = (): void => undefined;
  const listed = new Promise<"listed">((resolve) => (written = () => resolve("listed")));
  const isListed = (line: string): boolean => {
    if (line.trimEnd() !== `${LISTED}${answer}`) return false;
    written();
    return true;
  };
  const run = runProcess(
    {
      launch: {
        command: request.python.command,
        args: [...request.python.args, "-m", "pytest", ...pytestArgs],
        pytestArgs,
        cwd: request.root,
        env: listingEnv(request.env, answer),
        stdin: "ignore",
      },
      marker: `GRIMOIRE_LIST_FILE=${answer}`,
      logFile: request.logFile,
      drop: (line: string) => isListed(line) || (ownJunit !== undefined && isOwnJunitNote(line, ownJunit)),
      outputMode: "lines",
      timeoutMs: null,
      killGraceMs: request.killGraceMs,
      cancel: request.cancel,
      hurry: request.hurry,
    },
    request.launcher,
  );
  if ((await Promise.race([run, listed])) === "listed") {
    // Collected and selected: the arguments pytest refuses (exit 4) are refused by then.
    const early = readListing(answer);
    if (early !== null) {
      const exitCode = run.then((report) => report.exitCode, () => null);
      return { listing: early, ended: exitCode.then(() => undefined), exitCode };
    }
  }
  const report = await run;
  if (report.cancelled) return "cancelled";
  const listing = readListing(answer);
  // A conftest's pytest.exit() ended the session before pytest had listed anything: the run ends as plain pytest's does.
  const exited = (listing as { exited?: PytestExit } | null)?.exited;
  if (exited !== undefined && report.exitCode === exited.returncode) throw new PytestExited(exited);
  // 4 is pytest's usage error: bad arguments, or a conftest pytest could not load at start.
  if (listing === null || report.exitCode === 4 || report.exitCode === 3) {
    const why = report.spawnError ?? (report.signal !== null ? `killed by ${report.signal}` : `exit code ${String(report.exitCode)}`);
    throw refusedBeforeCollecting(request.root, why, readLog(request.logFile), report.exitCode === 4, request.python);
  }
  return { listing, ended: Promise.resolve(), exitCode: Promise.resolve(report.exitCode) };
}

/** The run's pytest environment, asking for a listing: nothing of a file's own process (its limit, its records) applies. */
function listingEnv(env: NodeJS.ProcessEnv, answer: string): NodeJS.ProcessEnv {
  const listing: NodeJS.ProcessEnv = { ...env, GRIMOIRE_LIST_FILE: answer };
  delete listing["GRIMOIRE_ONLY_FILES"];
  delete listing["GRIMOIRE_RESULTS_FILE"];
  return listing;
}

function readListing(file: string): Listing | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Listing;
  } catch {
    return null;
  }
}

/** The listing's log, line by line; none when it could not be read. */
function readLog(logFile: string): string[] {
  try {
    return fs.readFileSync(logFile, "utf8").trimEnd().split("\n");
  } catch {
    return [];
  }
}

/**
 * pytest stopped before it collected a test (`why`: its exit code, a signal), having printed `printed`: a usage error
 * (4) may be a conftest of a folder it was given, which it loads before collecting, rather than the arguments.
 */
export function refusedBeforeCollecting(root: string, why: string, printed: readonly string[], usageError: boolean, python: PythonCommand): UsageError {
  const conftest = usageError ? failedConftest(printed) : null;
  if (conftest !== null) {
    return new UsageError(`pytest could not load ${toProjectPath(root, conftest)} (${why}):\n${lastLines(printed)}`, "The error is the conftest's own: plain pytest stops on it too, before collecting any test.");
  }
  if (cacheOptionsRefused(printed)) return new UsageError(`pytest could not collect the tests (${why}):\n${lastLines(printed)}`, CACHE_OPTIONS_SEE);
  if (configurationRefused(printed)) return new UsageError(`pytest could not read the project's configuration (${why}):\n${lastLines(printed)}`, CONFIGURATION_SEE);
  // A node id that names no test: pytest's own lines from its ERROR on (its header, already printed by a serial run,
  // said again on stderr read as noise, and where pytest's arguments come from did not point at the node id: a helper's
  // trial of unidecode).
  const notFound = printed.findIndex((line) => line.startsWith("ERROR: not found: "));
  if (notFound !== -1) return new UsageError(`pytest found no test by a node id it was given (${why}):\n${lastLines(printed.slice(notFound))}`, NODE_ID_SEE);
  // An option a plugin adds (pytest-playwright's --browser) is unknown to a Python without that plugin: which Python ran
  // pytest is what tells (a helper's project had its virtualenv a folder above, and the machine's python3 ran).
  const unknown = printed.some((line) => line.includes("unrecognized arguments:"));
  const which = `${describePython(python)}${python.source === "default" ? ", the python3 on PATH:" : ","} ${pythonOrigin(python)}`;
  const see = unknown ? `${PYTEST_ARGUMENTS_SEE} An option a plugin adds is unknown where the plugin is not installed: pytest ran on ${which} (--python chooses another).` : PYTEST_ARGUMENTS_SEE;
  return new UsageError(`pytest could not collect the tests (${why}):\n${lastLines(printed)}`, see);
}

/** Said where a node id named no test. */
const NODE_ID_SEE = "A node id names a test as pytest collects it: `pytest --collect-only -q FILE` lists a file's; the same node id fails plain pytest alike.";

/** pytest's options that its cacheprovider plugin adds: with the plugin off (`-p no:cacheprovider`), pytest does not know them. */
const CACHE_OPTIONS = new Set(["--lf", "--last-failed", "--ff", "--failed-first", "--nf", "--new-first", "--sw", "--stepwise", "--stepwise-skip", "--cache-clear", "--cache-show"]);

/** Said where pytest did not know one of them: a helper's `--debug -- -p no:cacheprovider` was told only where pytest's arguments come from. */
const CACHE_OPTIONS_SEE =
  "pytest's --lf, --ff and --sw come with its cacheprovider plugin, which -p no:cacheprovider (after --, in addopts or in PYTEST_ADDOPTS) turns off: --debug gives pytest --lf, and needs it on.";

/**
 * Said where pytest's error names one of its configuration files: pytest 9's "Cannot use both [tool.pytest] (native)
 * and [tool.pytest.ini_options] (ini)" was followed by where pytest's arguments come from (a helper's trial).
 */
const CONFIGURATION_SEE = "The error is in the project's pytest configuration, which plain pytest refuses the same way: fix that file.";

/** Whether pytest's error (`ERROR: …`) is about one of its configuration files rather than an argument. */
function configurationRefused(printed: readonly string[]): boolean {
  return printed.some((line) => /^ERROR: /.test(line) && /\b(?:pytest\.ini|\.pytest\.ini|pyproject\.toml|tox\.ini|setup\.cfg)\b/.test(line) && !line.includes("unrecognized arguments"));
}

/** Whether pytest refused one of its cache plugin's options as unknown (`error: unrecognized arguments: --lf`). */
function cacheOptionsRefused(printed: readonly string[]): boolean {
  return printed.some((line) => {
    const at = line.indexOf("unrecognized arguments:");
    return at >= 0 && line.slice(at + "unrecognized arguments:".length).trim().split(/\s+/).some((word) => CACHE_OPTIONS.has(word));
  });
}

function lastLines(printed: readonly string[]): string {
  // Blank lines left out too: one said as an indented nothing before "no tests ran" (a helper's trial of graphql-core).
  const lines = printed.filter((line) => line.trim() !== "" && (!line.startsWith("=") || /error|ERROR/.test(line)));
  return lines.slice(-SHOWN_LINES).map((line) => `  ${line}`).join("\n") || "(pytest printed nothing)";
}
