/**
 * --browser-server: one Playwright browser server per worker slot, so that a
 * slot's files share one browser instead of each starting its own (a pytest
 * process then connects in milliseconds; every test still gets a fresh
 * browser context). Each server is a process of its own
 * (browserServerProcess.ts) in its own group, carrying the run's markers:
 * fail-fast, timeouts, signals and the final sweep end it like any other
 * tree. A slot whose browser died, or whose file was killed mid-test, gets a
 * new browser for its next file. This module never runs tests and never
 * decides an outcome.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BROWSER_SERVER_START_TIMEOUT_MS, CHROMIUM_QUIET_ARGS } from "../defaults.js";
import { EnvironmentFailure, StartCancelled, UsageError } from "../errors.js";
import { withNodeCompileCache } from "../exec/pytestCommand.js";
import { capture } from "../process/capture.js";
import { launch as defaultLaunch, type LaunchedProcess, type Launcher } from "../process/launch.js";
import { killTrees } from "../process/processTree.js";
import { BROWSER_SERVER_PROGRAM } from "../packageFiles.js";
import type { PythonCommand } from "../python.js";
import type { BrowserName, BrowserServerOptions, BrowserServerReady } from "./protocol.js";

export interface BrowserServerSettings {
  browser: BrowserName;
  /** The browser to launch (--browser-executable, else CHROMIUM_PATH for Chromium); null for Playwright's own. */
  executable: string | null;
  headed: boolean;
}

interface Slot {
  treeId: string;
  child: Promise<LaunchedProcess>;
  /** The endpoint, once the browser is up. */
  ready: Promise<BrowserServerReady>;
  exited: boolean;
  /**
   * The server's TMPDIR: Playwright and Chromium put a profile, an
   * artifacts folder and a singleton socket (about 1.6 MB) in the temp
   * folder and leave them there when the browser is closed.
   */
  tempDir: string;
}

export interface BrowserServersContext {
  runId: string;
  root: string;
  baseEnv: NodeJS.ProcessEnv;
  killGraceMs: number;
  launcher?: Launcher;
}

export class BrowserServers {
  private readonly slots = new Map<number, Slot>();
  private closed = false;
  /** Told when a slot's browser is replaced, and why (set once the run's reporters listen). */
  onReplaced: (slot: number, reason: string) => void = () => undefined;

  private constructor(
    private readonly settings: BrowserServerSettings,
    /** Playwright's Node package inside the project Python's Playwright: the server's version is the client's. */
    private readonly driverPackage: string,
    private readonly context: BrowserServersContext,
    /** The Node.js Playwright for Python runs its driver with (newer than grimoire-run's, with a compile cache): the server's too. */
    private readonly node: string = driverNode(driverPackage),
  ) {}

  /** Finds the project Python's Playwright; bad usage (exit 2) when there is none. */
  static async open(settings: BrowserServerSettings, python: PythonCommand, context: BrowserServersContext): Promise<BrowserServers> {
    return new BrowserServers(settings, await findDriverPackage(python, context.root, context.baseEnv), context);
  }

  /** What a pytest process needs to reach the slot's browser (and its shared driver), starting the browser if it has none (or a dead one). */
  async connection(slot: number, cancel: AbortSignal): Promise<Record<string, string>> {
    let entry = this.slots.get(slot);
    if (entry !== undefined && entry.exited) {
      this.slots.delete(slot);
      this.stop(entry).catch(() => undefined);
      this.onReplaced(slot, "its browser exited");
      entry = undefined;
    }
    entry ??= this.start(slot);
    const stopped = new Promise<never>((_, reject) => {
      const fail = (): void => reject(new StartCancelled(`the run stopped while the browser of slot ${slot} was starting`));
      if (cancel.aborted) fail();
      else cancel.addEventListener("abort", fail, { once: true });
    });
    const ready = await Promise.race([entry.ready, stopped]);
    return {
      GRIMOIRE_BROWSER_WS_ENDPOINT: ready.wsEndpoint,
      GRIMOIRE_BROWSER_NAME: this.settings.browser,
      ...(ready.driverSocket === null ? {} : { GRIMOIRE_PLAYWRIGHT_DRIVER: ready.driverSocket }),
    };
  }

  /**
   * Starts the browsers of the first slots now, before any file asks: they
   * come up while pytest lists the files instead of after.
   */
  warm(slots: number): void {
    for (let slot = 0; slot < slots; slot++) if (!this.closed && !this.slots.has(slot)) this.start(slot);
  }

  /** Ends the browsers of slots the run turned out not to have (fewer files, or fewer clones, than workers). */
  async keep(slots: number): Promise<void> {
    const unused = [...this.slots].filter(([slot]) => slot >= slots);
    for (const [slot] of unused) this.slots.delete(slot);
    await Promise.all(unused.map(([, entry]) => this.stop(entry)));
  }

