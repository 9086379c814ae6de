/**
 * What grimoire-run and a browser server process (browserServerProcess.ts)
 * tell each other: the options on its command line, one JSON line back once
 * the browser is up (or why it could not be), and an exit code that says the
 * browser died by itself.
 */
import type { LaunchFailure } from "./launchFailure.js";

export type BrowserName = "chromium" | "firefox" | "webkit";

export interface BrowserServerOptions {
  browser: BrowserName;
  executablePath: string | null;
  headless: boolean;
  args: string[];
  /** Added to the browser's environment: the run's markers, so that its processes are found and killed with the run's. */
  env: Record<string, string>;
  /**
   * A folder of the server's own, made by grimoire-run: the server's and the
   * browser's TMPDIR, removed by the server once its browser is closed and by
   * grimoire-run once the whole tree is gone (Playwright leaves a profile there).
   */
  tempDir: string | null;
  /** Where to serve the slot's files a shared Playwright driver (sharedDriver.ts); null for none. */
  driverSocket: string | null;
}

/** What the process prints once the browser is up. */
export interface BrowserServerReady {
  wsEndpoint: string;
  pid: number | null;
  /** The shared driver's socket, or null when this Playwright's internals are not the ones it knows: each file starts its own driver. */
  driverSocket: string | null;
}

/** What the process prints instead when Playwright could not launch the browser: its error, read (launchFailure.ts). */
export interface BrowserServerFailed {
  failed: LaunchFailure;
}

/** The browser exited by itself (a crash, a kill): grimoire-run gives the slot a new one. */
export const BROWSER_GONE_EXIT = 3;
