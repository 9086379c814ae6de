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

export function resolveConfig(input: CliInput, root: string, env: NodeJS.ProcessEnv): RunConfig {
  const v = input.values;
  if (v.parallel === true && v.debug === true) {
    throw new UsageError("--debug is a serial debugging run and cannot be combined with --parallel");
  }
  if (v.quiet === true && v.verbose === true) throw new UsageError("--quiet and --verbose cannot be combined");
  const baseUrl = v["base-url"] ?? nonEmpty(env["E2E_BASE_URL"]);
  return {
    root,
    paths: input.paths,
    scope: (v.scope ?? "all") as Scope,
    mode: v.debug === true ? "debug" : v.parallel === true ? "parallel" : "serial",
    workers: parseWorkers(v.workers),
    failFast: v["fail-fast"] === true,
    killGraceSeconds: parseSeconds("--kill-grace", v["kill-grace"], { allowZero: true }) ?? DEFAULT_KILL_GRACE_SECONDS,
    timeoutSeconds: parseSeconds("--timeout", v.timeout, { allowZero: false }),
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

export function parseWorkers(value: string | undefined): number | "auto" {
  if (value === undefined || value === "auto") return "auto";
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
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
