/**
 * Leases: an app server and a cloned PostgreSQL database for each test file
 * (or each worker slot), made before the file starts and removed after it;
 * opening the run's environment (the database server, its template, --setup)
 * and closing it (--teardown). Starting a server, cloning a database and
 * running a hook are each another module's job.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DB_CONNECTIONS_PER_LEASE, MANAGED_CLOSE_NOTICE_MS, MAX_LEASES_AHEAD_PER_SLOT } from "../defaults.js";
import { EnvironmentFailure, StartCancelled, UsageError } from "../errors.js";
import type { EventSink } from "../events.js";
import { plural, shellQuote } from "../format.js";
import { runHook, type HookContext } from "./hooks.js";
import type { ManagedSettings } from "../config/managedSettings.js";
import type { CloneManager, DatabaseClone } from "./database.js";
import { cloneOfTestDatabase, DATABASE_SEE, redactPassword, withDatabase } from "./databaseNames.js";
import { startServer, type RunningServer } from "./server.js";
import { after } from "../process/sleep.js";

export interface EnvironmentContext {
  root: string;
  runId: string;
  logDir: string;
  baseEnv: NodeJS.ProcessEnv;
  killGraceSeconds: number;
  events: EventSink;
}

export interface LeaseRequest {
  /** For messages: the file (or "the serial run"). */
  label: string;
  slot: number;
  /** Base of the log file names, as the pytest log's. */
  logName: string;
  /** Batches still to come after this one: a slot prepares its next lease only while there are some. */
  upcoming: number;
  cancel: AbortSignal;
  hurry: AbortSignal;
}

export interface Lease {
  /** What the pytest process gets: E2E_BASE_URL, and the clone's URL. */
  env: Record<string, string>;
  /** The server's log file, named in the file's failure; null without a server. */
  serverLog: string | null;
  /** The shard ended; `failed` decides what --keep-failed keeps: how to open the file's clone it kept, or null. */
  release: (failed: boolean) => Promise<string | null>;
}

interface Resources {
  server: RunningServer | null;
  clone: DatabaseClone | null;
}

export class ManagedEnvironment {
  private nextServer = 1;
  private nextSpare = 1;
  private readonly slots = new Map<number, { resources: Promise<Resources>; failed: boolean; label: string }>();
  /** With one server and clone per file: each slot's next leases, prepared while its current file runs, oldest first. */
  private readonly spares = new Map<number, Promise<Resources>[]>();
  /** How to stop a prepared lease no file took, and its server's log. */
  private readonly abandon = new WeakMap<Promise<Resources>, { controller: AbortController; logFile: string }>();
  private maxSpares = 0;
  /** The run's stop signals, for the leases keep() starts. */
  private warmSignals: { cancel: AbortSignal; hurry: AbortSignal } | null = null;
  /** Seconds a lease took to make (a server to be ready, a clone to be made), and files held theirs: how far ahead to prepare. */
  private readonly timing = { making: [] as number[], holding: [] as number[] };
  /** With one server and clone per file: leases files hold now. */
  private held = 0;
  /** Leases their files have let go of, whose servers are stopping and clones being dropped: no file waits for that. */
  private readonly releasing = new Set<Promise<void>>();
  /** The first of those that failed (a clone that would not drop), and whether a file's lease() has stopped the run with it. */
  private releaseFailure: { error: unknown; reported: boolean } | null = null;

  private constructor(
    private readonly settings: ManagedSettings,
    private readonly context: EnvironmentContext,
    private readonly databases: CloneManager | null,
    /** Leases the database server has connections for at once; null without a database. */
    readonly maxLeases: number | null,
  ) {}

