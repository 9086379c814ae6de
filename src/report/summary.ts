/**
 * The end-of-run summary, as lines of text. Pure: a report in, lines out.
 */
import { displayCovered } from "../coverage/dataFiles.js";
import { failedOnItsOwn, filesByLog, SHARD_TESTS, testsRun, type CoverageResult, type FileResult, type RunReport, type TestCase } from "../model.js";
import { summariseRun } from "./runSummary.js";
import { loadStats } from "./loadStats.js";
import { EXIT, SIGNAL_EXIT } from "../exitCode.js";
import { paintStatus, STATUS_LABEL, STATUS_ORDER, type Palette } from "./style.js";
import { formatCounts, formatSeconds, plural, testFilesAndModules } from "../format.js";
import { formatFlaky } from "./flaky.js";
import { TESTS_FAILED } from "../exec/results.js";

/** Flaky files the summary lists (the rest are counted; --list-flaky lists them all), and tests under each. */
const FLAKY_FILES_LISTED = 10;
const FLAKY_TESTS_LISTED = 3;

export interface SummaryOptions {
  colours: Palette;
  /** Why the run stopped early, in words, if it did. */
  stopped: string | null;
  /** Longest list of cancelled files printed before the rest is only counted. */
  maxListed?: number;
  /** Lines of output shown for each failed file. */
  tailLines?: number;
  /** A repeated run: add the statistics across iterations. */
  load?: boolean;
  /** The terminal's width: lines of failed files' output are cut to fit it. */
  width?: number | null;
  /** The run's own JSON report (its log folder's report.json), which lists every file; absent: only --report-json's does. */
  reportFile?: string | null;
  /** A serial run: its files ran in one pytest process, one file or many (one an iteration, with --loop: said as shared processes). Absent: told from the files' shared log. */
  oneProcess?: boolean;
  /** The modules --doctest-modules collected only to check for doctests, whose "no tests" the run's lines leave unsaid: the summary says what its count of them is. */
  doctestModules?: ReadonlySet<string>;
}

