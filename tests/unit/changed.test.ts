/**
 * --changed's promise, as pure planning: every selected test file a change
 * can affect runs (a miss is a broken push that looked green), the others do
 * not, and each file that runs says why.
 */
import { describe, expect, it } from "vitest";
import type { ChangeSet } from "../../src/changes/git.js";
import { buildImportGraph } from "../../src/changes/importGraph.js";
import { parseImports } from "../../src/changes/pythonImports.js";
import type { TestFile } from "../../src/model.js";
import { describeChanges, describeReason, describeSelection, isPytestConfig, selectChanged, type ChangedInput } from "../../src/plan/changed.js";
import { EMPTY_HISTORY } from "../../src/plan/history.js";
import { planFiles } from "../../src/plan/planFiles.js";

const PROJECT: Record<string, string> = {
  "app/__init__.py": "",
  "app/util.py": "import json\n",
  "app/tax.py": "from app.util import round_cents\n",
  "app/cart.py": "from app.tax import vat\n",
  "app/search.py": "",
  "tests/conftest.py": "import pytest\n",
  "tests/http/conftest.py": "from app.search import index\n",
  "tests/http/test_cart.py": "from app.cart import Cart\n",
  "tests/http/test_search.py": "def test_search(): pass\n",
  "tests/e2e/test_checkout.py": "import app.util\n",
  "tests/e2e/test_home.py": "def test_home(): pass\n",
  "scripts/seed.py": "import app.util\n",
};
const TESTS = ["tests/e2e/test_checkout.py", "tests/e2e/test_home.py", "tests/http/test_cart.py", "tests/http/test_search.py"];
const candidate = (path: string, kind: TestFile["kind"] = "tests"): TestFile => ({ path, named: null, folder: path.split("/").slice(0, 2).join("/"), kind });

function select(changed: (string | { path: string; deleted: boolean })[], options: { files?: Record<string, string>; always?: string[]; inifile?: string | null; candidates?: TestFile[]; plugins?: string[] } = {}) {
  const files = options.files ?? PROJECT;
  const changes: ChangeSet = { ref: "HEAD", commit: "abc123", chosen: "head", files: changed.map((c) => (typeof c === "string" ? { path: c, deleted: false } : c)) };
  const deleted = changes.files.filter((f) => f.deleted).map((f) => f.path);
  const modules = new Map(Object.entries(files).filter(([file]) => !deleted.includes(file)).map(([file, code]) => [file, parseImports(code)]));
  const input: ChangedInput = { changes, graph: buildImportGraph({ modules, deleted, roots: [""] }), always: options.always ?? [], inifile: options.inifile ?? null, ...(options.plugins === undefined ? {} : { plugins: options.plugins }) };
  return selectChanged(options.candidates ?? TESTS.map((t) => candidate(t)), input);
}
const running = (selection: ReturnType<typeof select>) => [...selection.reasons.keys()].sort();

