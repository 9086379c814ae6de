/**
 * Turning what a pytest process did into file results. Pure: plain data in, plain data out.
 */
import { addCounts, CONFTEST_NOT_LOADED, emptyCounts, failedTests, isFailure, PYTEST_USAGE_ERROR, roundSeconds, STOPPED_COLLECTING, type FileResult, type FileStatus, type StartedRun, type TestCase, type TestCounts } from "../model.js";
import type { ProcessReport } from "../process/runProcess.js";
import { failedConftest } from "./pytestCommand.js";
import type { FileRecords, ProcessRecords, RecordedWarning } from "./testRecords.js";

/** How a pytest process ended, and what grimoire-run's plugin recorded in it. */
export interface ProcessOutcome extends Omit<ProcessReport, "leftovers" | "listening" | "survivors"> {
  /** What grimoire-run's pytest plugin recorded, keyed by project path; null when it recorded nothing (pytest never got that far). */
  records: ProcessRecords | null;
  /** The conftest pytest named as failing to import at its start, read from the log's first lines (exit code 4 only); absent when not looked for. */
  conftestNotLoaded?: string | null;
}

/** Exit code 1 in words; a failed file of a shared process says it too (the failure summary counts them in front of it). */
export const TESTS_FAILED = "tests failed";

/** pytest's documented exit codes, in words for the summary. */
const PYTEST_EXIT_REASONS: Record<number, string> = {
  1: TESTS_FAILED,
  2: "pytest was interrupted (exit code 2: an error while collecting tests, a KeyboardInterrupt in a test, or pytest.exit)",
  3: "pytest hit an internal error",
  [PYTEST_USAGE_ERROR]: "pytest usage error (check the node ids and paths given, -k, -m, and the arguments after --)",
};

/** A file of a shared process that failed with no failing test: pytest could not collect it. */
const COLLECT_ERROR = "an error while collecting it";

/**
 * The process exited as if it passed (or found nothing) but pytest never
 * finished its session: a test or plugin called os._exit half-way. Tests it
 * never ran are not a pass.
 */
function endedEarly(outcome: ProcessOutcome): boolean {
  return outcome.records !== null && outcome.records.exitStatus === null && (outcome.exitCode === 0 || outcome.exitCode === 5) && !endedByPytestExit(outcome);
}

/** `pytest.exit()` ended the session on purpose, with the exit code the process ended with: pytest's own verdict. */
function endedByPytestExit(outcome: ProcessOutcome): boolean {
  return outcome.records?.exited != null && outcome.records.exited.returncode === outcome.exitCode;
}

/**
 * `files`: how many files the process ran (a serial run's, a pack's), whose time limit is the process's: its timeout is
 * said as the process's, not as the file it was in (a serial run's TIMEOUT line read 3.8s "within the 4s time limit"; a
 * thread one file left, waited for at the exit, was the last file's fault).
 */