  /**
   * Connects to the database server, drops clones that crashed runs left,
   * makes sure the template exists, and runs --setup. Problems found here
   * are bad usage (exit 2), except a failing --setup (exit 3).
   */
  static async open(settings: ManagedSettings, context: EnvironmentContext, stop: AbortSignal, hurry: AbortSignal): Promise<ManagedEnvironment> {
    let databases: CloneManager | null = null;
    if (settings.database !== null) {
      // The PostgreSQL client is loaded only by runs that use it.
      const { CloneManager } = await import("./database.js");
      databases = await CloneManager.connect(settings.database.templateUrl, crypto.randomBytes(4).toString("hex"));
      try {
        const stale = await databases.dropStaleClones();
        if (stale.length > 0) {
          // pytest-django's test databases named after a clone go with it, and are said as what they are.
          const template = databases.template;
          const testDatabases = stale.filter((name) => cloneOfTestDatabase(template, name) !== null).length;
          const what = testDatabases === 0 ? plural(stale.length, "database clone") : `${plural(stale.length, "database")} (${plural(stale.length - testDatabases, "clone")}, ${plural(testDatabases, "pytest-django test database")})`;
          context.events.emit({ type: "notice", message: `dropped ${what} an earlier run left behind: ${stale.join(", ")}` });
        }
        if (!(await databases.templateExists())) {
          if (settings.setup === null) {
            throw new UsageError(`the template database "${databases.template}" does not exist: create and migrate it, or pass --setup CMD to fill it (grimoire-run then creates it empty first)`, DATABASE_SEE);
          }
          await databases.createTemplate();
          context.events.emit({ type: "notice", message: `created the empty template database "${databases.template}" for --setup to fill` });
        }
      } catch (error) {
        await databases.close();
        throw error;
      }
    }
    const free = databases === null ? null : await databases.freeConnections().catch(async (error: unknown) => {
      await databases?.close();
      throw error;
    });
    const environment = new ManagedEnvironment(settings, context, databases, free === null ? null : Math.max(1, Math.floor(free / DB_CONNECTIONS_PER_LEASE)));
    if (settings.setup !== null) {
      try {
        await runHook("setup", settings.setup, hookContext(settings, context), stop, hurry);
      } catch (error) {
        await databases?.close();
        throw error;
      }
    }
    return environment;
  }

  /**
   * How many slots may hold a prepared lease beside their running one: none
   * unless the database server has connections for them (with `workers`
   * leases running already). Prepared leases take a server's start and a
   * clone's creation off the critical path.
   */
  prepareAhead(workers: number): number {
    const wanted = workers * MAX_LEASES_AHEAD_PER_SLOT;
    this.maxSpares = this.settings.isolation !== "file" ? 0 : Math.max(0, Math.min(wanted, (this.maxLeases ?? workers + wanted) - workers));
    return this.maxSpares;
  }

  /**
   * How many leases a slot keeps ready: enough that the next is ready when
   * its file comes, as the run has measured them (a server ready in 1.5 s
   * for files of 1 s: two), never more than MAX_LEASES_AHEAD_PER_SLOT.
   */
  private depth(): number {
    const average = (values: number[]): number | null => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
    const making = average(this.timing.making.slice(-8));
    const holding = average(this.timing.holding.slice(-8));
    // Until a lease has been made and a file has held one, two ahead: most servers take longer to start than half a file runs.
    if (making === null || holding === null || holding <= 0) return Math.min(2, MAX_LEASES_AHEAD_PER_SLOT);
    return Math.max(1, Math.min(MAX_LEASES_AHEAD_PER_SLOT, Math.ceil(making / holding)));
  }

  private sparesHeld(): number {
    return [...this.spares.values()].reduce((sum, queue) => sum + queue.length, 0);
  }

  async lease(request: LeaseRequest): Promise<Lease> {
    if (this.settings.isolation === "file") {
      this.reportReleaseFailure();
      const queue = this.spares.get(request.slot) ?? [];
      const spare = queue.shift();
      if (spare === undefined) await this.roomForOne();
      const mine = spare ?? this.acquire(request, request.label, request.logName);
      // Top the slot's queue up to what the run has shown it needs, while more files are to come than all slots
      // hold leases for: the next leases are made while this one is (the first file of a slot) or while its file runs.
      // Leases still being let go of hold their connections until their clones are dropped.
      while (queue.length < this.depth() && this.sparesHeld() < Math.min(this.maxSpares - this.releasing.size, request.upcoming) && !request.cancel.aborted) {
        queue.push(this.prepare(request));
        this.spares.set(request.slot, queue);
      }
      const resources = spare === undefined ? await mine : this.adopt(await mine, request.logName);
      const taken = performance.now();
      this.held++;
      return {
        env: this.envFor(resources),
        serverLog: resources.server?.logFile ?? null,
        release: (failed) => {
          this.held--;
          this.timing.holding.push((performance.now() - taken) / 1000);
          // A clone kept for inspection is named in its file's result: the file waits for it.
          if (failed && this.settings.keepFailed && resources.clone !== null) return this.releaseResources(resources, request.label, failed);
          this.releaseLater(resources, request.label);
          return Promise.resolve(null);
        },
      };
    }
    const held = this.slots.get(request.slot) ?? this.holdSlot(request);
    const resources = await held.resources;
    if (resources.server !== null && !resources.server.alive()) {
      throw new EnvironmentFailure(`the server of slot ${request.slot} exited during the run (before ${request.label}); its log: ${resources.server.logFile}`);
    }
    return {
      env: this.envFor(resources),
      serverLog: resources.server?.logFile ?? null,
      // A slot's clone is kept at the slot's end, said then: no file's own.
      release: async (failed) => {
        held.failed ||= failed;
        return null;
      },
    };
  }

