/**
 * The checked, complete settings of one run. Every value is validated here,
 * once, with a message that names the option; past this point the rest of
 * grimoire-run trusts its input.
 */
import fs from "node:fs";
import path from "node:path";
import type { BrowserName } from "../browsers/protocol.js";
import type { CliInput, OptionName } from "../cli/options.js";
import { DEFAULT_AUTO_PRELOAD, DEFAULT_SPLIT, DEFAULT_DELAY_SECONDS, DEFAULT_ISOLATION, DEFAULT_ORDER, DEFAULT_RETRIES, DEFAULT_SCOPE, DEFAULT_DATABASE_ENV, DEFAULT_KILL_GRACE_SECONDS, DEFAULT_SLOW_NOTICE_SECONDS, DEFAULT_PACK_UNDER_SECONDS, DEFAULT_SERVER_READY_URL, DEFAULT_SERVER_TIMEOUT_SECONDS } from "../defaults.js";
import type { Scope } from "../discovery/selection.js";
import { UsageError } from "../errors.js";
import { databaseName } from "../managed/databaseNames.js";
import type { ManagedSettings } from "./managedSettings.js";
import { fillPlaceholders } from "../managed/server.js";
import type { Order } from "../plan/order.js";
import { parseShard, type ShardSpec } from "../plan/shard.js";
import { isCI, shardFromCi } from "./ci.js";
import { SHORT_WITH_VALUE, takeTargets } from "./pytestArgs.js";

export interface RunConfig {
  root: string;
  paths: string[];
  scope: Scope;
  mode: "parallel" | "serial" | "debug";
  /** A number, or "auto" resolved once the number of files is known. */
  workers: number | "auto";
  /** Whether this command line gave --workers (-n): a serial run says it has none to use. */
  workersGiven: boolean;
  failFast: boolean;
  /** Fork parallel files' pytest processes from a warmed-up server, where the platform allows. */
  forkServer: boolean;
  /** --split auto: a file longer than its share of the run runs as several processes. */
  split: boolean;
  /** --no-split: globs of files never split. */
  noSplit: string[];
  /** --preload: modules the fork server imports once for every file. */
  preload: string[];
  /** Installed packages the conftests import are imported once in the fork server too (--no-auto-preload: not). */
  autoPreload: boolean;
  /** A parallel run's processes keep their bytecode in .grimoire/pycache when PYTHONDONTWRITEBYTECODE is set (--no-bytecode-cache: not). */
  bytecodeCache: boolean;
  /** --pack: quick files share processes; null to give every file its own. */
  pack: { underSeconds: number } | null;
  killGraceSeconds: number;
  timeoutSeconds: number | null;
  /** A file still running after this long is named on the console (then at twice, four times as long). */
  slowNoticeSeconds: number;
  retries: number;
  /** Whether a flaky file (passed only on a retry) counts as a pass. */
  flakyPasses: boolean;
  /** null when the selection runs once. */
  load: LoadSettings | null;
  /** null unless --server, --database-url, --setup or --teardown asks for a managed environment. */
  managed: ManagedSettings | null;
  baseUrl: string | null;
  /** Where the base URL came from, for messages: `--base-url`, `E2E_BASE_URL`, a pyproject key. */
  baseUrlFrom: string;
  python: string | undefined;
  headed: boolean;
  /** --browser-server: one browser server per pair of worker slots; null when each file launches its own browser. */
  browserServer: { browser: BrowserName; executable: string | null } | null;
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

/**
 * `describeVariable`: how an environment variable is named in messages, `E2E_BASE_URL (from .env)` where the project's
 * `.env` gave it: a user whose tests pass under plain pytest (which reads no `.env`) learns where the URL came from.
 */
export function resolveConfig(input: CliInput, root: string, env: NodeJS.ProcessEnv, describe: DescribeOption = (name) => `--${name}`, describeVariable: (name: string) => string = (name) => name): RunConfig {
  const v = input.values;
  if (v.parallel === true && v.debug === true) {
    throw new UsageError("--debug is a serial debugging run and cannot be combined with --parallel");
  }
  if (v.quiet === true && v.verbose === true) throw new UsageError("--quiet and --verbose cannot be combined");
  const managedServer = v.server !== undefined;
  const baseUrl = v["base-url"] ?? (managedServer ? undefined : nonEmpty(env["E2E_BASE_URL"]));
  const baseUrlFrom = v["base-url"] === undefined ? describeVariable("E2E_BASE_URL") : describe("base-url");
  if (baseUrl !== undefined) checkUrl(managedServer ? fillPlaceholders(baseUrl, SAMPLE_PLACES) : baseUrl, baseUrlFrom);
  const flakyResult = v["flaky-result"] ?? (isCI(env) ? "fail" : "pass");
  // Paths and node ids after -- select as the paths before it do (pytest's own words for what it collects).
  const { targets, rest } = takeTargets(input.pytestArgs, (given) => fs.existsSync(path.resolve(root, given)));
  refuseSelectedTwice("k", v.k, rest, describe);
  refuseSelectedTwice("m", v.m, rest, describe);
  return {
    root,
    paths: [...input.paths, ...targets],
    scope: (v.scope ?? DEFAULT_SCOPE) as Scope,
    mode: v.debug === true ? "debug" : v.parallel === true ? "parallel" : "serial",
    workers: parseWorkers(v.workers, describe("workers")),
    workersGiven: v.workers !== undefined && describe("workers") === "--workers",
    failFast: v["fail-fast"] === true,
    forkServer: v["fork-server"] !== false,
    preload: resolvePreload(v.preload, describe),
    autoPreload: v["auto-preload"] ?? DEFAULT_AUTO_PRELOAD,
    bytecodeCache: v["bytecode-cache"] !== false,
    split: (v.split ?? DEFAULT_SPLIT) === "auto",
    noSplit: v["no-split"] ?? [],
    pack: resolvePack(v, describe),
    killGraceSeconds: parseSeconds(describe("kill-grace"), v["kill-grace"], { allowZero: true }) ?? DEFAULT_KILL_GRACE_SECONDS,
    timeoutSeconds: parseSeconds(describe("timeout"), v.timeout, { allowZero: false }),
    slowNoticeSeconds: parseSeconds(describe("slow-notice"), v["slow-notice"], { allowZero: false }) ?? DEFAULT_SLOW_NOTICE_SECONDS,
    retries: parseCount(describe("retries"), v.retries, 0) ?? DEFAULT_RETRIES,
    flakyPasses: flakyResult === "pass",
    load: resolveLoad(input, describe),
    managed: resolveManaged(input, describe),
    // With --server each server's own address reaches the tests, made from --base-url as a template if given.
    baseUrl: managedServer ? null : (baseUrl ?? null),
    baseUrlFrom,
    python: v.python,
    headed: v.headed === true,
    browserServer: resolveBrowserServer(v, env, describe),
    keyword: v.k,
    markers: v.m,
    pytestArgs: rest,
    order: (v.order ?? DEFAULT_ORDER) as Order,
    seed: resolveSeed(v, describe),
    lastFailed: v["last-failed"] === true,
    failedFirst: v["failed-first"] === true,
    shard: v.shard === undefined ? null : v.shard.trim() === "auto" ? shardFromCi(env, describe("shard")) : parseShard(v.shard, describe("shard")),
    reportJson: outputPath(root, describe("report-json"), v["report-json"]),
    junitXml: outputPath(root, describe("junit-xml"), v["junit-xml"]),
    reportHtml: outputPath(root, describe("report-html"), v["report-html"]),
    logDir: outputPath(root, describe("log-dir"), v["log-dir"]),
    changed: resolveChanged(v.changed, describe),
    changedAlways: v["changed-always"] ?? [],
    quiet: v.quiet === true,
    verbose: v.verbose === true,
  };
}

/**
 * `-k` (or `-m`) given to grimoire-run and to pytest after `--` too: pytest takes the last one it is given, and the
 * other was dropped without a word (`-k visa -- -k amex` ran the amex tests, a helper's trial), where two before `--`
 * are refused. Refused the same way, with the one that would do both.
 */
function refuseSelectedTwice(letter: "k" | "m", own: string | undefined, rest: readonly string[], describe: DescribeOption): void {
  if (own === undefined) return;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    if (word.length === 2 && word.startsWith("-") && SHORT_WITH_VALUE.has(word[1] as string) && word[1] !== letter) {
      i++;
      continue;
    }
    const given = word === `-${letter}` ? rest[i + 1] : word.startsWith(`-${letter}`) && !word.startsWith("--") ? word.slice(2) : undefined;
    if (given === undefined) continue;
    const both = `-${letter} "(${own}) and (${given})"`;
    throw new UsageError(`${describe(letter)} ("${own}") and pytest's -${letter} after -- ("${given}") were both given: pytest takes only the last; give one, such as ${both}`);
  }
}