export function formatSummary(report: RunReport, options: SummaryOptions): string[] {
  const { colours } = options;
  const maxListed = options.maxListed ?? 20;
  const tailLines = options.tailLines ?? 15;
  const summary = summariseRun(report.files);
  const { finals } = summary;
  const lines: string[] = ["", colours.dim("─".repeat(60))];

  // A module checked for doctests that holds none gets no line of its own: its count says what it is (a helper counted
  // "2 no tests" against the lines and found none).
  const quietModules = finals.filter((r) => heldNoDoctest(r, options.doctestModules)).length;
  // A file whose every test the selection left out (-k, -m, --deselect) is told from one that holds none: "166 no tests"
  // after a -k read as 166 empty files (a helper's trial of pytest-cases).
  const allDeselected = finals.filter((r) => r.status === "no-tests" && r.tests !== null && r.tests.deselected > 0 && testsRun(r.tests) === 0).length;
  const statusText = STATUS_ORDER.filter((s) => summary.byStatus[s] > 0).map((s) => {
    const said = `${summary.byStatus[s]} ${STATUS_LABEL[s]}`;
    if (s !== "no-tests" || quietModules + allDeselected === 0) return said;
    const count = summary.byStatus[s];
    const modules = quietModules === 0 ? null : `${quietModules === count ? plural(quietModules, "module") : `${quietModules} of them ${quietModules === 1 ? "a module" : "modules"}`} checked for doctests, none found`;
    const deselected = allDeselected === 0 ? null : allDeselected === count ? "every test deselected" : `${allDeselected} of them with every test deselected`;
    return `${said} (${[modules, deselected].filter((part) => part !== null).join("; ")})`;
  });
  const retried = summary.retriedAttempts;
  // Counted as the Found line counted them: "Found 1 test file and 3 modules to check for doctests" then "4 files" read
  // as three files more than there were (a helper's trial of pytest-cov).
  const modules = finals.filter((r) => options.doctestModules?.has(r.path) === true).length;
  const testFiles = finals.length - modules;
  const found = modules === 0 ? plural(finals.length, "file") : testFilesAndModules(testFiles, modules, "");
  const what = options.load === true ? plural(finals.length, "file run") : found;
  // A run with no file has nothing to count: "0 files: " would end in nothing.
  lines.push(finals.length === 0 ? `${colours.bold("No files ran")}` : `${colours.bold(what)}: ${statusText.join(", ")}${retried > 0 ? ` (${plural(retried, "retried attempt")})` : ""}`);

  if (summary.tests !== null) {
    const missing = summary.withoutReport;
    // A file can fail with no test failing (an internal error at its session's start, a coverage threshold, a crash at its
    // end): "Tests: 69 passed, 0 failed" under "9 files: 2 passed, 7 failed" read as a contradiction (a helper's trial).
    const withoutFailedTest = summary.failures.filter((entry) => entry.status === "failed" && entry.tests !== null && entry.tests.failed === 0 && entry.tests.errors === 0).length;
    const otherwise = withoutFailedTest === 0 ? "" : `; ${withoutFailedTest === 1 ? "1 file" : `${withoutFailedTest} files`} failed with no test failing (reasons below)`;
    lines.push(`${colours.bold("Tests")}: ${formatCounts(summary.tests, ["passed", "failed", "skipped"])}${missing > 0 ? ` (no report from ${plural(missing, "file")})` : ""}${otherwise}`);
  }

  const summed = summary.summedSeconds;
  const filesOfLog = filesByLog(report.files);
  const packed = packedFiles(filesOfLog);
  // Without --pack, the files that share a process are the modules checked for doctests only, which a run packs by
  // itself: said as such, "2 files in 1 shared process" surprised a helper who had asked for no packing.
  const packedPaths = new Set(report.files.filter((r) => r.log !== null && (filesOfLog.get(r.log) ?? 0) > 1).map((r) => r.path));
  const packedModules = packedPaths.size > 0 && [...packedPaths].every((path) => options.doctestModules?.has(path) === true);
  // A serial run's files share its one process: their tests' time, summed, leaves out the process's start, collection
  // and reports, which are no file's (five helpers read "summed over files" there as time gone missing).
  // Said of a serial run of one file too, whose time is its tests' alone as well (a helper read "0.0s summed over files").
  // Files a serial run's -x left unrun (cancelled) have no log: not a second process (connexion's trial read the other
  // wording after a failure).
  const serial = options.oneProcess === true ? filesOfLog.size <= 1 : report.workers === 1 && packed.processes === 1;
  // A packed file's time is its tests' alone (its process's start and collection are its pack's): summed, it is no
  // measure of the workers' time, and its ratio to the wall time would read as a slow-down (wtforms: 0.3x). Nor is a
  // ratio under 1 (a run whose own start-up outlasts its files): "0.3x the wall time" read as a slow-down too.
  const ratio = report.wallSeconds > 0 ? summed / report.wallSeconds : 0;
  const speedup = report.workers > 1 && packed.files === 0 && Number(ratio.toFixed(1)) >= 1 ? `, ${ratio.toFixed(1)}x the wall time` : "";
  const over = serial
    ? "in the files' tests (one pytest process; its start-up, collection and reports count toward no file)"
    : packed.files === 0
      ? "summed over files"
      : `summed over files (${packedModules ? plural(packed.files, "module checked for doctests", "modules checked for doctests") : plural(packed.files, "file")} in ${plural(packed.processes, "shared process", "shared processes")}: their tests' time only)`;
  // No file ran: no process of one to speak of (a --changed that nothing depends on read "one pytest process").
  lines.push(`${colours.bold("Time")}: ${formatSeconds(report.wallSeconds)} wall${finals.length === 0 ? "" : `, ${formatSeconds(summed)} ${over}${speedup}`}`);

  if (report.coverage !== undefined) lines.push(describeCoverage(report.coverage, colours));

  if (options.load === true) lines.push(...describeLoad(report, colours));

  const failing = summary.failures;
  // Across many iterations, each failing file's latest failure stands for the rest (listed per file above).
  const failures = options.load === true ? [...new Map(failing.map((r) => [r.path, r])).values()] : failing;
  if (failures.length > 0) {
    const heading = options.load === true ? "Latest failure of each file" : failures.length === 1 ? "Failure" : "Failures";
    lines.push("", colours.bold(colours.red(`${heading}:`)));
    // A pack's log is named after its first file: a failed file in it is told whose log it is (ormar's trial looked for
    // the failure under its own name).
    for (const result of failures) lines.push(...describeFailure(result, colours, tailLines, options.width ?? null, serial || result.log === null ? 1 : (filesOfLog.get(result.log) ?? 1)));
    if (report.workers > 1) {
      for (const { said: pattern, advice } of SHARED_AT_ONCE) if (failures.some((result) => said(result, pattern))) lines.push("", colours.yellow(advice));
    }
  }

  const { running, notStarted } = summary.cancelled;
  // Those stopped while running first, each said to be: they have a log and may have left something half-done.
  const cancelled = [...running, ...notStarted];
  // Modules to check for doctests that never started are counted, not named: most hold none, and a --fail-fast run of
  // importlib_metadata listed twelve of them, one a line, under two test files (a helper's trial).
  const unstartedModules = new Set(notStarted.filter((result) => options.doctestModules?.has(result.path) === true));
  const listed = [...running, ...notStarted.filter((result) => !unstartedModules.has(result))];
  if (cancelled.length > 0) {
    // A serial run's files share its one process: one that pytest stopped before was not reached, nor started (three
    // helpers' trials read "not started" there as processes that never came).
    const counts = serial && running.length === 0 ? "not reached: pytest stopped before them" : `${running.length} stopped while running, ${notStarted.length} ${serial ? "not reached" : "not started"}`;
    lines.push("", colours.bold(`Cancelled: ${cancelled.length} (${counts})`));
    for (const result of listed.slice(0, maxListed)) {
      // The tests it failed before it was stopped count in the run's totals (as in a plain run stopped there): where
      // their failures are is said, as the failures list says it for the files that ended.
      const failedBefore = result.tests !== null && result.tests.failed + result.tests.errors > 0 ? `: ${formatCounts(result.tests)} before it was stopped, log: ${result.log}` : "";
      const killed = result.killedAfterGraceSeconds === undefined ? "" : `; ${KILLED_AFTER_GRACE(result.killedAfterGraceSeconds)}`;
      lines.push(`  ${result.path}${result.iteration > 1 ? ` (iteration ${result.iteration})` : ""}${result.log !== null ? colours.dim(`  stopped while running${failedBefore}${killed}`) : ""}`);
    }
    const more = listed.length - Math.min(listed.length, maxListed);
    const modules = unstartedModules.size === 0 ? "" : plural(unstartedModules.size, "module to check for doctests", "modules to check for doctests");
    const rest = more === 0 ? modules : `${more} more${modules === "" ? "" : `, and ${modules}`}`;
    if (rest !== "") lines.push(`  ${listed.length === 0 ? "" : "… and "}${rest} (${options.reportFile ?? "--report-json"} lists them all)`);
  }

  const flaky = formatFlaky(report.flaky ?? [], { colours, maxFiles: FLAKY_FILES_LISTED, maxTests: FLAKY_TESTS_LISTED });
  if (flaky.length > 0) lines.push("", ...flaky);

  // Nothing else failed: the flaky files are why (--flaky-result fail, the default when CI is set).
  if (report.exitCode === EXIT.failed && failures.length === 0 && cancelled.length === 0 && summary.byStatus.flaky > 0 && report.coverage?.failed !== true) {
    // Files, not their runs: one file flaky in two iterations of a loop is one flaky file.
    const flakyFiles = new Set(summary.finals.filter((r) => r.status === "flaky").map((r) => r.path)).size;
    lines.push("", colours.yellow(`${plural(flakyFiles, "flaky file")} (passed only on a retry) ${flakyFiles === 1 ? "fails" : "fail"} the run: --flaky-result fail, the default when CI is set (--flaky-result pass to let ${flakyFiles === 1 ? "it" : "them"} pass)`));
  }
  if (options.stopped !== null) lines.push("", colours.yellow(options.stopped));
  // A run a signal stopped (Ctrl-C, a CI runner's SIGTERM) did not fail: it was stopped (a helper's Ctrl-C read "FAILED").
  const interrupted = Object.values(SIGNAL_EXIT).includes(report.exitCode);
  const verdict = report.exitCode === EXIT.passed ? colours.green("PASSED") : report.exitCode === EXIT.noTests ? colours.yellow("NO TESTS RAN") : interrupted ? colours.yellow("INTERRUPTED") : colours.red("FAILED");
  lines.push("", `${colours.bold(verdict)} (exit code ${report.exitCode})`);
  return lines;
}

