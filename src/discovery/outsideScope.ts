/**
 * The test files a run of the default folders (tests/e2e, tests/http) leaves
 * out that plain `pytest` would run: a project whose `testpaths = tests` also
 * has tests/unit sees a green run that never ran its unit tests. Said once, at
 * the run's end. A walk of the folders, no import and no pytest.
 */
import fs from "node:fs";
import path from "node:path";
import { toProjectPath } from "../projectPaths.js";
import { matchingGlob } from "../changes/globs.js";
import { nameSome, plural } from "../format.js";

/** pytest's `python_files` default. */
const DEFAULT_PATTERNS = ["test_*.py", "*_test.py"];
/** Folders pytest's `norecursedirs` default skips, and virtualenvs: never tests of the project's. */
const SKIPPED = /^(\..*|__pycache__|node_modules|venv|env|build|dist|.*\.egg|_darcs|CVS|\{arch\}|site-packages)$/;
/** Entries read at most: a walk that would take long is not worth a notice. */
const MAX_ENTRIES = 20_000;
/** Text files larger than this are not read for a doctest (a data file, most likely). */
const MAX_TEXT_BYTES = 1_000_000;
/** Places named in the notice before "and N more". */
const NAMED = 4;

export interface OutsideScopeRequest {
  root: string;
  /** The scope's folders the run collected from, project paths. */
  scopeFolders: readonly string[];
  rootdir: string;
  /** pytest's `testpaths`, as written (relative to the rootdir); empty when unset. */
  testpaths: readonly string[];
  /** pytest's `python_files`. */
  pythonFiles: readonly string[];
  /** pytest's `--doctest-glob`s: text files with doctests. Absent: none. */
  textFiles?: readonly string[];
}

/** Project paths of the test files under plain pytest's folders (its testpaths, else tests/) that lie outside the scope's folders. */
export function testFilesOutsideScope(request: OutsideScopeRequest): string[] {
  const root = path.resolve(request.root);
  // Entries with glob characters, and patterns with a folder in them, are pytest's to read: left alone here.
  const searched = request.testpaths.length > 0 ? request.testpaths.filter((entry) => !/[*?[]/.test(entry)).map((entry) => path.resolve(request.rootdir, entry)) : [path.join(root, "tests")];
  // The changed-always globs' matcher reads pytest's fnmatch-style names as fnmatch does (`*`, `?`, `[…]`, `[!…]`).
  const patterns = (request.pythonFiles.length > 0 ? request.pythonFiles : DEFAULT_PATTERNS).filter((pattern) => !pattern.includes("/"));
  const texts = (request.textFiles ?? []).filter((pattern) => !pattern.includes("/"));
  const scope = request.scopeFolders.map((folder) => path.resolve(root, folder));
  const within = (file: string, folder: string): boolean => file === folder || file.startsWith(folder + path.sep);
  const found = new Set<string>();
  const folders: string[] = [];
  for (const start of searched) {
    const stat = fs.statSync(start, { throwIfNoEntry: false });
    if (stat?.isDirectory() === true) folders.push(start);
    else if (stat?.isFile() === true && !scope.some((scoped) => within(start, scoped))) found.add(toProjectPath(root, start));
  }
  walkFiles(
    folders,
    (folder) => scope.some((scoped) => within(folder, scoped)),
    (full, name) => {
      if (matchingGlob(patterns, name) !== null || (matchingGlob(texts, name) !== null && holdsDoctest(full))) found.add(toProjectPath(root, full));
    },
  );
  return [...found].sort();
}

/**
 * Each file under `folders` to `found` (its path and name), leaving out the folders pytest's norecursedirs default
 * skips, virtualenvs and those `skip` names; MAX_ENTRIES entries read at most, over all the folders.
 */
function walkFiles(folders: readonly string[], skip: (folder: string) => boolean, found: (full: string, name: string) => void): void {
  let budget = MAX_ENTRIES;
  const walk = (folder: string): void => {
    if (skip(folder)) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (--budget < 0) return;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED.test(entry.name)) walk(full);
      } else if (entry.isFile()) {
        found(full, entry.name);
      }
    }
  };
  for (const folder of folders) walk(folder);
}

/** A text file pytest's doctest plugin finds an example in (a `>>>` prompt): one without runs nothing (a test_data.txt). */
function holdsDoctest(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    return stat.size <= MAX_TEXT_BYTES && /^[ \t]*>>>/m.test(fs.readFileSync(file, "utf8"));
  } catch {
    return false;
  }
}

