/**
 * The import graph of the project's Python files, read from disk with a
 * cache (`.grimoire/imports.json`) keyed by each file's content: a file whose
 * size and modification time are unchanged is not read again, one whose
 * content is unchanged (a branch switched back and forth) is not parsed
 * again, and while no file comes or goes, the imports of unchanged files are
 * not resolved again. The edge where --changed reads and writes files; the
 * parsing (pythonImports.ts) and the graph (importGraph.ts) are pure. A
 * cache it cannot read or write only costs time: it never stops a run.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import { writeTextFile } from "../atomicWrite.js";
import { IMPORT_SCAN_SKIPPED_FOLDERS, STATE_DIR } from "../defaults.js";
import { stateDir } from "../stateDir.js";
import { buildImportGraph, graphKey, type GraphInput, type ImportGraph } from "./importGraph.js";
import { doctestSource, parseImports, type ImportRef } from "./pythonImports.js";

/** Bumped whenever the parser, the resolution or this file's format changes: older caches are then ignored. */
const CACHE_VERSION = 3;

/** Modification times are trusted only for files older than this (git's "racy" files): some file systems keep times to the second. */
const RACY_MS = 2_000;

/**
 * One file: the sha1 of its bytes, its size and modification time, and its
 * imports encoded as text (see encodeImports). Tuples and text rather than
 * objects: the cache is read at the start of every --changed run, and a few
 * thousand strings cost far less to read than tens of thousands of objects.
 */
type CacheEntry = [hash: string, size: number, mtimeMs: number, imports: string];

interface CacheFile {
  version: number;
  files: Record<string, CacheEntry>;
  /** The last graph: its key (see graphKey) and each file's resolved imports, one per line. */
  graph: { key: string; imports: Record<string, string> } | null;
}

export interface ScannedImports {
  /** Each Python file of the project (project paths). */
  files: string[];
  /** A file's imports, from the cache or parsed this time. */
  importsOf: (file: string) => ImportRef[];
  /** Files read and parsed this time: their imports may have changed. */
  reparsed: ReadonlySet<string>;
  /** The cache as it should be written, once the graph is known. */
  cache: CacheFile;
  /** Whether `cache` differs from what was read. */
  dirty: boolean;
}

export function importCacheFile(root: string): string {
  return path.join(root, STATE_DIR, "imports.json");
}

export function scanImports(root: string): ScannedImports {
  const read = readCache(root);
  const cache = read?.files ?? {};
  const next: Record<string, CacheEntry> = {};
  const files: string[] = [];
  const parsed = new Map<string, ImportRef[]>();
  let rehashed = 0;
  // A file modified within the last seconds could change again within its clock's granularity, keeping its size and time: it is hashed next time.
  const settled = Date.now() - RACY_MS;
  for (const { file, size, mtimeMs } of pythonFiles(root)) {
    const cached = cache[file];
    if (cached !== undefined && cached[1] === size && cached[2] === mtimeMs) {
      next[file] = cached;
      files.push(file);
      continue;
    }
    // A C extension's source is a module of its own (importGraph's step), not Python to read: known, never read (a
    // generated one runs to megabytes).
    if (C_SOURCE.test(file)) {
      next[file] = ["", size, mtimeMs < settled ? mtimeMs : -1, ""];
      files.push(file);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(root, file));
    } catch {
      continue; // gone since it was listed, or unreadable: not a module anyone imports now
    }
    const hash = crypto.createHash("sha1").update(bytes).digest("hex");
    let encoded: string;
    if (cached !== undefined && cached[0] === hash) {
      encoded = cached[3];
      rehashed++;
    } else {
      const imports = parseImports(bytes.toString("utf8"), path.basename(file) === "__init__.py");
      parsed.set(file, imports);
      encoded = encodeImports(imports);
    }
    next[file] = [hash, size, mtimeMs < settled ? mtimeMs : -1, encoded];
    files.push(file);
  }
  const dropped = Object.keys(cache).some((file) => next[file] === undefined);
  return {
    files,
    importsOf: (file) => parsed.get(file) ?? decodeImports(next[file]?.[3] ?? ""),
    reparsed: new Set(parsed.keys()),
    cache: { version: CACHE_VERSION, files: next, graph: read?.graph ?? null },
    dirty: read === null || parsed.size > 0 || rehashed > 0 || dropped,
  };
}

/**
 * The scan with doctest text files added (`--doctest-glob`'s `.rst` and `.txt`, candidates of the run): the imports their
 * examples make, read each time (they are few and small). Without them, --changed never ran a README whose examples
 * import a changed module (diskcache's `README.rst` and `docs/tutorial.rst`, a helper's trial).
 */