/** The combined coverage in one line: the total, and the threshold's verdict where there is one. */
export function describeCoverage(coverage: CoverageResult, colours: Palette): string {
  const label = colours.bold("Coverage");
  if (coverage.totalPercent === null) {
    // `--cov-report=` (empty) asks for no report, and pytest-cov prints none: the data is combined all the same.
    const kinds = Object.keys(coverage.settings.report);
    const noneAsked = kinds.length > 0 && kinds.every((kind) => kind === "");
    const why = noneAsked
      ? "measured and combined; no report asked for (--cov-report=)"
      : coverage.settings.noCovOnFail
        ? "not reported (--no-cov-on-fail, and tests failed)"
        : "not reported (see the warning above)";
    return `${label}: ${coverage.failed ? colours.red(`${why}; required ${coverage.failUnder}%: not reached`) : why}`;
  }
  const total = `${displayCovered(coverage.totalPercent, coverage.precision)}%`;
  if (coverage.failUnder === null) return `${label}: ${total}`;
  if (!coverage.judged) {
    const of = coverage.of ?? SHARD_TESTS;
    const where = of === SHARD_TESTS ? `merge-reports judges the required ${coverage.failUnder}% over all shards` : `the required ${coverage.failUnder}% is judged on runs of the whole selection`;
    return `${label}: ${total} of ${of} (${where})`;
  }
  return coverage.failed ? `${label}: ${colours.red(`${total}, required ${coverage.failUnder}%: not reached`)}` : `${label}: ${total}, required ${coverage.failUnder}%: reached`;
}

