/**
 * The HTML report (`--report-html`): the JSON report drawn as one
 * self-contained page. Pure: a report in, a string out.
 *
 * The page must work opened from disk, years later, on a machine without
 * network: inline CSS, no script, no fonts or images to fetch, and a Content
 * Security Policy that forbids fetching anything, so that even a mistake here
 * cannot make the page phone home.
 *
 * The timeline shows the run: one lane per worker slot, one bar per execution
 * on a common time axis, so gaps (idle workers) and long tails (one slow file
 * holding the run) show at a glance. The table under it (htmlFiles.ts) is
 * where a failure is debugged from: each test, what failed and why, and links
 * to the logs, screenshots and traces.
 */
import path from "node:path";
import { writeTextFile } from "../atomicWrite.js";
import { displayCovered } from "../coverage/dataFiles.js";
import { HISTORY_RECENT_RUNS } from "../defaults.js";
import { formatSeconds, plural } from "../format.js";
import { SHARD_TESTS } from "../model.js";
import { STATUS_LABEL, STATUS_ORDER, STATUS_WORDS } from "./style.js";
import { summariseRun } from "./runSummary.js";
import type { JsonFileEntry, JsonReport } from "./jsonReport.js";
import { renderFiles, type FileHref } from "./htmlFiles.js";
import { HTML_STYLE } from "./htmlStyle.js";
import { escapeHtml, exitText, finite, formatDuration, knownStatus, preciseDuration, safeHref, STATUS_ICON, testsText } from "./htmlText.js";

export { escapeHtml, MIN_BAR_PX } from "./htmlText.js";

export interface HtmlReportOptions {
  /** Heading and document title; defaults to the run id. */
  title?: string;
  /** The link to a project path (a log, a screenshot), as a URL (already encoded) relative to where the page will be written, or absolute. */
  fileHref: FileHref;
}

/** About this many tick labels on the time axis: enough to read times, few enough not to collide at laptop width. */
const TARGET_TICKS = 8;

/** Steps the time axis may use, in seconds: round numbers a reader can add up. */
const TICK_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

