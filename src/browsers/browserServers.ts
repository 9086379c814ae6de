/**
 * --browser-server: one Playwright browser server for each pair of worker
 * slots (BROWSER_SLOTS_PER_SERVER), so that their files share one browser
 * instead of each starting its own (a pytest process then connects in
 * milliseconds; every test still gets a fresh browser context, and the
 * server keeps each connection's contexts apart). Each server is a process
 * of its own (browserServerProcess.ts) in its own group, carrying the run's
 * markers: fail-fast, timeouts, signals and the final sweep end it like any
 * other tree. A browser that died, or that a file was killed mid-test
 * while using, is retired: the slots' next files get a new one, and the old
 * one ends once no running file holds it. A browser that never started (not
 * installed, crashing at once) is not replaced: the run stops with why, what
 * to do, and the server's log, which each server keeps in the run's log
 * folder. This module never runs tests and never decides an outcome.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BROWSER_SERVER_START_TIMEOUT_MS, BROWSER_SLOTS_PER_SERVER, CHROMIUM_QUIET_ARGS } from "../defaults.js";
import { EnvironmentFailure, StartCancelled, UsageError } from "../errors.js";
import { withNodeCompileCache } from "../exec/pytestCommand.js";
import { capture } from "../process/capture.js";
import { launch as defaultLaunch, type LaunchedProcess, type Launcher } from "../process/launch.js";
import { OutputCapture } from "../process/outputCapture.js";
import { killTrees } from "../process/processTree.js";
import { sleep } from "../process/sleep.js";
import { BROWSER_SERVER_PROGRAM } from "../packageFiles.js";
import { isWithin, toProjectPath } from "../projectPaths.js";
import type { PythonCommand } from "../python.js";
import { startFailureMessage, type StartFailureContext } from "./launchFailure.js";
import type { BrowserName, BrowserServerFailed, BrowserServerOptions, BrowserServerReady } from "./protocol.js";
import { whenAborted } from "../process/aborted.js";

export interface BrowserServerSettings {
  browser: BrowserName;
  /** The browser to launch (--browser-executable, else CHROMIUM_PATH for Chromium); null for Playwright's own. */
  executable: string | null;
  headed: boolean;
}

interface Server {
  /** Which pair of slots it serves. */
  group: number;
  treeId: string;
  child: Promise<LaunchedProcess>;
  /** The endpoint, once the browser is up. */
  ready: Promise<BrowserServerReady>;
  /** The browser came up: once it exits, the slots get a new one. One that never did fails the run instead. */
  up: boolean;
  exited: boolean;
  /** The server's stdout and stderr, kept in the run's log folder. */
  log: OutputCapture | null;
  /** The running files connected to it. */
  users: number;
  /** No new file gets it; it ends once its last file has. */
  retired: boolean;
  /** Its end, once asked for (by its retirement, keep() or close(), whichever comes first). */
  stopping: Promise<void> | null;
  /**
   * The server's TMPDIR: Playwright and Chromium put a profile, an
   * artifacts folder and a singleton socket (about 1.6 MB) in the temp
   * folder and leave them there when the browser is closed.
   */
  tempDir: string;
}

/** A running file's hold on its slots' browser: what its pytest process needs to reach it, and its release once the file has ended. */
export interface BrowserConnection {
  env: Record<string, string>;
  /** `killedWhile`: why the file ended mid-test (a timeout, a stop, a signal), which retires the browser; null for a file that ended by itself. */
  release(killedWhile: string | null): Promise<void>;
}

export interface BrowserServersContext {
  runId: string;
  root: string;
  baseEnv: NodeJS.ProcessEnv;
  killGraceMs: number;
  /** The run's log folder: each server's output goes to `browser-server-<pair>.log` in it (`.<n>` for a pair's n-th browser). */
  logDir?: string;
  launcher?: Launcher;
}

export class BrowserServers {
  /** The server each pair of slots connects to now. */
  private readonly current = new Map<number, Server>();
  /** Every server not yet stopped, retired ones still in use included. */
  private readonly live = new Set<Server>();
  private closed = false;
  /** How many browsers each pair of slots has had. */
  private readonly started = new Map<number, number>();
  /** How many slots the run has (until the run says, as many as were warmed). */
  private slots = BROWSER_SLOTS_PER_SERVER;
  /** Told when the browser of some slots is replaced, and why (set once the run's reporters listen). */
  onReplaced: (slots: number[], reason: string) => void = () => undefined;

  private constructor(
    private readonly settings: BrowserServerSettings,
    /** Playwright's Node package inside the project Python's Playwright: the server's version is the client's. */
    private readonly driverPackage: string,
    private readonly context: BrowserServersContext,
    /** The project's Python as a command line, for the message that tells how to install a browser. */
    private readonly python: string,
    /** The Node.js Playwright for Python runs its driver with (newer than grimoire-run's, with a compile cache): the server's too. */
    private readonly node: string = driverNode(driverPackage),
  ) {}

