/**
 * A run's last steps, once every process is gone: coverage combined and
 * judged once, the verdict, what is remembered for next time (history,
 * pytest's last-failed cache), and the reports.
 */
import fs from "node:fs";
import path from "node:path";
import type { RunConfig } from "../config/runConfig.js";
import { combineCoverage } from "../coverage/combine.js";
import { dataFilesToCombine, processDataFolder, testsFailedIn } from "../coverage/dataFiles.js";
import type { RunEvents } from "../events.js";
import type { ExecutionResult } from "../exec/executor.js";
import { EXIT, exitCodeOf } from "../exitCode.js";
import { isFailure, SHARD_TESTS, type CoverageResult, type CoverageSettings, type FileResult, type RunReport } from "../model.js";
import { flakyFiles } from "../plan/flakes.js";
import { historyFile, recordRun, updateHistory, type History } from "../plan/history.js";
import { noteOwnWrite, readLastFailed, updateLastFailed, updateNodeIds, writeLastFailed, writeNodeIds } from "../plan/pytestCache.js";
import { compareCodeUnits } from "../projectPaths.js";
import type { PythonCommand } from "../python.js";
import { writeReportFiles } from "../report/reportFiles.js";
import { JUNIT_ASKED_NOTE, type PytestExit } from "../exec/testRecords.js";
import type { RunSession } from "../session.js";

export interface Finish {
  config: RunConfig;
  session: RunSession;
  events: RunEvents;
  python: PythonCommand;
  /** The environment the run's processes start from (the coverage combiner's too). */
  env: NodeJS.ProcessEnv;
  logDir: string;
  /** A run whose logs went to the temp folder (a read-only project) is not recorded. */
  record: boolean;
  /** The fingerprint of the source the run tested (changes/sourceState.ts), null when unknown. */
  source: Promise<string | null>;
  columns: number | null;
  history: History;
  /**
   * The files of which the run ran only some tests: given to pytest as node ids (named so, or by --last-failed), or
   * with tests deselected by the run's own -k, -m or --deselect. Their runs say nothing of the file as a whole
   * (history: neither its outcome nor its duration).
   */
  partial: ReadonlySet<string>;
  /** The options of grimoire-run's own that left files or tests of the selection out (`--changed`, `--last-failed`, `--shard`): coverage is then not judged. */
  narrowedBy: readonly string[];
  /** pytest-cov's settings when it measures; null when it does not. */
  coverage: CoverageSettings | null;
  /** pytest's cache folder, and its last-failed memory and seen node ids before the run; null when the run's one process kept them itself. */
  lastFailed: { cacheDir: string; before: ReturnType<typeof readLastFailed>; nodeIds: string[] } | null;
  outcome: ExecutionResult;
  teardownFailed: boolean;
  /** The run's one pytest process collected no test and passed all the same (a plugin's verdict): the run passes, as plain pytest does. */
  emptyPassed: boolean;
  /** A serial run's one process was ended by `pytest.exit()` before any test: its exit code decides the run's; null otherwise. */
  pytestExited: PytestExit | null;
  /** The report of the run so far, with its exit code and results. */
  reportOf: (exitCode: number, results: RunReport["files"]) => RunReport;
}

/** Said instead of a coverage report when the run stopped at a failure. */
const COVERAGE_NOT_REPORTED =
  "coverage: not reported or judged: the run stopped at a failure (--fail-fast, -x or --maxfail), and the tests it never ran would count as missed; pytest-cov reports nothing when -x stops a plain run";

/** Finishes the run and returns its exit code. */
export async function finishRun(run: Finish): Promise<number> {
  const { config, session, events, outcome } = run;
  // Coverage, as one pytest-cov run would have it: every process's data combined, reported and judged once. Not for a
  // run stopped at a failure: pytest-cov reports nothing when -x or --maxfail stops a plain run (a serial run's one
  // process runs with -x).
  const stoppedAtFailure =
    outcome.stopped?.reason === "fail-fast" || outcome.stopped?.reason === "max-failures" || (config.mode !== "parallel" && outcome.results.some((result) => isFailure(result.status)));
  const measured = session.interruptedBy === null && session.failure === null ? run.coverage : null;
  if (measured !== null && stoppedAtFailure) events.emit({ type: "notice", message: COVERAGE_NOT_REPORTED });
  const coverage = measured === null || stoppedAtFailure ? null : await reportCoverage(measured, run);
  // Not combined, the processes' data files go all the same: a --fail-fast run left a file's .coverage in its log folder (a helper's trial).
  if (run.coverage !== null && coverage === null) fs.rmSync(processDataFolder(run.logDir), { recursive: true, force: true });

  const stopReason = outcome.stopped?.reason ?? (run.teardownFailed ? "environment" : null);
  const exitCode =
    session.failure !== null
      ? EXIT.internal
      : exitCodeOf({ results: outcome.results, stopReason, interruptedBy: session.interruptedBy, flakyPasses: config.flakyPasses, coverageFailed: coverage?.failed ?? false, emptyPassed: run.emptyPassed, pytestExit: run.pytestExited });
  // The flake rates of the reports come from the history with this run in it.
  const remembered = await rememberRun(config, run.history, outcome.results, events, run.record, await run.source, run.partial);
  const report: RunReport = {
    ...run.reportOf(exitCode, [...outcome.results].sort((a, b) => a.startSeconds - b.startSeconds || compareCodeUnits(a.path, b.path))),
    // The run's files that ran a test: one whose every test a selection left out, or that the run stopped before it ran
    // one (fail-fast, Ctrl-C), says nothing of its flakes.
    flaky: flakyFiles(remembered, outcome.results.filter((r) => r.status !== "no-tests" && !(r.status === "cancelled" && r.cases.length === 0)).map((r) => r.path)),
    ...(coverage === null ? {} : { coverage }),
  };
  writeReportFiles(report, await reportOutputs(config, run.logDir, report));
  if (run.lastFailed !== null) keepLastFailed(config.root, run.lastFailed, report, events);
  events.emit({ type: "run-finish", report, stopped: outcome.stopped, haltedAfterIteration: outcome.haltedAfterIteration });
  if (session.failure !== null) throw session.failure;
  return exitCode;
}