/** The notice for the files left out, grouped by the folder (or file) right below the one they were found in; null when there are none. */
export function outsideScopeNotice(files: readonly string[], request: Pick<OutsideScopeRequest, "scopeFolders" | "testpaths">): string | null {
  if (files.length === 0) return null;
  const groups = new Map<string, number>();
  for (const file of files) {
    const parts = file.split("/");
    // tests/unit/test_a.py → tests/unit; tests/test_models.py → itself.
    const place = parts.length > 2 ? parts.slice(0, 2).join("/") : file;
    groups.set(place, (groups.get(place) ?? 0) + 1);
  }
  const places = [...groups].map(([place, count]) => (place.endsWith(".py") ? place : `${place} (${plural(count, "file")})`));
  const shown = nameSome(places, NAMED);
  const whose = request.testpaths.length > 0 ? `its testpaths: ${request.testpaths.join(" ")}` : "under tests/";
  return (
    `left out: ${plural(files.length, "test file")} outside ${request.scopeFolders.join(" and ")} that plain pytest runs (${whose}): ${shown}. ` +
    `grimoire-run runs ${request.scopeFolders.join(" and ")} unless given folders: name them to run those too (grimoire-run --parallel tests)`
  );
}

/**
 * A module that defines tests as pytest finds them: a `test…` function or a `Test…` class at the start of a line, or a
 * unittest case of any name (python-json-patch's tests.py holds `class ApplyPatchTestCase(unittest.TestCase)`, and the
 * notice named only a script beside it: a helper's trial).
 */
const DEFINES_TESTS = /^(?:async\s+)?def\s+test|^class\s+Test|^class\s+\w+\s*\([^)]*TestCase\b/m;
/** Files named like tests (`test` anywhere in a Python file's name): checked for test definitions. */
const TEST_LIKE_NAME = /^.*test.*\.py$/i;
/** A test folder's modules of any name are checked too (peewee's tests/models.py), but for these. */
const NOT_A_TEST_MODULE = /^(__init__|__main__|conftest|setup)\.py$/;
/** A folder whose modules are tests by their place (`tests/`, `test/`). */
const TEST_FOLDER = /(^|\/)tests?(\/|$)/;

/**
 * Project paths of modules under `folders` that define tests but whose names pytest's `python_files` does not match:
 * said where a run collected no test file (pyotp's only test module is test.py, which `test_*.py` does not match, and
 * the run ended with exit 5 and nothing pointing at it: a helper's trial). A walk, no import.
 */
export function unmatchedTestModules(root: string, folders: readonly string[], pythonFiles: readonly string[], { inTestFolders = false }: { inTestFolders?: boolean } = {}): string[] {
  const patterns = (pythonFiles.length > 0 ? pythonFiles : DEFAULT_PATTERNS).filter((pattern) => !pattern.includes("/"));
  const found: string[] = [];
  const starts = folders.map((folder) => path.resolve(root, folder)).filter((start) => fs.statSync(start, { throwIfNoEntry: false })?.isDirectory() === true);
  walkFiles(
    starts,
    () => false,
    (full, name) => {
      const named = TEST_LIKE_NAME.test(name) || (inTestFolders && name.endsWith(".py") && TEST_FOLDER.test(toProjectPath(root, path.dirname(full))));
      if (named && name !== "conftest.py" && !(inTestFolders && NOT_A_TEST_MODULE.test(name)) && matchingGlob(patterns, name) === null && definesTests(full)) found.push(toProjectPath(root, full));
    },
  );
  return found.sort();
}

function definesTests(file: string): boolean {
  try {
    return fs.statSync(file).size <= MAX_TEXT_BYTES && DEFINES_TESTS.test(fs.readFileSync(file, "utf8"));
  } catch {
    return false;
  }
}

/**
 * The notice for a run that collected some test modules where more modules define tests under names pytest's
 * `python_files` does not match (peewee's 45 modules in tests/, named models.py and the like, beside the 2 it
 * matched: a green run of 5 tests, plain pytest's too, with nothing said); null where they are fewer than those run.
 */
export function fewMatchedNotice(modules: readonly string[], collected: number, pythonFiles: readonly string[]): string | null {
  if (modules.length === 0 || modules.length <= collected) return null;
  const patterns = pythonFiles.length > 0 ? pythonFiles : DEFAULT_PATTERNS;
  return (
    `pytest's python_files (${patterns.join(" ")}) matched ${plural(collected, "module")} here, and none of ${plural(modules.length, "more module")} that define tests (${nameSome(modules, NAMED)}): ` +
    `plain pytest runs none of them either. Name them after the pattern, give them as paths, or set python_files in the pytest configuration (python_files = *.py, with --ignore for the modules that are not tests)`
  );
}

/** The notice for a run that collected no test file where modules define tests under names pytest does not match; null when none do. */
export function unmatchedTestModulesNotice(modules: readonly string[], pythonFiles: readonly string[]): string | null {
  if (modules.length === 0) return null;
  const patterns = pythonFiles.length > 0 ? pythonFiles : DEFAULT_PATTERNS;
  const one = modules.length === 1;
  return (
    `pytest collected no test module: its python_files (${patterns.join(" ")}) matches none of ${one ? "" : `these ${modules.length}, `}${nameSome(modules, NAMED)}, which define${one ? "s" : ""} tests. ` +
    `Name ${one ? "it" : "them"} after the pattern, give ${one ? "it as a path" : "them as paths"} (grimoire-run ${modules[0] ?? ""}), or set python_files in the pytest configuration`
  );
}
