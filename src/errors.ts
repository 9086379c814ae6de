/**
 * Errors that end a run with a documented exit code. Anything else that
 * escapes is a bug in grimoire-run (exit 4) and still takes the cleanup path.
 */

/** Bad usage or an environment problem found before any test ran: exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The run's environment (a managed server or database) failed during the run: exit 3. */
export class EnvironmentFailure extends Error {
  override readonly name = "EnvironmentFailure";
}

/** The run stopped (fail-fast, Ctrl-C) while something was being started; whatever was started is gone. */
export class StartCancelled extends Error {
  override readonly name = "StartCancelled";
}
