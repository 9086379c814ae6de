/**
 * What the tests run against: the managed environment (servers and clones
 * leased per batch, --setup, at most as many files at once as PostgreSQL has
 * connections for) and the browser servers, one per worker slot. Both start
 * with the run, so that they come up while the fork server starts and pytest
 * lists the files; before the first batch the run waits for them and keeps
 * what the slots of its plan need. Both belong to the session, which ends
 * them.
 */
import os from "node:os";
import type { RunConfig } from "../config/runConfig.js";
import { describeSlots, type BrowserServers } from "../browsers/browserServers.js";
import { DB_CONNECTIONS_PER_LEASE } from "../defaults.js";
import { StartCancelled } from "../errors.js";
import type { HeldEvents, RunEvents } from "../events.js";
import { plural } from "../format.js";
import type { ManagedEnvironment } from "../managed/leases.js";
import { slotCount } from "../plan/planRun.js";
import type { PythonCommand } from "../python.js";
import type { RunSession } from "../session.js";

export interface TestEnvironment {
  environment: ManagedEnvironment | null;
  browsers: BrowserServers | null;
  /** The workers the run may use: the plan's, or fewer when PostgreSQL has connections for fewer clones. */
  workers: number;
}

/**
 * Starts the managed environment and the browser servers, for as many slots
 * as the run can have (it learns how many files it has only once pytest has
 * listed them). What they say before the run's reporters listen is held.
 */
export function startTestEnvironment(config: RunConfig, session: RunSession, run: { logDir: string; env: NodeJS.ProcessEnv; events: HeldEvents; python: PythonCommand }): void {
  const slots = slotCount(config, os.availableParallelism());
  if (config.managed !== null) {
    session.startEnvironment(config.managed, { root: config.root, runId: session.runId, logDir: run.logDir, baseEnv: run.env, killGraceSeconds: config.killGraceSeconds, events: run.events }, slots);
  }
  if (config.browserServer !== null) {
    session.startBrowsers({ ...config.browserServer, headed: config.headed }, run.python, { runId: session.runId, root: config.root, baseEnv: run.env, logDir: run.logDir, killGraceMs: config.killGraceSeconds * 1000 }, slots);
  }
}

/** Waits for what startTestEnvironment started; a problem it met is thrown now, before any test (or "cancelled" on a stop). */
export async function openTestEnvironment(config: RunConfig, session: RunSession, events: RunEvents, run: { workers: number; files: number; held: HeldEvents }): Promise<TestEnvironment | "cancelled"> {
  run.held.release(events);
  let environment: ManagedEnvironment | null = null;
  let workers = run.workers;
  if (config.managed !== null) {
    try {
      environment = await session.environment();
    } catch (error) {
      if (error instanceof StartCancelled) return "cancelled";
      throw error;
    }
  }
  if (environment !== null && config.managed !== null) {
    // PostgreSQL's max_connections bounds how many clones are in use at once, prepared ones included.
    if (environment.maxLeases !== null && environment.maxLeases < workers) {
      events.emit({ type: "notice", message: `PostgreSQL has connections for ${plural(environment.maxLeases, "more clone")} (${DB_CONNECTIONS_PER_LEASE} connections each): running at most ${plural(environment.maxLeases, "file")} at once` });
      workers = environment.maxLeases;
    }
    await environment.keep(workers, run.files);
    const ahead = environment.prepareAhead(workers);
    if (config.managed.isolation === "file" && ahead < workers && environment.maxLeases !== null) {
      events.emit({ type: "notice", message: `PostgreSQL's max_connections leaves room to prepare ${ahead === 0 ? "no file" : plural(ahead, "file")} ahead of the running ones` });
    }
  }
  const browsers = await session.browsers();
  if (browsers !== null) {
    await browsers.keep(workers);
    browsers.onReplaced = (slots, reason) => events.emit({ type: "notice", message: `${describeSlots(slots)} ${slots.length === 1 ? "gets a new browser for its next file" : "get a new browser for their next files"}: ${reason}` });
  }
  return { environment, browsers, workers };
}
