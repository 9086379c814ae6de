/**
 * --changed: which of the selected test files a change can affect, and why.
 * A changed test file runs; a changed module runs every test file that
 * imports it, directly or through other project files; a changed conftest.py
 * (or a test package's `__init__.py`) runs every test file below it; a
 * changed pytest configuration file, or one matching the `changed-always`
 * globs, runs everything. Pure: the changes, the import graph and the
 * candidates in, the files to run and the reason for each out; the notices
 * say it in words, for the console.
 */
import type { ChangedFile, ChangeSet } from "../changes/git.js";
import { matchingGlob } from "../changes/globs.js";
import { join, parentOf, reachable, type ImportGraph } from "../changes/importGraph.js";
import { CHANGED_FILES_NAMED, PYTEST_CONFIG_FILES } from "../defaults.js";
import { nameSome, plural, testFilesAndModules } from "../format.js";
import type { TestFile } from "../model.js";
import { compareCodeUnits, isWithin } from "../projectPaths.js";

export interface ChangedInput {
  changes: ChangeSet;
  graph: ImportGraph;
  /** The `changed-always` globs. */
  always: readonly string[];
  /** pytest's configuration file in use (a project path, `../` above the project), or null. */
  inifile: string | null;
  /** The project's own modules pytest loads as plugins (project paths): every test file depends on them. Absent: none. */
  plugins?: readonly string[];
  /** The project's code the managed server runs (--server; changes/serverCode.ts): every test file talks to it. Absent: none. */
  served?: ReadonlySet<string>;
}

/** Why a test file runs. */
export type RunReason =
  /** The test file itself changed (or is new). */
  | { kind: "changed" }
  /** It imports `changed`: through `via`, in order from the test file's own import towards the change (conftests and package `__init__.py` files count as imports). */
  | { kind: "imports"; changed: string; via: string[]; plugin?: boolean }
  /** A folder pytest could not collect: it always runs, to show the error. */
  | { kind: "collect-error" };

/** A changed file that makes everything run. */
export interface RunsEverything {
  file: string;
  /** The `changed-always` glob it matches, or null for a pytest configuration file (or the server's code, `served`). */
  glob: string | null;
  /** The file is code the managed server (--server) runs. */
  served?: true;
}

export interface ChangedSelection {
  changes: ChangeSet;
  /** Non-empty when everything runs. */
  everything: RunsEverything[];
  /** The candidates that run, with why (every candidate, when everything runs). */
  reasons: Map<string, RunReason | null>;
  /** How many candidates there were. */
  candidates: number;
  /** Of them, modules collected only for their doctests (--doctest-modules): said apart, as the Found line says them. */
  doctestModules?: number;
  /** Changed files no candidate depends on. */
  unrelated: string[];
}