  /** After a file was killed mid-test (a timeout, a stop): its browser may be wedged; the slot's next file gets a new one. */
  async replace(slot: number, reason: string): Promise<void> {
    const entry = this.slots.get(slot);
    if (entry === undefined) return;
    this.slots.delete(slot);
    await this.stop(entry);
    if (!this.closed) this.onReplaced(slot, reason);
  }

  /** Ends every slot's browser (gracefully, then as a tree). */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(entries.map((entry) => this.stop(entry)));
  }

  private start(slot: number): Slot {
    const treeId = `${this.context.runId}.browser-${slot}`;
    const markers = { GRIMOIRE_RUN_ID: this.context.runId, GRIMOIRE_TREE_ID: treeId };
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `grimoire-browser-${slot}-`));
    const options: BrowserServerOptions = {
      browser: this.settings.browser,
      executablePath: this.settings.executable,
      headless: !this.settings.headed,
      args: this.settings.browser === "chromium" ? [...CHROMIUM_QUIET_ARGS] : [],
      env: markers,
      tempDir,
      driverSocket: path.join(tempDir, "driver.sock"),
    };
    const child = Promise.resolve(
      (this.context.launcher ?? defaultLaunch)({
        command: this.node,
        args: [BROWSER_SERVER_PROGRAM, this.driverPackage, JSON.stringify(options)],
        cwd: this.context.root,
        env: withNodeCompileCache({ ...this.context.baseEnv, ...markers }),
        stdin: "pipe",
      }),
    );
    const entry: Slot = { treeId, child, ready: child.then((launched) => readReady(launched, slot, this.settings.browser)), exited: false, tempDir };
    void child.then((launched) => launched.exited).then(() => (entry.exited = true));
    // A start that fails is reported by whoever awaits the endpoint; this keeps it from being an unhandled rejection.
    entry.ready.catch(() => undefined);
    this.slots.set(slot, entry);
    return entry;
  }

  private async stop(entry: Slot): Promise<void> {
    const child = await entry.child;
    // SIGTERM first: the server closes its browser cleanly; then the whole tree, the browser's own group found by the marker.
    if (child.pid !== null && !entry.exited) await killTrees([{ pid: child.pid, marker: `GRIMOIRE_TREE_ID=${entry.treeId}` }], { graceMs: this.context.killGraceMs });
    await child.exited;
    // Only now: a Chromium process still alive would write the profile back.
    fs.rmSync(entry.tempDir, { recursive: true, force: true });
  }
}

/** The first line the server prints (its endpoint), or why it never came: its exit, its last words, or a time limit. */
function readReady(child: LaunchedProcess, slot: number, browser: BrowserName): Promise<BrowserServerReady> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(`did not start within ${BROWSER_SERVER_START_TIMEOUT_MS / 1000}s`), BROWSER_SERVER_START_TIMEOUT_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      const said = err.trim().split("\n").slice(-6).join("\n  ");
      reject(new EnvironmentFailure(`the ${browser} browser server of slot ${slot} ${why}${said === "" ? "" : `:\n  ${said}`}`));
    };
    child.stderr.on("data", (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.slice(0, newline)) as BrowserServerReady);
      } catch {
        fail(`printed something other than its endpoint: ${out.slice(0, newline)}`);
      }
    });
    void child.exited.then((exit) => fail(exit.spawnError !== null ? `could not be started: ${exit.spawnError.message}` : `exited (${exit.signal ?? `code ${String(exit.code)}`})`));
  });
}

/** `<site-packages>/playwright/driver/node` beside the package, where Playwright for Python ships one; else grimoire-run's own Node.js. */
function driverNode(driverPackage: string): string {
  const shipped = path.join(path.dirname(driverPackage), process.platform === "win32" ? "node.exe" : "node");
  try {
    fs.accessSync(shipped, fs.constants.X_OK);
    return shipped;
  } catch {
    return process.execPath;
  }
}

/** `<site-packages>/playwright/driver/package`: Playwright for Python ships the Node package its own driver runs. */
async function findDriverPackage(python: PythonCommand, root: string, env: NodeJS.ProcessEnv): Promise<string> {
  const probe = "import os, playwright; print(os.path.join(os.path.dirname(playwright.__file__), 'driver', 'package'))";
  const result = await capture(python.command, [...python.args, "-c", probe], { cwd: root, env, timeoutMs: 60_000 });
  const found = result.stdout.trim().split("\n").pop() ?? "";
  if (result.error !== null || result.code !== 0 || !fs.existsSync(path.join(found, "package.json"))) {
    throw new UsageError(
      `--browser-server needs Playwright for Python in the project's Python (${[python.command, ...python.args].join(" ")}): install it with pip install playwright`,
    );
  }
  return found;
}
