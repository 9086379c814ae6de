/**
 * `grimoire-run merge-reports DIR…`: the JSON reports and JUnit files of the
 * shards of one CI run combined into one, checked for completeness (every
 * shard present, all agreeing on the partition), with one exit code. When the
 * shards measured coverage, their data (beside their reports) is combined,
 * reported and judged once, as one pytest-cov run over every shard's tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { combineCoverage } from "./coverage/combine.js";
import { testsFailedIn } from "./coverage/dataFiles.js";
import { choosePython } from "./python.js";
import { UsageError } from "./errors.js";
import { plural } from "./format.js";
import { EXIT, SIGNAL_EXIT } from "./exitCode.js";
import { addCounts, emptyCounts, type CoverageResult, type CoverageSettings, type FileResult, type RunReport } from "./model.js";
import { flakyFiles } from "./plan/flakes.js";
import { readHistory, recordRun, updateHistory } from "./plan/history.js";
import { sourceState } from "./changes/sourceState.js";
import type { JsonReport } from "./report/jsonReport.js";
import { fromJsonCase } from "./report/jsonReport.js";
import { writeReportFiles } from "./report/reportFiles.js";
import { junitDocument, suitesOf } from "./report/junitMerge.js";
import { formatSummary } from "./report/summary.js";
import { palette } from "./report/style.js";

export interface MergeRequest {
  root: string;
  inputs: string[];
  /** --python: the Python that combines the shards' coverage data (default: as a run chooses it). */
  python: string | null;
  env: NodeJS.ProcessEnv;
  reportJson: string | null;
  reportHtml: string | null;
  junitXml: string | null;
  /** Record the merged results in the project's history (so that the next CI run's shards are balanced by them). */
  history: boolean;
}

export interface MergeIO {
  out: (text: string) => void;
  colour: boolean;
}

export async function mergeReports(request: MergeRequest, io: MergeIO): Promise<number> {
  const found = request.inputs.flatMap((input) => filesIn(path.resolve(request.root, input), input));
  const read = uniqueReports(found.filter((f) => f.endsWith(".json")).flatMap((f) => readReport(f)));
  const reports = read.map((r) => r.report);
  const xmlFiles = found.filter((f) => f.endsWith(".xml"));
  if (reports.length === 0 && xmlFiles.length === 0) throw new UsageError(`no grimoire-run reports (.json) or JUnit files (.xml) found in ${request.inputs.join(", ")}`);
  checkShards(read);
  const coverageData = shardCoverage(read, fs.existsSync);

  // Each shard numbered its slots from 0; in the merged report they follow on, so that a timeline keeps the shards' lanes apart.
  const offsets = reports.map((_, i) => reports.slice(0, i).reduce((sum, r) => sum + r.workers, 0));
  const files: FileResult[] = reports.flatMap((report, i) =>
    report.files.map((entry) => ({ ...entry, cases: (entry.cases ?? []).map(fromJsonCase), tests: entry.tests === null ? null : addCounts(emptyCounts(), entry.tests), slot: entry.slot < 0 ? entry.slot : entry.slot + (offsets[i] as number), junit: null, artifacts: entry.artifacts ?? null, artifactFiles: entry.artifactFiles ?? [], serverLog: entry.serverLog ?? null, coverageData: null, tail: [], reason: entry.reason ?? null, parts: entry.parts?.map((part) => ({ ...part, junit: null, coverageData: null })) ?? null })),
  );
  const merged: RunReport = {
    version: 1,
    runId: `merged-${reports.map((r) => r.runId).join("+")}`,
    exitCode: combinedExitCode(reports.map((r) => r.exitCode)),
    wallSeconds: Math.max(0, ...reports.map((r) => r.wallSeconds)),
    workers: reports.reduce((sum, r) => sum + r.workers, 0),
    files,
  };
  // The same file found twice (or a copy of it) counts once, and its suites once.
  const junitFiles = distinctJUnitFiles(xmlFiles);
  const suites = request.junitXml === null ? [] : checkedSuites(junitFiles, reports);
  const shards = reports.map((r) => (r.shard === undefined ? r.runId : `${r.shard.index}/${r.shard.count}`));
  io.out(`Merged ${plural(reports.length, "report")} (${shards.join(", ")}) and ${plural(junitFiles.size, "JUnit file")}\n`);
  if (coverageData !== null) {
    merged.coverage = await combineShardCoverage(coverageData, files, request, io);
    if (merged.coverage.failed && (merged.exitCode === EXIT.passed || merged.exitCode === EXIT.noTests)) merged.exitCode = EXIT.failed;
  }
  // Recorded under the source the merge job has checked out (the shards' commit, in CI), a stretch of its own: without
  // one, a test a commit broke read as "Flaky recently 50%" in the next pipeline's merge (a helper's trial).
  const source = await sourceState(request.root, ["merge-reports"]);
  const history = request.history && files.length > 0 ? await recordRun(request.root, files, new Date(), source) : updateHistory(readHistory(request.root), files, new Date(), source);
  merged.flaky = flakyFiles(history, files.map((f) => f.path));
  writeReportFiles(merged, { root: request.root, logDir: null, reportJson: request.reportJson, reportHtml: request.reportHtml, junitXml: request.junitXml, junit: () => junitDocument(suites) });
  if (reports.length > 0) io.out(`${formatSummary(merged, { colours: palette(io.colour), stopped: null }).join("\n")}\n`);
  return reports.length > 0 ? merged.exitCode : EXIT.passed;
}

