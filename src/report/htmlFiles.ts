/**
 * The HTML report's table of executions, the part to debug from: a row per
 * execution of a file (failures first) with links to its log, its managed
 * server's log and what its tests wrote (screenshots, traces), and under
 * it a row per test with its outcome and time, and for a failed test the
 * message, pytest's report of the failure and the captured output. Filters
 * by status work without script: radio buttons and CSS (`:has`), so that the
 * page keeps its no-script Content Security Policy. Pure: a report in, HTML
 * out.
 */
import { COUNT_KEYS, failedOnItsOwn, type FileStatus, type FlakeRate, type FlakyFile, type TestCounts } from "../model.js";
import { plural } from "../format.js";
import { compareCodeUnits } from "../projectPaths.js";
import { describeRate, percentOf } from "./flaky.js";
import { STATUS_WORDS } from "./style.js";
import type { JsonFileEntry, JsonReport, JsonTestCase } from "./jsonReport.js";
import { escapeHtml, exitText, finite, formatDuration, knownOutcome, knownStatus, OUTCOME_ICON, preciseDuration, safeHref, STATUS_ICON, testsText } from "./htmlText.js";

/** A project path (a log, a screenshot) as a link from the page. */
export type FileHref = (projectPath: string) => string;

/** The filters, each a set of executions: which statuses (or the history's flake rate) put an execution in it. */
export const FILTERS = [
  { id: "all", label: "All", icon: "", test: (): boolean => true },
  { id: "failures", label: "Failed", icon: STATUS_ICON.failed, test: (status: FileStatus): boolean => failedOnItsOwn(status) },
  { id: "flaky", label: "Flaky", icon: STATUS_ICON.flaky, test: (status: FileStatus, flaky: boolean): boolean => status === "flaky" || flaky },
  { id: "passed", label: "Passed", icon: STATUS_ICON.passed, test: (status: FileStatus): boolean => status === "passed" || status === "no-tests" },
  { id: "cancelled", label: "Cancelled", icon: STATUS_ICON.cancelled, test: (status: FileStatus): boolean => status === "cancelled" },
] as const;

/** Counts shown in red when not zero. */
const ALARMING: ReadonlySet<keyof TestCounts> = new Set(["failed", "errors", "xpassed"]);

/** Columns of an execution's row, which the rows under it span. */
const COLUMNS = 9 + COUNT_KEYS.length;

export function renderFiles(report: JsonReport, href: FileHref): string {
  const flaky = new Map((report.flaky ?? []).map((f) => [f.path, f]));
  // What went wrong first (failed and timed-out files, then cancelled ones), then in the order things happened.
  const rank = (f: JsonFileEntry): number => (failedOnItsOwn(f.status) ? 0 : f.status === "cancelled" ? 1 : 2);
  const rows = [...report.files].sort((a, b) => rank(a) - rank(b) || finite(a.startSeconds) - finite(b.startSeconds) || compareCodeUnits(a.path, b.path));
  const groups = rows.map((f) => groupsOf(f, flaky.has(f.path)));
  const filters = FILTERS.map(({ id, label, icon }, i) => {
    const count = groups.filter((g) => g.includes(id)).length;
    const mark = icon === "" ? "" : `<span class="icon" aria-hidden="true">${icon}</span> `;
    return `<input type="radio" name="show" id="show-${id}" value="${id}"${i === 0 ? " checked" : ""}><label for="show-${id}" data-filter="${id}">${mark}${label} <span class="n">${count}</span></label>`;
  }).join("");
  const body = rows.map((f, i) => renderExecution(f, i, groups[i] as string[], flaky.get(f.path) ?? null, href)).join("\n");
  return `<section class="files" aria-labelledby="files-heading">
<h2 id="files-heading">Files and tests</h2>
<div class="filters" role="radiogroup" aria-label="show files">${filters}</div>
<div class="table-wrap">
<table class="runs">
<thead>
<tr><th rowspan="2">Status</th><th rowspan="2">Path</th><th rowspan="2" class="num" title="iteration">Iter.</th><th rowspan="2" class="num">Attempt</th><th rowspan="2" class="num">Slot</th><th rowspan="2" class="num">Start</th><th rowspan="2" class="num">Duration</th><th rowspan="2">Exit</th><th colspan="${COUNT_KEYS.length}" class="group">Tests</th><th rowspan="2">Links</th></tr>
<tr>${COUNT_KEYS.map((key) => `<th class="num">${key}</th>`).join("")}</tr>
</thead>
${body}
</table>
</div>
<p class="muted empty-filter">No file in this group.</p>
</section>`;
}

