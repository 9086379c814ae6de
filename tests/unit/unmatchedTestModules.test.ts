/**
 * A run that collected no test file says which modules define tests under names pytest's python_files does not match
 * (pyotp's only test module is test.py). A walk of a project made in a temporary folder.
 */
import { describe, expect, it } from "vitest";
import { fewMatchedNotice, unmatchedTestModules, unmatchedTestModulesNotice } from "../../src/discovery/outsideScope.js";
import { temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();
const tree = (files: Record<string, string>): string => project(files).root;

describe("test modules pytest's python_files does not match", () => {
  it("finds the modules named like tests that define tests, and leaves out helpers, conftests and virtualenvs", () => {
    const root = tree({
      "test.py": "def test_a():\n    pass\n",
      "tests/tests.py": "class TestThing:\n    def test_b(self):\n        pass\n",
      "tests/testutils.py": "def helper():\n    pass\n",
      "tests/conftest.py": "def test_not_a_test_module():\n    pass\n",
      "venv/lib/test.py": "def test_c():\n    pass\n",
      "tests/test_matched.py": "def test_d():\n    pass\n",
      // A unittest case of any name (python-json-patch's tests.py).
      "unit_tests.py": "import unittest\n\nclass ApplyPatchTestCase(unittest.TestCase):\n    def test_x(self):\n        pass\n",
    });
    expect(unmatchedTestModules(root, ["."], [])).toEqual(["test.py", "tests/tests.py", "unit_tests.py"]);
    // A python_files that matches them: none left.
    expect(unmatchedTestModules(root, ["."], ["test*.py", "*_tests.py"])).toEqual([]);
  });

  it("says which, and how to run them", () => {
    expect(unmatchedTestModulesNotice(["test.py"], [])).toBe(
      "pytest collected no test module: its python_files (test_*.py *_test.py) matches none of test.py, which defines tests. Name it after the pattern, give it as a path (grimoire-run test.py), or set python_files in the pytest configuration",
    );
    expect(unmatchedTestModulesNotice(["a/tests.py", "b/tests.py"], ["check_*.py"])).toMatch(/^pytest collected no test module: its python_files \(check_\*\.py\) matches none of these 2, a\/tests\.py, b\/tests\.py, which define tests\. Name them after the pattern, give them as paths/);
    expect(unmatchedTestModulesNotice([], [])).toBeNull();
  });

  it("finds, where asked, a test folder's modules of any name that define tests (peewee's tests/models.py), and says so where they outnumber those run", () => {
    const root = tree({
      "tests/__init__.py": "from .models import *\n",
      "tests/__main__.py": "def test_runner():\n    pass\n",
      "tests/base.py": "import unittest\n\nclass BaseTestCase(unittest.TestCase):\n    pass\n",
      "tests/models.py": "from .base import BaseTestCase\n\nclass TestModels(BaseTestCase):\n    def test_a(self):\n        pass\n",
      "tests/sql.py": "class TestSQL:\n    def test_b(self):\n        pass\n",
      "tests/helpers.py": "def make():\n    pass\n",
      "tests/test_utils.py": "def test_c():\n    pass\n",
      "src/models.py": "class TestNotATest:\n    pass\n",
    });
    expect(unmatchedTestModules(root, ["."], [])).toEqual([]);
    expect(unmatchedTestModules(root, ["."], [], { inTestFolders: true })).toEqual(["tests/base.py", "tests/models.py", "tests/sql.py"]);
    expect(fewMatchedNotice(["tests/base.py", "tests/models.py", "tests/sql.py"], 1, [])).toBe(
      "pytest's python_files (test_*.py *_test.py) matched 1 module here, and none of 3 more modules that define tests (tests/base.py, tests/models.py, tests/sql.py): plain pytest runs none of them either. Name them after the pattern, give them as paths, or set python_files in the pytest configuration (python_files = *.py, with --ignore for the modules that are not tests)",
    );
    // No more than those run (a base class beside the suite): nothing said.
    expect(fewMatchedNotice(["tests/base.py"], 1, [])).toBeNull();
    expect(fewMatchedNotice([], 0, [])).toBeNull();
  });
});