function resolvePreload(value: string | undefined, describe: DescribeOption): string[] {
  if (value === undefined) return [];
  const modules = value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of modules) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) throw new UsageError(`${describe("preload")}: "${name}" is not a Python module name`);
  }
  return modules;
}

function resolveBrowserServer(v: CliInput["values"], env: NodeJS.ProcessEnv, describe: DescribeOption): RunConfig["browserServer"] {
  if (v["browser-server"] === undefined) {
    if (v["browser-executable"] !== undefined) throw new UsageError(`${describe("browser-executable")} only applies with --browser-server`);
    return null;
  }
  const browser = v["browser-server"] as BrowserName;
  const given = v["browser-executable"] ?? (browser === "chromium" ? nonEmpty(env["CHROMIUM_PATH"]) : undefined);
  if (given !== undefined && !fs.existsSync(given)) {
    throw new UsageError(`${v["browser-executable"] === undefined ? "CHROMIUM_PATH" : describe("browser-executable")}: no such file: ${given}`);
  }
  return { browser, executable: given ?? null };
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

/** Digits only, and small enough to be counted exactly: `--loop 99999999999999999999999` is not a count. */
function isWholeNumber(value: string, min: number): boolean {
  return /^\d+$/.test(value.trim()) && Number(value) >= min && Number(value) <= Number.MAX_SAFE_INTEGER;
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
  // Decimal notation only: Number() would also read "0x10" and "1e3", which nobody means as seconds.
  if (!/^(\d+\.?\d*|\.\d+)$/.test(value.trim()) || !Number.isFinite(seconds) || seconds < 0 || (!allowZero && seconds === 0)) {
    throw new UsageError(`${flag} must be a ${allowZero ? "non-negative" : "positive"} number of seconds; got "${value}"`);
  }
  return seconds;
}

/** An output file or folder, relative to the project root. Empty is refused: it would name the project root itself. */
function outputPath(root: string, flag: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.trim() === "") throw new UsageError(`${flag} is empty: give a path (relative to the project root)`);
  return path.resolve(root, value);
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

/** A variable's value as the run takes it: unset where it is empty or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