export function statusOf(outcome: ProcessOutcome, files = 1): { status: FileStatus; reason: string | null } {
  if (outcome.spawnError !== null) return { status: "failed", reason: `could not start: ${outcome.spawnError}` };
  // Stopped once its session had ended, while the process waited at its exit (a child process, a thread, an exit
  // handler): every test ran, and the session's verdict is the file's.
  const ended = outcome.records?.endedBeforeStop === true ? outcome.records.exitStatus : null;
  if (outcome.cancelled) return ended === 0 ? { status: "passed", reason: null } : ended === 5 ? { status: "no-tests", reason: null } : { status: "cancelled", reason: null };
  if (outcome.lost !== null) return { status: "failed", reason: outcome.lost };
  if (outcome.timedOut) {
    const limit = `${outcome.timeoutSeconds ?? "?"}s time limit`;
    const shared = files > 1 ? `its pytest process (${files} files)` : null;
    if (ended === null) return { status: "timeout", reason: `no result within the ${limit}${shared === null ? "" : ` of ${shared}`}` };
    const left = shared === null ? "" : " any of its files may have left (this file ran last)";
    return { status: "timeout", reason: `pytest's session ended (exit status ${ended}), but ${shared ?? "the process"} did not exit within the ${limit}: it waited at its exit, for a child process, a thread or an exit handler${left}` };
  }
  if (outcome.signal !== null) {
    // After its session's end (every test ran): a crash as the interpreter exits (an exit handler, a finalizer).
    const after = outcome.records?.exitStatus ?? null;
    return { status: "failed", reason: after === null ? `killed by ${outcome.signal}` : `pytest's session ended (exit status ${after}), then the process was killed by ${outcome.signal} as it exited` };
  }
  if (endedEarly(outcome)) {
    return { status: "failed", reason: `pytest's session ended before it finished (exit code ${String(outcome.exitCode)}): a test or plugin ended the process` };
  }
  if (outcome.exitCode === 0) return { status: "passed", reason: null };
  if (outcome.exitCode === 5) return { status: "no-tests", reason: null };
  const code = outcome.exitCode ?? -1;
  if (endedByPytestExit(outcome)) return { status: "failed", reason: `pytest.exit() ended the session (exit code ${code}): ${outcome.records?.exited?.reason ?? ""}` };
  if (code === 1 && (outcome.records === null || (outcome.records.collected === null && outcome.records.files.size === 0 && outcome.records.exitStatus === null))) {
    // Ended before its session began, grimoire-run's plugin having recorded nothing (a plugin that failed to start:
    // pytest-cov with a coverage plugin it cannot import, before pytest configured the records): no test ran, and
    // "tests failed" said otherwise (yarl's trial).
    return { status: "failed", reason: "pytest ended with code 1 before its session began, no test run: an error at its start (a plugin's, the configuration's), its traceback in the log" };
  }
  if (code === 1 && outcome.records !== null && !failedAnywhere(outcome.records)) {
    // Never finished its session: a test called os._exit(1), say. Finished it and said it failed: a conftest decided
    // the run failed. Finished it and said it passed: an error after it (a conftest's pytest_unconfigure raised, an
    // unraisable ResourceWarning under filterwarnings=error: fastapi's trial), as the interpreter ends on one.
    const status = outcome.records.exitStatus;
    const reason =
      status === null
        ? "pytest's session ended before it finished (exit code 1): a test or plugin ended the process"
        : status === 0 || status === 5
          ? `pytest's session ended (exit status ${status}), then the process exited with code 1: an error after the session (pytest_unconfigure, an exit handler), its traceback in the log`
          : "pytest exited with code 1 though no test failed: a conftest or plugin set the session's exit status";
    return { status: "failed", reason };
  }
  if (code === 1 && outcome.records !== null && outcome.records.exitStatus === null && outcome.records.collected !== null) {
    // Tests failed, and then the process ended before its session did (pytest-timeout's thread method ends it with
    // os._exit(1)): "tests failed" alone hid the end, and the tests it never ran (anyio's trial).
    return { status: "failed", reason: "tests failed, then pytest's session ended before it finished (exit code 1): a test or plugin ended the process" };
  }
  // Interrupted (2) by what the records show: the file's own collection error, not one of exit code 2's other causes.
  if (code === 2 && outcome.records !== null && [...outcome.records.files.values()].some((file) => file.collectError)) return { status: "failed", reason: COLLECT_ERROR };
  // pytest says the same exit code for a conftest that failed at its start as for bad arguments.
  if (code === PYTEST_USAGE_ERROR && (outcome.conftestNotLoaded ?? failedConftest(outcome.tail)) !== null) return { status: "failed", reason: CONFTEST_NOT_LOADED };
  // A node id that names no test, as a serial run's refusal says it (a parallel run's line read "pytest usage error
  // (check the node ids …)" only: msgspec's trial).
  const notFound = code === PYTEST_USAGE_ERROR ? outcome.tail.find((line) => line.startsWith("ERROR: not found: ")) : undefined;
  if (notFound !== undefined) return { status: "failed", reason: `pytest found no test by a node id it was given (exit code 4): ${notFound.slice("ERROR: not found: ".length)}` };
  return { status: "failed", reason: PYTEST_EXIT_REASONS[code] ?? `pytest exited with code ${code}` };
}

