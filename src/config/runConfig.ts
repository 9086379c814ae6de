/**
 * The checked, complete settings of one run. Every value is validated here,
 * once, with a message that names the option; past this point the rest of
 * grimoire-run trusts its input.
 */
import path from "node:path";
import type { CliInput, OptionName } from "../cli/options.js";
import { DEFAULT_DELAY_SECONDS, DEFAULT_ISOLATION, DEFAULT_ORDER, DEFAULT_RETRIES, DEFAULT_SCOPE, DEFAULT_DATABASE_ENV, DEFAULT_KILL_GRACE_SECONDS, DEFAULT_PACK_UNDER_SECONDS, DEFAULT_SERVER_READY_URL, DEFAULT_SERVER_TIMEOUT_SECONDS } from "../defaults.js";
import type { Scope } from "../discovery/selection.js";
import { UsageError } from "../errors.js";
import { databaseName } from "../managed/databaseNames.js";
import type { ManagedSettings } from "./managedSettings.js";
import { fillPlaceholders } from "../managed/server.js";
import type { Order } from "../plan/order.js";
import { parseShard, type ShardSpec } from "../plan/shard.js";
import { isCI } from "./ci.js";

export interface RunConfig {
  root: string;
  paths: string[];
  scope: Scope;
  mode: "parallel" | "serial" | "debug";
  /** A number, or "auto" resolved once the number of files is known. */
  workers: number | "auto";
  failFast: boolean;
  /** Fork parallel files' pytest processes from a warmed-up server, where the platform allows. */
  forkServer: boolean;
  /** --pack: quick files share processes; null to give every file its own. */
  pack: { underSeconds: number } | null;
  killGraceSeconds: number;
  timeoutSeconds: number | null;
  retries: number;
  /** Whether a flaky file (passed only on a retry) counts as a pass. */
  flakyPasses: boolean;
  /** null when the selection runs once. */
  load: LoadSettings | null;
  /** null unless --server, --database-url, --setup or --teardown asks for a managed environment. */
  managed: ManagedSettings | null;
  baseUrl: string | null;
  python: string | undefined;
  headed: boolean;
  keyword: string | undefined;
  markers: string | undefined;
  pytestArgs: string[];
  order: Order;
  /** For --order random; null to choose one (and print it). */
  seed: number | null;
  lastFailed: boolean;
  failedFirst: boolean;
  shard: ShardSpec | null;
  /** --changed: only what a change since `ref` can affect; `ref` null for the default (the upstream, else HEAD). */
  changed: { ref: string | null } | null;
  /** Globs of files whose change runs everything under --changed. */
  changedAlways: string[];
  reportJson: string | null;
  junitXml: string | null;
  reportHtml: string | null;
  logDir: string | null;
  quiet: boolean;
  verbose: boolean;
}

export interface LoadSettings {
  /** Iterations to run; null for as many as fit in `durationSeconds`. */
  loop: number | null;
  durationSeconds: number | null;
  delaySeconds: number;
  keepGoing: boolean;
}

/** How an option is named in messages: `--workers` when it came from the command line, its file and key otherwise. */
export type DescribeOption = (name: OptionName) => string;