  /**
   * The first slots' leases, made now, before any file asks: they come up
   * while pytest lists the files. With a lease per file, only each slot's
   * first: its second is started by keep(), once the run knows its files,
   * so that it does not take the CPU the first ones, the fork server and
   * the listing need to start. Never more than the database server has
   * connections for.
   */
  warm(slots: number, signals: { cancel: AbortSignal; hurry: AbortSignal }): void {
    this.warmSignals = signals;
    let budget = this.maxLeases ?? Infinity;
    for (let slot = 0; slot < slots && budget > 0; slot++, budget--) {
      const request = madeAhead(slot, `the first file of slot ${slot}`, signals);
      if (this.settings.isolation === "file") {
        this.spares.set(slot, [this.prepare(request, request.label)]);
      } else if (!this.slots.has(slot)) {
        this.holdSlot(request);
      }
    }
  }

  /**
   * Lets go of the leases made for slots at or beyond `slots` (the run has
   * fewer files, or fewer connections, than workers), and of those beyond
   * one per file. With a lease per file, starts each slot's second file's
   * lease, if it has a second file: a server slower to start than a file
   * runs would make that file wait otherwise.
   */
  async keep(slots: number, files: number): Promise<void> {
    const unused: Promise<Resources>[] = [];
    for (const [slot, queue] of this.spares) {
      if (slot >= slots) {
        unused.push(...queue);
        this.spares.delete(slot);
      }
    }
    for (const [slot, held] of this.slots) {
      if (slot >= slots) {
        unused.push(held.resources);
        this.slots.delete(slot);
      }
    }
    // The later leases go first: every slot keeps its first file's.
    for (let extra = this.sparesHeld() - files; extra > 0; extra--) {
      const longest = [...this.spares.values()].reduce((a, b) => (b.length > a.length ? b : a));
      const last = longest.pop();
      if (last !== undefined) unused.push(last);
    }
    const signals = this.warmSignals;
    if (this.settings.isolation === "file" && signals !== null && !signals.cancel.aborted) {
      // Files are dealt to slots in turn: slot s has a second file if there are more than s + slots.
      for (let slot = 0; slot < slots && slot + slots < files && this.sparesHeld() < (this.maxLeases ?? Infinity); slot++) {
        const queue = this.spares.get(slot);
        if (queue === undefined || queue.length !== 1) continue;
        queue.push(this.prepare(madeAhead(slot, `a coming file of slot ${slot}`, signals)));
      }
    }
    await Promise.all(unused.map((spare) => this.dropSpare(spare)));
  }

  /** With one lease per slot: the slot's server and clone, made now and kept for the run. */
  private holdSlot(request: LeaseRequest): { resources: Promise<Resources>; failed: boolean; label: string } {
    const label = `slot ${request.slot}`;
    const held = { resources: this.acquire(request, label, `slot-${request.slot}`), failed: false, label };
    // A failure is the slot's first file's to report (lease()); made ahead of it, nobody awaits it yet.
    held.resources.catch(() => undefined);
    this.slots.set(request.slot, held);
    return held;
  }

  /** The slot's next lease, made now; if it fails, the file that would have taken it gets the failure. */
  private prepare(request: LeaseRequest, label = `a coming file of slot ${request.slot}`): Promise<Resources> {
    // Its own stop: a lease no file will take is not waited for, only stopped (dropSpare).
    const abandon = new AbortController();
    const cancel = AbortSignal.any([request.cancel, abandon.signal]);
    // Named for its slot, as the messages about it are (`the server for the first file of slot 0 …; its log: …`):
    // it is renamed after the file that takes it.
    const logName = `slot-${request.slot}.coming-${this.nextSpare++}`;
    const spare = this.acquire({ ...request, cancel }, label, logName);
    spare.catch(() => undefined);
    this.abandon.set(spare, { controller: abandon, logFile: path.join(this.context.logDir, `${logName}.server.log`) });
    return spare;
  }

