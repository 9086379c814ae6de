/**
 * The JSON report of the contract (`--report-json`), and the copy kept in
 * each run's log folder.
 */
import { roundSeconds, type FileResult, type RunReport, type ShardReport } from "../model.js";

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
  log: string | null;
}

export interface JsonReport {
  version: 1;
  runId: string;
  exitCode: number;
  wallSeconds: number;
  workers: number;
  files: JsonFileEntry[];
  shard?: ShardReport;
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
      log: r.log,
    })),
    ...(report.shard === undefined ? {} : { shard: report.shard }),
  };
}