export function renderHtmlReport(report: JsonReport, options: HtmlReportOptions): string {
  const title = options.title ?? `grimoire-run ${report.runId}`;
  const axis = timeAxis(report);
  const body = [renderHeader(report, title, axis), renderTimeline(report, axis, options), renderFiles(report, options.fileHref)].join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="grimoire-run">
<title>${escapeHtml(title)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<main class="report" data-run-id="${escapeHtml(report.runId)}">
${body}
</main>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------
// The time axis

interface TimeAxis {
  /** The length the lanes stand for: the wall time, or longer if an entry ends after it (rounding). */
  seconds: number;
  ticks: number[];
}

function timeAxis(report: JsonReport): TimeAxis {
  const ends = timelineBars(report).filter((f) => f.slot >= 0).map((f) => finite(f.startSeconds) + finite(f.durationSeconds));
  const longest = Math.max(finite(report.wallSeconds), ...ends);
  // A run of nothing (or of instant files) still needs a non-zero axis to divide by.
  const seconds = longest > 0 ? longest : 1;
  const step = TICK_STEPS.find((s) => seconds / s <= TARGET_TICKS) ?? Math.ceil(seconds / TARGET_TICKS / 3600) * 3600;
  const ticks: number[] = [];
  // Multiplying rather than adding keeps 0.1-steps from drifting to 0.30000000000000004.
  for (let i = 0; i * step <= seconds + 1e-9; i++) ticks.push(Math.round(i * step * 1000) / 1000);
  return { seconds, ticks };
}

function percent(seconds: number, axis: TimeAxis): string {
  const value = Math.min(100, Math.max(0, (finite(seconds) / axis.seconds) * 100));
  return `${Number(value.toFixed(4))}%`;
}


// ---------------------------------------------------------------------------
// The header

function renderHeader(report: JsonReport, title: string, axis: TimeAxis): string {
  const summary = summariseRun(report.files);
  const { finals } = summary;
  const retried = summary.retriedAttempts;
  const passed = report.exitCode === 0;

  const chips = STATUS_ORDER.map((status) => {
    const count = summary.byStatus[status];
    return `<li class="chip st-${status}${count === 0 ? " zero" : ""}" data-status="${status}"><span class="icon" aria-hidden="true">${STATUS_ICON[status]}</span> <strong>${count}</strong> ${escapeHtml(STATUS_LABEL[status])}</li>`;
  }).join("");

  // Like the console summary: the last attempt of each file decides, so a flaky file's failed first try is not counted twice.
  const testsLine = summary.tests === null ? "no test reports" : testsText(summary.tests);

  const started = report.files.filter((f) => f.slot >= 0);
  const summed = started.reduce((sum, f) => sum + finite(f.durationSeconds), 0);
  const lanes = laneCount(report);
  // How much of the workers' time went to pytest: the one number that says whether the pool was kept busy.
  const busy = lanes > 0 ? Math.round((summed / (lanes * axis.seconds)) * 100) : 0;

  const flakyCount = report.flaky?.length ?? 0;
  const flaky = flakyCount === 0 ? "" : `<div><dt>Flaky recently</dt><dd class="flaky-total" title="files of this run that both passed and failed within their last ${HISTORY_RECENT_RUNS} runs">${plural(flakyCount, "file")}</dd></div>`;
  const shard = report.shard === undefined ? "" : `<div><dt>Shard</dt><dd>${report.shard.index}/${report.shard.count} (${plural(report.shard.assigned.length, "file")} of ${report.shard.selected.length})</dd></div>`;
  return `<header>
<div class="title-row">
<h1>${escapeHtml(title)}</h1>
<p class="verdict ${passed ? "ok" : "bad"}" data-exit-code="${report.exitCode}"><span aria-hidden="true">${passed ? "✓" : "✗"}</span> ${passed ? "PASSED" : "FAILED"} <span class="code">exit code ${report.exitCode}</span></p>
</div>
<dl class="facts">
<div><dt>Run</dt><dd><code>${escapeHtml(report.runId)}</code></dd></div>
<div><dt>Wall time</dt><dd>${escapeHtml(formatDuration(finite(report.wallSeconds)))}</dd></div>
<div><dt>Workers</dt><dd>${report.workers}</dd></div>
<div><dt>Busy</dt><dd title="time spent running files ÷ (workers × wall time)">${busy}% <span class="muted">(${escapeHtml(formatDuration(summed))} of file time)</span></dd></div>
<div><dt>Tests</dt><dd class="tests-total">${testsLine}</dd></div>${renderCoverage(report)}
${shard}${flaky}
</dl>
<ul class="chips" aria-label="files by status">${chips}</ul>
<p class="muted files-line">${plural(finals.length, "file")}${retried > 0 ? `, ${plural(retried, "retried attempt")}` : ""}${iterationsOf(report) > 1 ? `, ${iterationsOf(report)} iterations` : ""}</p>
</header>`;
}

/** The combined coverage: its total, and the threshold's verdict. */
function renderCoverage(report: JsonReport): string {
  const coverage = report.coverage;
  if (coverage === undefined) return "";
  const total = coverage.totalPercent === null ? "not reported" : `${displayCovered(coverage.totalPercent, coverage.precision)}%`;
  const verdict =
    coverage.failUnder === null
      ? ""
      : coverage.judged || coverage.failed
        ? ` <span class="${coverage.failed ? "alarm" : "muted"}">required ${coverage.failUnder}%: ${coverage.failed ? "not reached" : "reached"}</span>`
        : ` <span class="muted">of ${escapeHtml(coverage.of ?? SHARD_TESTS)}</span>`;
  return `\n<div><dt>Coverage</dt><dd class="coverage-total" data-failed="${coverage.failed}">${total}${verdict}</dd></div>`;
}

function iterationsOf(report: JsonReport): number {
  return report.files.reduce((most, f) => Math.max(most, finite(f.iteration)), 0);
}

// ---------------------------------------------------------------------------
// The timeline

/** A bar on the timeline: an execution of a file, or one part of a file split across processes (--split). */
type TimelineBar = JsonFileEntry & { part?: string };

/** The timeline's bars: each entry, or each of its parts where it ran as several (each in its own slot). */
function timelineBars(report: JsonReport): TimelineBar[] {
  return report.files.flatMap((f): TimelineBar[] =>
    f.parts === undefined
      ? [f]
      : f.parts.map((p, i, all) => ({ ...f, status: p.status, slot: p.slot, startSeconds: p.startSeconds, durationSeconds: p.durationSeconds, tests: p.tests, log: p.log, part: `part ${i + 1}/${all.length}` })),
  );
}

/** One lane per worker slot; more if an entry names a higher slot (a hand-merged report), so that no bar is dropped. */
function laneCount(report: JsonReport): number {
  const highest = timelineBars(report).reduce((most, f) => Math.max(most, Math.floor(finite(f.slot))), -1);
  return Math.max(Math.floor(finite(report.workers)), highest + 1, 0);
}

function renderTimeline(report: JsonReport, axis: TimeAxis, options: HtmlReportOptions): string {
  const lanes: string[] = [];
  for (let slot = 0; slot < laneCount(report); slot++) {
    const entries = timelineBars(report).filter((f) => f.slot === slot).sort((a, b) => finite(a.startSeconds) - finite(b.startSeconds));
    const busy = Math.round((entries.reduce((sum, f) => sum + finite(f.durationSeconds), 0) / axis.seconds) * 100);
    lanes.push(`<div class="row">
<div class="lane-label" title="slot ${slot}: busy ${busy}% of the time">slot ${slot} <span class="muted">${busy}%</span></div>
<div class="lane" data-slot="${slot}">${entries.map((e) => renderBar(e, axis, options)).join("")}</div>
</div>`);
  }

  const gridlines = axis.ticks.map((t) => `<div class="gridline" style="left:${percent(t, axis)}"></div>`).join("");
  const ticks = axis.ticks
    .map((t, i) => {
      // The first label starts at its tick and the one at the very end ends there, so neither spills out of the chart.
      const align = i === 0 ? "start" : t >= axis.seconds - 1e-9 ? "end" : "mid";
      return `<span class="tick ${align}" style="left:${percent(t, axis)}">${formatTick(t)}</span>`;
    })
    .join("");

  const legend = STATUS_ORDER.map((s) => `<li><span class="swatch st-${s}" aria-hidden="true">${STATUS_ICON[s]}</span> ${escapeHtml(STATUS_LABEL[s])}</li>`).join("");

  const notStarted = report.files.filter((f) => f.slot < 0);
  const notStartedList =
    notStarted.length === 0
      ? ""
      : `<div class="not-started">
<h3>Not started: ${plural(notStarted.length, "file")} cancelled before a worker took ${notStarted.length === 1 ? "it" : "them"}</h3>
<ul>${notStarted.map((f) => `<li data-path="${escapeHtml(f.path)}" data-iteration="${f.iteration}" data-attempt="${f.attempt}"><span class="icon" aria-hidden="true">${STATUS_ICON.cancelled}</span> <code>${escapeHtml(f.path)}</code>${f.iteration > 1 ? ` <span class="muted">iteration ${f.iteration}</span>` : ""}${f.attempt > 1 ? ` <span class="muted">attempt ${f.attempt}</span>` : ""}</li>`).join("")}</ul>
</div>`;

  return `<section class="timeline" aria-labelledby="timeline-heading">
<h2 id="timeline-heading">Timeline</h2>
<ul class="legend" aria-label="legend">${legend}</ul>
<div class="chart" data-axis-seconds="${axis.seconds}">
<div class="grid" aria-hidden="true">${gridlines}</div>
${lanes.join("\n")}
<div class="row axis-row"><div class="lane-label muted">seconds</div><div class="axis">${ticks}</div></div>
</div>
${notStartedList}
</section>`;
}

function renderBar(entry: TimelineBar, axis: TimeAxis, options: HtmlReportOptions): string {
  const status = knownStatus(entry.status);
  const start = finite(entry.startSeconds);
  const duration = finite(entry.durationSeconds);
  const tries = `iteration ${entry.iteration}, attempt ${entry.attempt}`;
  const hover = [
    entry.part === undefined ? entry.path : `${entry.path} (${entry.part})`,
    `${STATUS_WORDS[status]} · ${preciseDuration(duration)} · from ${preciseDuration(start)} to ${preciseDuration(start + duration)}`,
    `${tries} · slot ${entry.slot}${exitText(entry) === "" ? "" : ` · ${exitText(entry)}`}`,
    `tests: ${testsText(entry.tests)}`,
  ].join("\n");
  const again = [entry.part ?? "", entry.iteration > 1 ? `iter. ${entry.iteration}` : "", entry.attempt > 1 ? `attempt ${entry.attempt}` : ""].filter((s) => s !== "");
  const label = `${shortName(entry.path)}${again.length > 0 ? ` (${again.join(", ")})` : ""}`;
  const data = `data-path="${escapeHtml(entry.path)}" data-slot="${entry.slot}" data-start="${start}" data-duration="${duration}" data-status="${escapeHtml(entry.status)}" data-iteration="${entry.iteration}" data-attempt="${entry.attempt}"`;
  const style = `left:${percent(start, axis)};width:${percent(duration, axis)}`;
  const inner = `<span class="icon" aria-hidden="true">${STATUS_ICON[status]}</span><span class="name">${escapeHtml(label)}</span>`;
  const tag = entry.log === null ? "span" : "a";
  const href = entry.log === null ? "" : ` href="${escapeHtml(safeHref(options.fileHref(entry.log)))}"`;
  return `<${tag} class="bar st-${status}"${href} ${data} style="${style}" title="${escapeHtml(hover)}">${inner}</${tag}>`;
}

/** The file name without its folders: what fits in a bar. */
function shortName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function formatTick(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toFixed(2))}s`;
  return formatSeconds(seconds);
}

/** Writes the page where `file` says, its links to logs and files made relative to it (project paths → URL). */
export function writeHtmlReport(file: string, report: JsonReport, root: string): void {
  const folder = path.dirname(file);
  const fileHref = (projectPath: string): string =>
    path
      .relative(folder, path.join(root, projectPath))
      .split(path.sep)
      .map((segment) => encodeURIComponent(segment))
      .join("/");
  writeTextFile(file, renderHtmlReport(report, { fileHref }));
}