  /** A prepared lease taken by its file: its server's log is renamed after the file's, as if made for it. */
  private adopt(resources: Resources, logName: string): Resources {
    if (resources.server === null) return resources;
    const logFile = path.join(this.context.logDir, `${logName}.server.log`);
    try {
      fs.renameSync(resources.server.logFile, logFile);
    } catch {
      return resources;
    }
    return { ...resources, server: { ...resources.server, logFile } };
  }

  /**
   * A file's server stopped and its clone dropped after the file has ended, while its slot goes on to its next file:
   * a server slow to stop, or a drop waiting for PostgreSQL's checkpoint, held the slot (and the file's PASS line)
   * for seconds (a helper's trial: 2 s between files on a loaded machine, 7 s behind a server slow to stop).
   */
  private releaseLater(resources: Resources, label: string): void {
    const release: Promise<void> = this.releaseResources(resources, label, false)
      .then(
        () => undefined,
        (error: unknown) => {
          this.releaseFailure ??= { error, reported: false };
        },
      )
      .finally(() => this.releasing.delete(release));
    this.releasing.add(release);
  }

  /** A lease let go of earlier that failed to be removed stops the run, as it did when its file waited for it. */
  private reportReleaseFailure(): void {
    const failure = this.releaseFailure;
    if (failure === null || failure.reported) return;
    failure.reported = true;
    throw failure.error;
  }

  /** Waits for leases being let go of while the database server has no connections for one more lease beside them. */
  private async roomForOne(): Promise<void> {
    while (this.maxLeases !== null && this.releasing.size > 0 && this.held + this.sparesHeld() + this.releasing.size >= this.maxLeases) {
      await Promise.race(this.releasing);
    }
  }

  /**
   * Stops the servers and drops the clones of every slot, and every prepared lease no file took, once the leases files
   * let go of are gone; closes the database connection. False when one of those failed unsaid (it is said now).
   */
  async close(): Promise<boolean> {
    const leases = this.releasing.size + [...this.spares.values()].flat().length + this.slots.size;
    const cancel = after(MANAGED_CLOSE_NOTICE_MS, () => this.context.events.emit({ type: "notice", message: this.closingNotice(leases) }));
    try {
      return await this.closeAll();
    } finally {
      cancel();
    }
  }

  /** Said once closing takes long: what the run is still doing, so that it is not taken for a hang. */
  private closingNotice(leases: number): string {
    const clones = this.databases === null ? null : " (PostgreSQL drops one database at a time)";
    if (this.settings.server === null) return `still dropping ${plural(leases, "database clone")}${clones ?? ""}`;
    return `still stopping ${plural(leases, "app server")}${clones === null ? "" : ` and dropping their database clones${clones}`}`;
  }

  private async closeAll(): Promise<boolean> {
    await Promise.all([...this.releasing]);
    const spares = [...this.spares.values()].flat();
    this.spares.clear();
    await Promise.all(spares.map((spare) => this.dropSpare(spare)));
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(
      slots.map(async (slot) => {
        const resources = await slot.resources.catch(() => null);
        if (resources !== null) await this.releaseResources(resources, slot.label, slot.failed);
      }),
    );
    await this.databases?.close();
    const failure = this.releaseFailure;
    if (failure === null || failure.reported) return true;
    failure.reported = true;
    this.context.events.emit({ type: "warning", message: failure.error instanceof Error ? failure.error.message : String(failure.error) });
    return false;
  }

  /** A lease no file took: stopped and dropped, and its server's log with it. */
  private async dropSpare(spare: Promise<Resources>): Promise<void> {
    const abandon = this.abandon.get(spare);
    // Still starting: stopped now rather than waited for.
    abandon?.controller.abort();
    const resources = await spare.catch(() => null);
    if (resources !== null) await this.releaseResources(resources, "a prepared file that did not run", false);
    // A server no test ever reached has nothing to say: its log would only be noise beside the files'.
    if (abandon !== undefined) fs.rmSync(abandon.logFile, { force: true });
  }

