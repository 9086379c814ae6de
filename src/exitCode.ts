/**
 * The run's one exit code, from its results and the reason it stopped.
 * See the contract's table (docs/exit-codes.md).
 */
import type { StopReason } from "./events.js";
import { CONFTEST_NOT_LOADED, finalResults, isFailure, PYTEST_USAGE_ERROR, type FileResult } from "./model.js";

export const EXIT = {
  passed: 0,
  failed: 1,
  usage: 2,
  environment: 3,
  internal: 4,
  noTests: 5,
} as const;

/** 128 + the signal's number, as shells report it. */
export const SIGNAL_EXIT: Record<"SIGINT" | "SIGTERM" | "SIGHUP", number> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

export interface ExitInput {
  results: readonly FileResult[];
  stopReason: StopReason | null;
  interruptedBy: keyof typeof SIGNAL_EXIT | null;
  /** Whether a flaky file (passed only on a retry) counts as a pass. */
  flakyPasses: boolean;
  /** The run's combined coverage fell short of --cov-fail-under: a failure, as pytest-cov makes it one. */
  coverageFailed?: boolean;
  /** pytest collected no test and passed all the same: a plugin's verdict (pytest-testmon's when no change affects a test), plain pytest's exit code. */
  emptyPassed?: boolean;
  /** A serial run's one process was ended by `pytest.exit()` before any test: its exit code 0 passes the run, as plain pytest's; another is a problem found before any test (2). */
  pytestExit?: { returncode: number } | null;
}

export function exitCodeOf(input: ExitInput): number {
  if (input.stopReason === "interrupt" && input.interruptedBy !== null) return SIGNAL_EXIT[input.interruptedBy];
  if (input.stopReason === "environment") return EXIT.environment;
  if (input.stopReason === "error") return EXIT.internal;
  if (input.pytestExit != null) return input.pytestExit.returncode === 0 ? EXIT.passed : EXIT.usage;
  const finals = finalResults(input.results);
  // pytest's exit code 4: it rejected the arguments it was given (an unknown option, a bad -k, a node id not found); not
  // a conftest that failed to import in that file's process alone (the listing had loaded it).
  if (finals.some((r) => r.status === "failed" && r.exitCode === PYTEST_USAGE_ERROR && r.reason !== CONFTEST_NOT_LOADED)) return EXIT.usage;
  if (finals.some((r) => isFailure(r.status) || (r.status === "flaky" && !input.flakyPasses))) return EXIT.failed;
  if (input.coverageFailed === true) return EXIT.failed;
  if (finals.length === 0 && input.emptyPassed === true) return EXIT.passed;
  if (finals.length === 0 || finals.every((r) => r.status === "no-tests")) return EXIT.noTests;
  return EXIT.passed;
}
