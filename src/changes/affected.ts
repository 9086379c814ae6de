/**
 * --changed, put together: the import graph of the project's own files,
 * resolved against the folders the pytest session had on sys.path, and the
 * test files it says a change can affect.
 */
import fs from "node:fs";
import path from "node:path";
import type { Listing } from "../discovery/askPytest.js";
import type { TestFile } from "../model.js";
import { selectChanged, type ChangedSelection } from "../plan/changed.js";
import { toProjectPath } from "../projectPaths.js";
import type { ChangeSet } from "./git.js";
import { importRoots } from "./importGraph.js";
import { importGraph, withDoctestTexts, type ScannedImports } from "./importScan.js";
import { serverCode } from "./serverCode.js";

export function affectedFiles(candidates: readonly TestFile[], changes: ChangeSet, scanned: ScannedImports, listing: Listing, settings: { root: string; changedAlways: string[]; managed?: { server: { command: string } | null } | null }): ChangedSelection {
  const root = fs.realpathSync(settings.root);
  const inProject = (entry: string): string | null => {
    const relative = toProjectPath(root, entry);
    return relative === ".." || relative.startsWith("../") || path.isAbsolute(relative) ? null : relative === "." ? "" : relative;
  };
  const sysPath = listing.sysPath.flatMap((entry) => inProject(realPathOr(entry)) ?? []);
  // A doctest text file's examples import modules as a test module does.
  const texts = candidates.filter((file) => file.kind === "tests" && file.folderEntry !== true && !file.path.endsWith(".py")).map((file) => file.path);
  const graph = importGraph(settings.root, withDoctestTexts(settings.root, scanned, texts), {
    deleted: changes.files.filter((f) => f.deleted && /\.(py|pyx|pxd|c|cpp)$/.test(f.path)).map((f) => f.path),
    roots: importRoots(sysPath, scanned.files.some((file) => file.startsWith("src/"))),
  });
  const inifile = listing.inifile === null ? null : toProjectPath(root, realPathOr(listing.inifile));
  const plugins = (listing.pluginFiles ?? []).flatMap((file) => inProject(realPathOr(file)) ?? []);
  const server = settings.managed?.server ?? null;
  const served = server === null ? undefined : serverCode(server.command, graph, (file) => readOrNull(path.join(root, file)));
  return selectChanged(candidates, { changes, graph, always: settings.changedAlways, inifile, plugins, ...(served === undefined ? {} : { served }) });
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function realPathOr(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}