export function selectChanged(candidates: readonly TestFile[], input: ChangedInput): ChangedSelection {
  const { changes, graph } = input;
  const modules = candidates.filter((f) => f.kind === "doctests").length;
  const base = { changes, candidates: candidates.length, ...(modules > 0 ? { doctestModules: modules } : {}) };
  const everything = changes.files.flatMap((file): RunsEverything[] => {
    if (isPytestConfig(file.path, input.inifile)) return [{ file: file.path, glob: null }];
    const glob = matchingGlob(input.always, file.path);
    if (glob === null && input.served?.has(file.path) === true) return [{ file: file.path, glob: null, served: true }];
    return glob === null ? [] : [{ file: file.path, glob }];
  });
  if (everything.length > 0) return { ...base, everything, reasons: new Map(candidates.map((f) => [f.path, null])), unrelated: [] };

  const plugins = new Set(input.plugins ?? []);
  const dependsOn = dependencies(candidates, graph, [...plugins]);
  const importers = reverse(dependsOn);
  // Breadth first from every change at once: each file reached learns its nearest change and the next step towards it.
  const towards = new Map<string, string | null>();
  const origin = new Map<string, string>();
  const queue: string[] = [];
  for (const file of changes.files) {
    towards.set(file.path, null);
    origin.set(file.path, file.path);
    queue.push(file.path);
  }
  for (let head = 0; head < queue.length; head++) {
    const file = queue[head] as string;
    for (const importer of importers.get(file) ?? []) {
      if (towards.has(importer)) continue;
      towards.set(importer, file);
      origin.set(importer, origin.get(file) as string);
      queue.push(importer);
    }
  }

  const reasons = new Map<string, RunReason | null>();
  for (const candidate of candidates) {
    if (candidate.kind === "collect-error") reasons.set(candidate.path, { kind: "collect-error" });
    else if (towards.has(candidate.path)) reasons.set(candidate.path, reasonOf(candidate.path, towards, origin, plugins));
    else if (candidate.folderEntry === true) {
      // A folder run as one entry (its own collector's tests, or a folder its conftest skips): whatever changes in it.
      const inside = changes.files.find((file) => isWithin(file.path, candidate.path));
      if (inside !== undefined) reasons.set(candidate.path, { kind: "imports", changed: inside.path, via: [] });
    }
  }
  const candidatePaths = new Set(candidates.map((f) => f.path));
  const related = new Set([...reasons.values()].flatMap((reason) => (reason?.kind === "imports" ? [reason.changed] : [])));
  const unrelated = changes.files.map((f) => f.path).filter((file) => !related.has(file) && !reachesAny(file, candidatePaths, importers));
  return { ...base, everything: [], reasons, unrelated };
}

/** pytest's configuration: the file in use, or a configuration file in the project's folder or above it. */
export function isPytestConfig(file: string, inifile: string | null): boolean {
  if (file === inifile) return true;
  const name = file.slice(file.lastIndexOf("/") + 1);
  return PYTEST_CONFIG_FILES.includes(name) && /^(\.\.\/)*[^/]+$/.test(file);
}

/**
 * `plugin`: the test file's first step is a module pytest loads as a plugin (the project's pytest11 entry point), which
 * the test file need not import: said so (pytest_httpx's test_plugin.py imports nothing of the package, and a helper
 * looked for the import the line named).
 */
function reasonOf(file: string, towards: ReadonlyMap<string, string | null>, origin: ReadonlyMap<string, string>, plugins: ReadonlySet<string>): RunReason {
  const changed = origin.get(file) as string;
  if (changed === file) return { kind: "changed" };
  const via: string[] = [];
  for (let step = towards.get(file) ?? null; step !== null && step !== changed; step = towards.get(step) ?? null) via.push(step);
  return { kind: "imports", changed, via, ...(plugins.has(via[0] ?? changed) ? { plugin: true } : {}) };
}

/**
 * What each file depends on: its imports, and for a test file, what pytest
 * runs before it: every conftest.py in its folder and the folders above, and
 * the `__init__.py` of each test package it sits in.
 */
function dependencies(candidates: readonly TestFile[], graph: ImportGraph, plugins: readonly string[]): Map<string, readonly string[]> {
  const dependsOn = new Map<string, readonly string[]>(graph.imports);
  for (const candidate of candidates) {
    if (candidate.kind === "collect-error") continue;
    // The project's plugins first: pytest loads them before any conftest.
    const implicit: string[] = [...plugins];
    let inPackage = true;
    // A folder run as one entry starts with its own conftest.
    for (let folder = candidate.folderEntry === true ? candidate.path : parentOf(candidate.path); ; folder = parentOf(folder)) {
      const conftest = join(folder, "conftest.py");
      if (graph.files.has(conftest)) implicit.push(conftest);
      const init = join(folder, "__init__.py");
      inPackage = inPackage && graph.files.has(init);
      if (inPackage) implicit.push(init);
      if (folder === "") break;
    }
    dependsOn.set(candidate.path, [...new Set([...(dependsOn.get(candidate.path) ?? []), ...implicit.filter((file) => file !== candidate.path)])]);
  }
  return dependsOn;
}