/**
 * Where the run's reports go: its log folder always, and what --report-json, --report-html and --junit-xml ask for.
 * The XML library is loaded only for --junit-xml: a run without it starts its first test sooner.
 */
export async function reportOutputs(config: RunConfig, logDir: string, report: RunReport): Promise<Parameters<typeof writeReportFiles>[1]> {
  const pytestJunitXml = junitXmlAsked(logDir);
  const junit = config.junitXml === null && pytestJunitXml === null ? null : (await import("../report/junitMerge.js")).junitOfRun(report.files, { flakyPasses: config.flakyPasses });
  return { root: config.root, logDir, reportJson: config.reportJson, reportHtml: config.reportHtml, junitXml: config.junitXml, pytestJunitXml, junit: () => junit ?? "" };
}

/**
 * The file a `--junitxml` given to pytest (in addopts, PYTEST_ADDOPTS or
 * after --) names, as the run's processes noted it (python/grimoire_run_pytest.py):
 * it gets the run's merged report, as a plain run would write its one report
 * there. null when none was given.
 */
function junitXmlAsked(logDir: string): string | null {
  try {
    return fs.readFileSync(path.join(logDir, "junit", JUNIT_ASKED_NOTE), "utf8").trim() || null;
  } catch {
    return null;
  }
}

/**
 * Combines the processes' coverage data and reports it (on the console, in
 * the files pytest-cov was asked for). A CI shard reports its own part and
 * leaves --cov-fail-under to merge-reports, which judges all shards' data
 * together (the summary says so). The processes' own data files go once
 * combined.
 */
async function reportCoverage(settings: CoverageSettings, run: Finish): Promise<CoverageResult> {
  const results = run.outcome.results;
  const combined = await combineCoverage({
    root: run.config.root,
    python: run.python,
    env: run.env,
    settings,
    dataFiles: dataFilesToCombine(results),
    keep: false,
    testsFailed: testsFailedIn(results),
    judge: run.narrowedBy.length === 0,
    workDir: processDataFolder(run.logDir),
    columns: run.columns,
  });
  // A run of what --changed or --last-failed chose covers part of the code, as a shard does: judged, the tests it left
  // out counted as missed, and a change whose tests passed failed the run (diskcache's --cov-fail-under=98: "6 files: 6
  // passed", then "Coverage: 95%, required 98%: not reached", exit 1, a helper's trial).
  if (!combined.result.judged && combined.result.failUnder !== null) combined.result.of = run.narrowedBy.includes("--shard") ? SHARD_TESTS : `the tests ${run.narrowedBy.join(" and ")} chose`;
  run.events.emit({ type: "coverage", output: combined.output, result: combined.result });
  if (combined.problem !== null) run.events.emit({ type: "warning", message: `coverage: ${combined.problem}` });
  else fs.rmSync(processDataFolder(run.logDir), { recursive: true, force: true });
  return combined.result;
}

/**
 * The history with this run in it: recorded (under its lock), except by a CI
 * shard, whose sibling shards must divide the files by the same history
 * (merge-reports records the whole run once they are done).
 */
async function rememberRun(config: RunConfig, before: History, results: readonly FileResult[], events: RunEvents, record: boolean, source: string | null, partial: ReadonlySet<string>): Promise<History> {
  if (config.shard === null && record) {
    try {
      return await recordRun(config.root, results, new Date(), source, partial);
    } catch (error) {
      events.emit({ type: "warning", message: `could not record this run in ${historyFile(config.root)}: ${(error as Error).message}` });
    }
  }
  return updateHistory(before, results, new Date(), source, partial);
}

/** pytest's last-failed memory and seen node ids, made whole again after the per-file processes each wrote their own. */
function keepLastFailed(root: string, { cacheDir, before, nodeIds }: NonNullable<Finish["lastFailed"]>, report: RunReport, events: RunEvents): void {
  try {
    writeLastFailed(cacheDir, updateLastFailed(before, report.files));
    noteOwnWrite(root, cacheDir);
    writeNodeIds(cacheDir, updateNodeIds(nodeIds, report.files));
  } catch (error) {
    events.emit({ type: "warning", message: `could not update pytest's cache (last failed, node ids) in ${cacheDir}: ${(error as Error).message}` });
  }
}
