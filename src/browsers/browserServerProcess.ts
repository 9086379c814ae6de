/**
 * One Playwright browser server, as a process of its own (`node
 * dist/browsers/browserServerProcess.js DRIVER OPTIONS`): grimoire-run starts
 * one per worker slot. It launches the browser with Playwright's
 * `launchServer`, from the Playwright that the project's Python uses (client
 * and server versions must match), prints one JSON line with its endpoint,
 * and then only waits. It ends the browser when told to (SIGTERM, SIGINT,
 * SIGHUP) or when grimoire-run is gone (its stdin closes, even after a
 * SIGKILL), and exits when the browser dies by itself, so that the slot gets
 * a new one. It also serves the slot's files a Playwright driver of its own
 * (sharedDriver.ts), so that they need not start one each. It never decides
 * anything about tests.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { readLaunchError } from "./launchFailure.js";
import { BROWSER_GONE_EXIT, type BrowserServerFailed, type BrowserServerOptions, type BrowserServerReady } from "./protocol.js";
import { loadInternals, serveDrivers } from "./sharedDriver.js";

/** The part of Playwright's API used here (the driver package is loaded at run time, untyped). */
interface LaunchedServer {
  wsEndpoint(): string;
  process(): { pid?: number };
  close(): Promise<void>;
  on(event: "close", listener: (code: number | null, signal: string | null) => void): void;
}
type Playwright = Record<BrowserServerOptions["browser"], { launchServer(options: Record<string, unknown>): Promise<LaunchedServer> }>;

async function main(driverPackage: string, options: BrowserServerOptions): Promise<void> {
  const playwright = createRequire(import.meta.url)(driverPackage) as Playwright;
  const tempDir = options.tempDir;
  // Playwright makes the browser's profile under os.tmpdir(), which reads TMPDIR, and leaves it there after close.
  if (tempDir !== null) process.env.TMPDIR = tempDir;
  let server: LaunchedServer;
  try {
    server = await playwright[options.browser].launchServer({
      headless: options.headless,
      ...(options.executablePath === null ? {} : { executablePath: options.executablePath }),
      args: options.args,
      env: { ...process.env, ...options.env },
      host: "127.0.0.1",
      // grimoire-run decides what a signal means; Playwright's own handlers would exit this process first.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    // The whole error, stack and call log, for the server's log; the line grimoire-run reads says why in its own words.
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    const failed: BrowserServerFailed = { failed: readLaunchError(error instanceof Error ? error.message : String(error)) };
    process.stdout.write(`${JSON.stringify(failed)}\n`, () => process.exit(1));
    return;
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server
      .close()
      // grimoire-run removes the temp folder too once the tree is gone; this covers a grimoire-run that was killed.
      .finally(() => (tempDir === null ? undefined : fs.promises.rm(tempDir, { recursive: true, force: true }).catch(() => undefined)))
      .finally(() => process.exit(0));
  };
  server.on("close", () => process.exit(stopping ? 0 : BROWSER_GONE_EXIT));
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, stop);
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  const internals = options.driverSocket === null ? null : loadInternals(driverPackage);
  if (internals !== null && options.driverSocket !== null) await serveDrivers(internals, options.driverSocket);
  const ready: BrowserServerReady = { wsEndpoint: server.wsEndpoint(), pid: server.process().pid ?? null, driverSocket: internals === null ? null : options.driverSocket };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

const [driverPackage, optionsJson] = process.argv.slice(2);
if (driverPackage === undefined || optionsJson === undefined) {
  process.stderr.write("usage: browserServerProcess.js DRIVER_PACKAGE OPTIONS_JSON\n");
  process.exit(2);
}
main(driverPackage, JSON.parse(optionsJson) as BrowserServerOptions).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
