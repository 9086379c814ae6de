/**
 * Finds the test files of a selection the way pytest would: `python_files`
 * patterns, `norecursedirs`, explicitly named files always included.
 */
import fs from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import { SCOPE_FOLDERS } from "../defaults.js";
import { UsageError } from "../errors.js";
import { readPytestSettings, type PytestDiscoverySettings } from "./pytestConfig.js";

export type Scope = keyof typeof SCOPE_FOLDERS;

export interface SelectionRequest {
  root: string;
  /** Files, folders or pytest node ids (`file.py::test_name`), as the user typed them. */
  paths: string[];
  scope: Scope;
}

export interface TestFile {
  /** Relative to the project root, with `/`. The file's identity everywhere else. */
  path: string;
  /** What pytest is given for this file: the path itself, or the node ids the user named in it. */
  targets: string[];
  /** Named on the command line rather than found by the project's python_files patterns. */
  named: boolean;
}

export interface Selection {
  files: TestFile[];
  /** The folders or files that were searched, relative to the root, for messages. */
  searched: string[];
}

export async function findTestFiles(request: SelectionRequest): Promise<Selection> {
  const root = path.resolve(request.root);
  const settingsCache = new Map<string, PytestDiscoverySettings>();
  const settingsFor = (dir: string): PytestDiscoverySettings => {
    let settings = settingsCache.get(dir);
    if (settings === undefined) {
      settings = readPytestSettings(dir);
      settingsCache.set(dir, settings);
    }
    return settings;
  };

  const byPath = new Map<string, TestFile>();
  const add = (absolute: string, target: string | null, named: boolean): void => {
    const rel = toProjectPath(root, absolute);
    const existing = byPath.get(rel);
    const targets = target === null ? [rel] : [`${rel}${target}`];
    if (existing === undefined) byPath.set(rel, { path: rel, targets, named });
    else if (target === null || existing.targets.includes(rel)) existing.targets = [rel];
    else existing.targets.push(...targets);
  };

  const explicit = request.paths.length > 0;
  const searched: string[] = [];
  const entries = explicit ? request.paths : SCOPE_FOLDERS[request.scope].map((folder) => folder);
  for (const entry of entries) {
    const [filePart = entry, ...nodeParts] = entry.split("::");
    const absolute = path.resolve(root, filePart);
    const stat = statOrNull(absolute);
    if (stat === null) {
      if (explicit) throw new UsageError(`path does not exist: ${entry}`);
      continue;
    }
    searched.push(toProjectPath(root, absolute));
    if (stat.isFile()) {
      add(absolute, nodeParts.length > 0 ? `::${nodeParts.join("::")}` : null, true);
    } else if (nodeParts.length > 0) {
      throw new UsageError(`a node id needs a file, not a folder: ${entry}`);
    } else {
      for (const file of await globTestFiles(absolute, settingsFor(absolute))) add(file, null, false);
    }
  }

  if (searched.length === 0) {
    throw new UsageError(
      `no test folder found: looked for ${SCOPE_FOLDERS[request.scope].join(" and ")} in ${root}. ` +
        "Run grimoire-run from the project root, or name test files or folders on the command line.",
    );
  }
  const files = [...byPath.values()].sort((a, b) => compareCodeUnits(a.path, b.path));
  if (files.length === 0) {
    const patterns = [...new Set(searched.map((s) => settingsFor(path.resolve(root, s)).pythonFiles.join(" ")))];
    throw new UsageError(`no test files found in ${searched.join(", ")} (python_files: ${patterns.join("; ")})`);
  }
  return { files, searched };
}

async function globTestFiles(dir: string, settings: PytestDiscoverySettings): Promise<string[]> {
  const patterns = settings.pythonFiles.map((pattern) => `**/${pattern.includes("/") ? pattern : escapeNonFnmatch(pattern)}`);
  const ignore = [...settings.norecursedirs, "__pycache__"].map((pattern) => `**/${escapeNonFnmatch(pattern)}/**`);
  return fg(patterns, { cwd: dir, absolute: true, onlyFiles: true, dot: false, ignore, suppressErrors: true });
}

/** pytest patterns are fnmatch patterns: only `*`, `?` and `[...]` are special, so braces, parentheses and extglob marks are literal. */
function escapeNonFnmatch(pattern: string): string {
  return pattern.replace(/[{}()!@+]/g, "\\$&");
}

export function toProjectPath(root: string, absolute: string): string {
  return path.relative(root, absolute).split(path.sep).join("/");
}

/** Locale-independent, so the order is the same on every machine. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}
