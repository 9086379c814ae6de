/**
 * Leases: an app server and a cloned PostgreSQL database for each test file
 * (or each worker slot), made before the file starts and removed after it;
 * opening the run's environment (the database server, its template, --setup)
 * and closing it (--teardown). Starting a server, cloning a database and
 * running a hook are each another module's job.
 */
import crypto from "node:crypto";
import path from "node:path";
import { EnvironmentFailure, StartCancelled, UsageError } from "../errors.js";
import type { RunEvents } from "../events.js";
import { plural } from "../format.js";
import { runHook, type HookContext } from "./hooks.js";
import type { ManagedSettings } from "../config/managedSettings.js";
import type { CloneManager, DatabaseClone } from "./database.js";
import { redactPassword } from "./databaseNames.js";
import { startServer, type RunningServer } from "./server.js";

export interface EnvironmentContext {
  root: string;
  runId: string;
  logDir: string;
  baseEnv: NodeJS.ProcessEnv;
  killGraceSeconds: number;
  events: RunEvents;
}

export interface LeaseRequest {
  /** For messages: the file (or "the serial run"). */
  label: string;
  slot: number;
  /** Base of the log file names, as the pytest log's. */
  logName: string;
  cancel: AbortSignal;
  hurry: AbortSignal;
}

export interface Lease {
  /** What the pytest process gets: E2E_BASE_URL, and the clone's URL. */
  env: Record<string, string>;
  /** The managed server's log (absolute), when there is a server. */
  serverLog: string | null;
  /** The shard ended; `failed` decides what --keep-failed keeps. */
  release: (failed: boolean) => Promise<void>;
}

interface Resources {
  server: RunningServer | null;
  clone: DatabaseClone | null;
}

export class ManagedEnvironment {
  private nextServer = 1;
  private readonly slots = new Map<number, { resources: Promise<Resources>; failed: boolean; label: string }>();

  private constructor(
    private readonly settings: ManagedSettings,
    private readonly context: EnvironmentContext,
    private readonly databases: CloneManager | null,
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
        if (stale.length > 0) context.events.emit({ type: "notice", message: `dropped ${plural(stale.length, "database clone")} an earlier run left behind: ${stale.join(", ")}` });
        if (!(await databases.templateExists())) {
          if (settings.setup === null) {
            throw new UsageError(`the template database "${databases.template}" does not exist: create and migrate it, or pass --setup CMD to fill it (grimoire-run then creates it empty first)`);
          }
          await databases.createTemplate();
          context.events.emit({ type: "notice", message: `created the empty template database "${databases.template}" for --setup to fill` });
        }
      } catch (error) {
        await databases.close();
        throw error;
      }
    }
    const environment = new ManagedEnvironment(settings, context, databases);
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

  async lease(request: LeaseRequest): Promise<Lease> {
    if (this.settings.isolation === "file") {
      const resources = await this.acquire(request, request.label, request.logName);
      return { env: this.envFor(resources), serverLog: resources.server?.logFile ?? null, release: (failed) => this.releaseResources(resources, request.label, failed) };
    }
    let slot = this.slots.get(request.slot);
    if (slot === undefined) {
      const label = `slot ${request.slot}`;
      slot = { resources: this.acquire(request, label, `slot-${request.slot}`), failed: false, label };
      this.slots.set(request.slot, slot);
    }
    const held = slot;
    const resources = await held.resources;
    if (resources.server !== null && !resources.server.alive()) {
      throw new EnvironmentFailure(`the server of slot ${request.slot} exited during the run (before ${request.label}); its log: ${resources.server.logFile}`);
    }
    return {
      env: this.envFor(resources),
      serverLog: resources.server?.logFile ?? null,
      release: async (failed) => {
        held.failed ||= failed;
      },
    };
  }

  /** Stops the servers and drops the clones of every slot; closes the database connection. */
  async close(): Promise<void> {
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(
      slots.map(async (slot) => {
        const resources = await slot.resources.catch(() => null);
        if (resources !== null) await this.releaseResources(resources, slot.label, slot.failed);
      }),
    );
    await this.databases?.close();
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

  private async releaseResources(resources: Resources, label: string, failed: boolean): Promise<void> {
    await resources.server?.stop();
    if (resources.clone === null || this.databases === null) return;
    if (failed && this.settings.keepFailed) {
      const kept = await this.databases.keepClone(resources.clone);
      this.context.events.emit({
        type: "notice",
        message: `kept the database of ${label} for inspection: psql ${shellQuote(redactPassword(kept.url))}  (drop it with: dropdb ${shellQuote(kept.name)})`,
      });
    } else {
      await this.databases.dropClone(resources.clone);
    }
  }
}

/** A word a POSIX shell reads back as exactly `text`, for commands printed to be copied. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** What a hook needs of the run: where it runs, the template's URL, where its log goes, and who hears its output. */
function hookContext(settings: ManagedSettings, context: EnvironmentContext): HookContext {
  const env: NodeJS.ProcessEnv = { ...context.baseEnv, GRIMOIRE_RUN_ID: context.runId };
  if (settings.database !== null) env[settings.database.envName] = settings.database.templateUrl;
  return { root: context.root, runId: context.runId, logDir: context.logDir, env, killGraceSeconds: context.killGraceSeconds, events: context.events };
}
