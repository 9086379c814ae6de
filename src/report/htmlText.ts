/**
 * What every part of the HTML report writes the same way: escaped text,
 * links that never run script, durations, statuses and their marks. Pure.
 */
import { addCounts, emptyCounts, type FileStatus, type TestCounts, type TestOutcome } from "../model.js";
import { formatCounts, formatSeconds } from "../format.js";
import type { JsonFileEntry } from "./jsonReport.js";

/** Narrowest a timeline bar is drawn, so that a file that took a millisecond still shows (and can be hovered). */
export const MIN_BAR_PX = 4;

/** Escapes text for HTML text and for double- or single-quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** A link never runs script, whatever a path (or the page's href function) makes of it. */
export function safeHref(href: string): string {
  // Browsers skip whitespace and control characters inside a scheme ("java\tscript:"): look without them.
  const compact = [...href].filter((c) => c > " ").join("");
  return /^(javascript|vbscript|data):/i.test(compact) ? `./${href}` : href;
}

/** Report files are read from disk: a missing or broken number draws as zero instead of breaking the layout. */
export function finite(value: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/**
 * A mark per status, so that no reader depends on colour alone (colour
 * blindness, grey printers). Drawn from symbols common system fonts have.
 */
export const STATUS_ICON: Record<FileStatus, string> = {
  passed: "✓",
  flaky: "↻",
  "no-tests": "∅",
  failed: "✗",
  timeout: "◷",
  cancelled: "⊘",
};

/** The same for a test's outcome. */
export const OUTCOME_ICON: Record<TestOutcome, string> = {
  passed: "✓",
  failed: "✗",
  error: "!",
  skipped: "–",
  xfailed: "x",
  xpassed: "X",
};

/** A status the page knows how to draw; an unknown one (a report from a newer version) draws as cancelled, its word kept in data-status. */
export function knownStatus(status: string): FileStatus {
  return Object.hasOwn(STATUS_ICON, status) ? (status as FileStatus) : "cancelled";
}

/** The same for a test's outcome: an unknown one draws as skipped. */
export function knownOutcome(outcome: string): TestOutcome {
  return Object.hasOwn(OUTCOME_ICON, outcome) ? (outcome as TestOutcome) : "skipped";
}

/** Durations to the hundredth under a minute: the timeline is about sub-second differences too. */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds < 0.005) return "<0.01s";
  return seconds < 60 ? `${seconds.toFixed(2)}s` : formatSeconds(seconds);
}

/** For hover texts: the report's own precision (milliseconds), and minutes for long times. */
export function preciseDuration(seconds: number): string {
  const exact = `${Number(seconds.toFixed(3))}s`;
  return seconds < 60 ? exact : `${formatSeconds(seconds)} (${exact})`;
}

export function exitText(entry: JsonFileEntry): string {
  if (entry.signal !== null) return entry.signal;
  return entry.exitCode === null ? "" : `exit ${entry.exitCode}`;
}

export function testsText(tests: TestCounts | null): string {
  return tests === null ? "no report" : formatCounts(addCounts(emptyCounts(), tests), ["passed", "failed", "skipped"]);
}