describe("what a change runs", () => {
  it("a module the project loads as a pytest plugin, and what it imports, reach every test file", () => {
    const files = { ...PROJECT, "app/plugin.py": "from app import search\n" };
    expect(running(select(["app/search.py"], { files, plugins: ["app/plugin.py"] }))).toEqual(TESTS.slice().sort());
    expect(running(select(["app/search.py"], { files }))).not.toEqual(TESTS.slice().sort());
    // Said to be a plugin, which the test file need not import (pytest_httpx's trial looked for the import).
    const home = select(["app/search.py"], { files, plugins: ["app/plugin.py"] }).reasons.get("tests/e2e/test_home.py") ?? null;
    expect(describeReason("tests/e2e/test_home.py", home)).toBe("tests/e2e/test_home.py ← app/plugin.py (loaded as a pytest plugin) ← app/search.py");
  });

  it("a changed test file runs, and only it", () => {
    const selection = select(["tests/e2e/test_home.py"]);
    expect(running(selection)).toEqual(["tests/e2e/test_home.py"]);
    expect(selection.reasons.get("tests/e2e/test_home.py")).toEqual({ kind: "changed" });
  });

  it("a changed module runs every test file importing it, directly or through other modules, and says through which", () => {
    const selection = select(["app/util.py"]);
    expect(running(selection)).toEqual(["tests/e2e/test_checkout.py", "tests/http/test_cart.py"]);
    expect(selection.reasons.get("tests/e2e/test_checkout.py")).toEqual({ kind: "imports", changed: "app/util.py", via: [] });
    expect(selection.reasons.get("tests/http/test_cart.py")).toEqual({ kind: "imports", changed: "app/util.py", via: ["app/cart.py", "app/tax.py"] });
  });

  it("a changed package __init__.py runs every test file importing anything from the package", () => {
    expect(running(select(["app/__init__.py"]))).toEqual(["tests/e2e/test_checkout.py", "tests/http/test_cart.py", "tests/http/test_search.py"]);
  });

  it("a folder run as one entry (a folder its conftest skips, a folder collector's) runs on a change to its own conftest or to anything in it", () => {
    const files = { ...PROJECT, "tests/bench/conftest.py": "import pytest\n", "tests/bench/helpers.py": "" };
    const folder: TestFile = { ...candidate("tests/bench"), folderEntry: true };
    const candidates = [...TESTS.map((t) => candidate(t)), folder];
    expect(running(select(["tests/bench/conftest.py"], { files, candidates }))).toEqual(["tests/bench"]);
    const data = select(["tests/bench/specs/login.yaml"], { files, candidates });
    expect(running(data)).toEqual(["tests/bench"]);
    expect(data.reasons.get("tests/bench")).toEqual({ kind: "imports", changed: "tests/bench/specs/login.yaml", via: [] });
    expect(data.unrelated).toEqual([]);
    // The conftest above it still counts, and a change beside it does not.
    expect(running(select(["tests/conftest.py"], { files, candidates }))).toContain("tests/bench");
    expect(running(select(["tests/http/conftest.py"], { files, candidates }))).not.toContain("tests/bench");
  });

  it("a changed conftest.py runs every test file below it, and nothing beside it", () => {
    expect(running(select(["tests/http/conftest.py"]))).toEqual(["tests/http/test_cart.py", "tests/http/test_search.py"]);
    expect(running(select(["tests/conftest.py"]))).toEqual(TESTS);
  });

  it("a module a conftest imports runs every test file below that conftest", () => {
    const selection = select(["app/search.py"]);
    expect(running(selection)).toEqual(["tests/http/test_cart.py", "tests/http/test_search.py"]);
    expect(describeReason("tests/http/test_search.py", selection.reasons.get("tests/http/test_search.py") ?? null)).toBe("tests/http/test_search.py ← tests/http/conftest.py ← app/search.py");
  });

  it("a changed __init__.py of a test package runs the test files in that package", () => {
    const files = { ...PROJECT, "tests/__init__.py": "", "tests/http/__init__.py": "" };
    expect(running(select(["tests/http/__init__.py"], { files }))).toEqual(["tests/http/test_cart.py", "tests/http/test_search.py"]);
  });

  it("a deleted module runs the test files that imported it", () => {
    expect(running(select([{ path: "app/tax.py", deleted: true }]))).toEqual(["tests/http/test_cart.py"]);
  });

  it("a deleted conftest.py runs the test files that were below it", () => {
    expect(running(select([{ path: "tests/http/conftest.py", deleted: true }]))).toEqual(["tests/http/test_cart.py", "tests/http/test_search.py"]);
  });

  it("a change no test file depends on runs nothing, and is named", () => {
    const selection = select(["scripts/seed.py", "README.md"]);
    expect(running(selection)).toEqual([]);
    expect(selection.unrelated).toEqual(["scripts/seed.py", "README.md"]);
  });

  it("names only the changes no running test depends on", () => {
    const selection = select(["app/util.py", "app/tax.py", "README.md"]);
    expect(selection.unrelated).toEqual(["README.md"]);
  });

  it("a folder pytest could not collect always runs, to show its error", () => {
    const selection = select(["README.md"], { candidates: [candidate("tests/http/test_cart.py"), candidate("tests/broken", "collect-error")] });
    expect(selection.reasons.get("tests/broken")).toEqual({ kind: "collect-error" });
    expect(running(selection)).toEqual(["tests/broken"]);
  });

  it("a non-Python test file (a doctest text file) runs when it changes", () => {
    const selection = select(["docs/usage.rst"], { candidates: [candidate("docs/usage.rst"), candidate("tests/http/test_cart.py")] });
    expect(running(selection)).toEqual(["docs/usage.rst"]);
  });
});

