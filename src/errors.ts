/**
 * Errors that end a run with a documented exit code. Anything else that
 * escapes is a bug in grimoire-run (exit 4) and still takes the cleanup path.
 */

/** What a usage error points at unless it says otherwise. */
export const OPTIONS_SEE = "Run grimoire-run --help for the options.";

/** Bad usage or an environment problem found before any test ran: exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** What to read for the fix: grimoire-run's own options (--help) unless it was pytest that refused something. */
  readonly see: string;

  constructor(message: string, see = OPTIONS_SEE) {
    super(message);
    this.see = see;
  }
}

/** Where pytest's own arguments come from, for an error pytest reported at its start. */
export const PYTEST_ARGUMENTS_SEE = "pytest's arguments come from those after --, the project's addopts (pytest.ini, pyproject.toml, tox.ini, setup.cfg) and PYTEST_ADDOPTS.";

/** The run's environment (a managed server or database) failed during the run: exit 3. */
export class EnvironmentFailure extends Error {
  override readonly name = "EnvironmentFailure";
}

/** The run stopped (fail-fast, Ctrl-C) while something was being started; whatever was started is gone. */
export class StartCancelled extends Error {
  override readonly name = "StartCancelled";
}

/** What a run says of a `pytest.exit()` that ended pytest's session before any test, and of the exit code it gives the run for it. */
export function pytestExitedBeforeTests(exited: { reason: string; returncode: number }): string {
  const verdict = exited.returncode === 0 ? "so does this run, as plain pytest's" : "this run ends with 2, as for any problem found before a test ran";
  return `pytest.exit() ended pytest's session before any test ran, with exit code ${exited.returncode}: ${exited.reason}\n${verdict}`;
}

/**
 * A conftest's or plugin's `pytest.exit()` ended pytest's session before any test ran (in the session that lists the
 * files): the run ends with the reason it gave, and passes where pytest's exit code was 0, as plain pytest does.
 */
export class PytestExited extends Error {
  override readonly name = "PytestExited";
  readonly returncode: number;

  constructor(exited: { reason: string; returncode: number }) {
    super(exited.reason);
    this.returncode = exited.returncode;
  }
}
