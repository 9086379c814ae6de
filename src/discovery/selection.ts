/**
 * Which files a run covers, decided by pytest's own collection rules. This
 * module says what to ask pytest (the collection arguments a plain run of
 * the same selection would get) and turns pytest's answer (see
 * askPytest.ts) into the run's test files. It never decides by itself
 * whether pytest would collect a file. Pure, but for checking that the paths
 * a user named exist.
 */
import fs from "node:fs";
import path from "node:path";
import { SCOPE_FOLDERS } from "../defaults.js";
import { UsageError } from "../errors.js";
import { compareCodeUnits, isWithin, toProjectPath } from "../projectPaths.js";
import type { Listing } from "./askPytest.js";
import { onlyDoctests, type TestFile } from "../model.js";

export type Scope = keyof typeof SCOPE_FOLDERS;

export interface SelectionRequest {
  root: string;
  /** Files, folders or pytest node ids (`file.py::test_name`), as the user typed them. */
  paths: string[];
  scope: Scope;
}

/** What pytest is asked to collect: the arguments a plain `pytest` run of this selection gets. */
export interface CollectionRequest {
  /** Folders and files, project paths. Empty: pytest's own default (its `testpaths`, else the rootdir). */
  args: string[];
  /** Files the user named, with what pytest gets for each: the path itself, or the node ids in it. */
  named: Map<string, string[]>;
  notices: string[];
}

export interface Selection {
  files: TestFile[];
  /** What was searched, for messages. */
  searched: string[];
  notices: string[];
}

/** grimoire-run's subcommands, which a run would otherwise take for paths. */
const SUBCOMMANDS = ["merge-reports", "install-hook"];

/** The collection arguments for a request: the user's paths, else the scope's folders that exist, else pytest's default. */
export function collectionRequest(request: SelectionRequest): CollectionRequest {
  const root = path.resolve(request.root);
  const named = new Map<string, string[]>();
  if (request.paths.length > 0) {
    const args: string[] = [];
    const folders: string[] = [];
    for (const entry of request.paths) {
      const [filePart = entry, ...nodeParts] = entry.split("::");
      const absolute = path.resolve(root, filePart);
      const stat = statOrNull(absolute);
      // `grimoire-run --python X merge-reports r/`: the subcommand read as a path (a helper's trial).
      if (stat === null && SUBCOMMANDS.includes(entry)) throw new UsageError(`${entry} is a subcommand and comes first, before any option: grimoire-run ${entry} …`);
      if (stat === null) throw new UsageError(`path does not exist: ${entry}`);
      const relative = toProjectPath(root, absolute);
      if (stat.isDirectory()) {
        if (nodeParts.length > 0) throw new UsageError(`a node id needs a file, not a folder: ${entry}`);
        args.push(relative);
        folders.push(relative);
        continue;
      }
      const target = nodeParts.length > 0 ? `${relative}::${nodeParts.join("::")}` : relative;
      const targets = named.get(relative);
      // The whole file, once named, covers its node ids; a node id adds to other node ids.
      if (targets === undefined) named.set(relative, [target]);
      else if (!targets.includes(relative)) named.set(relative, target === relative ? [relative] : [...targets, target]);
      if (!args.includes(relative)) args.push(relative);
    }
    // A folder also named collects the whole file, as plain pytest's `pytest tests tests/test_a.py::test_one` runs
    // every test of tests/test_a.py once: its node ids do not narrow it.
    for (const file of named.keys()) if (folders.some((folder) => isWithin(file, folder))) named.set(file, [file]);
    return { args, named, notices: [] };
  }
  const folders: string[] = SCOPE_FOLDERS[request.scope].filter((folder) => statOrNull(path.join(root, folder))?.isDirectory() === true);
  if (folders.length > 0) return { args: folders, named, notices: [] };
  return {
    args: [],
    named,
    notices: [`no ${SCOPE_FOLDERS[request.scope].join(" or ")} folder here: running what plain pytest collects (its testpaths, else the rootdir)`],
  };
}

/** pytest's answer, as the run's test files: what a plain run of the same arguments would collect, file by file. */
export function selectionFrom(request: CollectionRequest, listing: Listing, root: string): Selection {
  const args = listing.args.map((arg) => toProjectPath(root, arg));
  const folderOf = (file: string): string | null =>
    args.filter((arg) => isWithin(file, arg)).reduce<string | null>((deepest, arg) => (deepest === null || arg.length > deepest.length ? arg : deepest), null);
  const byPath = new Map<string, TestFile>();
  for (const found of listing.files) {
    const file = toProjectPath(root, found.path);
    const named = request.named.get(file) ?? null;
    // A text file pytest's doctest plugin collects (`test*.txt`) with no example in it runs nothing in plain pytest and
    // says nothing there; a process of its own would only add a NO TESTS line. One that is named still runs.
    if (named === null && found.empty === true) continue;
    // A conftest a `python_files` pattern matches (`*`, invoke's) is collected as a test module too: it holds fixtures,
    // and runs as no test file (a helper's trial got `NO TESTS tests/conftest.py` and a process for it). One collected for
    // its doctests (--doctest-modules) is checked for them, as in plain pytest.
    if (named === null && path.basename(file) === "conftest.py" && found.kinds.every((kind) => kind === "Module")) continue;
    byPath.set(file, { path: file, named, folder: named === null ? folderOf(file) : null, kind: onlyDoctests(found.kinds) ? "doctests" : "tests", ...(found.folder === true ? { folderEntry: true as const } : {}) });
  }
  for (const error of listing.errors) {
    const place = toProjectPath(root, error.path);
    const folder = folderOf(place);
    if (folder === null) throw new UsageError(`pytest could not collect ${place}:\n${error.message.trim()}`);
    byPath.set(place, { path: place, named: null, folder, kind: "collect-error" });
  }
  const notices = [...request.notices];
  if (request.args.length === 0) notices.push(`pytest collects from: ${args.join(", ")}`);
  return { files: [...byPath.values()].sort((a, b) => compareCodeUnits(a.path, b.path)), searched: args, notices };
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}
