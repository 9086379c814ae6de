/**
 * The HTML report (`--report-html`): the JSON report drawn as one
 * self-contained page. Pure: a report in, a string out.
 *
 * The page must work opened from disk, years later, on a machine without
 * network: inline CSS, no script, no fonts or images to fetch, and a Content
 * Security Policy that forbids fetching anything, so that even a mistake here
 * cannot make the page phone home.
 *
 * The timeline is the point of the page: one lane per worker slot, one bar per
 * execution on a common time axis, so gaps (idle workers) and long tails
 * (one slow file holding the run) show at a glance.
 */
import path from "node:path";
import { writeTextFile } from "../atomicWrite.js";
import { addCounts, COUNT_KEYS, emptyCounts, failedOnItsOwn, type FileStatus, type TestCounts } from "../model.js";
import { formatCounts, formatSeconds, plural } from "../format.js";
import { STATUS_LABEL, STATUS_ORDER, STATUS_WORDS } from "./style.js";
import { summariseRun } from "./runSummary.js";
import type { JsonFileEntry, JsonReport } from "./jsonReport.js";

export interface HtmlReportOptions {
  /** Heading and document title; defaults to the run id. */
  title?: string;
  /** The link to an execution's log, as a URL (already encoded) relative to where the page will be written, or absolute. */
  logHref: (log: string) => string;
}

/** Narrowest a bar is drawn, so that a file that took a millisecond still shows (and can be hovered). */
export const MIN_BAR_PX = 4;

/** About this many tick labels on the time axis: enough to read times, few enough not to collide at laptop width. */
const TARGET_TICKS = 8;

/** Steps the time axis may use, in seconds: round numbers a reader can add up. */
const TICK_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

/**
 * A mark per status, so that no reader depends on colour alone (colour
 * blindness, grey printers). Drawn from symbols common system fonts have.
 */
const STATUS_ICON: Record<FileStatus, string> = {
  passed: "✓",
  flaky: "↻",
  "no-tests": "∅",
  failed: "✗",
  timeout: "◷",
  cancelled: "⊘",
};

