/**
 * The plain data that flows from planning, through execution, to reporting.
 * Nothing here holds a process or writes a byte.
 */

export type FileStatus = "passed" | "failed" | "timeout" | "cancelled" | "no-tests" | "flaky";

/** Tests by outcome, counted the way pytest's own summary line counts them (an error in a teardown is one more error). */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  xfailed: number;
  xpassed: number;
  /** Left out by the user's selection (-k, -m, --deselect, --lf) after collection, as pytest's summary counts them. */
  deselected: number;
  /**
   * Warnings pytest's summary counts that are the file's: raised by its tests, or where its module was collected.
   * Absent where there were none (or the report is from before it existed).
   */
  warnings?: number;
}

/** A test's outcome as pytest's terminal reporter names it; a test's worst phase decides (a teardown error makes it `error`). */
export type TestOutcome = "passed" | "failed" | "skipped" | "xfailed" | "xpassed" | "error";

/** One test of a file, or a collector that failed to collect (its outcome `error`). */
export interface TestCase {
  /** pytest's node id, relative to pytest's rootdir, exactly as pytest prints it. */
  nodeid: string;
  outcome: TestOutcome;
  /** Setup, call and teardown together. */
  seconds: number;
  /** What pytest reported of each phase that failed, in order; absent when none did. */
  failures?: TestFailure[];
  /** A module or folder that skipped itself as it was collected: pytest's reason (`pytest.importorskip`'s, a module-level skip's). */
  reason?: string;
}

/** One failed phase of a test (or a failed collection), as pytest reported it. Bounded by the plugin (FAILURE_TEXT_CHARS, FAILURE_DETAILS_PER_PROCESS). */
export interface TestFailure {
  /** `setup`, `call`, `teardown`, or `collect`. */
  when: string;
  /** pytest's one line about it: the exception and its message. */
  message: string;
  /** pytest's report of the failure as it prints it under FAILURES (the traceback, as long as --tb makes it); null past the process's budget of details. */
  text: string | null;
  /** Output captured until the failure (`Captured stdout call`, `Captured log setup`…). */
  sections: { title: string; text: string }[];
}

export type TestFileKind =
  /** pytest collects tests from it (a test module, a doctest text file, a plugin's file). */
  | "tests"
  /** Only doctests can come from it: a module collected because of `--doctest-modules`. */
  | "doctests"
  /** A folder whose collection failed (a conftest that does not import): running it shows pytest's error. */
  | "collect-error";

export interface TestFile {
  /** Project path: the file's identity everywhere else. */
  path: string;
  /** Named on the command line: what pytest gets for it (the path, or node ids in it). Null when found in a folder. */
  named: string[] | null;
  /** For a file found in a folder: that collection argument (a project path), which its process is given too. */
  folder: string | null;
  kind: TestFileKind;
  /** One part of a split file (--split): the tests of the file this process runs; absent for the whole file. */
  subset?: TestSubset;
  /** A folder whose own collector yields its tests (a conftest's pytest_collect_directory): pytest takes no node id in it, so it always runs whole. */
  folderEntry?: true;
}

/**
 * The tests of a file one part of it runs, by pytest node id: the named ones
 * (`only`), or every test but those (`all-but`, the last part, which so also
 * runs a test added since history last saw the file). Or, for --last-failed,
 * the named ones where the file's collection has any of them, else the whole
 * file (`failed`), as pytest's --lf chooses among the tests it collected
 * rather than naming them to pytest: a plugin may give a test another node id
 * than its place (SQLAlchemy's renames its test classes), which pytest would
 * not find by name.
 */
export interface TestSubset {
  run: "only" | "all-but" | "failed";
  nodeids: string[];
}

/** The files one pytest process runs: one file in parallel mode (a few with --pack), the whole selection in serial mode. */
export interface Batch {
  paths: string[];
  /** The same files as discovery found them: how each is given to pytest. */
  files: TestFile[];
  /** One part of a file split across processes (--split): the file is reported once, when every part is done. */
  part?: { index: number; count: number };
  /** The groups its tests are kept in (pytest-xdist's xdist_group marks): no batch of one of them runs beside it. */
  groups?: string[];
}

