/**
 * Flake rates in words, for the console summary, `--list-flaky` and the HTML
 * page alike. Pure: rates in, text out.
 */
import { HISTORY_RECENT_RUNS } from "../defaults.js";
import { plural } from "../format.js";
import type { FlakeRate, FlakyFile } from "../model.js";
import { bothWays } from "../plan/flakes.js";
import type { Palette } from "./style.js";

/**
 * "failed 3 of its last 12 runs (25%)"; without the share where it stands beside it already (a file's column in the
 * console list, the HTML page's badge), which printed it twice on one line.
 */
export function describeRate(rate: FlakeRate, { share = true }: { share?: boolean } = {}): string {
  const percent = share ? ` (${percentOf(rate)})` : "";
  // A run that failed, then passed on a retry, is said as such: "failed in its one recent run" of a test listed as flaky
  // read as a contradiction (a helper's trial).
  const retried = rate.retried ?? 0;
  if (rate.runs === 1) return `${retried === 1 ? "failed, then passed on a retry," : "failed"} in its one recent run${percent}`;
  const onRetry = retried === 0 ? "" : retried === rate.failed ? (retried === 1 ? ", passing on a retry" : ", each time passing on a retry") : `, ${retried} of them passing on a retry`;
  return `failed ${rate.failed} of its last ${rate.runs} runs${onRetry}${percent}`;
}

/** A listed file's own runs, when they all went one way: "failed each of its last 9 runs; flaky tests in it:" */
function describeSteady(file: FlakeRate): string {
  if (file.runs === 0) return "flaky tests in it:";
  const went = file.failed > 0 ? "failed" : "passed";
  // Each failure passing on a retry said so: "failed in its one recent run" of a file that ended FLAKY, passing, read as
  // a contradiction (two helpers' trials).
  const retried = file.failed > 0 ? (file.retried ?? 0) : 0;
  if (file.runs === 1) return `${went}${retried === 1 ? ", then passed on a retry," : ""} in its one recent run; flaky tests in it:`;
  const onRetry = retried === 0 ? "" : retried === file.failed ? ", each time passing on a retry" : `, ${retried} of them passing on a retry`;
  return `${went} each of its last ${file.runs} runs${onRetry}; flaky tests in it:`;
}

export function percentOf(rate: FlakeRate): string {
  return `${rate.runs === 0 ? 0 : Math.round((rate.failed / rate.runs) * 100)}%`;
}

export interface FlakyListOptions {
  colours: Palette;
  /** Files listed before the rest is only counted. */
  maxFiles: number;
  /** Tests listed under each file. */
  maxTests: number;
}

/** The heading and one line per flaky file (with its flaky tests under it); nothing for none. */
export function formatFlaky(flaky: readonly FlakyFile[], options: FlakyListOptions): string[] {
  if (flaky.length === 0) return [];
  const { colours } = options;
  // A file listed only for its tests did not itself pass and fail: the heading says what the list holds.
  const what = flaky.every(bothWays) ? "passed and failed" : "passed and failed, or hold tests that did,";
  const lines = [colours.bold(colours.yellow(`Flaky recently (${what} within their last ${HISTORY_RECENT_RUNS} runs): ${plural(flaky.length, "file")}`))];
  for (const file of flaky.slice(0, options.maxFiles)) {
    // A file listed for its flaky tests only (it failed every run, another of its tests always failing, or passed every
    // run, its flaky test passing on a retry) has no rate of its own to show: its tests' are the flaky ones.
    const own = bothWays(file) ? `${colours.yellow(percentOf(file).padStart(4))}  ${file.path}  ${colours.dim(describeRate(file, { share: false }))}` : `${"".padStart(4)}  ${file.path}  ${colours.dim(describeSteady(file))}`;
    lines.push(`  ${own}`);
    for (const test of file.tests.slice(0, options.maxTests)) lines.push(`        ${test.nodeid}  ${colours.dim(describeRate(test))}`);
    if (file.tests.length > options.maxTests) lines.push(colours.dim(`        … and ${plural(file.tests.length - options.maxTests, "more flaky test")}`));
  }
  if (flaky.length > options.maxFiles) lines.push(colours.dim(`  … and ${plural(flaky.length - options.maxFiles, "more file")} (grimoire-run --list-flaky lists them all)`));
  return lines;
}