/** The JUnit files by their text, each text once (the first file found with it): a file found twice is read as one. */
function distinctJUnitFiles(xmlFiles: readonly string[]): Map<string, string> {
  const byContent = new Map<string, string>();
  for (const file of xmlFiles) {
    const text = fs.readFileSync(file, "utf8");
    if (!byContent.has(text)) byContent.set(text, file);
  }
  return byContent;
}

/**
 * The JUnit files' suites, each file once, checked against the reports: a
 * dashboard built from the merged document must not be greener than the
 * run. A shard whose JUnit file is missing (its job ran without
 * --junit-xml, or its upload lost it) left a green document behind a failed
 * run, and one file given twice counted its tests twice (a helper's trial).
 */
function checkedSuites(byContent: ReadonlyMap<string, string>, reports: readonly JsonReport[]): ReturnType<typeof suitesOf> {
  const seen = new Map<string, string>();
  const suites = [...byContent].flatMap(([text, file]) => {
    let own: ReturnType<typeof suitesOf>;
    try {
      own = suitesOf(text);
    } catch {
      throw new UsageError(`${file}: not a JUnit XML file`);
    }
    for (const suite of own) {
      const name = suite[":@"]?.["@_name"];
      if (name === undefined) continue;
      const before = seen.get(name);
      // One file may hold a name twice (the parts of a file --split divided): two files may not.
      if (before !== undefined && before !== file) throw new UsageError(`the suite of ${name} is in two JUnit files (${before}, ${file}): give each shard's --junit-xml file once`);
      seen.set(name, file);
    }
    return own;
  });
  // grimoire-run names a file's suite after its path (with its iteration and attempt when a run had several).
  const covered = new Set([...seen.keys()].map((name) => name.replace(/ \[iteration \d+, attempt \d+\]$/, "")));
  if (covered.has("serial run")) return suites;
  const missing = reports.flatMap((report) => report.files.filter((file) => !covered.has(file.path)).map((file) => ({ path: file.path, shard: report.shard })));
  if (missing.length > 0) {
    const shards = [...new Set(missing.map((m) => (m.shard === undefined ? "a report" : `shard ${m.shard.index}/${m.shard.count}`)))];
    const named = missing.slice(0, 3).map((m) => m.path).join(", ") + (missing.length > 3 ? `, and ${missing.length - 3} more` : "");
    throw new UsageError(`no JUnit suite for ${named} (${shards.join(", ")}): give merge-reports every shard's --junit-xml file, or ask for no --junit-xml`);
  }
  return suites;
}

/** The shards' coverage data to combine, and the settings to report it by. */
export interface ShardCoverage {
  settings: CoverageSettings;
  /** Absolute: each shard's data file, beside its report. */
  dataFiles: string[];
}

/**
 * The coverage data the shards left beside their reports, or null when none
 * measured coverage. A shard that ran files without measuring while others
 * did, or whose data file is not beside its report, is refused (exit 2):
 * its tests' lines would count as never run.
 */
export function shardCoverage(reports: readonly ReadReport[], exists: (file: string) => boolean): ShardCoverage | null {
  const measured = reports.filter((r) => r.report.coverage !== undefined);
  if (measured.length === 0) return null;
  const name = (r: ReadReport): string => (r.report.shard === undefined ? r.file : `shard ${r.report.shard.index}/${r.report.shard.count} (${r.file})`);
  const unmeasured = reports.filter((r) => r.report.coverage === undefined && r.report.files.length > 0);
  if (unmeasured.length > 0) {
    throw new UsageError(`${unmeasured.map(name).join(", ")} did not measure coverage while ${name(measured[0] as ReadReport)} did: run every shard with the same --cov options`);
  }
  const dataFiles = measured.map((r) => {
    const data = r.report.coverage?.dataFile;
    const full = data === undefined ? null : path.resolve(path.dirname(r.file), data);
    if (full === null || !exists(full)) {
      const expected = data ?? `${path.basename(r.file).replace(/\.json$/i, "")}.coverage`;
      throw new UsageError(`${name(r)} measured coverage, but its data file ${expected} is not beside it: keep the .coverage file grimoire-run writes beside --report-json with the report`);
    }
    return full;
  });
  return { settings: (measured[0] as ReadReport).report.coverage?.settings as CoverageSettings, dataFiles };
}

