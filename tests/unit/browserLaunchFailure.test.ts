/**
 * A browser server whose browser cannot start says why, in Playwright's own
 * words (its first line, not its stack's tail), with the browser's own output
 * when it exited, what to do about it, and where the server's log is. The
 * messages here are Playwright's (1.63) as its launchServer throws them; the
 * real run is in tests/integration/browserServers.test.ts.
 */
import { describe, expect, it } from "vitest";
import { readLaunchError, startFailureMessage, type StartFailureContext } from "../../src/browsers/launchFailure.js";

const NOT_INSTALLED = [
  "Executable doesn't exist at /tmp/pw/chromium_headless_shell-1243/chrome-headless-shell-linux64/chrome-headless-shell",
  "╔════════════════════════════════════════════════════════════╗",
  "║ Looks like Playwright was just installed or updated.       ║",
  "║ Please run the following command to download new browsers: ║",
  "║                                                            ║",
  "║     npx playwright install                                 ║",
  "║                                                            ║",
  "║ <3 Playwright Team                                         ║",
  "╚════════════════════════════════════════════════════════════╝ Failed to launch browser.",
].join("\n");

const CRASHED = [
  "Protocol error (Browser.getVersion): Internal server error, session closed. Failed to launch browser.",
  "<launching> /opt/chrome --headless --remote-debugging-pipe --no-startup-window",
  "<launched> pid=14469",
  "[pid=14469][out] out line",
  "[pid=14469][err] segfault: bad thing",
  "[pid=14469] <gracefully close start>",
  "[pid=14469] <process did exit: exitCode=null, signal=SIGSEGV>",
  "[pid=14469] <gracefully close end>",
].join("\n");

const context: StartFailureContext = { browser: "chromium", served: "slots 0, 1", executable: null, python: ".venv/bin/python", log: ".grimoire/logs/run/browser-server-0.log" };

describe("a browser that cannot start", () => {
  it("is not installed: the missing executable, how to install it or point at one, and the server's log", () => {
    const failure = readLaunchError(NOT_INSTALLED);
    expect(failure).toEqual({
      cause: "Executable doesn't exist at /tmp/pw/chromium_headless_shell-1243/chrome-headless-shell-linux64/chrome-headless-shell",
      missingExecutable: "/tmp/pw/chromium_headless_shell-1243/chrome-headless-shell-linux64/chrome-headless-shell",
      browserOutput: [],
      browserExit: null,
    });
    expect(startFailureMessage(failure, context)).toBe(
      [
        "the chromium browser of slots 0, 1 could not be started: Executable doesn't exist at /tmp/pw/chromium_headless_shell-1243/chrome-headless-shell-linux64/chrome-headless-shell",
        "  Playwright's own chromium is not installed: install it with `.venv/bin/python -m playwright install chromium`, or give an installed chromium with --browser-executable PATH (or CHROMIUM_PATH)",
        "  the browser server's log: .grimoire/logs/run/browser-server-0.log",
      ].join("\n"),
    );
  });

  it("exited as it started: how, what it printed, and the executable that was used", () => {
    const failure = readLaunchError(CRASHED);
    expect(failure).toMatchObject({ missingExecutable: null, browserOutput: ["out line", "segfault: bad thing"], browserExit: "SIGSEGV" });
    expect(startFailureMessage(failure, { ...context, executable: "/opt/chrome" })).toBe(
      [
        "the chromium browser of slots 0, 1 could not be started: it exited (SIGSEGV) as it started",
        "  it printed:",
        "  │ out line",
        "  │ segfault: bad thing",
        "  the browser was /opt/chrome: check that it starts on this machine, or use Playwright's own (`.venv/bin/python -m playwright install chromium`, and no --browser-executable PATH (or CHROMIUM_PATH))",
        "  the browser server's log: .grimoire/logs/run/browser-server-0.log",
      ].join("\n"),
    );
    expect(readLaunchError(CRASHED.replace("exitCode=null, signal=SIGSEGV", "exitCode=7, signal=null")).browserExit).toBe("code 7");
  });

  it("says CHROMIUM_PATH only for Chromium, and nothing of a log it does not keep", () => {
    const message = startFailureMessage(readLaunchError(NOT_INSTALLED), { ...context, browser: "firefox", log: null });
    expect(message).toContain("`.venv/bin/python -m playwright install firefox`, or give an installed firefox with --browser-executable PATH");
    expect(message).not.toMatch(/CHROMIUM_PATH|log/);
  });
});