/** One part of a split file, as it ran: listed under the file's one result. */
export interface PartResult {
  status: FileStatus;
  slot: number;
  startSeconds: number;
  durationSeconds: number;
  tests: TestCounts | null;
  log: string | null;
  /** pytest's JUnit report of the part (absolute); not in the JSON report. */
  junit: string | null;
  /** The part's coverage data file (absolute), when the run measures coverage; not in the JSON report. */
  coverageData: string | null;
}

/** One planned execution of one test file: what the executor is asked to run. */
export interface PlannedRun {
  /** Path relative to the project root, with `/`. */
  path: string;
  iteration: number;
  attempt: number;
}

/** What the executor knows when an execution starts. */
export interface StartedRun extends PlannedRun {
  slot: number;
  /** Seconds since the start of the run. */
  startSeconds: number;
  /** Log file, relative to the project root. */
  log: string;
  /** pytest's own JUnit report (absolute), shared by the files of one process. */
  junit: string;
  /** Where the tests wrote artifacts, if they did (relative to the project root). */
  artifacts: string | null;
  /** The files in it (project paths), the first ARTIFACT_FILES_LISTED by name. */
  artifactFiles: string[];
  /** The log of the managed server the process ran against (project path), when grimoire-run started one. */
  serverLog: string | null;
  /** How to open the file's database clone that --keep-failed kept (`psql URL  (drop it with: dropdb --maintenance-db=SERVER NAME)`); absent when none was kept. */
  keptDatabase?: string;
  /** The process's coverage data file (absolute), when the run measures coverage. */
  coverageData: string | null;
  pid: number | null;
}

/** The outcome of one execution of one file: one entry of the JSON report. */
export interface FileResult extends PlannedRun {
  status: FileStatus;
  /** pytest's exit code; null when it was killed by a signal or never started. */
  exitCode: number | null;
  /** The signal that ended pytest, e.g. "SIGSEGV"; null when it exited by itself. */
  signal: string | null;
  slot: number;
  startSeconds: number;
  durationSeconds: number;
  tests: TestCounts | null;
  /** Each test pytest reported, in the order it reported them. */
  cases: TestCase[];
  log: string | null;
  /** pytest's JUnit report of the execution (absolute); null when it never started. Not in the JSON report. */
  junit: string | null;
  /** The folder the tests wrote screenshots and traces to (GRIMOIRE_ARTIFACTS_DIR), relative to the project root, if they did. */
  artifacts: string | null;
  /** The files in that folder (project paths), the first ARTIFACT_FILES_LISTED by name. */
  artifactFiles: string[];
  /** The log of the managed server the file ran against (project path); null without --server. */
  serverLog: string | null;
  /** How to open the file's database clone that --keep-failed kept, named in its failure; absent when none was kept. */
  keptDatabase?: string;
  /** The coverage data file of the file's process (absolute), when the run measures coverage. Not in the JSON report. */
  coverageData: string | null;
  /** A file split across processes: each part as it ran; null for a file run whole. */
  parts?: PartResult[] | null;
  /** The last lines the file printed; kept for failures, not written to the JSON report. */
  tail: string[];
  /** Why the file ended the way it did, when the exit code alone does not say it. */
  reason: string | null;
  /** pytest stopped at a failure before the file's last collected test (-x, --maxfail): its duration is of the tests that ran. Not in the JSON report. */
  cutShort?: boolean;
  /** Of a file cut short, how many of its collected tests did not finish (the one stopped in, and those after it). Not in the JSON report. */
  unfinished?: number;
  /** The test (node id) a stop of the run interrupted: a timeout, fail-fast, an interrupt. Absent when none was running. */
  stoppedIn?: string;
  /**
   * Stopped by the run and still running after its grace period (seconds), so killed with SIGKILL: a teardown, an
   * exit handler or a finalizer never finished. Absent otherwise.
   */
  killedAfterGraceSeconds?: number;
  /**
   * Not run because pytest ended the session it shared with other files before reaching it (-x, --maxfail,
   * pytest.exit): a plain run would not have run it either, so it is never run again in a process of its own. Not in
   * the JSON report.
   */
  leftByPytest?: boolean;
  /** pytest-xdist's xdist_group names of its collected tests (empty: none); absent when they were not collected. Remembered in the history; not in the JSON report. */
  groups?: string[];
  /**
   * A file with a process of its own: the seconds from the end of its collection to its session's end, its tests and
   * pytest's own work for each of them. What a split's parts share out; the rest (the process's start, configuration,
   * collection) each part pays again. Absent where the process did not say (a shared one). Not in the JSON report.
   */
  testsSeconds?: number;
  /**
   * What the run's count of warnings counts this file's process's by (not in the JSON report): each of its tests' own,
   * and each raised while collecting or configuring, by what it says and where, which every file's process may raise
   * again and the run counts once.
   */
  warningKeys?: string[];
  /**
   * --last-failed narrowed it to tests that failed last time, none of which it has now: it ran whole, and its history is
   * a whole run's (a renamed test is forgotten, not kept as failed). Not in the JSON report.
   */
  ranWhole?: true;
  /** A file with a process of its own started afresh (no fork server): its duration includes Python's and pytest's start. Remembered in the history; not in the JSON report. */
  fresh?: true;
}

