/**
 * The JSON report of the contract (`--report-json`), and the copy kept in
 * each run's log folder.
 */
import { roundSeconds, type FileResult, type FlakyFile, type RunReport, type ShardReport, type TestCase, type TestOutcome } from "../model.js";

/** A test case read back from a report. */
export function fromJsonCase(entry: JsonTestCase): TestCase {
  return { nodeid: entry.nodeid, outcome: entry.outcome, seconds: entry.durationSeconds };
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
}

export interface JsonTestCase {
  nodeid: string;
  outcome: TestOutcome;
  durationSeconds: number;
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
}

export function toJsonReport(report: RunReport): JsonReport {
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
      cases: r.cases.map((c) => ({ nodeid: c.nodeid, outcome: c.outcome, durationSeconds: roundSeconds(c.seconds) })),
      log: r.log,
    })),
    ...(report.shard === undefined ? {} : { shard: report.shard }),
    ...(report.flaky === undefined || report.flaky.length === 0 ? {} : { flaky: report.flaky }),
  };
}