/** Why a file stopped by the run (fail-fast, -x) is a failure all the same: a test of its own had failed by then. */
const FAILED_BEFORE_STOP = "a test of it failed before the run stopped it";
/** The same of a file whose module had failed to import, where no test ran (a helper's trial read "a test of it" so). */
const COLLECTION_FAILED_BEFORE_STOP = "its collection failed before the run stopped it";

/**
 * A file the run stopped after one of its own tests had failed failed: not merely cancelled (its test failed, as the
 * summary's counts say). Only a failure recorded before the stop interrupted a test: one after it may be the stop's
 * doing (its server killed under it), and leaves the file cancelled.
 */
function failedBeforeItsStop(verdict: { status: FileStatus; reason: string | null }, failedItself: boolean, collectionOnly: boolean): { status: FileStatus; reason: string | null } {
  if (verdict.status !== "cancelled" || !failedItself) return verdict;
  return { status: "failed", reason: collectionOnly ? COLLECTION_FAILED_BEFORE_STOP : FAILED_BEFORE_STOP };
}

/** Whether what failed in these files is their collection only: a module that did not import, no test failed. */
function collectionFailedOnly(files: Iterable<FileRecords>): boolean {
  const all = [...files];
  const collecting = (test: TestCase): boolean => test.outcome !== "failed" && (test.outcome !== "error" || (test.failures ?? []).every((failure) => failure.when === "collect"));
  return all.some((file) => file.collectError) && all.every((file) => file.cases.every(collecting));
}

/** Whether the process recorded a failed test or a collection error anywhere. */
function failedAnywhere(records: ProcessRecords): boolean {
  return [...records.files.values()].some((file) => file.collectError || failedTests(file.counts) > 0);
}

/** Every test the process reported, all files together: what a process of one file did. */
function allRecords(records: ProcessRecords | null): { counts: TestCounts | null; cases: TestCase[] } {
  if (records === null) return { counts: null, cases: [] };
  const counts = emptyCounts();
  const cases: TestCase[] = [];
  for (const file of records.files.values()) {
    addCounts(counts, file.counts);
    cases.push(...file.cases);
  }
  return { counts, cases };
}

/**
 * Test durations as pytest measured them, but none longer than the process
 * that ran them lived: a test that left time frozen in the past or the
 * future (freezegun, time-machine) makes pytest's clock say days.
 */
function withinProcessTime(cases: readonly TestCase[], processSeconds: number): TestCase[] {
  const most = Math.max(0, roundSeconds(processSeconds));
  return cases.map((test) => (test.seconds > most ? { ...test, seconds: most } : test));
}

/** The result of a file that had a pytest process of its own. */
export function resultOfFile(run: StartedRun, outcome: ProcessOutcome): FileResult {
  const { status, reason } = failedBeforeItsStop(statusOf(outcome), (outcome.records?.failedBeforeStop.size ?? 0) > 0, collectionFailedOnly(outcome.records?.files.values() ?? []));
  const { counts, cases: measured } = allRecords(outcome.records);
  const cases = withinProcessTime(measured, outcome.durationSeconds);
  return {
    path: run.path,
    iteration: run.iteration,
    attempt: run.attempt,
    status,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    slot: run.slot,
    startSeconds: run.startSeconds,
    durationSeconds: outcome.durationSeconds,
    tests: counts,
    cases,
    log: run.log,
    junit: run.junit,
    artifacts: run.artifacts,
    artifactFiles: run.artifactFiles,
    serverLog: run.serverLog,
    ...(run.keptDatabase === undefined ? {} : { keptDatabase: run.keptDatabase }),
    coverageData: run.coverageData,
    tail: isFailure(status) ? outcome.tail : [],
    reason,
    ...(isFailure(status) && collectedCount(outcome.records) > cases.length ? { cutShort: true, unfinished: collectedCount(outcome.records) - cases.length } : {}),
    ...(outcome.records?.stoppedIn == null ? {} : { stoppedIn: outcome.records.stoppedIn.nodeid }),
    ...(outcome.killedAfterGraceSeconds == null ? {} : { killedAfterGraceSeconds: outcome.killedAfterGraceSeconds }),
    ...(outcome.records?.testsSeconds == null ? {} : { testsSeconds: Math.min(outcome.records.testsSeconds, outcome.durationSeconds) }),
  };
}