describe("what runs everything", () => {
  it.each(["pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", ".pytest.ini", "../pytest.ini", "../../tox.ini"])("a changed %s (pytest's configuration, here or above) runs every selected file", (file) => {
    const selection = select([file, "app/util.py"]);
    expect(running(selection)).toEqual(TESTS);
    expect(selection.everything).toEqual([{ file, glob: null }]);
  });

  it("the same names deeper in the project are not pytest's configuration, unless pytest said it uses that file", () => {
    expect(isPytestConfig("examples/pyproject.toml", null)).toBe(false);
    expect(isPytestConfig("../sub/pytest.ini", null)).toBe(false);
    expect(isPytestConfig("config/pytest.ini", "config/pytest.ini")).toBe(true);
  });

  it("a change matching changed-always runs every selected file, and names the glob", () => {
    const selection = select(["tests/fixtures/users.json"], { always: ["*.sql", "tests/fixtures/**"] });
    expect(running(selection)).toEqual(TESTS);
    expect(selection.everything).toEqual([{ file: "tests/fixtures/users.json", glob: "tests/fixtures/**" }]);
    expect(running(select(["tests/fixtures/users.json"], { always: ["*.sql"] }))).toEqual([]);
  });
});

describe("what it says", () => {
  it("prints each test file with the change and the imports in between, from the test's side", () => {
    const selection = select(["app/util.py", "tests/e2e/test_home.py"]);
    expect(describeSelection(selection)).toEqual([
      "--changed: 2 files changed since HEAD: app/util.py, tests/e2e/test_home.py",
      "--changed: this branch has no upstream, so only what is not committed counts (give a REF to compare with, e.g. --changed origin/main, or let origin's default branch be the base: git remote set-head origin --auto)",
      "--changed: running 3 of 4 selected test files:",
      "  tests/e2e/test_checkout.py ← app/util.py",
      "  tests/e2e/test_home.py (changed)",
      "  tests/http/test_cart.py ← app/cart.py ← app/tax.py ← app/util.py",
    ]);
  });

  it("says a reason once for the files it brings in where there are more than three (parso's 44 lines of one reason)", () => {
    const names = ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py", "tests/test_d.py", "tests/test_e.py"];
    const files = { ...PROJECT, "app/cart.py": "import app.util\n", ...Object.fromEntries(names.map((name) => [name, "import app.cart\n"])) };
    const lines = describeSelection(select(["app/util.py", "tests/test_e.py"], { files, candidates: names.map((t) => candidate(t)) }));
    expect(lines.slice(2)).toEqual([
      "--changed: running 5 of 5 selected test files:",
      // The fourth named, where "and 1 more" took as much room (itsdangerous' trial).
      "  4 files ← app/cart.py ← app/util.py: tests/test_a.py, tests/test_b.py, tests/test_c.py and tests/test_d.py",
      "  tests/test_e.py (changed)",
    ]);
  });

  it("says, where no test file is selected, only that: no hint of files the tests read (python-json-patch's trial)", () => {
    const lines = describeSelection(select(["README.md", "app/util.py"], { candidates: [] }));
    expect(lines.at(-1)).toBe("--changed: no test file is selected, so no change can run one");
    expect(lines.join("\n")).not.toMatch(/none of the 0|changed-always/);
  });

  it("says why everything runs", () => {
    expect(describeSelection(select(["pyproject.toml"])).at(-1)).toBe("--changed: running all 4 selected test files, because of pyproject.toml (pytest's configuration)");
  });

  it("counts the modules checked for doctests apart from the test files, as the Found line does (jsonpickle's trial)", () => {
    const candidates = [...TESTS.map((t) => candidate(t)), candidate("app/cart.py", "doctests")];
    expect(describeSelection(select(["pyproject.toml"], { candidates })).at(-1)).toBe(
      "--changed: running all 5 selected files (4 test files and 1 module to check for doctests), because of pyproject.toml (pytest's configuration)",
    );
    expect(describeSelection(select(["README.md"], { candidates })).at(2)).toBe("--changed: none of the 5 selected files (4 test files and 1 module to check for doctests) depends on what changed");
  });

  it("says when nothing selected depends on the change, and what a data file needs", () => {
    expect(describeSelection(select(["README.md"])).slice(2)).toEqual([
      "--changed: none of the 4 selected test files depends on what changed",
      "--changed: no selected test file imports README.md (a file the tests read rather than import belongs in --changed-always, or changed-always in [tool.grimoire-run]; one they write, in .gitignore)",
    ]);
    // One file: said of it, not of "none of the 1" (environs' trial).
    expect(describeSelection(select(["README.md"], { candidates: [candidate(TESTS[0] as string)] })).at(2)).toBe("--changed: the 1 selected test file does not depend on what changed");
    // A module no test imports may be imported by name (whitenoise's management command, through Django's INSTALLED_APPS).
    expect(describeSelection(select(["app/commands/serve.py"])).at(-1)).toBe(
      "--changed: no selected test file imports app/commands/serve.py (a file the tests read rather than import, or a module imported by a name given at run time (Django's INSTALLED_APPS, entry points, importlib.import_module), belongs in --changed-always, or changed-always in [tool.grimoire-run]; one they write, in .gitignore)",
    );
    // A C header compiled into an extension (multidict's _multilib/hashtable.h): said as what it may be.
    expect(describeSelection(select(["app/_lib/table.h"])).at(-1)).toBe(
      "--changed: no selected test file imports app/_lib/table.h (a file the tests read rather than import, or a source compiled into an extension module (a C header), belongs in --changed-always, or changed-always in [tool.grimoire-run]; one they write, in .gitignore)",
    );
  });

  it("says what it compared with", () => {
    const base = { commit: "1a2b3c4d5e", files: [] };
    expect(describeChanges({ ...base, ref: "origin/main", chosen: "upstream" })).toBe("--changed: nothing changed since origin/main (where this branch left it, 1a2b3c4d5e): no test to run");
    expect(describeChanges({ ...base, ref: "v1.2", chosen: "given" })).toBe("--changed: nothing changed since v1.2 (1a2b3c4d5e): no test to run");
    expect(describeChanges({ ...base, ref: "1a2b3c4", chosen: "given" })).toBe("--changed: nothing changed since 1a2b3c4: no test to run");
    expect(describeChanges({ ...base, ref: "1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b2c3", chosen: "given" })).toBe("--changed: nothing changed since 1a2b3c4d5e: no test to run");
    expect(describeChanges({ ref: "HEAD", commit: null, chosen: "no-commit", files: [{ path: "a.py", deleted: false }] })).toBe("--changed: no commit yet, so every file counts as changed (1 file)");
    expect(describeChanges({ ...base, ref: "HEAD", chosen: "head", files: [{ path: "gone.py", deleted: true }] })).toBe("--changed: 1 file changed since HEAD: gone.py (deleted)\n--changed: this branch has no upstream, so only what is not committed counts (give a REF to compare with, e.g. --changed origin/main, or let origin's default branch be the base: git remote set-head origin --auto)");
    expect(describeChanges({ ...base, ref: "origin/main", chosen: "default-branch" })).toBe("--changed: nothing changed since origin/main (where this branch, which has no upstream yet, left it, 1a2b3c4d5e): no test to run");
    // A commit checked out on no branch (a helper read "this branch" of a detached checkout as wrong).
    expect(describeChanges({ ...base, ref: "origin/main", chosen: "default-branch", detached: true })).toBe("--changed: nothing changed since origin/main (where the detached HEAD, on no branch, left it, 1a2b3c4d5e): no test to run");
    expect(describeChanges({ ...base, ref: "HEAD", chosen: "head", detached: true })).toMatch(/^--changed: nothing changed since HEAD: no test to run\n--changed: HEAD is detached \(on no branch\), with no upstream, so only what is not committed counts/);
  });

  it("names the first ten changed files and counts the rest", () => {
    const files = Array.from({ length: 12 }, (_, i) => ({ path: `f${String(i).padStart(2, "0")}.txt`, deleted: false }));
    expect(describeChanges({ ref: "HEAD", commit: "c", chosen: "given", files })).toMatch(/: f00\.txt, .*, f09\.txt and 2 more$/);
  });
});

describe("with the rest of the planning", () => {
  it("narrows the selection before --last-failed and the order, and says so", () => {
    const selection = select(["app/util.py"]);
    const plan = planFiles(TESTS.map((t) => candidate(t)), EMPTY_HISTORY, { order: "name", seed: 0, lastFailed: false, failedFirst: false, shard: null, changed: selection });
    expect(plan.files.map((f) => f.path)).toEqual(["tests/e2e/test_checkout.py", "tests/http/test_cart.py"]);
    expect(plan.narrowed).toBe(true);
    expect(plan.narrowedBy).toEqual(["--changed"]);
    expect(plan.notices[0]).toMatch(/^--changed: 1 file changed since HEAD/);
  });

  it("is not narrowed when everything runs (a serial run then gets a plain run's arguments)", () => {
    const plan = planFiles(TESTS.map((t) => candidate(t)), EMPTY_HISTORY, { order: "name", seed: 0, lastFailed: false, failedFirst: false, shard: null, changed: select(["tox.ini"]) });
    expect(plan.files).toHaveLength(4);
    expect(plan.narrowed).toBe(false);
    expect(plan.narrowedBy).toEqual([]);
  });
});