  /** Runs --teardown, whatever happened before. A failure is reported and makes the run's exit code 3. */
  async teardown(hurry: AbortSignal): Promise<boolean> {
    if (this.settings.teardown === null) return true;
    try {
      await runHook("teardown", this.settings.teardown, hookContext(this.settings, this.context), hurry, hurry);
      return true;
    } catch (error) {
      this.context.events.emit({ type: "warning", message: (error as Error).message });
      return false;
    }
  }

  private async acquire(request: LeaseRequest, label: string, logName: string): Promise<Resources> {
    const started = performance.now();
    const made = await this.make(request, label, logName);
    this.timing.making.push((performance.now() - started) / 1000);
    return made;
  }

  private async make(request: LeaseRequest, label: string, logName: string): Promise<Resources> {
    const clone = this.databases === null ? null : await this.databases.createClone();
    const dropOnFailure = async (): Promise<void> => {
      if (clone !== null) await this.databases?.dropClone(clone);
    };
    if (request.cancel.aborted) {
      await dropOnFailure();
      throw new StartCancelled(`the run stopped before ${label} started`);
    }
    if (this.settings.server === null) return { server: null, clone };
    const server = this.settings.server;
    try {
      const env: NodeJS.ProcessEnv = { ...this.context.baseEnv, GRIMOIRE_SLOT: String(request.slot), GRIMOIRE_RUN_ID: this.context.runId };
      if (clone !== null && this.settings.database !== null) env[this.settings.database.envName] = clone.url;
      const running = await startServer({
        label,
        command: server.command,
        readyUrl: server.readyUrl,
        baseUrl: server.baseUrl,
        slot: request.slot,
        cwd: this.context.root,
        env,
        marker: `GRIMOIRE_TREE_ID=${this.context.runId}.server-${this.nextServer++}`,
        logFile: path.join(this.context.logDir, `${logName}.server.log`),
        readyTimeoutMs: server.timeoutSeconds * 1000,
        killGraceMs: this.context.killGraceSeconds * 1000,
        cancel: request.cancel,
        hurry: request.hurry,
        onRetry: (message) => this.context.events.emit({ type: "notice", message }),
      });
      return { server: running, clone };
    } catch (error) {
      await dropOnFailure();
      throw error;
    }
  }

  private envFor(resources: Resources): Record<string, string> {
    const env: Record<string, string> = {};
    if (resources.server !== null) env["E2E_BASE_URL"] = resources.server.baseUrl;
    if (resources.clone !== null && this.settings.database !== null) env[this.settings.database.envName] = resources.clone.url;
    return env;
  }

  /** Stops the server and drops the clone, or keeps it (--keep-failed): then how to open it, also said at once. */
  private async releaseResources(resources: Resources, label: string, failed: boolean): Promise<string | null> {
    await resources.server?.stop();
    if (resources.clone === null || this.databases === null) return null;
    if (failed && this.settings.keepFailed) {
      const kept = await this.databases.keepClone(resources.clone);
      // dropdb connects to a database of the server to drop another: the server's own, the clone's host, port and user.
      const server = redactPassword(withDatabase(kept.url, "postgres"));
      const open = `psql ${shellQuote(redactPassword(kept.url))}  (drop it with: dropdb --maintenance-db=${shellQuote(server)} ${shellQuote(kept.name)})`;
      this.context.events.emit({ type: "notice", message: `kept the database of ${label} for inspection: ${open}` });
      return open;
    }
    await this.databases.dropClone(resources.clone);
    return null;
  }
}

/** The request for a lease made before any file asks for it (warm(), keep()), under the run's stop signals. */
function madeAhead(slot: number, label: string, signals: { cancel: AbortSignal; hurry: AbortSignal }): LeaseRequest {
  return { label, slot, logName: `slot-${slot}`, upcoming: 1, ...signals };
}

/** What a hook needs of the run: where it runs, the template's URL, where its log goes, and who hears its output. */
function hookContext(settings: ManagedSettings, context: EnvironmentContext): HookContext {
  const env: NodeJS.ProcessEnv = { ...context.baseEnv, GRIMOIRE_RUN_ID: context.runId };
  if (settings.database !== null) env[settings.database.envName] = settings.database.templateUrl;
  return { root: context.root, runId: context.runId, logDir: context.logDir, env, killGraceSeconds: context.killGraceSeconds, events: context.events };
}
