/**
 * The imports of every Python file of the project, read from disk with a
 * cache (`.grimoire/imports.json`) keyed by each file's content: a file whose
 * size and modification time are unchanged is not read again, and one whose
 * content is unchanged (a branch switched back and forth) is not parsed
 * again. The edge where --changed reads files; the parsing (pythonImports.ts)
 * and the graph (importGraph.ts) are pure. A cache it cannot read or write
 * only costs time: it never stops a run.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import { writeJsonFile } from "../atomicWrite.js";
import { IMPORT_SCAN_SKIPPED_FOLDERS, STATE_DIR } from "../defaults.js";
import { stateDir } from "../stateDir.js";
import { parseImports, type ImportRef } from "./pythonImports.js";

/** Bumped whenever the parser reads differently: older caches are then ignored. */
const CACHE_VERSION = 1;

/** Modification times are trusted only for files older than this (git's "racy" files): some file systems keep times to the second. */
const RACY_MS = 2_000;

interface CacheEntry {
  /** sha1 of the file's bytes. */
  hash: string;
  size: number;
  mtimeMs: number;
  imports: ImportRef[];
}

interface CacheFile {
  version: number;
  files: Record<string, CacheEntry>;
}

export interface ScannedImports {
  /** Each Python file (project paths), with its imports. */
  modules: Map<string, ImportRef[]>;
  /** Files read and parsed this time (the rest came from the cache). */
  parsed: number;
}

export function importCacheFile(root: string): string {
  return path.join(root, STATE_DIR, "imports.json");
}

export function scanImports(root: string): ScannedImports {
  const cache = readCache(root);
  const next: Record<string, CacheEntry> = {};
  const modules = new Map<string, ImportRef[]>();
  let parsed = 0;
  let rehashed = 0;
  // A file modified within the last second could change again within its clock's granularity, keeping its size and time: it is hashed next time.
  const settled = Date.now() - RACY_MS;
  for (const { file, stats } of pythonFiles(root)) {
    const cached = cache[file];
    if (cached !== undefined && cached.size === stats.size && cached.mtimeMs === stats.mtimeMs) {
      next[file] = cached;
      modules.set(file, cached.imports);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(root, file));
    } catch {
      continue; // gone since it was listed, or unreadable: not a module anyone imports now
    }
    const hash = crypto.createHash("sha1").update(bytes).digest("hex");
    let imports: ImportRef[];
    if (cached !== undefined && cached.hash === hash) {
      imports = cached.imports;
      rehashed++;
    } else {
      imports = parseImports(bytes.toString("utf8"));
      parsed++;
    }
    next[file] = { hash, size: stats.size, mtimeMs: stats.mtimeMs < settled ? stats.mtimeMs : -1, imports };
    modules.set(file, imports);
  }
  const dropped = Object.keys(cache).some((file) => next[file] === undefined);
  if (parsed > 0 || rehashed > 0 || dropped) writeCache(root, next);
  return { modules, parsed };
}

/** The project's `.py` files, outside hidden folders, virtualenvs and the skipped folders, with their sizes and times. */
function pythonFiles(root: string): { file: string; stats: { size: number; mtimeMs: number } }[] {
  const ignore = IMPORT_SCAN_SKIPPED_FOLDERS.map((folder) => `**/${folder}/**`);
  const virtualenvs = fg.sync(["*/pyvenv.cfg", "*/*/pyvenv.cfg"], { cwd: root, ignore, suppressErrors: true }).map((file) => `${path.posix.dirname(file)}/`);
  const entries = fg.sync("**/*.py", { cwd: root, ignore, dot: false, onlyFiles: true, followSymbolicLinks: false, suppressErrors: true, stats: true });
  const found: { file: string; stats: { size: number; mtimeMs: number } }[] = [];
  for (const entry of entries) {
    if (entry.stats === undefined || virtualenvs.some((folder) => entry.path.startsWith(folder))) continue;
    found.push({ file: entry.path, stats: { size: entry.stats.size, mtimeMs: entry.stats.mtimeMs } });
  }
  return found;
}

function readCache(root: string): Record<string, CacheEntry> {
  try {
    const parsed = JSON.parse(fs.readFileSync(importCacheFile(root), "utf8")) as Partial<CacheFile>;
    if (parsed.version === CACHE_VERSION && typeof parsed.files === "object" && parsed.files !== null) return parsed.files;
  } catch {
    // none yet, or damaged: everything is parsed again
  }
  return {};
}

function writeCache(root: string, files: Record<string, CacheEntry>): void {
  try {
    stateDir(root);
    writeJsonFile(importCacheFile(root), { version: CACHE_VERSION, files } satisfies CacheFile);
  } catch {
    // a read-only checkout: the next run parses again
  }
}
