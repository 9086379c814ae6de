/**
 * In GitHub Actions (`GITHUB_ACTIONS=true`): an `::error` annotation for each
 * failed file, pointing at the line pytest reported where it can, and a job
 * summary table appended to `$GITHUB_STEP_SUMMARY`.
 */
import fs from "node:fs";
import type { RunListener } from "../events.js";
import { escapeRegExp, formatCounts, formatSeconds, plural } from "../format.js";
import { emptyCounts, failedOnItsOwn, finalResults, isFailure, type FileResult, type RunReport } from "../model.js";
import { STATUS_WORDS } from "./style.js";
import { summariseRun } from "./runSummary.js";
import { palette } from "./style.js";
import { describeCoverage } from "./summary.js";

/** GitHub truncates a job summary past 1 MiB; the table stops well before. */
const MAX_SUMMARY_ROWS = 60;
/** Lines of output an annotation carries. */
const ANNOTATION_LINES = 12;

export function githubReporter(env: NodeJS.ProcessEnv, out: (text: string) => void): RunListener {
  return (event) => {
    if (event.type !== "run-finish") return;
    const annotations = githubAnnotations(event.report);
    if (annotations.length > 0) out(`${annotations.join("\n")}\n`);
    const summaryFile = env["GITHUB_STEP_SUMMARY"];
    if (summaryFile !== undefined && summaryFile !== "") fs.appendFileSync(summaryFile, githubSummary(event.report));
  };
}

export function githubAnnotations(report: RunReport): string[] {
  const finals = finalResults(report.files);
  const failures = finals
    .filter((r) => failedOnItsOwn(r.status))
    .map((result) => {
      const line = failingLine(result);
      const properties = [`file=${escapeProperty(result.path)}`, ...(line === null ? [] : [`line=${line}`]), `title=${escapeProperty(`${STATUS_WORDS[result.status]} ${result.path}`)}`];
      const message = [result.reason ?? result.status, ...result.tail.slice(-ANNOTATION_LINES)].join("\n");
      return `::error ${properties.join(",")}::${escapeData(message)}`;
    });
  // A flaky file, failed then passed on a retry: a warning of its own, an error where no failure explains the run's
  // (--flaky-result fail, CI's default): a run that failed on a flaky file alone had no annotation (a helper's CI trial).
  const flakyFails = report.exitCode === 1 && failures.length === 0;
  const flaky = finals
    .filter((r) => r.status === "flaky")
    .map((result) => {
      const properties = [`file=${escapeProperty(result.path)}`, `title=${escapeProperty(`FLAKY ${result.path}`)}`];
      const message = `failed, then passed on attempt ${result.attempt}${flakyFails ? ": a flaky file fails the run under --flaky-result fail, the default where CI is set" : ""}`;
      return `::${flakyFails ? "error" : "warning"} ${properties.join(",")}::${escapeData(message)}`;
    });
  return [...failures, ...flaky];
}

/**
 * The line of the file's failure: the last `path:LINE:` pytest printed for it (the line of its failing assertion), else
 * the last place in the file a failed test's traceback names, as pytest's own tracebacks (`path:LINE:`) or Python's
 * (`File ".../path", line LINE`, under `--tb native`, which gave the annotations no line) write it; null without one.
 */
export function failingLine(result: FileResult): number | null {
  const prefix = `${result.path}:`;
  const pytestStyle = new RegExp(`^${escapeRegExp(result.path)}:(\\d+):`, "gm");
  const pythonStyle = new RegExp(`File "(?:[^"]*/)?${escapeRegExp(result.path)}", line (\\d+)`, "g");
  for (const line of [...result.tail].reverse()) {
    // A timed-out or stopped test's place, as the stop's report gives it (`File "/abs/tests/x.py", line 5`): a timeout's
    // annotation had no line (a helper's CI trial).
    const number = line.startsWith(prefix) ? /^(\d+):/.exec(line.slice(prefix.length))?.[1] : [...line.matchAll(pythonStyle)].at(-1)?.[1];
    if (number !== undefined) return Number(number);
  }
  for (const test of result.cases) {
    for (const failure of test.failures ?? []) {
      const text = failure.text ?? "";
      const found = [...text.matchAll(pytestStyle), ...text.matchAll(pythonStyle)].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).at(-1)?.[1];
      if (found !== undefined) return Number(found);
    }
  }
  return null;
}

export function githubSummary(report: RunReport): string {
  const summary = summariseRun(report.files);
  const { finals } = summary;
  const failed = finals.filter((r) => isFailure(r.status));
  const tests = summary.tests ?? emptyCounts();
  const cancelled = summary.byStatus.cancelled;
  const verdict = report.exitCode === 0 ? "✅ passed" : `❌ failed (exit code ${report.exitCode})`;
  const rows = [...failed, ...finals.filter((r) => !isFailure(r.status)).sort((a, b) => b.durationSeconds - a.durationSeconds)];
  const shown = rows.slice(0, MAX_SUMMARY_ROWS);
  const lines = [
    `### grimoire-run: ${verdict}`,
    "",
    `${plural(finals.length, "file")}, ${summary.failures.length} failed${summary.byStatus.flaky > 0 ? `, ${summary.byStatus.flaky} flaky` : ""}${cancelled > 0 ? `, ${cancelled} cancelled` : ""} · tests: ${formatCounts(tests, ["passed", "failed"])} · ${formatSeconds(report.wallSeconds)} wall, ${plural(report.workers, "worker")}`,
    ...(report.coverage === undefined ? [] : ["", describeCoverage(report.coverage, palette(false))]),
    "",
    "| status | file | duration | tests | log |",
    "|---|---|---:|---|---|",
    ...shown.map((r) => `| ${STATUS_WORDS[r.status]} | \`${escapeCell(r.path)}\` | ${formatSeconds(r.durationSeconds)} | ${r.tests === null ? "" : formatCounts(r.tests)} | ${r.log === null ? "" : `\`${escapeCell(r.log)}\``} |`),
  ];
  if (rows.length > shown.length) lines.push("", `… and ${rows.length - shown.length} more files in the JSON report.`);
  return `${lines.join("\n")}\n\n`;
}

/** Workflow command data: %, CR and LF are encoded. */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** Workflow command properties: also ':' and ','. */
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("`", "'");
}