function reverse(dependsOn: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const importers = new Map<string, string[]>();
  for (const file of [...dependsOn.keys()].sort(compareCodeUnits)) {
    for (const dependency of dependsOn.get(file) ?? []) {
      const list = importers.get(dependency);
      if (list === undefined) importers.set(dependency, [file]);
      else list.push(file);
    }
  }
  return importers;
}

/** Whether a file reaches one of `targets` through the files importing it (a change nearer to them may have claimed them first). */
function reachesAny(file: string, targets: ReadonlySet<string>, importers: ReadonlyMap<string, readonly string[]>): boolean {
  return [...reachable([file], (next) => importers.get(next))].some((reached) => targets.has(reached));
}

/** The first line of every --changed run: what was compared with what. */
export function describeChanges(changes: ChangeSet): string {
  if (changes.chosen === "no-commit") {
    return changes.files.length === 0 ? "--changed: no commit and no file yet: nothing to run" : `--changed: no commit yet, so every file counts as changed (${plural(changes.files.length, "file")})`;
  }
  const since = describeRef(changes);
  // Said with the verdict, even when nothing changed: a pre-push hook's "nothing changed" would read as all clear. With
  // the command that gives the branch a base (origin/HEAD), which the docs name and the line did not (a helper's trial).
  const noUpstream = changes.detached === true ? "HEAD is detached (on no branch), with" : "this branch has";
  const onlyUncommitted =
    changes.chosen === "head"
      ? `\n--changed: ${noUpstream} no upstream, so only what is not committed counts (give a REF to compare with, e.g. --changed origin/main, or let origin's default branch be the base: git remote set-head origin --auto)`
      : "";
  if (changes.files.length === 0) return `--changed: nothing changed since ${since}: no test to run${onlyUncommitted}`;
  return `--changed: ${plural(changes.files.length, "file")} changed since ${since}: ${nameSome(changes.files.map(describeFile), CHANGED_FILES_NAMED)}${onlyUncommitted}`;
}

/**
 * The files --changed chose from, test files and doctest modules apart as the Found line says them: "running 34 of 36
 * selected test files" listed modules checked for doctests among them (a helper's trial of jsonpickle).
 */
function selected(selection: ChangedSelection): string {
  const modules = selection.doctestModules ?? 0;
  if (modules === 0) return plural(selection.candidates, "selected test file");
  return `${plural(selection.candidates, "selected file")} (${testFilesAndModules(selection.candidates - modules, modules)})`;
}

/** Past this many files with the same reason, the reason is said once for them all. */
const SAME_REASON_LISTED = 3;