function describeLoad(report: RunReport, colours: Palette): string[] {
  const stats = loadStats(report.files, report.wallSeconds);
  // "3 run" read as a slip for "3 runs", and "(2)" as a count (a helper's trial): the iterations are named as such.
  const failed = stats.failedIterations;
  // Beside "0 failed", "1 with failures" read as a contradiction where a retry had passed them (a helper's trial).
  const retried = stats.retriedIterations;
  const passedLater = retried.length === 0 ? "" : retried.length === failed.length ? `, ${failed.length === 1 ? "its failures" : "all"} passed on a retry` : `; ${retried.join(", ")} passed on a retry`;
  const failedIterations = failed.length === 0 ? "none with failures" : `${failed.length} with failures (iteration${failed.length === 1 ? "" : "s"} ${failed.join(", ")}${passedLater})`;
  const lines = [
    `${colours.bold("Iterations")}: ${stats.iterations}, ${failedIterations}`,
    `${colours.bold("Throughput")}: ${stats.filesPerMinute.toFixed(1)} files/min, ${stats.testsPerMinute.toFixed(1)} tests/min`,
    "",
    colours.bold(`${"Per file".padEnd(44)} ${"runs".padStart(5)} ${"pass".padStart(5)} ${"fail".padStart(5)}   ${"p50".padStart(6)} ${"p95".padStart(6)} ${"max".padStart(6)}`),
  ];
  for (const file of stats.files) {
    const flaky = file.flaky ? colours.yellow(`  FLAKY: failed in iteration ${file.failedIterations.join(", ")}`) : file.failedIterations.length > 0 ? colours.red(`  failed in iteration ${file.failedIterations.join(", ")}`) : "";
    const name = file.path.length > 44 ? `…${file.path.slice(-43)}` : file.path.padEnd(44);
    lines.push(
      `${name} ${String(file.runs).padStart(5)} ${String(file.passed).padStart(5)} ${String(file.failed).padStart(5)}   ${[file.p50Seconds, file.p95Seconds, file.maxSeconds].map((seconds) => (seconds === null ? "-" : formatSeconds(seconds)).padStart(6)).join(" ")}${flaky}`,
    );
  }
  return lines;
}

