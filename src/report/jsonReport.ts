/**
 * The JSON report of the contract (`--report-json`), and the copy kept in
 * each run's log folder.
 */
import fs from "node:fs";
import path from "node:path";
import { roundSeconds, type FileResult, type RunReport } from "../model.js";

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
  };
}

/** Written to a temporary file and renamed, so a reader never sees half a report. */
export function writeJsonFile(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temporary, file);
}