  /** Finds the project Python's Playwright; bad usage (exit 2) when there is none. */
  static async open(settings: BrowserServerSettings, python: PythonCommand, context: BrowserServersContext): Promise<BrowserServers> {
    return new BrowserServers(settings, await findDriverPackage(python, context.root, context.baseEnv), context, [python.command, ...python.args].join(" "));
  }

  /** A file's connection to its slot's browser (and its shared driver), starting the browser if the slot has none (or a dead one). */
  async connection(slot: number, cancel: AbortSignal): Promise<BrowserConnection> {
    const group = Math.floor(slot / BROWSER_SLOTS_PER_SERVER);
    let entry = this.current.get(group);
    // A browser that never came up is not replaced: its start failure is thrown below, and would be again.
    if (entry !== undefined && entry.exited && entry.up) {
      this.retire(entry, "its browser exited");
      entry = undefined;
    }
    entry ??= this.start(group);
    const server = entry;
    server.users++;
    const cancelled = whenAborted(cancel);
    const stopped = cancelled.aborted.then((): never => {
      throw new StartCancelled(`the run stopped while the browser of ${this.slotsOf(group).describe} was starting`);
    });
    let ready: BrowserServerReady;
    try {
      ready = await Promise.race([server.ready, stopped]);
    } catch (error) {
      await this.release(server);
      throw error;
    } finally {
      cancelled.stop();
    }
    let released = false;
    return {
      env: {
        GRIMOIRE_BROWSER_WS_ENDPOINT: ready.wsEndpoint,
        GRIMOIRE_BROWSER_NAME: this.settings.browser,
        // What the browser was started with: a session whose launch options ask for other arguments launches its own.
        GRIMOIRE_BROWSER_ARGS: JSON.stringify(this.launchArgs()),
        ...(ready.driverSocket === null ? {} : { GRIMOIRE_PLAYWRIGHT_DRIVER: ready.driverSocket }),
      },
      release: async (killedWhile) => {
        if (released) return;
        released = true;
        // A file killed mid-test may leave the browser wedged (a page in a loop, a dialog): the slots' next files get a new one.
        if (killedWhile !== null) this.retire(server, killedWhile);
        await this.release(server);
      },
    };
  }

  /**
   * Starts the browsers of the first slots now, before any file asks: they
   * come up while pytest lists the files instead of after.
   */
  warm(slots: number): void {
    this.slots = slots;
    for (let group = 0; group < groupsFor(slots); group++) if (!this.closed && !this.current.has(group)) this.start(group);
  }

  /** Ends the browsers of slots the run turned out not to have (fewer files, or fewer clones, than workers). */
  async keep(slots: number): Promise<void> {
    this.slots = slots;
    const unused = [...this.current].filter(([group]) => group >= groupsFor(slots));
    for (const [group] of unused) this.current.delete(group);
    await Promise.all(unused.map(([, entry]) => this.stop(entry)));
  }

  /** Ends every browser (gracefully, then as a tree). */
  async close(): Promise<void> {
    this.closed = true;
    this.current.clear();
    await Promise.all([...this.live].map((entry) => this.stop(entry)));
  }

  /** No new file gets this browser; it ends once no running file holds it. */
  private retire(entry: Server, reason: string): void {
    if (entry.retired) return;
    entry.retired = true;
    if (this.current.get(entry.group) === entry) this.current.delete(entry.group);
    if (!this.closed) this.onReplaced(this.slotsOf(entry.group).slots, reason);
    if (entry.users === 0) this.stop(entry).catch(() => undefined);
  }

  private async release(entry: Server): Promise<void> {
    entry.users--;
    if (entry.retired && entry.users === 0) await this.stop(entry);
  }

  /** The run's slots a group serves, and how the run's notices name them. */
  private slotsOf(group: number): { slots: number[]; describe: string } {
    const first = group * BROWSER_SLOTS_PER_SERVER;
    const last = Math.max(first, Math.min(first + BROWSER_SLOTS_PER_SERVER, this.slots) - 1);
    const slots = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    return { slots, describe: describeSlots(slots) };
  }

  /** The browser's command-line arguments, the same for every server of the run. */
  private launchArgs(): string[] {
    return this.settings.browser === "chromium" ? [...CHROMIUM_QUIET_ARGS] : [];
  }