function groupsOf(entry: JsonFileEntry, flaky: boolean): string[] {
  const status = knownStatus(entry.status);
  return FILTERS.filter((f) => f.test(status, flaky)).map((f) => f.id);
}

/** One execution: its row, and the row of its tests, failures and files under it. */
function renderExecution(entry: JsonFileEntry, index: number, groups: string[], flaky: FlakyFile | null, href: FileHref): string {
  const status = knownStatus(entry.status);
  const started = entry.slot >= 0;
  const counts =
    entry.tests === null
      ? `<td colspan="${COUNT_KEYS.length}" class="muted">no report</td>`
      : COUNT_KEYS.map((key) => {
          const n = finite(entry.tests?.[key] ?? 0);
          return `<td class="num${ALARMING.has(key) && n > 0 ? " alarm" : ""}${n === 0 ? " muted" : ""}">${n}</td>`;
        }).join("");
  const flakeBadge = flaky === null ? "" : ` ${badge(flaky, "file")}`;
  const details = renderDetails(entry, flaky, href);
  return `<tbody class="run st-row-${status}" id="run-${index + 1}" data-path="${escapeHtml(entry.path)}" data-status="${escapeHtml(entry.status)}" data-groups="${groups.join(" ")}">
<tr class="file-row">
<td><span class="status st-${status}"><span class="icon" aria-hidden="true">${STATUS_ICON[status]}</span> ${STATUS_WORDS[status]}</span></td>
<td class="path"><code>${escapeHtml(entry.path)}</code>${flakeBadge}</td>
<td class="num">${entry.iteration}</td><td class="num">${entry.attempt}</td>
<td class="num">${started ? entry.slot : `<span class="muted">not started</span>`}</td>
<td class="num">${started ? escapeHtml(formatDuration(finite(entry.startSeconds))) : "—"}</td>
<td class="num">${started ? escapeHtml(formatDuration(finite(entry.durationSeconds))) : "—"}</td>
<td class="exit">${escapeHtml(exitText(entry)) || `<span class="muted">—</span>`}</td>
${counts}
<td class="links">${renderLinks(entry, href)}</td>
</tr>${details === "" ? "" : `\n<tr class="details-row"><td colspan="${COLUMNS}">${details}</td></tr>`}
</tbody>`;
}

function link(target: string, text: string, href: FileHref, className: string): string {
  return `<a class="${className}" href="${escapeHtml(safeHref(href(target)))}">${escapeHtml(text)}</a>`;
}

function renderLinks(entry: JsonFileEntry, href: FileHref): string {
  const links = [
    entry.log === null ? "" : link(entry.log, "log", href, "log-link"),
    entry.serverLog === null || entry.serverLog === undefined ? "" : link(entry.serverLog, "server log", href, "server-log-link"),
    entry.artifacts === null || entry.artifacts === undefined ? "" : link(entry.artifacts, "artifacts", href, "artifacts-link"),
  ].filter((l) => l !== "");
  return links.length === 0 ? `<span class="muted">none</span>` : links.join(" ");
}