export function withDoctestTexts(root: string, scanned: ScannedImports, texts: readonly string[]): ScannedImports {
  const parsed = new Map<string, ImportRef[]>();
  for (const file of texts) {
    try {
      parsed.set(file, parseImports(doctestSource(fs.readFileSync(path.join(root, file), "utf8"))));
    } catch {
      // gone since it was listed, or unreadable: its own process says so
    }
  }
  if (parsed.size === 0) return scanned;
  return {
    ...scanned,
    files: [...scanned.files, ...parsed.keys()],
    importsOf: (file) => parsed.get(file) ?? scanned.importsOf(file),
    reparsed: new Set([...scanned.reparsed, ...parsed.keys()]),
  };
}

/**
 * The graph of the scanned modules against `roots`; where the last run's
 * graph had the same key, the imports of files not parsed again are taken
 * from it rather than resolved again. Writes the cache when anything in it
 * changed.
 */
export function importGraph(root: string, scanned: ScannedImports, options: Pick<GraphInput, "deleted" | "roots">): ImportGraph {
  const key = crypto.createHash("sha1").update(graphKey({ files: scanned.files, ...options })).digest("hex");
  const last = scanned.cache.graph;
  const reusable = last !== null && last.key === key ? last.imports : {};
  const known = new Map<string, string[]>();
  const modules = new Map<string, readonly ImportRef[]>();
  for (const file of scanned.files) {
    const edges = scanned.reparsed.has(file) ? undefined : reusable[file];
    if (edges !== undefined) known.set(file, edges === "" ? [] : edges.split("\n"));
    modules.set(file, edges !== undefined ? [] : scanned.importsOf(file));
  }
  const graph = buildImportGraph({ modules, ...options, known });
  if (scanned.dirty || last?.key !== key) {
    const imports: Record<string, string> = {};
    for (const [file, edges] of graph.imports) imports[file] = edges.join("\n");
    writeCache(root, { ...scanned.cache, graph: { key, imports } });
  }
  return graph;
}

/** `1:models:user,group` per import, one a line: module names and identifiers hold none of `:`, `,` or a newline. */
export function encodeImports(imports: readonly ImportRef[]): string {
  return imports.map((ref) => `${ref.level}:${ref.module}:${ref.names.join(",")}`).join("\n");
}

export function decodeImports(text: string): ImportRef[] {
  if (text === "") return [];
  return text.split("\n").map((line) => {
    const [level = "0", module = "", names = ""] = line.split(":");
    return { level: Number(level), module, names: names === "" ? [] : names.split(",") };
  });
}

/** A C or C++ source, which an extension module of its name is built from (markupsafe's _speedups.c). */
const C_SOURCE = /\.(c|cpp)$/;

/**
 * The project's `.py` files, its Cython sources (`.pyx` modules, `.pxd` declarations) and its C and C++ sources (an
 * extension module's), outside hidden folders, virtualenvs and the skipped folders, with their sizes and times.
 */
function pythonFiles(root: string): { file: string; size: number; mtimeMs: number }[] {
  const ignore = [`**/{${IMPORT_SCAN_SKIPPED_FOLDERS.join(",")}}/**`];
  // One walk finds both the modules and the virtualenvs (by their pyvenv.cfg) whose modules are not the project's.
  const entries = fg.sync(["**/*.{py,pyx,pxd,c,cpp}", "*/pyvenv.cfg", "*/*/pyvenv.cfg"], { cwd: root, ignore, dot: false, onlyFiles: true, followSymbolicLinks: false, suppressErrors: true });
  const virtualenvs = entries.filter((entry) => entry.endsWith("/pyvenv.cfg")).map((entry) => entry.slice(0, -"pyvenv.cfg".length));
  const found: { file: string; size: number; mtimeMs: number }[] = [];
  for (const file of entries) {
    if (file.endsWith("/pyvenv.cfg") || virtualenvs.some((folder) => file.startsWith(folder))) continue;
    const stats = fs.statSync(path.join(root, file), { throwIfNoEntry: false });
    if (stats !== undefined) found.push({ file, size: stats.size, mtimeMs: stats.mtimeMs });
  }
  return found;
}

function readCache(root: string): CacheFile | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(importCacheFile(root), "utf8")) as Partial<CacheFile>;
    if (parsed.version === CACHE_VERSION && typeof parsed.files === "object" && parsed.files !== null) {
      return { version: CACHE_VERSION, files: parsed.files, graph: typeof parsed.graph === "object" ? parsed.graph : null };
    }
  } catch {
    // none yet, or damaged: everything is parsed again
  }
  return null;
}

function writeCache(root: string, cache: CacheFile): void {
  try {
    stateDir(root);
    // Compact: it is read at the start of every --changed run.
    writeTextFile(importCacheFile(root), JSON.stringify(cache));
  } catch {
    // a read-only checkout: the next run parses again
  }
}