/** Whether a failed file said it met another in what files running at once cannot share (a port, a SQLite file). */
export function sharedAtOnce(results: readonly FileResult[]): boolean {
  return results.some((result) => failedOnItsOwn(result.status) && SHARED_AT_ONCE.some(({ said: pattern }) => said(result, pattern)));
}

/**
 * What files that run at once cannot share, as a failed file says it, and what the summary of a run of more than one
 * worker says then.
 */
const SHARED_AT_ONCE: readonly { said: RegExp; advice: string }[] = [
  {
    // How Python, Node and most servers say that a port is taken.
    said: /address already in use|EADDRINUSE|errno 98\b/i,
    advice: "A port was already in use: files that run at once cannot share a fixed port; derive ports from GRIMOIRE_SLOT, which differs for each of them.",
  },
  {
    // How SQLite (Python's sqlite3, through SQLAlchemy or Django too) says that another process has the same database
    // file: a table it made is there already, one it expected was dropped, or the file is locked. sqladmin's and ormar's
    // suites share a test.db in the working folder, and failed so under xdist and grimoire-run alike (a helper's trial).
    said: /OperationalError\)?:? (?:database is locked|database table is locked|table \S+ already exists|no such table: \S+)/,
    advice:
      "SQLite found a table gone or already there, or its database locked: files that run at once cannot share one SQLite file (a test.db in the working folder); derive its name from GRIMOIRE_SLOT, which differs for each of them.",
  },
];

/**
 * A failed file said it: in its last lines, or in a failed test's report (a fixture's traceback, long before the end),
 * its captured output included: python-socketio's server thread said "address already in use" on the test's stderr,
 * and the test failed with "Connection reset by peer" (a helper's trial: no hint).
 */
function said(result: FileResult, pattern: RegExp): boolean {
  if (result.tail.some((line) => pattern.test(line))) return true;
  return result.cases.some((test) => test.failures?.some((failure) => pattern.test(failure.message) || pattern.test(failure.text ?? "") || failure.sections.some((section) => pattern.test(section.text))) === true);
}

/**
 * A module --doctest-modules collected that held no doctest: not news, it counts in the summary only. One whose doctests
 * a -k or -m deselected held some (joblib's trial: `-k` matching nothing read "29 of them modules checked for
 * doctests, none found", four of them with doctests).
 */
export function heldNoDoctest(result: FileResult, doctestModules: ReadonlySet<string> | undefined): boolean {
  return result.status === "no-tests" && doctestModules?.has(result.path) === true && (result.tests?.deselected ?? 0) === 0;
}

/** Said of a file stopped at a failure (pytest's -x or --maxfail) before its last collected test. */
export const CUT_SHORT = "stopped at a failure before its last test";

/**
 * Why the file failed, with how many of its tests did where its tests failed: `2 of 31 tests failed`. The failed lines
 * below name only what its last lines do not, so "tests failed" above one such line read as one failure of two (a
 * helper's trial of isort). Errors count among them, as pytest's --maxfail counts them, and are said as errors.
 */