/**
 * Each result with the warnings of its process that are its own in its counts (`warnings`: raised by its tests, or
 * where its module was collected), and the keys the run's total counts them by (`warningKeys`): a test's own is one of
 * its kind (the process's log and its place); one raised while collecting or configuring is known by what it says and
 * where, so that the same one from every file's process (a conftest's, an ini option pytest does not know) counts once,
 * as in a plain run's one session. The process's warnings of no file of its go with each of its files, counted once.
 */
export function withWarnings(results: FileResult[], records: ProcessRecords | null, log: string | null): FileResult[] {
  const warnings = records?.warnings ?? [];
  if (warnings.length === 0) return results;
  const paths = new Set(results.map((result) => result.path));
  const ownerOf = (warning: RecordedWarning): string | null => warning.owner ?? (warning.file !== null && paths.has(warning.file) ? warning.file : null);
  const keyOf = (warning: RecordedWarning, index: number): string => (warning.owner !== null ? `${log ?? ""}\u0000${index}` : `${warning.message}\u0000${warning.file ?? ""}\u0000${warning.line ?? ""}`);
  const keyed = warnings.map((warning, index) => ({ owner: ownerOf(warning), key: keyOf(warning, index) }));
  const noFiles = keyed.filter((warning) => warning.owner === null || !paths.has(warning.owner)).map((warning) => warning.key);
  return results.map((result) => {
    const own = keyed.filter((warning) => warning.owner === result.path).map((warning) => warning.key);
    if (own.length + noFiles.length === 0) return result;
    const tests = result.tests === null || own.length === 0 ? result.tests : { ...result.tests, warnings: own.length };
    return { ...result, tests, warningKeys: [...own, ...noFiles] };
  });
}

/** The tests collection left to run in the process, all files together; 0 when it never finished collecting. */
function collectedCount(records: ProcessRecords | null): number {
  return [...(records?.collected?.values() ?? [])].reduce((sum, count) => sum + count, 0);
}

/** The result of a file that was never started because the run stopped first. */
export function cancelledBeforeStart(path: string, iteration: number, attempt: number, atSeconds: number): FileResult {
  return {
    path,
    iteration,
    attempt,
    status: "cancelled",
    exitCode: null,
    signal: null,
    slot: -1,
    startSeconds: atSeconds,
    durationSeconds: 0,
    tests: null,
    cases: [],
    log: null,
    junit: null,
    artifacts: null,
    artifactFiles: [],
    serverLog: null,
    coverageData: null,
    tail: [],
    reason: "not started",
  };
}

/**
 * Splits the records of one pytest process that ran several files (serial
 * mode, or a pack) into one result per file: the given paths, and any other
 * path pytest reported on (a folder whose collection failed).
 *
 * A file with tests or a collection error gets their outcome; one that
 * collection found no test in is `no-tests`. When the process did not end by
 * itself (a timeout, a signal, an interrupt, a session cut short), the file
 * pytest was in the middle of takes that fate; the files it never reached
 * are `cancelled`, as are those left unrun after `-x` or an error while
 * collecting stopped the session.
 */
