/**
 * What the tests run against, opened before the first batch: the managed
 * environment (servers and clones leased per batch, --setup run now, at most
 * as many files at once as PostgreSQL has connections for) and the browser
 * servers, one per worker slot, started with the run and kept for the slots
 * the run has. Both belong to the session, which ends them.
 */
import os from "node:os";
import type { RunConfig } from "../config/runConfig.js";
import type { BrowserServers } from "../browsers/browserServers.js";
import { DB_CONNECTIONS_PER_LEASE } from "../defaults.js";
import { StartCancelled } from "../errors.js";
import type { RunEvents } from "../events.js";
import { plural } from "../format.js";
import type { ManagedEnvironment } from "../managed/leases.js";
import { workerCount } from "../plan/planRun.js";
import { choosePython } from "../python.js";
import type { RunSession } from "../session.js";

export interface TestEnvironment {
  environment: ManagedEnvironment | null;
  browsers: BrowserServers | null;
  /** The workers the run may use: the plan's, or fewer when PostgreSQL has connections for fewer clones. */
  workers: number;
}

/**
 * --browser-server: the browsers of as many slots as the run can have, started
 * before pytest lists the files (a browser takes about a second to come up);
 * openTestEnvironment keeps those of the slots the plan has.
 */
export function startBrowsers(config: RunConfig, session: RunSession, env: NodeJS.ProcessEnv): void {
  if (config.browserServer === null) return;
  const slots = config.mode === "parallel" ? workerCount(config.workers, Number.MAX_SAFE_INTEGER, os.availableParallelism()) : 1;
  const python = choosePython(config.root, config.python, env);
  session.startBrowsers({ ...config.browserServer, headed: config.headed }, python, { runId: session.runId, root: config.root, baseEnv: env, killGraceMs: config.killGraceSeconds * 1000 }, slots);
}

export async function openTestEnvironment(
  config: RunConfig,
  session: RunSession,
  events: RunEvents,
  run: { logDir: string; workers: number; env: NodeJS.ProcessEnv },
): Promise<TestEnvironment | "cancelled"> {
  let environment: ManagedEnvironment | null = null;
  let workers = run.workers;
  if (config.managed !== null) {
    try {
      environment = await session.openEnvironment(config.managed, { root: config.root, runId: session.runId, logDir: run.logDir, baseEnv: run.env, killGraceSeconds: config.killGraceSeconds, events });
    } catch (error) {
      if (error instanceof StartCancelled) return "cancelled";
      throw error;
    }
    // PostgreSQL's max_connections bounds how many clones are in use at once, prepared ones included.
    if (environment.maxLeases !== null && environment.maxLeases < workers) {
      events.emit({ type: "notice", message: `PostgreSQL has connections for ${plural(environment.maxLeases, "more clone")} (${DB_CONNECTIONS_PER_LEASE} connections each): running at most ${environment.maxLeases} files at once` });
      workers = environment.maxLeases;
    }
    const ahead = environment.prepareAhead(workers);
    if (config.managed.isolation === "file" && ahead < workers && environment.maxLeases !== null) {
      events.emit({ type: "notice", message: `PostgreSQL's max_connections leaves room to prepare ${ahead === 0 ? "no file" : plural(ahead, "file")} ahead of the running ones` });
    }
  }
  // Started with the run (startBrowsers in run.ts); a Playwright that is missing is said here, before any test.
  const browsers = await session.browsers();
  if (browsers !== null) {
    await browsers.keep(workers);
    browsers.onReplaced = (slot, reason) => events.emit({ type: "notice", message: `slot ${slot} gets a new browser for its next file: ${reason}` });
  }
  return { environment, browsers, workers };
}