export function resolveConfig(input: CliInput, root: string, env: NodeJS.ProcessEnv, describe: DescribeOption = (name) => `--${name}`): RunConfig {
  const v = input.values;
  if (v.parallel === true && v.debug === true) {
    throw new UsageError("--debug is a serial debugging run and cannot be combined with --parallel");
  }
  if (v.quiet === true && v.verbose === true) throw new UsageError("--quiet and --verbose cannot be combined");
  const managedServer = v.server !== undefined;
  const baseUrl = v["base-url"] ?? (managedServer ? undefined : nonEmpty(env["E2E_BASE_URL"]));
  if (baseUrl !== undefined) checkUrl(managedServer ? fillPlaceholders(baseUrl, SAMPLE_PLACES) : baseUrl, v["base-url"] === undefined ? "E2E_BASE_URL" : describe("base-url"));
  const flakyResult = v["flaky-result"] ?? (isCI(env) ? "fail" : "pass");
  return {
    root,
    paths: input.paths,
    scope: (v.scope ?? DEFAULT_SCOPE) as Scope,
    mode: v.debug === true ? "debug" : v.parallel === true ? "parallel" : "serial",
    workers: parseWorkers(v.workers, describe("workers")),
    failFast: v["fail-fast"] === true,
    forkServer: v["fork-server"] !== false,
    pack: resolvePack(v, describe),
    killGraceSeconds: parseSeconds(describe("kill-grace"), v["kill-grace"], { allowZero: true }) ?? DEFAULT_KILL_GRACE_SECONDS,
    timeoutSeconds: parseSeconds(describe("timeout"), v.timeout, { allowZero: false }),
    retries: parseCount(describe("retries"), v.retries, 0) ?? DEFAULT_RETRIES,
    flakyPasses: flakyResult === "pass",
    load: resolveLoad(input, describe),
    managed: resolveManaged(input, describe),
    // With --server each server's own address reaches the tests, made from --base-url as a template if given.
    baseUrl: managedServer ? null : (baseUrl ?? null),
    python: v.python,
    headed: v.headed === true,
    keyword: v.k,
    markers: v.m,
    pytestArgs: input.pytestArgs,
    order: (v.order ?? DEFAULT_ORDER) as Order,
    seed: resolveSeed(v, describe),
    lastFailed: v["last-failed"] === true,
    failedFirst: v["failed-first"] === true,
    shard: v.shard === undefined ? null : parseShard(v.shard, describe("shard")),
    changed: resolveChanged(v.changed, describe),
    changedAlways: v["changed-always"] ?? [],
    reportJson: v["report-json"] === undefined ? null : path.resolve(root, v["report-json"]),
    junitXml: v["junit-xml"] === undefined ? null : path.resolve(root, v["junit-xml"]),
    reportHtml: v["report-html"] === undefined ? null : path.resolve(root, v["report-html"]),
    logDir: v["log-dir"] === undefined ? null : path.resolve(root, v["log-dir"]),
    quiet: v.quiet === true,
    verbose: v.verbose === true,
  };
}

function resolvePack(v: CliInput["values"], describe: DescribeOption): RunConfig["pack"] {
  if (v.pack !== true) {
    if (v["pack-under"] !== undefined) throw new UsageError(`${describe("pack-under")} only applies with --pack`);
    return null;
  }
  if (v.parallel !== true) throw new UsageError(`${describe("pack")} only applies with --parallel`);
  return { underSeconds: parseSeconds(describe("pack-under"), v["pack-under"], { allowZero: false }) ?? DEFAULT_PACK_UNDER_SECONDS };
}

function resolveChanged(value: string | boolean | undefined, describe: DescribeOption): RunConfig["changed"] {
  if (value === undefined || value === false) return null;
  if (value === true) return { ref: null };
  // Handed to git, which must never read it as one of its own options.
  if (value.startsWith("-")) throw new UsageError(`${describe("changed")} takes a git revision (a branch, tag or commit); got "${value}"`);
  return { ref: value };
}

function resolveSeed(v: CliInput["values"], describe: DescribeOption): number | null {
  if (v.seed === undefined) return null;
  if (v.order !== "random") throw new UsageError(`${describe("seed")} only applies with --order random`);
  return parseCount(describe("seed"), v.seed, 0);
}

/** Values that stand in for {port} and {slot} when a URL template is checked. */
const SAMPLE_PLACES = { port: 8000, slot: 0 };

