/**
 * The end-of-run summary, as lines of text. Pure: a report in, lines out.
 */
import { addCounts, emptyCounts, finalResults, isFailure, type FileResult, type FileStatus, type RunReport } from "../model.js";
import { formatSeconds, paintStatus, plural, type Palette } from "./style.js";

export interface SummaryOptions {
  colours: Palette;
  /** Why the run stopped early, in words, if it did. */
  stopped: string | null;
  /** Longest list of cancelled files printed before the rest is only counted. */
  maxListed?: number;
  /** Lines of output shown for each failed file. */
  tailLines?: number;
}

const STATUS_ORDER: FileStatus[] = ["passed", "flaky", "no-tests", "failed", "timeout", "cancelled"];
const STATUS_LABEL: Record<FileStatus, string> = {
  passed: "passed",
  flaky: "flaky",
  "no-tests": "no tests",
  failed: "failed",
  timeout: "timed out",
  cancelled: "cancelled",
};

export function formatSummary(report: RunReport, options: SummaryOptions): string[] {
  const { colours } = options;
  const maxListed = options.maxListed ?? 20;
  const tailLines = options.tailLines ?? 15;
  const finals = finalResults(report.files);
  const lines: string[] = ["", colours.dim("─".repeat(60))];

  const byStatus = new Map<FileStatus, number>();
  for (const result of finals) byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
  const statusText = STATUS_ORDER.filter((s) => byStatus.has(s)).map((s) => `${byStatus.get(s)} ${STATUS_LABEL[s]}`);
  const retried = report.files.length - finals.length;
  lines.push(
    `${colours.bold(plural(finals.length, "file"))}: ${statusText.join(", ")}${retried > 0 ? ` (${plural(retried, "retried attempt")})` : ""}`,
  );

  const counted = finals.filter((r) => r.tests !== null);
  if (counted.length > 0) {
    const tests = counted.reduce((sum, r) => addCounts(sum, r.tests ?? emptyCounts()), emptyCounts());
    const parts = [`${tests.passed} passed`, `${tests.failed} failed`, `${tests.skipped} skipped`];
    if (tests.errors > 0) parts.push(plural(tests.errors, "error"));
    const missing = finals.filter((r) => r.tests === null && r.status !== "cancelled").length;
    lines.push(`${colours.bold("Tests")}: ${parts.join(", ")}${missing > 0 ? ` (no report from ${plural(missing, "file")})` : ""}`);
  }

  const summed = report.files.reduce((sum, r) => sum + r.durationSeconds, 0);
  const speedup = report.wallSeconds > 0 && report.workers > 1 ? `, ${(summed / report.wallSeconds).toFixed(1)}x the wall time` : "";
  lines.push(`${colours.bold("Time")}: ${formatSeconds(report.wallSeconds)} wall, ${formatSeconds(summed)} summed over files${speedup}`);

  const failures = finals.filter((r) => isFailure(r.status) && r.status !== "cancelled");
  if (failures.length > 0) {
    lines.push("", colours.bold(colours.red(`${failures.length === 1 ? "Failure" : "Failures"}:`)));
    for (const result of failures) lines.push(...describeFailure(result, colours, tailLines));
  }

  const cancelled = finals.filter((r) => r.status === "cancelled");
  if (cancelled.length > 0) {
    const running = cancelled.filter((r) => r.log !== null).length;
    lines.push("", colours.bold(`Cancelled: ${cancelled.length} (${running} stopped while running, ${cancelled.length - running} not started)`));
    for (const result of cancelled.slice(0, maxListed)) lines.push(`  ${result.path}${result.iteration > 1 ? ` (iteration ${result.iteration})` : ""}`);
    if (cancelled.length > maxListed) lines.push(`  … and ${cancelled.length - maxListed} more (all are in the JSON report)`);
  }

  if (options.stopped !== null) lines.push("", colours.yellow(options.stopped));
  const verdict = report.exitCode === 0 ? colours.green("PASSED") : colours.red("FAILED");
  lines.push("", `${colours.bold(verdict)} (exit code ${report.exitCode})`);
  return lines;
}

function describeFailure(result: FileResult, colours: Palette, tailLines: number): string[] {
  const why = result.reason ?? result.status;
  const iteration = result.iteration > 1 ? `, iteration ${result.iteration}` : "";
  const lines = [`  ${paintStatus(result.status, colours)} ${result.path} (${why}${iteration})`];
  if (result.log !== null) lines.push(`           log: ${result.log}`);
  const tail = result.tail.slice(-tailLines);
  if (tail.length > 0) {
    lines.push(colours.dim(`           last ${plural(tail.length, "line")}:`));
    for (const line of tail) lines.push(colours.dim(`           │ ${line}`));
  }
  return lines;
}