/** Under an execution: its tests (open when something failed), then the files its tests wrote. */
function renderDetails(entry: JsonFileEntry, flaky: FlakyFile | null, href: FileHref): string {
  const cases = entry.cases ?? [];
  const files = entry.artifactFiles ?? [];
  const parts: string[] = [];
  // What no test says: why a timed-out, crashed or stopped file ended (the console's line, and the JUnit's testcase, say it too).
  if (entry.reason !== undefined || entry.stoppedIn !== undefined) {
    const stopped = entry.stoppedIn === undefined ? null : `stopped in ${entry.stoppedIn}`;
    const text = entry.reason === undefined ? (stopped ?? "") : stopped === null ? entry.reason : `${entry.reason} (${stopped})`;
    parts.push(`<p class="reason">${escapeHtml(text)}</p>`);
  }
  if (cases.length > 0) {
    const failing = cases.some((c) => c.outcome === "failed" || c.outcome === "error");
    const open = failing || failedOnItsOwn(knownStatus(entry.status)) || entry.status === "flaky";
    const flakyTests = new Map((flaky?.tests ?? []).map((t) => [t.nodeid, t]));
    const rows = cases.map((c) => renderCase(c, entry.path, flakyTests.get(c.nodeid) ?? null)).join("\n");
    parts.push(`<details class="tests"${open ? " open" : ""}><summary>${plural(cases.length, "test")}: ${escapeHtml(testsText(entry.tests))}</summary>
<table class="cases">
${rows}
</table>
</details>`);
  }
  if (files.length > 0) {
    const items = files.map((file) => `<li>${link(file, file.slice(file.lastIndexOf("/") + 1), href, "artifact-link")}</li>`).join("");
    parts.push(`<div class="artifacts"><span class="muted">Screenshots, traces and other files the tests wrote:</span><ul>${items}</ul></div>`);
  }
  return parts.join("\n");
}

/** The test's name as it reads under its file: the node id without the file's path. */
function shortNodeid(nodeid: string, path: string): string {
  if (nodeid.startsWith(`${path}::`)) return nodeid.slice(path.length + 2);
  const at = nodeid.indexOf("::");
  return at < 0 ? nodeid : nodeid.slice(at + 2);
}

function renderCase(test: JsonTestCase, path: string, flaky: FlakeRate | null): string {
  const outcome = knownOutcome(test.outcome);
  const row = `<tr class="case oc-${outcome}" data-nodeid="${escapeHtml(test.nodeid)}" data-outcome="${escapeHtml(test.outcome)}">
<td class="outcome"><span class="icon" aria-hidden="true">${OUTCOME_ICON[outcome]}</span> ${escapeHtml(test.outcome)}</td>
<td class="nodeid" title="${escapeHtml(test.nodeid)}"><code>${escapeHtml(shortNodeid(test.nodeid, path))}</code>${flaky === null ? "" : ` ${badge(flaky, "test")}`}</td>
<td class="num" title="${escapeHtml(preciseDuration(finite(test.durationSeconds)))}">${escapeHtml(formatDuration(finite(test.durationSeconds)))}</td>
</tr>`;
  const failures = test.failures ?? [];
  if (failures.length === 0) return row;
  const shown = failures.map((failure) => {
    const sections = failure.sections.map((s) => `<details class="captured"><summary>${escapeHtml(s.title)}</summary><pre>${escapeHtml(s.text)}</pre></details>`).join("");
    const text = failure.text === null ? `<p class="muted">(the rest of this failure is in the log: the report kept the first failures of the process in full)</p>` : `<pre class="longrepr">${escapeHtml(failure.text)}</pre>`;
    return `<div class="failure" data-when="${escapeHtml(failure.when)}"><p class="message"><span class="when">${escapeHtml(failure.when)}</span> <code>${escapeHtml(failure.message)}</code></p>${text}${sections}</div>`;
  });
  return `${row}\n<tr class="failure-row"><td colspan="3">${shown.join("")}</td></tr>`;
}

/** "flaky 25%", its rate in words on hover. */
function badge(rate: FlakeRate, what: "file" | "test"): string {
  return `<span class="flake" title="this ${what} ${escapeHtml(describeRate(rate, { share: false }))}">flaky ${percentOf(rate)}</span>`;
}
