/**
 * The HTML report's one style sheet, inline in the page (its Content Security
 * Policy allows inline styles and nothing else).
 */
import { FILTERS } from "./htmlFiles.js";
import { MIN_BAR_PX } from "./htmlText.js";

/** Each filter but "all" hides the executions not in its group, and says so when none is left. */
const FILTER_RULES = FILTERS.filter((f) => f.id !== "all")
  .map(
    ({ id }) =>
      `main.report:has(#show-${id}:checked) tbody.run:not([data-groups~="${id}"]){display:none}\n` +
      `main.report:has(#show-${id}:checked):not(:has(tbody.run[data-groups~="${id}"])) .empty-filter{display:block}`,
  )
  .join("\n");

/*
 * Colours from the Okabe–Ito palette (distinguishable with the common colour
 * blindnesses), and every status also carries its mark and, in the table, its
 * word. Passing bars are light, failing ones solid and dark, timeouts striped
 * and cancelled ones hatched: the failures stand out in grey print too.
 */
export const HTML_STYLE = `
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
td.alarm,.facts .alarm{color:var(--failed);font-weight:700}
.status{white-space:nowrap;font-weight:700;font-size:.78rem}
tbody.st-row-failed>tr.file-row,tbody.st-row-timeout>tr.file-row{background:#fdf0ea}
tbody.st-row-cancelled>tr.file-row{background:#f6f7f8}
tbody.run{border-bottom:2px solid var(--line)}
td.links a{display:block;white-space:nowrap}
a{color:#0b5cad}
/* Under each execution: its tests, and what failed in them. */
tr.details-row>td{padding:0 .5rem .5rem 2rem;border-bottom:0}
details.tests>summary{cursor:pointer;padding:.2rem 0;color:var(--muted)}
table.cases{width:auto;min-width:60%;font-size:.82rem;margin:.1rem 0 .3rem}
table.cases td{padding:.15rem .5rem;border-bottom:1px solid #eceef1}
td.outcome{white-space:nowrap;font-weight:600;font-size:.78rem}
td.nodeid{overflow-wrap:anywhere}
tr.oc-failed td.outcome,tr.oc-error td.outcome{color:var(--failed)}
tr.oc-passed td.outcome,tr.oc-xfailed td.outcome{color:var(--passed)}
tr.oc-skipped td.outcome,tr.oc-xpassed td.outcome{color:var(--muted)}
tr.failure-row>td{padding:.2rem .5rem .6rem 1.5rem}
.failure+.failure{margin-top:.6rem}
.failure .message{margin:.1rem 0 .3rem;color:var(--failed);font-weight:600;overflow-wrap:anywhere}
.failure .when{display:inline-block;padding:0 .35rem;border-radius:.2rem;background:#f6f8fa;border:1px solid var(--line);color:var(--muted);font-weight:400;font-size:.75rem}
.failure pre{margin:.2rem 0;padding:.5rem .6rem;background:#f6f8fa;border:1px solid var(--line);border-radius:.3rem;font-size:.78rem;line-height:1.35;white-space:pre-wrap;overflow-wrap:anywhere;max-height:32rem;overflow:auto}
.failure pre.longrepr{border-left:3px solid var(--failed)}
details.captured>summary{cursor:pointer;font-size:.8rem;color:var(--muted)}
.flake{display:inline-block;margin-left:.35rem;padding:0 .35rem;border-radius:.6rem;background:var(--flaky-bg);color:#5c3600;border:1px solid var(--flaky);font-size:.72rem;font-weight:600;white-space:nowrap}
.artifacts{font-size:.82rem;margin:.2rem 0 .4rem}
.artifacts ul{display:inline;margin:0;padding:0}
.artifacts li{display:inline;list-style:none;margin-left:.6rem}
/* The filters: radio buttons shown as chips; the checked one hides the other groups' executions (no script: CSS :has). */
.filters{display:flex;flex-wrap:wrap;gap:.4rem;margin:0 0 .6rem}
.filters input{position:absolute;opacity:0;width:1px;height:1px;margin:0}
.filters label{padding:.15rem .7rem;border-radius:1rem;border:1px solid var(--line);background:#fafbfc;cursor:pointer;user-select:none}
.filters label .n{color:var(--muted)}
.filters input:checked+label{background:var(--fg);border-color:var(--fg);color:#fff}
.filters input:checked+label .n{color:#d6dae0}
.filters input:focus-visible+label{outline:2px solid #0b5cad;outline-offset:1px}
.empty-filter{display:none}
${FILTER_RULES}
@media (max-width:700px){:root{--label:4.5rem}main.report{padding:1rem .75rem}}
@media print{
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-size:11px}
main.report{max-width:none;padding:0}
.bar:hover{outline:none}
a{color:inherit;text-decoration:none}
tr{break-inside:avoid}
.filters{display:none}
.timeline{break-inside:avoid}
.table-wrap{overflow:visible}
td.path{min-width:0}
}
`;