export function resultsOfSerialRun(run: StartedRun, paths: readonly string[], outcome: ProcessOutcome): FileResult[] {
  const records = outcome.records;
  // In pytest's order (its collection's, which its tests run in; then the records' for a collection that never
  // finished), then the rest given (a serial run that learned its files from pytest gives none): each file starts where
  // pytest got to it, not where the plan put it.
  // Files pytest's --lf skipped whole are not run, as a plain `pytest --lf` says ("skipped 2 files"), not left unreached.
  const skipped = new Set(records?.lastFailedSkipped ?? []);
  const everyPath = [...new Set([...(records?.collected?.keys() ?? []), ...(records?.files.keys() ?? []), ...paths])].filter((path) => !skipped.has(path));
  const process = statusOf(outcome, everyPath.length);
  const interrupted = outcome.timedOut || outcome.cancelled || outcome.signal !== null || outcome.spawnError !== null || outcome.lost !== null || endedEarly(outcome);
  // Stopped while pytest collected (an interrupt as a module imported): no file was running, every one is unreached.
  const stoppedCollecting = records?.collectionStopped === true && records.stoppedIn === null;
  // A process that failed with no failing test or collection error to show for it (a usage error, an internal error) must not pass.
  const explained = records !== null && failedAnywhere(records);
  const collected = records?.collected ?? null;
  const unfinished = (path: string): boolean => (collected?.get(path) ?? 0) > (records?.files.get(path)?.cases.length ?? 0);
  // pytest runs files in its collection order: the first one not finished is where it was.
  const inProgress =
    (!interrupted && !(isFailure(process.status) && !explained)) || stoppedCollecting
      ? null
      : collected === null
        ? (paths[0] ?? null)
        : // All done and still failed (a conftest's pytest_sessionfinish set the exit status, syrupy's unused snapshots):
          // the session ended in the file whose test ran last, in the order pytest ran them, which a plugin may have changed
          // (it once was the last file by name, which --last-failed then ran alone, and passed: a helper's trial).
          ([...collected.keys()].find(unfinished) ?? paths.find((p) => !records?.files.has(p)) ?? records?.lastTestPath ?? paths[paths.length - 1] ?? [...collected.keys()].at(-1) ?? null);

  // A process that failed before it reported on any file (an argument pytest rejects, an internal error at start) is
  // still a failure, given under the run's own name: no file at all would read as "no tests collected".
  if (everyPath.length === 0 && isFailure(process.status)) {
    return [{ ...run, status: process.status, exitCode: outcome.exitCode, signal: outcome.signal, durationSeconds: roundSeconds(outcome.durationSeconds), tests: null, cases: [], tail: outcome.tail, reason: process.reason }];
  }
  // The first file starts where the tests did: after the process's start, configuration and collection, where the
  // records say when that was (from the end of the collection to the session's end).
  // The process's last lines are the last file's to run (pytest runs files in its collection's order): a pack's file
  // that failed before others ran after it gets its failed tests named, not lines of theirs (a helper's trial of
  // django-debug-toolbar read another file's output under a failed file's "last 15 lines").
  // A module that did not import ran nothing (its error is listed after the files pytest collected): the last lines
  // are its own only where no file ran a test (-x at the error).
  const lastWith = (ran: (file: FileRecords) => boolean): string | null => [...everyPath].reverse().find((path) => { const file = records?.files.get(path); return file !== undefined && ran(file); }) ?? null;
  const ranLast = lastWith((file) => file.cases.length > 0 && !file.collectError) ?? lastWith((file) => file.cases.length > 0);
  const testsSeconds = records?.testsSeconds ?? null;
  let clock = run.startSeconds + (testsSeconds === null ? 0 : Math.max(0, outcome.durationSeconds - testsSeconds));
  return everyPath.map((path): FileResult => {
    const file = records?.files.get(path);
    const base = { ...run, path, signal: null, tail: [], reason: null, cases: withinProcessTime(file?.cases ?? [], outcome.durationSeconds), startSeconds: roundSeconds(clock) };
    const seconds = base.cases.reduce((sum, c) => sum + c.seconds, 0);
    clock += seconds;
    if (path === inProgress) {
      const { status, reason } = failedBeforeItsStop(process, records?.failedBeforeStop.has(path) === true, file !== undefined && collectionFailedOnly([file]));
      return {
        ...base,
        status,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        durationSeconds: roundSeconds(Math.max(seconds, run.startSeconds + outcome.durationSeconds - (clock - seconds))),
        tests: file?.counts ?? null,
        tail: outcome.tail,
        reason,
        ...(records?.stoppedIn?.path === path ? { stoppedIn: records.stoppedIn.nodeid } : {}),
        ...(outcome.killedAfterGraceSeconds == null ? {} : { killedAfterGraceSeconds: outcome.killedAfterGraceSeconds }),
      };
    }
    // A module skipped while collecting ran no test: pytest says "no tests" of it alone, whatever it counts.
    if (file !== undefined && (file.cases.length > file.collectSkips || file.collectError)) {
      const failed = file.collectError || failedTests(file.counts) > 0;
      // Said as a file of its own process is (pytest's exit code 1), where the process is shared (a pack, a serial run).
      const reason = !failed ? null : file.collectError ? COLLECT_ERROR : TESTS_FAILED;
      // Passing so far, but the session stopped (-x, --maxfail) before its other tests: pytest ran the tests of several
      // files in turn (a session-scoped parametrized fixture groups them by parameter), and a file whose tests of the
      // second parameter never ran read as PASS (httpie's trial: test_json.py, 2 of 294 run). Cancelled, with its counts.
      if (!failed && unfinished(path) && records !== null && records.exitStatus !== null && records.exitStatus !== 0) {
        return { ...base, status: "cancelled", exitCode: null, durationSeconds: roundSeconds(seconds), tests: file.counts, tail: [], reason: whyNotRun(records, outcome, "not finished"), cutShort: true, unfinished: (collected?.get(path) ?? 0) - file.cases.length };
      }
      return { ...base, status: failed ? "failed" : "passed", exitCode: failed ? 1 : 0, durationSeconds: roundSeconds(seconds), tests: file.counts, tail: failed && path === ranLast ? outcome.tail : [], reason, ...(failed && unfinished(path) ? { cutShort: true } : {}) };
    }
    // Collected with no test selected in it; a file collection never reached (it stopped at an error) is not "no tests".
    if (collected !== null && collected.get(path) === 0) {
      return { ...base, status: "no-tests", exitCode: 5, durationSeconds: 0, tests: file?.counts ?? emptyCounts() };
    }
    // The session reached its end without this file: pytest's own decision, which a plain run would have made too.
    const leftByPytest = records !== null && records.exitStatus !== null;
    return {
      ...base,
      status: "cancelled",
      exitCode: null,
      durationSeconds: 0,
      tests: null,
      log: null,
      artifacts: null,
      artifactFiles: [],
      serverLog: null,
      coverageData: null,
      reason: whyNotRun(records, outcome),
      ...(leftByPytest ? { leftByPytest } : {}),
    };
  });
}