function countedReason(result: FileResult): string {
  const counts = result.tests;
  const failed = counts === null ? 0 : counts.failed + counts.errors;
  // A report that keeps no reason (merge-reports' of shards' reports) has its failed tests to say it by: "(failed)" read
  // as less than the shard's own summary said (a helper's trial).
  const why = result.reason ?? (result.status === "failed" && failed > 0 ? TESTS_FAILED : result.status);
  if (counts === null || failed === 0 || !why.startsWith(TESTS_FAILED)) return why;
  // Counted by test where each test's case is known: pytest's counts take a test whose teardown errored as passed and
  // as an error, and each failed subtest as a failure ("4 of 10 tests failed or errored" of a file of 9, a helper's
  // trial of h11; "2 of 11" of a file of 10 with subtests, oauthlib's).
  const tests = result.cases.filter((test) => test.nodeid.includes("::"));
  const byTest = tests.length > 0;
  const failedTests = byTest ? tests.filter((test) => test.outcome === "failed").length : counts.failed;
  const erroredTests = byTest ? tests.filter((test) => test.outcome === "error").length : counts.errors;
  const bad = failedTests + erroredTests;
  const ran = byTest ? tests.length : counts.passed + counts.failed + counts.errors + counts.skipped + counts.xfailed + counts.xpassed;
  // Errors (a fixture's set-up) said as errors, as the result line counts them: "10 of 20 tests failed" beside "(10
  // passed, 10 errors)" read as another count (flask-admin's trial). A file stopped at its failure (--fail-fast, -x)
  // counts the tests that ran, said so ("1 of 4 tests failed" of a file of 132, a helper's trial; "1 of 1" beside
  // "before its last test" of a file of 3, vcrpy's), unless its reason says how it ended (a session ended early).
  const verb = failedVerb(failedTests, erroredTests);
  if (result.cutShort === true && why === TESTS_FAILED) return `${bad === ran ? plural(bad, "test") : `${bad} of the ${ran} tests run`} ${verb}; ${CUT_SHORT}`;
  return `${bad} of ${plural(ran, "test")} ${verb}${why.slice(TESTS_FAILED.length)}`;
}

/** What tests that did not pass did: `failed`, `errored` (a fixture's set-up: pytest's errors), or both. */
function failedVerb(failed: number, errors: number): string {
  return failed === 0 ? "errored" : errors === 0 ? "failed" : "failed or errored";
}

/** A stopped file that was still running after the grace period: what it never finished. */
export const KILLED_AFTER_GRACE = (seconds: number): string =>
  `killed with SIGKILL: still running ${formatSeconds(seconds)} after it was told to stop, its teardown or exit handlers unfinished`;

/** Failed tests a failed file's entry names beside its last lines, at most. */
const FAILED_TESTS_NAMED = 3;