/** What ran and why, one test file a line (or one line for the files with the same reason), then what no test depends on. */
export function describeSelection(selection: ChangedSelection): string[] {
  const lines = describeChanges(selection.changes).split("\n");
  if (selection.everything.length > 0) {
    const why = selection.everything.map((e) => (e.served === true ? `${e.file} (code the --server runs, which every test file talks to)` : e.glob === null ? `${e.file} (pytest's configuration)` : `${e.file} (changed-always "${e.glob}")`));
    lines.push(`--changed: running all ${selected(selection)}, because of ${nameSome(why, CHANGED_FILES_NAMED)}`);
    return lines;
  }
  const running = [...selection.reasons.entries()].sort(([a], [b]) => compareCodeUnits(a, b));
  // With no test file selected there is nothing to depend on, nor to name a file the tests read: "none of the 0 selected
  // test files depends" and its hint read as a fault of the change (a helper's trial of python-json-patch).
  if (selection.candidates === 0) {
    lines.push("--changed: no test file is selected, so no change can run one");
    return lines;
  }
  const none = selection.candidates === 1 ? `the ${selected(selection)} does not depend` : `none of the ${selected(selection)} depends`;
  lines.push(running.length === 0 ? `--changed: ${none} on what changed` : `--changed: running ${running.length} of ${selected(selection)}:`);
  // Files with one reason are said once where there are more than a few: a change to what a conftest imports is every
  // file's reason, and parso's 44 files were 44 lines of "← parso/utils.py via conftest.py" (a helper's trial).
  const byReason = new Map<string, string[]>();
  for (const [file, reason] of running) {
    const why = describeReason("", reason);
    const same = byReason.get(why);
    if (same === undefined) byReason.set(why, [file]);
    else same.push(file);
  }
  for (const [file, reason] of running) {
    const same = byReason.get(describeReason("", reason)) ?? [file];
    if (same.length <= SAME_REASON_LISTED) lines.push(`  ${describeReason(file, reason)}`);
    else if (same[0] === file) lines.push(`  ${plural(same.length, "file")}${describeReason("", reason)}: ${nameSome(same, SAME_REASON_LISTED)}`);
  }
  if (selection.unrelated.length > 0) {
    // The option as a user types it, and the key of the project's configuration (a helper read "changed-always" as neither).
    // A module no import statement names may still be imported, by a name given at run time: whitenoise's management
    // command, which Django loads through INSTALLED_APPS, read as a file the tests read (a helper's trial). A file the
    // tests write and git does not ignore (huey's SQLite journal, huey_storage.db-wal) is a change too: said where it goes.
    const byName = selection.unrelated.some((file) => file.endsWith(".py")) ? ", or a module imported by a name given at run time (Django's INSTALLED_APPS, entry points, importlib.import_module)," : "";
    // A C header or source compiled into an extension of another name (multidict's _multilib/*.h): no import names it.
    const compiled = selection.unrelated.some((file) => /\.(h|hpp|c|cc|cpp|pxi)$/.test(file)) ? ", or a source compiled into an extension module (a C header)," : "";
    lines.push(`--changed: no selected test file imports ${nameSome(selection.unrelated, CHANGED_FILES_NAMED)} (a file the tests read rather than import${byName}${compiled} belongs in --changed-always, or changed-always in [tool.grimoire-run]; one they write, in .gitignore)`);
  }
  return lines;
}

/**
 * `tests/http/test_cart.py ← app/cart.py ← app/util.py`: the test file, the imports from its side, and the change last,
 * every arrow one way (`T ← M via A ← B`, the change first and the imports after it, read as arrows turning back: two
 * helpers' trials). A plugin first step is said to be one: the test file need not import it.
 */
export function describeReason(file: string, reason: RunReason | null): string {
  if (reason === null) return file;
  switch (reason.kind) {
    case "changed":
      return `${file} (changed)`;
    case "collect-error":
      return `${file} (could not be collected: runs to show why)`;
    case "imports": {
      const [first, ...rest] = [...reason.via, reason.changed];
      return `${file} ← ${[`${first ?? ""}${reason.plugin === true ? " (loaded as a pytest plugin)" : ""}`, ...rest].join(" ← ")}`;
    }
  }
}

function describeRef(changes: ChangeSet): string {
  const commit = changes.commit;
  if (changes.chosen === "upstream") return `${changes.ref} (where this branch left it, ${commit ?? ""})`;
  if (changes.chosen === "default-branch") {
    return changes.detached === true ? `${changes.ref} (where the detached HEAD, on no branch, left it, ${commit ?? ""})` : `${changes.ref} (where this branch, which has no upstream yet, left it, ${commit ?? ""})`;
  }
  if (changes.chosen !== "given" || commit === null || commit.startsWith(changes.ref)) return changes.ref;
  // A commit named by its whole hash is shown by its abbreviation, as everywhere else.
  return changes.ref.startsWith(commit) ? commit : `${changes.ref} (${commit})`;
}

function describeFile(file: ChangedFile): string {
  return file.deleted ? `${file.path} (deleted)` : file.path;
}
