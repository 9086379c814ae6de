/**
 * The test files a run of the default folders leaves out that plain pytest would run: found by a walk of
 * plain pytest's folders with its python_files patterns, and said in one notice.
 */
import { describe, expect, it } from "vitest";
import { outsideScopeNotice, testFilesOutsideScope } from "../../src/discovery/outsideScope.js";
import { temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

/** A project of these empty files, removed after the test. */
const tree = (files: string[]): string => project(Object.fromEntries(files.map((file) => [file, ""]))).root;

const FILES = ["tests/http/test_a.py", "tests/e2e/test_b.py", "tests/unit/test_c.py", "tests/unit/deep/d_test.py", "tests/test_models.py", "tests/helpers.py", "tests/.venv/test_x.py", "tests/unit/__pycache__/test_c.py", "other/test_e.py"];

describe("test files outside the scope's folders", () => {
  it("walks tests/ without testpaths, skipping the scope's folders, hidden folders and what is not a test file by pytest's default patterns", () => {
    const root = tree(FILES);
    const found = testFilesOutsideScope({ root, scopeFolders: ["tests/e2e", "tests/http"], rootdir: root, testpaths: [], pythonFiles: [] });
    expect(found).toEqual(["tests/test_models.py", "tests/unit/deep/d_test.py", "tests/unit/test_c.py"]);
  });

  it("walks the testpaths instead, relative to the rootdir, with the project's python_files", () => {
    const root = tree([...FILES, "other/check_f.py"]);
    expect(testFilesOutsideScope({ root, scopeFolders: ["tests/http", "tests/e2e"], rootdir: root, testpaths: ["tests/http", "tests/e2e"], pythonFiles: [] })).toEqual([]);
    expect(testFilesOutsideScope({ root, scopeFolders: ["tests/http", "tests/e2e"], rootdir: root, testpaths: ["other", "tests/http"], pythonFiles: ["check_*.py", "test_?.py"] })).toEqual(["other/check_f.py", "other/test_e.py"]);
  });

  it("counts text files with doctests by pytest's --doctest-glob, not a data file the glob names that holds no example", () => {
    const root = project({ "tests/http/test_a.py": "", "tests/docs/test_guide.txt": "Adding:\n\n    >>> 1 + 1\n    2\n", "tests/data/test_rows.txt": "a,b\n1,2\n", "tests/docs/guide.rst": ">>> 1\n1\n" }).root;
    const request = { root, scopeFolders: ["tests/e2e", "tests/http"], rootdir: root, testpaths: [], pythonFiles: [] };
    expect(testFilesOutsideScope({ ...request, textFiles: ["test*.txt"] })).toEqual(["tests/docs/test_guide.txt"]);
    expect(testFilesOutsideScope({ ...request, textFiles: ["test*.txt", "*.rst"] })).toEqual(["tests/docs/guide.rst", "tests/docs/test_guide.txt"]);
    expect(testFilesOutsideScope(request)).toEqual([]);
  });

  it("says how many, grouped by the folder below the one searched, and what to run", () => {
    const request = { scopeFolders: ["tests/e2e", "tests/http"], testpaths: ["tests"] };
    expect(outsideScopeNotice([], request)).toBeNull();
    expect(outsideScopeNotice(["tests/test_models.py", "tests/unit/deep/d_test.py", "tests/unit/test_c.py"], request)).toBe(
      "left out: 3 test files outside tests/e2e and tests/http that plain pytest runs (its testpaths: tests): tests/test_models.py, tests/unit (2 files). " +
        "grimoire-run runs tests/e2e and tests/http unless given folders: name them to run those too (grimoire-run --parallel tests)",
    );
  });
});