/** `sharedBy`: how many files' output the file's log holds (a pack's), 1 for a log of its own. */
function describeFailure(result: FileResult, colours: Palette, tailLines: number, width: number | null, sharedBy = 1): string[] {
  const why = countedReason(result);
  const iteration = result.iteration > 1 ? `, iteration ${result.iteration}` : "";
  const lines = [`  ${paintStatus(result.status, colours)} ${result.path} (${why}${iteration})`];
  // A split file's parts each name their log; its last lines are one part's (the first of the worst), said so.
  const parts = result.parts ?? [];
  const split = parts.length > 1;
  if (result.log !== null && !split) lines.push(`           log: ${result.log}${sharedBy > 1 ? ` (its pack's, with ${plural(sharedBy - 1, "other file")})` : ""}`);
  if (result.serverLog !== null) lines.push(`           server log: ${result.serverLog}`);
  if (result.keptDatabase !== undefined) lines.push(`           database kept: ${result.keptDatabase}`);
  for (const [index, part] of parts.entries()) {
    lines.push(`           part ${index + 1} of ${parts.length}: ${STATUS_LABEL[part.status]}${part.log === null ? "" : `, log: ${part.log}`}`);
  }
  const tailPart = split && result.log !== null ? parts.findIndex((part) => part.log === result.log) : -1;
  if (result.artifacts !== null) lines.push(`           screenshots and traces: ${result.artifacts}`);
  // Which test a timeout or a stop interrupted: an async test's stop shows only its event loop's frames (a helper's trial).
  if (result.stoppedIn !== undefined) lines.push(`           stopped in: ${result.stoppedIn}`);
  if (result.killedAfterGraceSeconds !== undefined) lines.push(`           ${KILLED_AFTER_GRACE(result.killedAfterGraceSeconds)}`);
  const tail = result.tail.slice(-tailLines);
  // The failed tests the last lines do not name (a chatty logger's lines, a long warnings summary after pytest's own
  // short summary: sphinx's suite), each with pytest's one line about it, so that why is said without the log.
  const room = width === null ? Infinity : Math.max(20, width - 13);
  const cut = (line: string): string => (line.length > room ? `${line.slice(0, room - 1)}…` : line);
  // Named there only with its message: pytest's short summary line cuts it to the terminal's width (a Playwright
  // failure's "AssertionError: Page title expect...", its whole message far above the last lines: a helper's trial).
  const firstLine = (test: TestCase): string => test.failures?.[0]?.message.split("\n")[0]?.trim() ?? "";
  const named = (test: TestCase): boolean => tail.some((line) => line.includes(test.nodeid)) && tail.some((line) => line.includes(firstLine(test)));
  // Said once: with --doctest-modules a module's two collectors (its tests', its doctests') report the same collection
  // error under the same node id (a helper's trial).
  const listed = new Set<string>();
  const unnamed = result.cases.filter((test) => {
    const key = `${test.nodeid}\0${firstLine(test)}`;
    if (!(test.outcome === "failed" || test.outcome === "error") || named(test) || listed.has(key)) return false;
    listed.add(key);
    return true;
  });
  for (const test of unnamed.slice(0, FAILED_TESTS_NAMED)) {
    const message = firstLine(test);
    lines.push(`           ${cut(`${test.outcome === "error" ? "error" : "failed"}: ${test.nodeid}${message === "" ? "" : ` - ${message}`}`)}`);
  }
  if (unnamed.length > FAILED_TESTS_NAMED) {
    // Those the last lines name are not among them: said, or "3 … and 52 more" read as 55 of a file's 69 (pytest-html's).
    const bad = result.cases.filter((test) => test.outcome === "failed" || test.outcome === "error");
    const all = bad.length;
    // Errors (a fixture's setup) are not failures: "24 more failed" under `error:` lines misnamed them (a helper's trial).
    const verb = (tests: readonly TestCase[]): string => failedVerb(tests.filter((test) => test.outcome !== "error").length, tests.filter((test) => test.outcome === "error").length);
    // Counted so that they add up: those above, these, and those the last lines name with their messages (a helper read
    // "… and 1 more failed (6 in all, the rest named in the last lines…)" under 3 named as 3 + 1 of 6).
    // "these 2" of tests not listed pointed at nothing (a helper's trial of oauthlib): they are said to be not shown.
    const more = unnamed.length - FAILED_TESTS_NAMED;
    const inAll = all > unnamed.length ? `${all} ${verb(bad)} in all: ${FAILED_TESTS_NAMED} above, ${more} not shown, ${all - unnamed.length} with their messages in the last lines; ` : "";
    lines.push(`           … and ${more} more ${verb(unnamed.slice(FAILED_TESTS_NAMED))}, not shown (${inAll}${split ? "the parts' logs have" : "the log has"} them all)`);
  }
  if (tail.length > 0) {
    // A timed-out file's lines are where its test was stopped (the plugin's block), not the log's last ones: the
    // process's shutdown printed more after them (a helper read "last 13 lines" of lines 9 to 22 of 80).
    const where = tail[0]?.startsWith("grimoire-run stopped ") === true ? `${plural(tail.length, "line")} where it was stopped (the log has what followed)` : `last ${plural(tail.length, "line")}`;
    lines.push(colours.dim(`           ${where}${tailPart < 0 ? "" : ` of part ${tailPart + 1}`}:`));
    for (const line of tail) lines.push(colours.dim(`           │ ${cut(line)}`));
  }
  return lines;
}

/** Files whose execution shared its process (and so its log) with others' (--pack), and how many such processes there were. */
function packedFiles(filesOfLog: ReadonlyMap<string, number>): { files: number; processes: number } {
  const shared = [...filesOfLog.values()].filter((count) => count > 1);
  return { files: shared.reduce((sum, count) => sum + count, 0), processes: shared.length };
}