/** `notReached`: how a file is said to have been left ("not finished" for one stopped part-way). */
function whyNotRun(records: ProcessRecords | null, outcome: ProcessOutcome, notReached = "not reached"): string {
  if (records?.collectionStopped === true) return `${notReached}: the pytest process it shared with other files was stopped while it collected the tests`;
  if ((records?.collectErrors.length ?? 0) > 0 && outcome.exitCode === 2) return STOPPED_COLLECTING;
  // Under -x the collection error is the failure pytest stops at (exit 1), but a collection error stops it before any
  // test without -x too: said as that, not as -x's doing (a helper's trial read it so).
  if (records !== null && records.collectErrors.length > 0 && outcome.exitCode === 1 && [...records.files.values()].every((file) => collectionFailedOnly([file]) || file.cases.length === 0)) return STOPPED_COLLECTING;
  if (outcome.exitCode === 3) return "not run: pytest hit an internal error in the process it shared with other files";
  if (records !== null && records.exitStatus === null && outcome.exitCode !== null) return `${notReached}: the pytest process it shared with other files ended before it (exit code ${outcome.exitCode})`;
  if (outcome.exitCode === 1 || outcome.exitCode === 2) return `${notReached}: pytest stopped at the first failure (-x or --maxfail)`;
  return `${notReached}: the pytest process it shared with other files was stopped`;
}

