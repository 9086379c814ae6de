/**
 * Turning what a pytest process did into file results. Pure: plain data in, plain data out.
 */
import { emptyCounts, isFailure, roundSeconds, type FileResult, type FileStatus, type StartedRun, type TestCounts } from "../model.js";
import type { JUnitCase, JUnitReport } from "./junit.js";

/** How a pytest process ended, as the executor saw it. */
export interface ProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  /** The per-file time limit was reached and the tree was killed. */
  timedOut: boolean;
  /** The time limit, for saying what was exceeded. */
  timeoutSeconds: number | null;
  /** The file was stopped by fail-fast or an interrupt before it ended by itself. */
  cancelled: boolean;
  /** The process could not be started (the message says why). */
  spawnError: string | null;
  durationSeconds: number;
  junit: JUnitReport | null;
  tail: string[];
}

/** pytest's documented exit codes, in words for the summary. */
const PYTEST_EXIT_REASONS: Record<number, string> = {
  1: "tests failed",
  2: "pytest was interrupted (often an error while collecting tests)",
  3: "pytest hit an internal error",
  4: "pytest usage error (check the arguments forwarded after --, -k and -m)",
};

export function statusOf(outcome: ProcessOutcome): { status: FileStatus; reason: string | null } {
  if (outcome.spawnError !== null) return { status: "failed", reason: `could not start: ${outcome.spawnError}` };
  if (outcome.cancelled) return { status: "cancelled", reason: null };
  if (outcome.timedOut) return { status: "timeout", reason: `no result within the ${outcome.timeoutSeconds ?? "?"}s time limit` };
  if (outcome.signal !== null) return { status: "failed", reason: `killed by ${outcome.signal}` };
  if (outcome.exitCode === 0) return { status: "passed", reason: null };
  if (outcome.exitCode === 5) return { status: "no-tests", reason: null };
  const code = outcome.exitCode ?? -1;
  return { status: "failed", reason: PYTEST_EXIT_REASONS[code] ?? `pytest exited with code ${code}` };
}

/** The result of a file that had a pytest process of its own. */
export function resultOfFile(run: StartedRun, outcome: ProcessOutcome): FileResult {
  const { status, reason } = statusOf(outcome);
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
    tests: outcome.junit?.counts ?? null,
    log: run.log,
    junit: run.junit,
    artifacts: run.artifacts,
    tail: isFailure(status) ? outcome.tail : [],
    reason,
  };
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
    log: null,
    junit: null,
    artifacts: null,
    tail: [],
    reason: "not started",
  };
}

/**
 * Splits the report of one pytest process that ran several files (serial
 * mode, or a pack of quick files) into one result per file, in the order
 * they were given.
 *
 * A file with test cases gets their outcome. A file without any is `no-tests`
 * when pytest went past it. When the process stopped early without a test
 * case to show for it (a timeout, a signal, an interrupt, a usage error), the
 * first file it had not finished takes that fate; files it never reached
 * (after `-x`, or after an error while collecting) are `cancelled`. A pack
 * runs without `-x`: its failing tests do not stop it.
 */
export function resultsOfSerialRun(run: StartedRun, paths: readonly string[], outcome: ProcessOutcome, { stopsAtFirstFailure = true } = {}): FileResult[] {
  const byFile = new Map<string, JUnitCase[]>();
  for (const testCase of outcome.junit?.cases ?? []) {
    const file = fileOfCase(testCase, paths);
    if (file === null) continue;
    const list = byFile.get(file);
    if (list === undefined) byFile.set(file, [testCase]);
    else list.push(testCase);
  }
  const processStatus = statusOf(outcome);
  const collectionFailed = outcome.junit?.cases.some((c) => c.classname === "") ?? false;
  const explained = outcome.junit?.cases.some((c) => c.outcome === "failed" || c.outcome === "error") ?? false;
  const interrupted = outcome.timedOut || outcome.cancelled || outcome.signal !== null || outcome.spawnError !== null;
  const failedProcess = isFailure(processStatus.status);
  const stoppedEarly = failedProcess && (stopsAtFirstFailure || interrupted || !explained);
  const lastWithCases = Math.max(-1, ...paths.map((p, i) => (byFile.has(p) ? i : -1)));
  const fateOwner = stoppedEarly && (!explained || processStatus.status !== "failed") ? lastWithCases + 1 : -1;

  let clock = run.startSeconds;
  return paths.map((path, index): FileResult => {
    const cases = byFile.get(path);
    const base = { ...run, path, signal: null, tail: [], reason: null, startSeconds: roundSeconds(clock) };
    if (cases !== undefined) {
      const counts = countCases(cases);
      const failed = counts.failed + counts.errors > 0;
      const seconds = cases.reduce((sum, c) => sum + c.seconds, 0);
      clock += seconds;
      return { ...base, status: failed ? "failed" : "passed", exitCode: failed ? 1 : 0, durationSeconds: roundSeconds(seconds), tests: counts, tail: failed ? outcome.tail : [] };
    }
    if (!stoppedEarly || (index < lastWithCases && !collectionFailed)) {
      return { ...base, status: "no-tests", exitCode: 5, durationSeconds: 0, tests: emptyCounts() };
    }
    if (index === fateOwner) {
      return {
        ...base,
        status: processStatus.status,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        durationSeconds: roundSeconds(Math.max(0, run.startSeconds + outcome.durationSeconds - clock)),
        tests: null,
        tail: outcome.tail,
        reason: processStatus.reason,
      };
    }
    const why = collectionFailed
      ? "not run: pytest stopped on an error while collecting tests"
      : stopsAtFirstFailure
        ? "not reached: the run stopped at the first failure (-x)"
        : "not reached: the pytest process it shared with other files was stopped";
    return { ...base, status: "cancelled", exitCode: null, durationSeconds: 0, tests: null, log: null, reason: why };
  });
}

function countCases(cases: readonly JUnitCase[]): TestCounts {
  const counts = emptyCounts();
  for (const testCase of cases) {
    if (testCase.outcome === "passed") counts.passed++;
    else if (testCase.outcome === "failed") counts.failed++;
    else if (testCase.outcome === "skipped") counts.skipped++;
    else counts.errors++;
  }
  return counts;
}

/**
 * The file a JUnit test case belongs to. pytest names cases by dotted module
 * path relative to its rootdir, which may sit above or below the project root,
 * so the file whose dotted path matches the longest run of components wins.
 */
export function fileOfCase(testCase: Pick<JUnitCase, "classname" | "name">, paths: readonly string[]): string | null {
  const dotted = `.${testCase.classname !== "" ? testCase.classname : testCase.name}.`;
  let best: string | null = null;
  let bestLength = 0;
  for (const path of paths) {
    const parts = path.replace(/\.py$/, "").split("/");
    for (let start = 0; start < parts.length; start++) {
      const suffix = parts.slice(start).join(".");
      if (suffix.length > bestLength && dotted.includes(`.${suffix}.`)) {
        best = path;
        bestLength = suffix.length;
      }
    }
  }
  return best;
}