export interface RunReport {
  version: 1;
  runId: string;
  exitCode: number;
  wallSeconds: number;
  workers: number;
  files: FileResult[];
  /** With --shard: this part and the whole partition, for merge-reports to check. */
  shard?: ShardReport;
  /** Files of this run that both passed and failed within their recent runs (this one included), by the history. */
  flaky?: FlakyFile[];
  /** With pytest-cov's --cov: the run's coverage, combined from every process's data. */
  coverage?: CoverageResult;
}

/** pytest-cov's options as the run's pytest read them (command line and addopts alike): what the combined report follows. */
export interface CoverageSettings {
  /** --cov sources; null for a bare --cov (everything). */
  source: string[] | null;
  /** --cov-report: each kind with its destination (null for the default). Empty: pytest-cov's default, term. */
  report: Record<string, string | null>;
  /** --cov-config (pytest-cov's default is .coveragerc, which coverage takes as "look for the usual files"). */
  config: string | boolean;
  branch: boolean | null;
  precision: number | null;
  /** --cov-fail-under; null to take the coverage configuration's fail_under. */
  failUnder: number | null;
  append: boolean;
  noCovOnFail: boolean;
}

/** The run's coverage, combined and reported once. */
export interface CoverageResult {
  settings: CoverageSettings;
  /** pytest-cov's total, in percent; null when nothing was reported (--no-cov-on-fail after failures, or combining failed). */
  totalPercent: number | null;
  /** Digits after the point, as pytest-cov shows the total. */
  precision: number;
  /** The threshold in effect (--cov-fail-under, else the configuration's fail_under); null for none. */
  failUnder: number | null;
  /**
   * The total was judged against the threshold; a CI shard's is not (merge-reports judges all shards together), nor a
   * run of what --changed or --last-failed chose: the tests it left out would count as missed.
   */
  judged: boolean;
  /** What a total not judged is of, in words ("this shard's tests", "the tests --changed chose"); absent when judged. */
  of?: string;
  /** The total fell short of the threshold: the run fails, as pytest-cov fails a pytest run. */
  failed: boolean;
  /** The combined data file (absolute); null when there is none. */
  dataFile: string | null;
}

/** What a CI shard's coverage total is of: merge-reports judges the threshold over all shards. */
export const SHARD_TESTS = "this shard's tests";

/** How often something failed among its recent runs that had a verdict (see plan/flakes.ts). */
export interface FlakeRate {
  /** Recent runs with a verdict: passed, failed, or flaky. */
  runs: number;
  /** Of those, the runs that failed at least once (a flaky run, failed then passed on a retry, counts). */
  failed: number;
  /** Of those failed, the runs that passed on a retry (flaky runs); absent where none is known. */
  retried?: number;
}

export interface FlakyTest extends FlakeRate {
  nodeid: string;
}

export interface FlakyFile extends FlakeRate {
  path: string;
  /** The file's tests that both passed and failed recently, most failing first. */
  tests: FlakyTest[];
}

export interface ShardReport {
  index: number;
  count: number;
  /** Identifies the partition; every shard of one CI run must report the same. */
  digest: string;
  /** Every file of the selection, across all shards. */
  selected: string[];
  /** This shard's files. */
  assigned: string[];
}

/** Whether a file's collectors (their class names, as the plugin records them) are only pytest's doctest module's: a module `--doctest-modules` checks, not a test file. */
export function onlyDoctests(kinds: readonly string[]): boolean {
  return kinds.every((kind) => kind === "DoctestModule");
}

/** pytest's own exit code for arguments it rejects (an unknown option, a bad -k expression, a node id not found). */
export const PYTEST_USAGE_ERROR = 4;