export function renderHtmlReport(report: JsonReport, options: HtmlReportOptions): string {
  const title = options.title ?? `grimoire-run ${report.runId}`;
  const axis = timeAxis(report);
  const body = [renderHeader(report, title, axis), renderTimeline(report, axis, options), renderTable(report, options)].join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="grimoire-run">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main class="report" data-run-id="${escapeHtml(report.runId)}">
${body}
</main>
</body>
</html>
`;
}

/** Escapes text for HTML text and for double- or single-quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

// ---------------------------------------------------------------------------
// The time axis

interface TimeAxis {
  /** The length the lanes stand for: the wall time, or longer if an entry ends after it (rounding). */
  seconds: number;
  ticks: number[];
}

function timeAxis(report: JsonReport): TimeAxis {
  const ends = report.files.filter((f) => f.slot >= 0).map((f) => finite(f.startSeconds) + finite(f.durationSeconds));
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

/** Report files are read from disk: a missing or broken number draws as zero instead of breaking the layout. */
function finite(value: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
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

  const shard = report.shard === undefined ? "" : `<div><dt>Shard</dt><dd>${report.shard.index}/${report.shard.count} (${plural(report.shard.assigned.length, "file")} of ${report.shard.selected.length})</dd></div>`;
  return `<header>
<div class="title-row">
<h1>${escapeHtml(title)}</h1>
<p class="verdict ${passed ? "ok" : "bad"}" data-exit-code="${report.exitCode}"><span aria-hidden="true">${passed ? "✓" : "✗"}</span> ${passed ? "PASSED" : "FAILED"} <span class="code">exit code ${report.exitCode}</span></p>
</div>
<dl class="facts">
<div><dt>Run</dt><dd><code>${escapeHtml(report.runId)}</code></dd></div>
<div><dt>Wall time</dt><dd>${formatDuration(finite(report.wallSeconds))}</dd></div>
<div><dt>Workers</dt><dd>${report.workers}</dd></div>
<div><dt>Busy</dt><dd title="time spent running files ÷ (workers × wall time)">${busy}% <span class="muted">(${formatDuration(summed)} of file time)</span></dd></div>
<div><dt>Tests</dt><dd class="tests-total">${testsLine}</dd></div>
${shard}
</dl>
<ul class="chips" aria-label="files by status">${chips}</ul>
<p class="muted files-line">${plural(finals.length, "file")}${retried > 0 ? `, ${plural(retried, "retried attempt")}` : ""}${iterationsOf(report) > 1 ? `, ${iterationsOf(report)} iterations` : ""}</p>
</header>`;
}

function iterationsOf(report: JsonReport): number {
  return report.files.reduce((most, f) => Math.max(most, finite(f.iteration)), 0);
}

// ---------------------------------------------------------------------------
// The timeline

/** One lane per worker slot; more if an entry names a higher slot (a hand-merged report), so that no bar is dropped. */
function laneCount(report: JsonReport): number {
  const highest = report.files.reduce((most, f) => Math.max(most, Math.floor(finite(f.slot))), -1);
  return Math.max(Math.floor(finite(report.workers)), highest + 1, 0);
}

function renderTimeline(report: JsonReport, axis: TimeAxis, options: HtmlReportOptions): string {
  const lanes: string[] = [];
  for (let slot = 0; slot < laneCount(report); slot++) {
    const entries = report.files.filter((f) => f.slot === slot).sort((a, b) => finite(a.startSeconds) - finite(b.startSeconds));
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

function renderBar(entry: JsonFileEntry, axis: TimeAxis, options: HtmlReportOptions): string {
  const status = knownStatus(entry.status);
  const start = finite(entry.startSeconds);
  const duration = finite(entry.durationSeconds);
  const tries = `iteration ${entry.iteration}, attempt ${entry.attempt}`;
  const hover = [
    entry.path,
    `${STATUS_WORDS[status]} · ${preciseDuration(duration)} · from ${preciseDuration(start)} to ${preciseDuration(start + duration)}`,
    `${tries} · slot ${entry.slot}${exitText(entry) === "" ? "" : ` · ${exitText(entry)}`}`,
    `tests: ${testsText(entry.tests)}`,
  ].join("\n");
  const again = [entry.iteration > 1 ? `iter. ${entry.iteration}` : "", entry.attempt > 1 ? `attempt ${entry.attempt}` : ""].filter((s) => s !== "");
  const label = `${shortName(entry.path)}${again.length > 0 ? ` (${again.join(", ")})` : ""}`;
  const data = `data-path="${escapeHtml(entry.path)}" data-slot="${entry.slot}" data-start="${start}" data-duration="${duration}" data-status="${escapeHtml(entry.status)}" data-iteration="${entry.iteration}" data-attempt="${entry.attempt}"`;
  const style = `left:${percent(start, axis)};width:${percent(duration, axis)}`;
  const inner = `<span class="icon" aria-hidden="true">${STATUS_ICON[status]}</span><span class="name">${escapeHtml(label)}</span>`;
  const tag = entry.log === null ? "span" : "a";
  const href = entry.log === null ? "" : ` href="${escapeHtml(safeHref(options.logHref(entry.log)))}"`;
  return `<${tag} class="bar st-${status}"${href} ${data} style="${style}" title="${escapeHtml(hover)}">${inner}</${tag}>`;
}

/** The file name without its folders: what fits in a bar. */
function shortName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

// ---------------------------------------------------------------------------
// The table

function renderTable(report: JsonReport, options: HtmlReportOptions): string {
  // What went wrong first (failed and timed-out files, then cancelled ones), then in the order things happened.
  const rank = (f: JsonFileEntry): number => (failedOnItsOwn(f.status) ? 0 : f.status === "cancelled" ? 1 : 2);
  const rows = [...report.files].sort((a, b) => rank(a) - rank(b) || finite(a.startSeconds) - finite(b.startSeconds) || a.path.localeCompare(b.path));
  const body = rows.map((f) => renderRow(f, options)).join("\n");
  return `<section class="files" aria-labelledby="files-heading">
<h2 id="files-heading">Files</h2>
<div class="table-wrap">
<table>
<thead>
<tr><th rowspan="2">Status</th><th rowspan="2">Path</th><th rowspan="2" class="num" title="iteration">Iter.</th><th rowspan="2" class="num">Attempt</th><th rowspan="2" class="num">Slot</th><th rowspan="2" class="num">Start</th><th rowspan="2" class="num">Duration</th><th rowspan="2">Exit</th><th colspan="${COUNT_KEYS.length}" class="group">Tests</th><th rowspan="2">Log</th></tr>
<tr>${COUNT_KEYS.map((key) => `<th class="num">${key}</th>`).join("")}</tr>
</thead>
<tbody>
${body}
</tbody>
</table>
</div>
</section>`;
}

function renderRow(entry: JsonFileEntry, options: HtmlReportOptions): string {
  const status = knownStatus(entry.status);
  const started = entry.slot >= 0;
  const counts =
    entry.tests === null
      ? `<td colspan="${COUNT_KEYS.length}" class="muted">no report</td>`
      : COUNT_KEYS.map((key) => {
          const n = finite(entry.tests?.[key] ?? 0);
          return `<td class="num${ALARMING.has(key) && n > 0 ? " alarm" : ""}${n === 0 ? " muted" : ""}">${n}</td>`;
        }).join("");
  const log = entry.log === null ? `<span class="muted">none</span>` : `<a href="${escapeHtml(safeHref(options.logHref(entry.log)))}">log</a>`;
  return `<tr class="st-row-${status}" data-path="${escapeHtml(entry.path)}" data-status="${escapeHtml(entry.status)}">
<td><span class="status st-${status}"><span class="icon" aria-hidden="true">${STATUS_ICON[status]}</span> ${STATUS_WORDS[status]}</span></td>
<td class="path"><code>${escapeHtml(entry.path)}</code></td>
<td class="num">${entry.iteration}</td><td class="num">${entry.attempt}</td>
<td class="num">${started ? entry.slot : `<span class="muted">not started</span>`}</td>
<td class="num">${started ? formatDuration(finite(entry.startSeconds)) : "—"}</td>
<td class="num">${started ? formatDuration(finite(entry.durationSeconds)) : "—"}</td>
<td class="exit">${escapeHtml(exitText(entry)) || `<span class="muted">—</span>`}</td>
${counts}
<td>${log}</td>
</tr>`;
}

// ---------------------------------------------------------------------------
// Small formatting helpers

/** A status the page knows how to draw; an unknown one (a report from a newer version) draws as cancelled, its word kept in data-status. */
function knownStatus(status: string): FileStatus {
  return Object.hasOwn(STATUS_ICON, status) ? (status as FileStatus) : "cancelled";
}

/** Durations to the hundredth under a minute: the timeline is about sub-second differences too. */
function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds < 0.005) return "<0.01s";
  return seconds < 60 ? `${seconds.toFixed(2)}s` : formatSeconds(seconds);
}

/** For the hover text: the report's own precision (milliseconds), and minutes for long times. */
function preciseDuration(seconds: number): string {
  const exact = `${Number(seconds.toFixed(3))}s`;
  return seconds < 60 ? exact : `${formatSeconds(seconds)} (${exact})`;
}

function formatTick(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toFixed(2))}s`;
  return formatSeconds(seconds);
}