  private start(group: number): Server {
    // A retired browser may still be ending while its successor starts: each is a tree of its own.
    const generation = (this.started.get(group) ?? 0) + 1;
    this.started.set(group, generation);
    const treeId = `${this.context.runId}.browser-${group}${generation === 1 ? "" : `.${generation}`}`;
    const markers = { GRIMOIRE_RUN_ID: this.context.runId, GRIMOIRE_TREE_ID: treeId };
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `grimoire-browser-${group}-`));
    const options: BrowserServerOptions = {
      browser: this.settings.browser,
      executablePath: this.settings.executable,
      headless: !this.settings.headed,
      args: this.launchArgs(),
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
    const logDir = this.context.logDir;
    const logFile = logDir === undefined ? null : path.join(logDir, `browser-server-${group}${generation === 1 ? "" : `.${generation}`}.log`);
    const log = logFile === null ? null : new OutputCapture({ logFile, mode: "lines", onOutput: () => undefined });
    const failure: StartFailureContext = {
      browser: this.settings.browser,
      served: this.slotsOf(group).describe,
      executable: this.settings.executable,
      python: this.python,
      // As the run's other logs are named: from the project's root, when the log folder is in it.
      log: logFile === null ? null : isWithin(logFile, this.context.root) ? toProjectPath(this.context.root, logFile) : logFile,
    };
    const ready = child.then((launched) => {
      log?.attach(launched.stdout);
      log?.attach(launched.stderr);
      return readReady(launched, failure);
    });
    const entry: Server = { group, treeId, child, ready, up: false, exited: false, log, users: 0, retired: false, stopping: null, tempDir };
    void ready.then(() => (entry.up = true)).catch(() => undefined);
    void child.then((launched) => launched.exited).then(() => (entry.exited = true));
    // A start that fails is reported by whoever awaits the endpoint; this keeps it from being an unhandled rejection.
    entry.ready.catch(() => undefined);
    this.current.set(group, entry);
    this.live.add(entry);
    return entry;
  }

  private stop(entry: Server): Promise<void> {
    entry.stopping ??= this.end(entry);
    return entry.stopping;
  }

  private async end(entry: Server): Promise<void> {
    const child = await entry.child;
    // SIGTERM first: the server closes its browser cleanly; then the whole tree, the browser's own group found by the marker.
    if (child.pid !== null && !entry.exited) await killTrees([{ pid: child.pid, marker: `GRIMOIRE_TREE_ID=${entry.treeId}` }], { graceMs: this.context.killGraceMs });
    await child.exited;
    if (entry.log !== null) {
      await entry.log.drained(1_000);
      await entry.log.close();
    }
    this.live.delete(entry);
    // Only now: a Chromium process still alive would write the profile back.
    fs.rmSync(entry.tempDir, { recursive: true, force: true });
  }
}

/** `slot 2`, `slots 0, 1`: as the run's notices name the slots a browser serves. */
export function describeSlots(slots: number[]): string {
  return slots.length === 1 ? `slot ${String(slots[0])}` : `slots ${slots.join(", ")}`;
}

/** How many browser servers that many slots need. */
function groupsFor(slots: number): number {
  return Math.ceil(slots / BROWSER_SLOTS_PER_SERVER);
}

/**
 * The first line the server prints: its endpoint, or why Playwright could not
 * launch the browser; else why it never came (its exit, its last words, or a
 * time limit), each with the server's log.
 */
function readReady(child: LaunchedProcess, failure: StartFailureContext): Promise<BrowserServerReady> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const seeLog = failure.log === null ? "" : `\n  the browser server's log: ${failure.log}`;
    const timer = setTimeout(() => fail(`did not start within ${BROWSER_SERVER_START_TIMEOUT_MS / 1000}s`), BROWSER_SERVER_START_TIMEOUT_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      const said = err.trim().split("\n").slice(-6).join("\n  ");
      reject(new EnvironmentFailure(`the ${failure.browser} browser server of ${failure.served} ${why}${said === "" ? "" : `:\n  ${said}`}${seeLog}`));
    };
    child.stderr.on("data", (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      let line: Partial<BrowserServerReady & BrowserServerFailed>;
      try {
        line = JSON.parse(out.slice(0, newline)) as Partial<BrowserServerReady & BrowserServerFailed>;
      } catch {
        fail(`printed something other than its endpoint: ${out.slice(0, newline)}`);
        return;
      }
      if (line.failed !== undefined) reject(new EnvironmentFailure(startFailureMessage(line.failed, failure)));
      else resolve(line as BrowserServerReady);
    });
    // A process's exit is known before the last of its output is read: the line saying why may be in it.
    const read = Promise.all([child.stdout, child.stderr].map((stream) => new Promise<void>((resolve) => stream.once("close", resolve).once("end", resolve).once("error", () => resolve()))));
    void child.exited
      .then(async (exit) => {
        await Promise.race([read, sleep(1_000)]);
        return exit;
      })
      .then((exit) => fail(exit.spawnError !== null ? `could not be started: ${exit.spawnError.message}` : `exited (${exit.signal ?? `code ${String(exit.code)}`})`));
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
