/**
 * The names and URLs of managed databases: pure string work, kept apart
 * from the PostgreSQL client so that checking a --database-url costs no
 * client at start-up.
 */
import { UsageError } from "../errors.js";

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes: longer names are silently cut by the server. */
export const MAX_IDENTIFIER_BYTES = 63;

export const CLONE_MARK = "_grimoire_";
export const KEPT_MARK = "_grimoire_kept_";
export const RUN_TAG = /^[0-9a-f]{8}$/;
/** What pytest-django (Django's test runner) puts before a database's name to name its test database. */
export const TEST_DATABASE_PREFIX = "test_";

/**
 * What to read under an error about the server or the template, where grimoire-run's options are not what is wrong:
 * "Run grimoire-run --help for the options" under "connection refused" sent a helper to the options. Here, not beside
 * the client that raises most of them: the leases that run every managed file's set-up say it too, and a constant of
 * the client's module brought the whole PostgreSQL client into every run's start (38 ms of CPU on a 2-core machine).
 */
export const DATABASE_SEE = "Managed mode clones the PostgreSQL template database --database-url names (grimoire-run's docs/managed-mode.md says how to start one and fill it with --setup).";

/** The longest start of `text` that fits in `maxBytes` of UTF-8, never cutting a character in half. */
function cutUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, "utf8");
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

function checkTagAndNumber(runTag: string, n: number): void {
  if (!RUN_TAG.test(runTag)) throw new Error(`run tag "${runTag}" is not 8 lowercase hex characters`);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`clone number ${n} is not a positive integer`);
}

/** `<template, cut to fit>` + suffix, at most 63 bytes. */
function withSuffix(template: string, suffix: string): string {
  return cutUtf8(template, MAX_IDENTIFIER_BYTES - Buffer.byteLength(suffix, "utf8")) + suffix;
}

/** The clone's name: `<template, cut to fit>_grimoire_<runTag>_<n>`, at most 63 bytes. */
export function cloneName(template: string, runTag: string, n: number): string {
  checkTagAndNumber(runTag, n);
  return withSuffix(template, `${CLONE_MARK}${runTag}_${n}`);
}

/**
 * The run tag and number of a database named as a clone of `template`, or
 * null for any other name (a kept clone, the template, another database).
 */
export function parseCloneName(template: string, name: string): { runTag: string; n: number } | null {
  const match = /^.*_grimoire_([0-9a-f]{8})_([1-9][0-9]*)$/s.exec(name);
  if (match === null) return null;
  const runTag = match[1] as string;
  const n = Number(match[2]);
  return Number.isSafeInteger(n) && cloneName(template, runTag, n) === name ? { runTag, n } : null;
}

/**
 * The clone whose name a database that pytest-django made for its tests
 * carries: `test_<clone>`, or `test_<clone>_gw<N>` as grimoire-run's plugin
 * names one per worker slot. Null for any other name, and for one PostgreSQL
 * cut to 63 bytes (its end, and so which clone it was, is lost).
 */
export function cloneOfTestDatabase(template: string, name: string): { clone: string; runTag: string; n: number } | null {
  if (!name.startsWith(TEST_DATABASE_PREFIX)) return null;
  const rest = name.slice(TEST_DATABASE_PREFIX.length);
  const clone = rest.replace(/_gw[0-9]+$/, "");
  const parsed = parseCloneName(template, clone);
  return parsed === null ? null : { clone, ...parsed };
}

/** The name a kept clone is renamed to: `<template, cut>_grimoire_kept_<runTag>_<n>`. "kept" is not hex, so stale-clone cleanup never matches it. */
export function keptName(template: string, runTag: string, n: number): string {
  checkTagAndNumber(runTag, n);
  return withSuffix(template, `${KEPT_MARK}${runTag}_${n}`);
}

export interface UrlParts {
  /** `postgresql://` and the authority (user, password, hosts, ports), as given. */
  head: string;
  /** The database path segment without its `/`, still percent-encoded; null when there is no `/`. */
  path: string | null;
  /** `?query` and `#fragment`, as given, or "". */
  tail: string;
}

/**
 * Splits a URL the way libpq reads it, without re-encoding anything: the
 * WHATWG URL parser rejects URLs libpq accepts (several hosts,
 * `postgresql://user@/db?host=/socket`).
 */
export function splitUrl(url: string): UrlParts {
  const scheme = /^(postgresql|postgres):\/\//i.exec(url);
  if (scheme === null) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
      throw new UsageError(`the database URL ${redactPassword(url)} must start with postgresql:// or postgres://`);
    }
    throw new UsageError(`the database URL is not a URL: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  const afterScheme = scheme[0].length;
  const authorityEnd = url.slice(afterScheme).search(/[/?#]/);
  const headEnd = authorityEnd === -1 ? url.length : afterScheme + authorityEnd;
  const head = url.slice(0, headEnd);
  if (url[headEnd] !== "/") return { head, path: null, tail: url.slice(headEnd) };
  const rest = url.slice(headEnd + 1);
  const pathEnd = rest.search(/[?#]/);
  return pathEnd === -1 ? { head, path: rest, tail: "" } : { head, path: rest.slice(0, pathEnd), tail: rest.slice(pathEnd) };
}

/** The URL with its password (if any) replaced by `***`: for messages. Anything unparsable comes back as a placeholder. */
export function redactPassword(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (scheme === null) return "(the database URL)";
  const afterScheme = scheme[0].length;
  const authorityEnd = url.slice(afterScheme).search(/[/?#]/);
  const authority = authorityEnd === -1 ? url.slice(afterScheme) : url.slice(afterScheme, afterScheme + authorityEnd);
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  let redacted = url;
  if (at !== -1 && colon !== -1 && colon < at) {
    redacted = url.slice(0, afterScheme + colon + 1) + "***" + url.slice(afterScheme + at);
  }
  // A password given as a query parameter is just as secret.
  return redacted.replace(/([?&]password=)[^&#]*/gi, "$1***");
}

/** The same URL with another database name (percent-encoded); everything else is kept byte for byte. */
export function withDatabase(url: string, database: string): string {
  const { head, tail } = splitUrl(url);
  return `${head}/${encodeURIComponent(database)}${tail}`;
}

/** The database name of a postgresql:// or postgres:// URL, percent-decoded. */
export function databaseName(url: string): string {
  const { path, tail } = splitUrl(url);
  if (/[?&]dbname=/i.test(tail.split("#")[0] ?? "")) {
    throw new UsageError(`the database URL ${redactPassword(url)} names its database with ?dbname=: put the name in the path instead (postgresql://HOST/DATABASE)`);
  }
  if (path === null || path === "") {
    throw new UsageError(`the database URL ${redactPassword(url)} has no database name: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  try {
    return decodeURIComponent(path);
  } catch {
    throw new UsageError(`the database URL ${redactPassword(url)} has a badly percent-encoded database name (write % as %25)`);
  }
}