/** Why a file listed at the run's start ran nothing: it was gone by the time its process started. */
export const GONE_BEFORE_ITS_TURN =
  "gone before its turn: deleted during the run (by a test?) after the run found it; plain pytest, which collects every file first, would have run it";

/**
 * A file that ran no test because it no longer exists (a test of the run deleted it: mako's generated modules, found
 * by the run's listing) failed, said so: its process ran nothing of it, which read as "NO TESTS" of a module holding
 * doctests, or, in a pack, as cancelled without a reason, and the run's verdict hid tests that never ran (a helper's
 * trial). `exists` answers for a project path; `log` is the process's, which a pack's file not reached had none of.
 */
export function goneBeforeItsTurn(results: readonly FileResult[], exists: (projectPath: string) => boolean, log: string | null): FileResult[] {
  return results.map((result) => {
    const ranNothing = result.status === "no-tests" ? result.cases.length === 0 : result.status === "cancelled" && result.leftByPytest === true;
    if (!ranNothing || exists(result.path)) return result;
    const rest = { ...result };
    delete rest.leftByPytest;
    return { ...rest, status: "failed", reason: GONE_BEFORE_ITS_TURN, tests: result.tests ?? emptyCounts(), log: result.log ?? log, tail: [] };
  });
}

/** Which part's status a split file takes: the worst. */
const PART_WEIGHT: Record<FileStatus, number> = { timeout: 6, failed: 5, cancelled: 4, flaky: 3, passed: 2, "no-tests": 1 };

/**
 * The one result of a file split across processes (--split), from its
 * parts' results: the worst status (and its exit code, reason and output),
 * every test, and the parts' time summed (the file's cost, what history
 * keeps; they ran side by side). Each part stays listed under it. Pure.
 */
export function combineParts(parts: readonly FileResult[]): FileResult {
  const first = parts.reduce((a, b) => (b.startSeconds < a.startSeconds ? b : a));
  const worst = parts.reduce((a, b) => (PART_WEIGHT[b.status] > PART_WEIGHT[a.status] ? b : a));
  const counted = parts.filter((p) => p.tests !== null);
  const allPassed = parts.every((p) => p.status === "passed" || p.status === "no-tests" || p.status === "flaky");
  const status: FileStatus = allPassed && parts.some((p) => p.status === "flaky") ? "flaky" : allPassed && parts.some((p) => p.status === "passed") ? "passed" : worst.status;
  return {
    ...first,
    status,
    attempt: Math.max(...parts.map((p) => p.attempt)),
    exitCode: worst.exitCode,
    signal: worst.signal,
    durationSeconds: roundSeconds(parts.reduce((sum, p) => sum + p.durationSeconds, 0)),
    tests: counted.length === 0 ? null : counted.reduce((sum, p) => addCounts(sum, p.tests ?? {}), emptyCounts()),
    cases: parts.flatMap((p) => p.cases),
    artifacts: parts.find((p) => p.artifacts !== null)?.artifacts ?? null,
    artifactFiles: [...new Set(parts.flatMap((p) => p.artifactFiles))],
    serverLog: worst.serverLog ?? first.serverLog,
    tail: worst.tail,
    reason: worst.reason,
    ...(parts.some((p) => p.cutShort === true) ? { cutShort: true } : {}),
    // The parts' tests together (first's alone was one part's); where a part did not say, none is known.
    testsSeconds: parts.every((p) => p.testsSeconds !== undefined) ? roundSeconds(parts.reduce((sum, p) => sum + (p.testsSeconds ?? 0), 0)) : undefined,
    log: worst.log ?? first.log,
    warningKeys: [...new Set(parts.flatMap((p) => p.warningKeys ?? []))],
    parts: parts.map((p) => ({ status: p.status, slot: p.slot, startSeconds: p.startSeconds, durationSeconds: p.durationSeconds, tests: p.tests, log: p.log, junit: p.junit, coverageData: p.coverageData })),
  };
}