function resolveManaged(input: CliInput, describe: DescribeOption): ManagedSettings | null {
  const v = input.values;
  const needs = (flag: "server-ready" | "server-timeout" | "database-env" | "keep-failed" | "isolation", what: string): void => {
    if (v[flag] !== undefined) throw new UsageError(`${describe(flag)} only applies with ${what}`);
  };
  if (v.server === undefined) {
    needs("server-ready", "--server");
    needs("server-timeout", "--server");
  }
  if (v["database-url"] === undefined) {
    needs("database-env", "--database-url");
    needs("keep-failed", "--database-url");
  }
  if (v.server === undefined && v["database-url"] === undefined) needs("isolation", "--server or --database-url");
  if (v.server === undefined && v["database-url"] === undefined && v.setup === undefined && v.teardown === undefined) return null;

  if (v.server !== undefined && v.server.trim() === "") throw new UsageError(`${describe("server")} is empty`);
  const readyUrl = v["server-ready"] ?? DEFAULT_SERVER_READY_URL;
  checkUrl(fillPlaceholders(readyUrl, SAMPLE_PLACES), describe("server-ready"));
  const envName = v["database-env"] ?? DEFAULT_DATABASE_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envName)) throw new UsageError(`${describe("database-env")} must be an environment variable name; got "${envName}"`);
  if (v["database-url"] !== undefined) databaseName(v["database-url"]);
  return {
    server:
      v.server === undefined
        ? null
        : {
            command: v.server,
            readyUrl,
            baseUrl: v["base-url"] ?? null,
            timeoutSeconds: parseSeconds(describe("server-timeout"), v["server-timeout"], { allowZero: false }) ?? DEFAULT_SERVER_TIMEOUT_SECONDS,
          },
    database: v["database-url"] === undefined ? null : { templateUrl: v["database-url"], envName },
    isolation: (v.isolation ?? DEFAULT_ISOLATION) as "file" | "slot",
    setup: v.setup ?? null,
    teardown: v.teardown ?? null,
    keepFailed: v["keep-failed"] === true,
  };
}

function resolveLoad(input: CliInput, describe: DescribeOption): LoadSettings | null {
  const v = input.values;
  const loop = parseCount(describe("loop"), v.loop, 1);
  const durationSeconds = parseSeconds(describe("duration"), v.duration, { allowZero: false });
  if (loop === null && durationSeconds === null) {
    for (const flag of ["delay", "keep-going"] as const) {
      if (v[flag] !== undefined) throw new UsageError(`${describe(flag)} only applies to repeated runs: add --loop N or --duration SECONDS`);
    }
    return null;
  }
  return { loop, durationSeconds, delaySeconds: parseSeconds(describe("delay"), v.delay, { allowZero: true }) ?? DEFAULT_DELAY_SECONDS, keepGoing: v["keep-going"] === true };
}

/** A whole number of at least `min`, or null when not given. */
export function parseCount(flag: string, value: string | undefined, min: number): number | null {
  if (value === undefined) return null;
  if (!isWholeNumber(value, min)) throw new UsageError(`${flag} must be a whole number of at least ${min}; got "${value}"`);
  return Number(value);
}

function isWholeNumber(value: string, min: number): boolean {
  return /^\d+$/.test(value.trim()) && Number(value) >= min;
}

export function parseWorkers(value: string | undefined, flag = "--workers"): number | "auto" {
  if (value === undefined || value === "auto") return "auto";
  if (!isWholeNumber(value, 1)) {
    throw new UsageError(`${flag} must be a whole number of at least 1, or auto; got "${value}"`);
  }
  return Number(value);
}

export function parseSeconds(flag: string, value: string | undefined, { allowZero }: { allowZero: boolean }): number | null {
  if (value === undefined) return null;
  const seconds = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0 || (!allowZero && seconds === 0)) {
    throw new UsageError(`${flag} must be a ${allowZero ? "non-negative" : "positive"} number of seconds; got "${value}"`);
  }
  return seconds;
}

function checkUrl(value: string, from: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${from} is not a URL: "${value}" (expected something like http://127.0.0.1:8000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${from} must be an http:// or https:// URL; got "${value}"`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