function exitText(entry: JsonFileEntry): string {
  if (entry.signal !== null) return entry.signal;
  return entry.exitCode === null ? "" : `exit ${entry.exitCode}`;
}

function testsText(tests: TestCounts | null): string {
  return tests === null ? "no report" : formatCounts(addCounts(emptyCounts(), tests), ["passed", "failed", "skipped"]);
}

/** Counts shown in red when not zero. */
const ALARMING: ReadonlySet<keyof TestCounts> = new Set(["failed", "errors", "xpassed"]);

/** A log link never runs script, whatever a log path (or logHref) makes of it. */
function safeHref(href: string): string {
  // Browsers skip whitespace and control characters inside a scheme ("java\tscript:"): look without them.
  const compact = [...href].filter((c) => c > " ").join("");
  return /^(javascript|vbscript|data):/i.test(compact) ? `./${href}` : href;
}

// ---------------------------------------------------------------------------
// The style sheet

/*
 * Colours from the Okabe–Ito palette (distinguishable with the common colour
 * blindnesses), and every status also carries its mark and, in the table, its
 * word. Passing bars are light, failing ones solid and dark, timeouts striped
 * and cancelled ones hatched: the failures stand out in grey print too.
 */
const STYLE = `
:root{--fg:#1f2328;--muted:#5b636e;--line:#d6dae0;--lane:#f1f3f5;--label:6.5rem;
--passed:#0b7a57;--passed-bg:#cdeee2;--flaky:#a86400;--flaky-bg:#fde3b0;--notests:#2f6f9f;--notests-bg:#dbeaf7;
--failed:#c1440e;--timeout:#87306c;--cancelled:#6b7280;--cancelled-bg:#e5e7eb}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main.report{max-width:1280px;margin:0 auto;padding:1.25rem 1.5rem 3rem}
code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
h1{font-size:1.35rem;margin:0;word-break:break-all}
h2{font-size:1.1rem;margin:1.75rem 0 .6rem}
h3{font-size:.95rem;margin:1rem 0 .35rem}
.muted{color:var(--muted)}
.title-row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
.verdict{margin:0;padding:.3rem .8rem;border-radius:.4rem;font-weight:700;font-size:1.05rem;letter-spacing:.03em}
.verdict.ok{background:var(--passed-bg);color:#064e37;border:2px solid var(--passed)}
.verdict.bad{background:var(--failed);color:#fff;border:2px solid #8f2f07}
.verdict .code{font-weight:400;font-size:.85rem;letter-spacing:0;opacity:.9}
.facts{display:flex;flex-wrap:wrap;gap:.4rem 2rem;margin:.9rem 0 .6rem}
.facts div{min-width:0}
.facts dt{font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.facts dd{margin:0;font-weight:600}
.facts dd .muted{font-weight:400}
.chips,.legend{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.4rem}
.chip{padding:.15rem .6rem;border-radius:1rem;border:1px solid var(--line);background:#fafbfc}
.chip.zero{opacity:.55}
.chip .icon{font-weight:700}
.files-line{margin:.4rem 0 0}
.legend{gap:.3rem 1.1rem;margin-bottom:.6rem;font-size:.9rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.swatch{display:inline-flex;align-items:center;justify-content:center;width:1.6rem;height:1.1rem;border-radius:.2rem;font-size:.75rem}
/* Status colours, shared by bars, swatches, chips' marks and table badges: fill, text, edge. */
.st-passed{--bg:var(--passed-bg);--ink:#064e37;--edge:var(--passed)}
.st-flaky{--bg:var(--flaky-bg);--ink:#5c3600;--edge:var(--flaky)}
.st-no-tests{--bg:var(--notests-bg);--ink:#173d5a;--edge:var(--notests)}
.st-failed{--bg:var(--failed);--ink:#fff;--edge:#8f2f07}
.st-timeout{--bg:repeating-linear-gradient(135deg,var(--timeout) 0 6px,#6c2556 6px 9px);--ink:#fff;--edge:#5a1f47}
.st-cancelled{--bg:repeating-linear-gradient(45deg,var(--cancelled-bg) 0 5px,#c9ccd2 5px 7px);--ink:#30353c;--edge:var(--cancelled)}
.chip .icon,.status .icon{color:var(--edge)}
.st-failed .icon,.st-timeout .icon{font-size:1.05em}
/* Edges are inset shadows, not borders: a border would make a 1 ms bar wider than its minimum and shift the geometry. */
.bar,.swatch{background:var(--bg);color:var(--ink);box-shadow:inset 3px 0 0 var(--edge),inset 0 0 0 1px var(--edge)}
/* The chart: lanes of equal height, a grid of the axis' ticks behind the bars. */
.chart{position:relative;z-index:0}
.grid{position:absolute;top:0;bottom:1.4rem;left:var(--label);right:0;z-index:1;pointer-events:none}
.gridline{position:absolute;top:0;bottom:0;width:0;border-left:1px dashed #c3c8cf}
.row{display:flex;align-items:stretch;margin-bottom:4px}
.lane-label{flex:none;width:var(--label);padding-right:.5rem;font-size:.8rem;display:flex;align-items:center;justify-content:flex-end;gap:.3rem;white-space:nowrap}
.lane{position:relative;flex:1 1 auto;min-width:0;height:1.9rem;background:var(--lane);border-radius:2px}
.bar{position:absolute;top:2px;bottom:2px;min-width:${MIN_BAR_PX}px;z-index:2;display:flex;align-items:center;gap:.25rem;padding:0;overflow:hidden;white-space:nowrap;
border-radius:2px;font-size:.75rem;text-decoration:none;container-type:inline-size}
.bar .icon{margin-left:.4rem}
.bar:hover,.bar:focus-visible{outline:2px solid #1f2328;outline-offset:1px;z-index:3}
.bar .icon{flex:none;font-weight:700}
.bar .name{overflow:hidden;text-overflow:ellipsis}
/* The file's name only where it can be read, its mark only where it fits. */
@container (max-width:3.5rem){.bar .name{display:none}}
@container (max-width:.9rem){.bar .icon{display:none}}
.axis-row{margin-bottom:0}
.axis{position:relative;flex:1 1 auto;min-width:0;height:1.4rem;font-size:.75rem;color:var(--muted)}
.tick{position:absolute;top:.15rem;transform:translateX(-50%);white-space:nowrap}
.tick.start{transform:none}
.tick.end{transform:translateX(-100%)}
.not-started ul{margin:0;padding-left:1.2rem;columns:2 22rem}
.not-started li{list-style:none;margin-left:-1.2rem}
.not-started .icon{color:var(--cancelled)}
/* The table. */
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:#f6f8fa;font-weight:600;border-bottom:2px solid var(--line);white-space:nowrap}
th.group{text-align:center;border-bottom:1px solid var(--line)}
.num{text-align:right;font-variant-numeric:tabular-nums}
/* A narrow window scrolls the table sideways rather than breaking paths into letters. */
.table-wrap{overflow-x:auto}
td.path{min-width:14rem;overflow-wrap:anywhere}
td.exit,td.num{white-space:nowrap}
td.alarm{color:var(--failed);font-weight:700}
.status{white-space:nowrap;font-weight:700;font-size:.78rem}
tr.st-row-failed,tr.st-row-timeout{background:#fdf0ea}
tr.st-row-cancelled{background:#f6f7f8}
a{color:#0b5cad}
@media (max-width:700px){:root{--label:4.5rem}main.report{padding:1rem .75rem}}
@media print{
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-size:11px}
main.report{max-width:none;padding:0}
.bar:hover{outline:none}
a{color:inherit;text-decoration:none}
tr{break-inside:avoid}
.timeline{break-inside:avoid}
.table-wrap{overflow:visible}
td.path{min-width:0}
}
`;

/** Writes the page where `file` says, its links to the logs made relative to it (project paths → URL). */
export function writeHtmlReport(file: string, report: JsonReport, root: string): void {
  const folder = path.dirname(file);
  const logHref = (log: string): string =>
    path
      .relative(folder, path.join(root, log))
      .split(path.sep)
      .map((segment) => encodeURIComponent(segment))
      .join("/");
  writeTextFile(file, renderHtmlReport(report, { logHref }));
}
