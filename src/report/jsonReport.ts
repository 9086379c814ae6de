/**
 * The JSON report of the contract (`--report-json`), and the copy kept in
 * each run's log folder.
 */
import { failedTests, roundSeconds, type CoverageSettings, type FileResult, type FlakyFile, type RunReport, type ShardReport, type TestCase, type TestFailure, type TestOutcome } from "../model.js";

/** A test case read back from a report. */
export function fromJsonCase(entry: JsonTestCase): TestCase {
  return { nodeid: entry.nodeid, outcome: entry.outcome, seconds: entry.durationSeconds, ...(entry.failures === undefined ? {} : { failures: entry.failures }) };
}

export interface JsonFileEntry {
  path: string;
  status: FileResult["status"];
  exitCode: number | null;
  signal: string | null;
  iteration: number;
  attempt: number;
  slot: number;
  startSeconds: number;
  durationSeconds: number;
  tests: FileResult["tests"];
  /** Every test pytest reported for this execution: its node id as pytest prints it, its outcome in pytest's words, and its time. */
  cases: JsonTestCase[];
  log: string | null;
  /** The folder the tests wrote screenshots and traces to, and the files in it (the first ARTIFACT_FILES_LISTED); absent from reports of older versions. */
  artifacts?: string | null;
  artifactFiles?: string[];
  /** The managed server's log, with --server. */
  serverLog?: string | null;
  /** How to open the file's database clone --keep-failed kept (`psql URL  (drop it with: dropdb --maintenance-db=SERVER NAME)`); absent when none was. */
  keptDatabase?: string;
  /** Why the execution ended as it did where its exit code does not say (`no result within the 3s time limit`, `killed by SIGSEGV`); absent when nothing needs saying. */
  reason?: string;
  /** The test (node id) a stop of the run interrupted: a timeout, fail-fast, an interrupt; absent when none was running. */
  stoppedIn?: string;
  /** Stopped by the run and still running after this grace period (seconds): killed with SIGKILL. Absent otherwise. */
  killedAfterGraceSeconds?: number;
  /** A file split across processes (--split): each part, as it ran; absent for a file run whole. */
  parts?: JsonPart[];
}

export interface JsonPart {
  status: FileResult["status"];
  slot: number;
  startSeconds: number;
  durationSeconds: number;
  tests: FileResult["tests"];
  log: string | null;
}

export interface JsonTestCase {
  nodeid: string;
  outcome: TestOutcome;
  durationSeconds: number;
  /** Each failed phase: pytest's message, its report as printed, and the captured output (absent when nothing failed). */
  failures?: TestFailure[];
}

export interface JsonReport {
  version: 1;
  runId: string;
  exitCode: number;
  wallSeconds: number;
  workers: number;
  files: JsonFileEntry[];
  shard?: ShardReport;
  /** The run's files that both passed and failed within their recent runs, by the history; absent when none did. */
  flaky?: FlakyFile[];
  /** With pytest-cov's --cov: the combined total and its verdict, and the settings merge-reports reports by. */
  coverage?: JsonCoverage;
}

export interface JsonCoverage {
  totalPercent: number | null;
  precision: number;
  failUnder: number | null;
  judged: boolean;
  /** What a total not judged is of: "this shard's tests", "the tests --changed chose"; absent when judged. */
  of?: string;
  failed: boolean;
  settings: CoverageSettings;
  /** The run's combined coverage data, beside this report (a file name in its folder), for merge-reports to combine the shards'. */
  dataFile?: string;
}

/** A file's reason says more than its tests do: not for the usual failure, tests that failed (pytest's exit code 1). */
function saysMore(result: FileResult): result is FileResult & { reason: string } {
  return result.reason !== null && !(result.status === "failed" && result.exitCode === 1 && result.tests !== null && failedTests(result.tests) > 0);
}

/** The JSON report; `coverageDataFile` names the copy of the combined coverage data written beside it, if one is. */
export function toJsonReport(report: RunReport, coverageDataFile: string | null = null): JsonReport {
  const coverage = report.coverage;
  return {
    version: 1,
    runId: report.runId,
    exitCode: report.exitCode,
    wallSeconds: roundSeconds(report.wallSeconds),
    workers: report.workers,
    files: report.files.map((r) => ({
      path: r.path,
      status: r.status,
      exitCode: r.exitCode,
      signal: r.signal,
      iteration: r.iteration,
      attempt: r.attempt,
      slot: r.slot,
      startSeconds: roundSeconds(r.startSeconds),
      durationSeconds: roundSeconds(r.durationSeconds),
      tests: r.tests,
      cases: r.cases.map((c) => ({ nodeid: c.nodeid, outcome: c.outcome, durationSeconds: roundSeconds(c.seconds), ...(c.failures === undefined ? {} : { failures: c.failures }) })),
      log: r.log,
      artifacts: r.artifacts,
      artifactFiles: r.artifactFiles,
      serverLog: r.serverLog,
      ...(r.keptDatabase === undefined ? {} : { keptDatabase: r.keptDatabase }),
      ...(saysMore(r) ? { reason: r.reason } : {}),
      ...(r.stoppedIn === undefined ? {} : { stoppedIn: r.stoppedIn }),
      ...(r.killedAfterGraceSeconds === undefined ? {} : { killedAfterGraceSeconds: r.killedAfterGraceSeconds }),
      ...(r.parts === undefined || r.parts === null
        ? {}
        : { parts: r.parts.map((p) => ({ status: p.status, slot: p.slot, startSeconds: roundSeconds(p.startSeconds), durationSeconds: roundSeconds(p.durationSeconds), tests: p.tests, log: p.log })) }),
    })),
    ...(report.shard === undefined ? {} : { shard: report.shard }),
    ...(report.flaky === undefined || report.flaky.length === 0 ? {} : { flaky: report.flaky }),
    ...(coverage === undefined
      ? {}
      : {
          coverage: {
            totalPercent: coverage.totalPercent,
            precision: coverage.precision,
            failUnder: coverage.failUnder,
            judged: coverage.judged,
            ...(coverage.of === undefined ? {} : { of: coverage.of }),
            failed: coverage.failed,
            settings: coverage.settings,
            ...(coverageDataFile === null ? {} : { dataFile: coverageDataFile }),
          },
        }),
  };
}
