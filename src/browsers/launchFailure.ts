/**
 * Why a browser server's browser did not start, and what the user can do
 * about it. Playwright's launchServer throws one error whose message starts
 * with the cause (an executable that does not exist, a browser that closed its
 * session) and goes on with a banner or a call log holding the browser's own
 * output; its stack's last lines, which are all a tail of the server's stderr
 * shows, say nothing. This reads the message into plain data and writes the
 * run's message from it; it never starts, reads or ends a process.
 */
import type { BrowserName } from "./protocol.js";

export interface LaunchFailure {
  /** Playwright's first line, without its "Failed to launch browser." */
  cause: string;
  /** The executable Playwright looked for and did not find; null when it found one. */
  missingExecutable: string | null;
  /** What the browser printed before it exited, from Playwright's call log. */
  browserOutput: string[];
  /** `code 7`, `SIGSEGV`: how the browser exited as it started; null when it did not. */
  browserExit: string | null;
}

/** What a browser server could not start, for the message. */
export interface StartFailureContext {
  browser: BrowserName;
  /** `slots 0, 1`. */
  served: string;
  /** --browser-executable (or CHROMIUM_PATH) when one was given. */
  executable: string | null;
  /** The project's Python, as a command line, which `-m playwright install` is run with. */
  python: string;
  /** The server's log, as the run's other logs are named; null when it keeps none. */
  log: string | null;
}

/** The browser's output shown in the message; the log has the rest. */
const SHOWN_BROWSER_LINES = 12;

export function readLaunchError(message: string): LaunchFailure {
  const lines = message.split("\n");
  const cause = (lines[0] ?? "")
    .replace(/^browserType\.launch(Server)?: /, "")
    .replace(/\s*Failed to launch browser\.$/, "")
    .trim();
  const missing = /^Executable doesn't exist at (.+)$/.exec(cause);
  const browserOutput: string[] = [];
  let browserExit: string | null = null;
  for (const line of lines) {
    const printed = /^\[pid=\d+\]\[(?:out|err)\] ?(.*)$/.exec(line);
    if (printed !== null) browserOutput.push(printed[1] ?? "");
    const exit = /<process did exit: exitCode=(\S+), signal=(\S+)>/.exec(line);
    if (exit !== null) browserExit = exit[2] !== undefined && exit[2] !== "null" ? exit[2] : `code ${exit[1] ?? "?"}`;
  }
  return { cause, missingExecutable: missing?.[1] ?? null, browserOutput, browserExit };
}

/**
 * The run's message: the cause first, then what to do, then the log.
 * Playwright's own advice (`npx playwright install`) is left out: it is
 * for Node.js projects, and installs every browser.
 */
export function startFailureMessage(failure: LaunchFailure, context: StartFailureContext): string {
  const lines = [`the ${context.browser} browser of ${context.served} could not be started: ${failure.browserExit === null ? failure.cause : `it exited (${failure.browserExit}) as it started`}`];
  if (failure.browserExit !== null) {
    const said = failure.browserOutput.filter((line) => line.trim() !== "").slice(-SHOWN_BROWSER_LINES);
    lines.push(said.length === 0 ? "  it printed nothing" : "  it printed:", ...said.map((line) => `  │ ${line}`));
  }
  const install = `${context.python} -m playwright install ${context.browser}`;
  const elsewhere = `--browser-executable PATH${context.browser === "chromium" ? " (or CHROMIUM_PATH)" : ""}`;
  if (failure.missingExecutable !== null) {
    lines.push(`  Playwright's own ${context.browser} is not installed: install it with \`${install}\`, or give an installed ${context.browser} with ${elsewhere}`);
  } else if (failure.browserExit !== null && context.executable !== null) {
    lines.push(`  the browser was ${context.executable}: check that it starts on this machine, or use Playwright's own (\`${install}\`, and no ${elsewhere})`);
  } else if (failure.browserExit !== null) {
    lines.push(`  the browser was Playwright's own: reinstall it with \`${install}\`, or give an installed ${context.browser} with ${elsewhere}`);
  }
  if (context.log !== null) lines.push(`  the browser server's log: ${context.log}`);
  return lines.join("\n");
}
