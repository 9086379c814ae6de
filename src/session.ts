/**
 * A run's session: everything a run starts that must end with it, in one
 * place. The watchdog (started first, it ends the run's processes should
 * grimoire-run die without cleaning up), the interrupt handlers and the
 * handler of errors nobody caught, the fork server, the managed environment,
 * the terminal's spinner; and at the end, a sweep for any process of the run
 * still alive. The story in run.ts asks the session for these and never has
 * to remember to undo them: close() undoes whatever is still open, whatever
 * happened before (a failure, a bug, Ctrl-C), and only then lets the
 * watchdog go.
 */
import fs from "node:fs";
import path from "node:path";
import type { Answer } from "./discovery/askPytest.js";
import type { StopCause } from "./events.js";
import type { RunEvents } from "./events.js";
import { watchInterrupts, type InterruptSignal, type InterruptWatch } from "./interrupts.js";
import { ForkServer, forkServerSocket, type ForkServerOptions } from "./exec/forkServer.js";
import { discardEarlyPython } from "./process/earlyPython.js";
import type { EnvironmentContext } from "./managed/leases.js";
import { ManagedEnvironment } from "./managed/leases.js";
import type { ManagedSettings } from "./config/managedSettings.js";
import { killTrees, leftoversOf, processesMarked, type Leftover } from "./process/processTree.js";
import { Watchdog } from "./process/watchdog.js";
import { launch, type Launcher } from "./process/launch.js";
import type { Terminal } from "./report/terminal.js";
import { BrowserServers, type BrowserServerSettings, type BrowserServersContext } from "./browsers/browserServers.js";
import type { PythonCommand } from "./python.js";
import { pruneLogDirs } from "./run/logDir.js";
import { after } from "./process/sleep.js";
import { LISTING_END_NOTICE_MS } from "./defaults.js";
import { killKept, ListeningLeftovers } from "./process/listeningLeftovers.js";

export class RunSession {
  private readonly stopController = new AbortController();
  private readonly hurryController = new AbortController();
  private readonly interrupts: InterruptWatch;
  private readonly uncaught = (error: unknown): void => this.fail(error);
  private stopListener: ((cause: StopCause) => void) | null = null;
  private readonly watchdog: Watchdog;
  private readonly pruned: string[] = [];
  private stopCause: StopCause | null = null;
  private error: unknown = null;
  private forkServerStart: Promise<ForkServer | string | null> | null = null;
  private environmentStart: Promise<ManagedEnvironment> | null = null;
  private browsersStart: Promise<BrowserServers> | null = null;
  private listingStart: { done: Promise<unknown>; abort: AbortController; answered: boolean; startedMs: number } | null = null;
  private terminal: Terminal | null = null;
  private closed = false;
  private basetemp: string | null = null;
  /** Servers that finished files left listening, for the files still running; killed at the end (finish, or close). */
  readonly listening = new ListeningLeftovers();

  constructor(
    readonly runId: string,
    killGraceSeconds: number,
  ) {
    // Before anything else of the run exists: from here on, nothing the run starts can outlive grimoire-run.
    this.watchdog = Watchdog.start(runId, killGraceSeconds * 1000);
    this.interrupts = watchInterrupts({
      stop: (signal) => this.stop({ reason: "interrupt", signal, beforeFirstTest: this.stopListener === null }),
      hurry: () => this.hurryController.abort(),
    });
    // An error nobody caught still takes the cleanup path: every test process stopped, then exit 4.
    process.on("uncaughtException", this.uncaught);
    process.on("unhandledRejection", this.uncaught);
  }

  /** Fires when the run must stop (an interrupt, an internal error): whatever is starting or running winds down. */
  get stopping(): AbortSignal {
    return this.stopController.signal;
  }

  /** Fires on a second interrupt: kills skip what is left of their grace period. */
  get hurrying(): AbortSignal {
    return this.hurryController.signal;
  }