/** Why a file was not run: pytest ended the session on an error while collecting (its own rule, without --continue-on-collection-errors). */
export const STOPPED_COLLECTING = "not run: pytest stopped on an error while collecting tests";

/** Why a file a serial run's pytest never collected was not run: its -x stopped the collection at an error before it. */
export const NOT_COLLECTED = "not collected: pytest stopped collecting at an error (-x or --maxfail)";

/**
 * A file's pytest exited 4 because a conftest did not import (pytest's same exit code as for bad arguments): that
 * file's failure (exit 1), where the listing loaded the conftests fine before (mealie's, whose conftest rebuilds a
 * database files running at once share), not bad usage.
 */
export const CONFTEST_NOT_LOADED = "pytest could not load a conftest (exit code 4; its error is in the log)";

/** pytest's own exit code for an error of its own or of a plugin's (INTERNALERROR), such as a conftest's hook pytest does not know. */
export const PYTEST_INTERNAL_ERROR = 3;

/**
 * A process pytest ended with its usage or internal error: it refused what it was given. With no test run, a direct
 * serial run ends as a refusal (run.ts), and its console says no file's line for it (consoleReporter.ts).
 */
export function pytestRefused(result: Pick<FileResult, "exitCode">): boolean {
  return result.exitCode === PYTEST_USAGE_ERROR || result.exitCode === PYTEST_INTERNAL_ERROR;
}

/**
 * Whether a file runs only some of its tests, named to pytest by node id: on
 * the command line (`tests/a.py::test_x`) or by --last-failed. A file also
 * named whole runs whole.
 */
export function runsNodeIdsOnly(file: Pick<TestFile, "path" | "named" | "subset">): boolean {
  return (file.named !== null && !file.named.includes(file.path)) || file.subset?.run === "failed";
}

/** How many files each log holds the output of: one a file's own process, more a pack's or a serial run's. */
export function filesByLog(results: readonly Pick<FileResult, "log" | "path">[]): Map<string, number> {
  const paths = new Map<string, Set<string>>();
  for (const result of results) if (result.log !== null) paths.set(result.log, (paths.get(result.log) ?? new Set()).add(result.path));
  return new Map([...paths].map(([log, files]) => [log, files.size]));
}

/** A status counts against the run unless it is a pass, a pass after retries, or "nothing selected here". */
export function isFailure(status: FileStatus): boolean {
  return status === "failed" || status === "timeout" || status === "cancelled";
}

/** The file itself failed or ran out of time: not stopped from outside (cancelled), not passing. */
export function failedOnItsOwn(status: FileStatus): boolean {
  return status === "failed" || status === "timeout";
}

export const COUNT_KEYS = ["passed", "failed", "skipped", "errors", "xfailed", "xpassed", "deselected"] as const satisfies readonly (keyof TestCounts)[];

export function emptyCounts(): TestCounts {
  return { passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 };
}

/** Adds `more` into `into`; a count missing from `more` (a report from an older version) adds nothing. */
export function addCounts(into: TestCounts, more: Partial<TestCounts>): TestCounts {
  for (const key of COUNT_KEYS) {
    const value = more[key];
    if (typeof value === "number" && Number.isFinite(value)) into[key] += value;
  }
  if (typeof more.warnings === "number" && Number.isFinite(more.warnings) && more.warnings > 0) into.warnings = (into.warnings ?? 0) + more.warnings;
  return into;
}

/** Tests that count against the run: failed ones and errors. */
export function failedTests(counts: TestCounts): number {
  return counts.failed + counts.errors;
}

/** The tests that ran, whatever their outcome: all but those deselected. */
export function testsRun(counts: TestCounts): number {
  return counts.passed + counts.failed + counts.skipped + counts.errors + counts.xfailed + counts.xpassed;
}

/** The last attempt of each file in each iteration: the results that decide the run (of a run, or of a report read back). */
export function finalResults<T extends Pick<FileResult, "path" | "iteration" | "attempt">>(results: readonly T[]): T[] {
  const last = new Map<string, T>();
  for (const result of results) {
    const key = `${result.iteration}\0${result.path}`;
    const seen = last.get(key);
    if (seen === undefined || result.attempt >= seen.attempt) last.set(key, result);
  }
  return [...last.values()];
}

/** Seconds to the millisecond, as reports show them. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
