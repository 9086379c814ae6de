/**
 * The report files of a run, written in one place for a run and for
 * merge-reports alike: the JSON report and the HTML page (in the log folder,
 * and where --report-json and --report-html say), and the merged JUnit.
 * Beside a --report-json of a run that measured coverage goes a copy of the
 * combined coverage data (`report.json` → `report.coverage`): a CI shard's
 * reports folder then holds what merge-reports needs to combine the shards'.
 */
import fs from "node:fs";
import path from "node:path";
import { writeJsonFile, writeTextFile } from "../atomicWrite.js";
import type { RunReport } from "../model.js";
import { writeHtmlReport } from "./htmlReport.js";
import { toJsonReport } from "./jsonReport.js";

export interface ReportOutputs {
  root: string;
  /** The run's log folder, which keeps a copy of both; null for merge-reports. */
  logDir: string | null;
  reportJson: string | null;
  reportHtml: string | null;
  junitXml: string | null;
  /** Where a `--junitxml` given to pytest asked for its report: the merged document goes there too. */
  pytestJunitXml?: string | null;
  /** The merged JUnit document, made only when it is asked for. */
  junit: () => string;
}

export function writeReportFiles(report: RunReport, outputs: ReportOutputs): void {
  const json = toJsonReport(report);
  if (outputs.logDir !== null) {
    writeJsonFile(path.join(outputs.logDir, "report.json"), json);
    writeHtmlReport(path.join(outputs.logDir, "report.html"), json, outputs.root);
  }
  if (outputs.reportJson !== null) writeJsonFile(outputs.reportJson, toJsonReport(report, copyCoverageData(report, outputs.reportJson)));
  if (outputs.reportHtml !== null) writeHtmlReport(outputs.reportHtml, json, outputs.root);
  for (const file of new Set([outputs.junitXml, outputs.pytestJunitXml ?? null])) if (file !== null) writeTextFile(file, outputs.junit());
}

/** The coverage data file's copy beside a JSON report (its name in that folder), or null when there is no data. */
function copyCoverageData(report: RunReport, jsonFile: string): string | null {
  const data = report.coverage?.dataFile ?? null;
  if (data === null || !fs.existsSync(data)) return null;
  const copy = `${jsonFile.replace(/\.json$/i, "")}.coverage`;
  if (path.resolve(copy) !== path.resolve(data)) fs.copyFileSync(data, copy);
  return path.basename(copy);
}