  get interruptedBy(): InterruptSignal | null {
    return this.stopCause?.reason === "interrupt" ? this.stopCause.signal : null;
  }

  /** The first error nobody caught, if any: the run then ends with exit 4. */
  get failure(): unknown {
    return this.error;
  }

  /** Who stops the running tests (the executor, once it exists); a stop that came before is passed on at once. */
  onStop(listener: (cause: StopCause) => void): void {
    this.stopListener = listener;
    if (this.stopCause !== null) listener(this.stopCause);
  }

  fail(error: unknown): void {
    this.error ??= error;
    this.stop({ reason: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }

  private stop(cause: StopCause): void {
    this.stopCause ??= cause;
    this.stopController.abort();
    this.stopListener?.(cause);
  }

  /**
   * Starts the fork server, once; its answer (a server, why there is none, or
   * null where it does not apply) is awaited with forkServer(). With
   * `firstBeforeWarmUp`, returns the launcher of the run's first process (its
   * listing), which goes to the server before it is ready; null otherwise.
   */
  startForkServer(options: ForkServerOptions | null): Launcher | null {
    if (this.forkServerStart !== null) return null;
    if (options === null) {
      this.forkServerStart = Promise.resolve(null);
      return null;
    }
    this.watchdog.removeIfKilled(forkServerSocket(options.runId));
    let spawned!: (server: ForkServer | null) => void;
    const server = new Promise<ForkServer | null>((resolve) => (spawned = resolve));
    this.forkServerStart = ForkServer.start(options, spawned);
    // A server that never started leaves the first process to start afresh.
    this.forkServerStart.then(() => spawned(null), () => spawned(null));
    if (options.firstBeforeWarmUp !== true) return null;
    return async (spec) => {
      const started = await server;
      return started === null || !started.usable ? launch(spec) : started.launch(spec);
    };
  }

  /**
   * Starts pytest's listing of the files; the work is given a signal that
   * fires when the run stops or when close() finds it still running. Returns
   * its answer, to await later. The listing's process may still be ending its
   * session once its answer is read: finish() and close() wait for it to end
   * by itself. close() ends it first when its answer was never read (the run
   * failed before reading it); a stop of the run ends it in any case.
   */
  startListing(work: (cancel: AbortSignal) => Promise<Answer | "cancelled">): Promise<Answer | "cancelled"> {
    const abort = new AbortController();
    const answer = work(AbortSignal.any([this.stopping, abort.signal]));
    const listing = { done: answer.then((given) => (given === "cancelled" ? undefined : given.ended)).catch(() => undefined), abort, answered: false, startedMs: Date.now() };
    answer.then(() => (listing.answered = true)).catch(() => undefined);
    this.listingStart = listing;
    return answer;
  }

  /** Older runs' log folders, removed when the run closes rather than before its first test. */
  pruneOnClose(folders: readonly string[]): void {
    this.pruned.push(...folders);
  }

  /**
   * The run's numbered temporary folder (the listing's `basetemp`): pytest's lock on it keeps other sessions' clean-up
   * off it while the run lasts, and comes off when the run closes; the folder goes too if no file put anything in it.
   */
  unlockOnClose(folder: string): void {
    this.basetemp = folder;
  }

  /** The run's log folder: should the watchdog have to act, it says what it did there too. */
  logIn(logDir: string): void {
    this.watchdog.logTo(path.join(logDir, "watchdog.log"));
  }

  async forkServer(): Promise<ForkServer | string | null> {
    return (await this.forkServerStart) ?? null;
  }

  /**
   * Opens the managed environment (the database, --setup) and makes the
   * first slots' leases, while the rest of the run starts: a server can take
   * seconds to become ready.
   */
  startEnvironment(settings: ManagedSettings, context: EnvironmentContext, slots: number): void {
    if (settings.database !== null) this.watchdog.note("Its database clones are dropped by the next run with the same --database-url.");
    this.environmentStart = ManagedEnvironment.open(settings, context, this.stopping, this.hurrying).then((environment) => {
      environment.warm(slots, { cancel: this.stopping, hurry: this.hurrying });
      return environment;
    });
    // Reported by environment(), if the run gets that far.
    this.environmentStart.catch(() => undefined);
  }

  /** The managed environment once open (or why not, thrown: a usage error, a failed --setup, a stop); null when none was asked for. */
  async environment(): Promise<ManagedEnvironment | null> {
    return (await this.environmentStart) ?? null;
  }

  /**
   * Finds the Playwright that serves one browser per slot and starts the
   * first slots' browsers, while the rest of the run starts: a browser takes
   * about a second to come up. Other slots start theirs as they need them.
   */
  startBrowsers(settings: BrowserServerSettings, python: PythonCommand, context: BrowserServersContext, slots: number): void {
    this.browsersStart = BrowserServers.open(settings, python, context).then((browsers) => {
      browsers.warm(slots);
      return browsers;
    });
    // Reported by browsers(), if the run gets that far; a run that ends first (nothing to run) has nothing to say about it.
    this.browsersStart.catch(() => undefined);
  }

  /** The browser servers once found (or why not, thrown); null when none were asked for. */
  async browsers(): Promise<BrowserServers | null> {
    return (await this.browsersStart) ?? null;
  }

  /** The terminal, whose spinner is removed when the session closes. */
  useTerminal(terminal: Terminal): Terminal {
    this.terminal = terminal;
    return terminal;
  }

  /**
   * After the last test: servers stopped, clones dropped, --teardown run, the
   * fork server ended, and anything still carrying the run's id killed.
   * Returns whether --teardown failed.
   */
  async finish(events: RunEvents, killGraceSeconds: number, options: { stoppedEarly: boolean }): Promise<{ teardownFailed: boolean }> {
    const teardownFailed = !(await this.closeEnvironment());
    // A run stopped early (--fail-fast, --maxfail) ends the listing's session rather than wait for it: pytest removing
    // the older numbered folders of pytest-of-USER kept a --fail-fast run of virtualenv's suite 78 s past its failure
    // (a helper's trial). What it leaves half-removed, pytest's next session removes.
    if (options.stoppedEarly) this.listingStart?.abort.abort();
    // Before the fork server, which would end the listing's process with its other children.
    await this.listingEnd(events);
    await this.closeBrowsers();
    await this.closeForkServer();
    // A Python started before the run and never taken over carries the run's id too: not a leftover of the tests'.
    await discardEarlyPython();
    for (const kept of await killKept(this.listening.takeAll(), { graceMs: killGraceSeconds * 1000 })) events.emit({ type: "leftovers-killed", ...kept, kept: "run" });
    const leftovers = await sweepLeftovers(this.runId, killGraceSeconds);
    if (leftovers.length > 0) events.emit({ type: "leftovers-killed", label: null, processes: leftovers });
    return { teardownFailed };
  }

  /** Undoes whatever is still open; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Open only when the run ended before its tests (nothing to run, a usage error after --setup, a stop).
    await this.closeListing();
    await this.closeEnvironment();
    await this.closeBrowsers();
    await this.closeForkServer();
    await discardEarlyPython();
    // A run that ended without finishing (an error): what it kept listening goes all the same.
    await killKept(this.listening.takeAll(), { graceMs: 0 });
    this.terminal?.close();
    await pruneLogDirs(this.pruned);
    if (this.basetemp !== null) unlockBasetemp(this.basetemp);
    this.interrupts.dispose();
    process.off("uncaughtException", this.uncaught);
    process.off("unhandledRejection", this.uncaught);
    // Last: until this, a grimoire-run killed half-way through its cleanup is cleaned up after.
    await this.watchdog.done();
  }

  /** Servers stopped, clones dropped, then --teardown (whatever happened, once --setup has run); false if a clone would not drop or --teardown failed. */
  private async closeEnvironment(): Promise<boolean> {
    const start = this.environmentStart;
    this.environmentStart = null;
    const environment = await start?.catch(() => null);
    if (environment === null || environment === undefined) return true;
    const closed = await environment.close();
    return (await environment.teardown(this.hurrying)) && closed;
  }

  /** The listing's session ends beside the files; a wait for it that lasts past theirs is said, not left silent. */
  private async listingEnd(events: RunEvents): Promise<void> {
    const start = this.listingStart;
    if (start === null) return;
    const cancel = after(LISTING_END_NOTICE_MS, () => events.emit({ type: "notice", message: listingEndNotice(this.basetemp, start.startedMs) }));
    await start.done;
    cancel();
  }

  private async closeListing(): Promise<void> {
    const start = this.listingStart;
    this.listingStart = null;
    // A listing that has answered is ending its session by itself (unless the run stops, which ends it too).
    if (start?.answered === false) start.abort.abort();
    await start?.done;
  }

  private async closeBrowsers(): Promise<void> {
    const start = this.browsersStart;
    this.browsersStart = null;
    const browsers = await start?.catch(() => null);
    await browsers?.close();
  }

  private async closeForkServer(): Promise<void> {
    const start = this.forkServerStart;
    this.forkServerStart = null;
    const server = await start;
    if (server instanceof ForkServer) await server.close();
  }
}

/**
 * What a run waits for when pytest's listing session has not ended with the files: where pytest is removing the older
 * numbered folders of pytest-of-USER it keeps none of, that. It renames each to `garbage-…` first, which changes the
 * folder's ctime: one changed since the listing started is being removed now (one pytest failed to remove on an
 * earlier day may lie there for good).
 */
export function listingEndNotice(basetemp: string | null, sinceMs: number): string {
  const folder = basetemp === null ? null : path.dirname(basetemp);
  let removing = false;
  try {
    removing = folder !== null && fs.readdirSync(folder).some((name) => name.startsWith("garbage-") && fs.statSync(path.join(folder, name)).ctimeMs >= sinceMs);
  } catch {
    // Gone or unreadable (removed as it was read): nothing to say of it.
  }
  return removing
    ? `Waiting for pytest's listing session to end: pytest is removing the older numbered folders of ${folder} it keeps none of, as every pytest session does as it ends (a plain run's too); tests that leave large trees there make it slow`
    : "Waiting for pytest's listing session to end (its plugins' end of the session)";
}

/**
 * Every process the run started carries GRIMOIRE_RUN_ID. Anything still
 * carrying it now escaped its tree (a daemon that left its group and parent
 * after its test passed): killed, and returned so that the run says so.
 */
async function sweepLeftovers(runId: string, killGraceSeconds: number): Promise<Leftover[]> {
  // Read from the environments only: a `ps` at the end of every run would cost its start for nothing found.
  const leftovers = processesMarked(`GRIMOIRE_RUN_ID=${runId}`);
  if (leftovers.length === 0) return [];
  const kill = await killTrees(
    leftovers.map((pid) => ({ pid, marker: null, group: false })),
    { graceMs: killGraceSeconds * 1000 },
  );
  return leftoversOf(kill);
}

/**
 * Takes pytest's lock off the run's temporary folder (a plain session's comes off at its exit), and removes the folder
 * if it is empty, with pytest's `pytest-current` link to it: a run whose tests asked for no temporary folder leaves
 * none, as a plain run makes none (a link to nothing was left after every parallel run: a helper's trial).
 */
function unlockBasetemp(folder: string): void {
  fs.rmSync(path.join(folder, ".lock"), { force: true });
  try {
    fs.rmdirSync(folder);
  } catch {
    // Not empty: the files' folders stay, as a plain run's do.
    return;
  }
  const current = path.join(path.dirname(folder), "pytest-current");
  try {
    if (path.resolve(path.dirname(folder), fs.readlinkSync(current)) === folder) fs.unlinkSync(current);
  } catch {
    // No link, or another session's (or gone meanwhile): left as it is.
  }
}