/** The shards' data combined into the project's, reported and judged once; a Python that cannot do it is exit 2. */
async function combineShardCoverage(data: ShardCoverage, files: readonly FileResult[], request: MergeRequest, io: MergeIO): Promise<CoverageResult> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-merge-coverage-"));
  try {
    const python = choosePython(request.root, request.python ?? undefined, request.env);
    const combined = await combineCoverage({ root: request.root, python, env: request.env, settings: data.settings, dataFiles: data.dataFiles, keep: true, testsFailed: testsFailedIn(files), judge: true, workDir, columns: null });
    if (combined.result.totalPercent === null && combined.problem !== null && !data.settings.noCovOnFail) {
      throw new UsageError(`the shards measured coverage, and it ${combined.problem.replace(/^could not/, "could not be")}: merge-reports needs a Python with coverage installed (--python CMD) and the project's sources`);
    }
    if (combined.output.length > 0) io.out(`${combined.output.join("\n")}\n`);
    if (combined.problem !== null) io.out(`warning: coverage: ${combined.problem}\n`);
    return combined.result;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** The worst of the shards' codes: an interruption, then an environment failure, then failures; 5 only if every shard found nothing. */
export function combinedExitCode(codes: readonly number[]): number {
  const signals = Object.values(SIGNAL_EXIT);
  const interrupted = codes.find((c) => signals.includes(c));
  if (interrupted !== undefined) return interrupted;
  for (const code of [EXIT.internal, EXIT.environment, EXIT.usage, EXIT.failed]) if (codes.includes(code)) return code;
  return codes.length > 0 && codes.every((c) => c === EXIT.noTests) ? EXIT.noTests : EXIT.passed;
}

function checkShards(read: readonly ReadReport[]): void {
  const reports = read.map((r) => r.report);
  const sharded = reports.filter((r) => r.shard !== undefined).map((r) => r.shard as NonNullable<JsonReport["shard"]>);
  if (sharded.length === 0) return;
  const first = sharded[0] as (typeof sharded)[number];
  if (sharded.some((s) => s.count !== first.count || s.digest !== first.digest)) {
    throw new UsageError(
      "the shards disagree on how the files were divided (their partitions differ): every shard job must run the same commit (the same test files) and see the same .grimoire/history.json, or none",
    );
  }
  const seen = new Set(sharded.map((s) => s.index));
  if (seen.size !== sharded.length) {
    // Which shard, and in which files: two runs of it (a retried CI job's artifacts beside the first's), said so.
    const index = sharded.find((s, i) => sharded.findIndex((other) => other.index === s.index) !== i)?.index;
    const files = read.filter((r) => r.report.shard?.index === index).map((r) => r.file);
    throw new UsageError(`shard ${String(index)}/${first.count} appears in more than one run's report: ${files.join(", ")}; merge one run of each shard`);
  }
  const missing = Array.from({ length: first.count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new UsageError(`the reports of shard${missing.length === 1 ? "" : "s"} ${missing.map((i) => `${i}/${first.count}`).join(", ")} are missing: their files would count as never run`);
  }
}

function filesIn(full: string, given: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new UsageError(`path does not exist: ${given}`);
  }
  if (stat.isFile()) return [full];
  return fs
    .readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(json|xml)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** A JSON report and where it was found. */
export interface ReadReport {
  report: JsonReport;
  file: string;
}

/** A grimoire-run JSON report, or nothing for any other JSON file found in the folders. */
function readReport(file: string): ReadReport[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<JsonReport>;
    if (parsed.version === 1 && Array.isArray(parsed.files) && typeof parsed.runId === "string") return [{ report: parsed as JsonReport, file }];
  } catch {
    // not JSON, or not ours
  }
  return [];
}

/**
 * A run's --report-json and the copy in its log folder are the same report:
 * count it once, the copy with coverage data beside it if one has.
 */
function uniqueReports(reports: readonly ReadReport[]): ReadReport[] {
  const byRun = new Map<string, ReadReport>();
  for (const read of reports) {
    const seen = byRun.get(read.report.runId);
    if (seen === undefined || (seen.report.coverage?.dataFile === undefined && read.report.coverage?.dataFile !== undefined)) byRun.set(read.report.runId, read);
  }
  return [...byRun.values()];
}
