/**
 * The checked, complete settings of one run. Every value is validated here,
 * once, with a message that names the option; past this point the rest of
 * grimoire-run trusts its input.
 */
import os from "node:os";
import path from "node:path";
import type { CliInput } from "../cli/options.js";
import { DEFAULT_KILL_GRACE_SECONDS } from "../defaults.js";
import type { Scope } from "../discovery/findTestFiles.js";
import { UsageError } from "../errors.js";
import { isCI } from "./ci.js";

export interface RunConfig {
  root: string;
  paths: string[];
  scope: Scope;
  mode: "parallel" | "serial" | "debug";
  /** A number, or "auto" resolved once the number of files is known. */
  workers: number | "auto";
  failFast: boolean;
  killGraceSeconds: number;
  timeoutSeconds: number | null;
  retries: number;
  /** Whether a flaky file (passed only on a retry) counts as a pass. */
  flakyPasses: boolean;
  /** null when the selection runs once. */
  load: LoadSettings | null;
  baseUrl: string | null;
  python: string | undefined;
  headed: boolean;
  keyword: string | undefined;
  markers: string | undefined;
  pytestArgs: string[];
  reportJson: string | null;
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

export function resolveConfig(input: CliInput, root: string, env: NodeJS.ProcessEnv): RunConfig {
  const v = input.values;
  if (v.parallel === true && v.debug === true) {
    throw new UsageError("--debug is a serial debugging run and cannot be combined with --parallel");
  }
  if (v.quiet === true && v.verbose === true) throw new UsageError("--quiet and --verbose cannot be combined");
  const baseUrl = v["base-url"] ?? nonEmpty(env["E2E_BASE_URL"]);
  const flakyResult = v["flaky-result"] ?? (isCI(env) ? "fail" : "pass");
  return {
    root,
    paths: input.paths,
    scope: (v.scope ?? "all") as Scope,
    mode: v.debug === true ? "debug" : v.parallel === true ? "parallel" : "serial",
    workers: parseWorkers(v.workers),
    failFast: v["fail-fast"] === true,
    killGraceSeconds: parseSeconds("--kill-grace", v["kill-grace"], { allowZero: true }) ?? DEFAULT_KILL_GRACE_SECONDS,
    timeoutSeconds: parseSeconds("--timeout", v.timeout, { allowZero: false }),
    retries: parseCount("--retries", v.retries, 0) ?? 0,
    flakyPasses: flakyResult === "pass",
    load: resolveLoad(input),
    baseUrl: baseUrl === undefined ? null : checkUrl(baseUrl, v["base-url"] === undefined ? "E2E_BASE_URL" : "--base-url"),
    python: v.python,
    headed: v.headed === true,
    keyword: v.k,
    markers: v.m,
    pytestArgs: input.pytestArgs,
    reportJson: v["report-json"] === undefined ? null : path.resolve(root, v["report-json"]),
    logDir: v["log-dir"] === undefined ? null : path.resolve(root, v["log-dir"]),
    quiet: v.quiet === true,
    verbose: v.verbose === true,
  };
}

function resolveLoad(input: CliInput): LoadSettings | null {
  const v = input.values;
  const loop = parseCount("--loop", v.loop, 1);
  const durationSeconds = parseSeconds("--duration", v.duration, { allowZero: false });
  if (loop === null && durationSeconds === null) {
    for (const flag of ["delay", "keep-going"] as const) {
      if (v[flag] !== undefined) throw new UsageError(`--${flag} only applies to repeated runs: add --loop N or --duration SECONDS`);
    }
    return null;
  }
  return { loop, durationSeconds, delaySeconds: parseSeconds("--delay", v.delay, { allowZero: true }) ?? 0, keepGoing: v["keep-going"] === true };
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

export function parseWorkers(value: string | undefined): number | "auto" {
  if (value === undefined || value === "auto") return "auto";
  if (!isWholeNumber(value, 1)) {
    throw new UsageError(`--workers must be a whole number of at least 1, or auto; got "${value}"`);
  }
  return Number(value);
}

/** `auto` is the machine's available parallelism; never more workers than files. */
export function workerCount(workers: number | "auto", files: number): number {
  const wanted = workers === "auto" ? os.availableParallelism() : workers;
  return Math.max(1, Math.min(wanted, files));
}

export function parseSeconds(flag: string, value: string | undefined, { allowZero }: { allowZero: boolean }): number | null {
  if (value === undefined) return null;
  const seconds = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0 || (!allowZero && seconds === 0)) {
    throw new UsageError(`${flag} must be a ${allowZero ? "non-negative" : "positive"} number of seconds; got "${value}"`);
  }
  return seconds;
}

function checkUrl(value: string, from: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${from} is not a URL: "${value}" (expected something like http://127.0.0.1:8000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${from} must be an http:// or https:// URL; got "${value}"`);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
