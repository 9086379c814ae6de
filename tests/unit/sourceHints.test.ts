/**
 * `--no-split` globs: read as fast-glob reads them from the project root, but
 * matched against the chosen files instead of walking the project.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fg from "fast-glob";
import { afterEach, describe, expect, it } from "vitest";
import { mayMeasureCoverage } from "../../src/discovery/coverageAsked.js";
import { unsplittable, xdistGroups } from "../../src/discovery/sourceHints.js";
import { groupNotice } from "../../src/plan/planRun.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

function projectWith(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-hints-"));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

const FILES = {
  "tests/e2e/test_wizard_a.py": "",
  "tests/e2e/test_wizard_ok.py": "",
  "tests/e2e/deep/test_slow.py": "",
  "tests/http/test_slow.py": "",
  "tests/http/test_cart.py": "",
  "tests/.hidden/test_dot.py": "",
  "tests/http/test_marked.py": "import pytest\npytestmark = pytest.mark.grimoire_serial\n",
};

describe("whether pytest-cov may measure (a serial run then asks pytest for the files first)", () => {
  it("reads --cov in the arguments, PYTEST_ADDOPTS and the pytest section of each configuration file, not tox's commands", () => {
    expect(mayMeasureCoverage(projectWith({}), ["--cov=app"], {})).toBe(true);
    expect(mayMeasureCoverage(projectWith({}), [], { PYTEST_ADDOPTS: "-q --cov" })).toBe(true);
    expect(mayMeasureCoverage(projectWith({ "pyproject.toml": '[tool.pytest.ini_options]\naddopts = [\n  "--cov=app",\n]\n\n[tool.coverage.run]\nbranch = true\n' }), [], {})).toBe(true);
    expect(mayMeasureCoverage(projectWith({ "setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\naddopts = --cov=x -q\n" }), [], {})).toBe(true);
    expect(mayMeasureCoverage(projectWith({ "tox.ini": "[pytest]\naddopts = --cov\n" }), [], {})).toBe(true);
    // scrapy's tox.ini: pytest --cov in a testenv's commands, which tox runs, not a plain pytest.
    const tox = "[tox]\nenvlist = py\n\n[testenv]\ncommands =\n    pytest {posargs:--cov-config=pyproject.toml --cov=scrapy tests}\n\n[pytest]\nxfail_strict = true\n";
    expect(mayMeasureCoverage(projectWith({ "tox.ini": tox }), [], {})).toBe(false);
    expect(mayMeasureCoverage(projectWith({ "pyproject.toml": '[tool.pytest.ini_options]\naddopts = ["--reactor=asyncio"]\n\n[tool.tox]\ncommands = [["pytest", "--cov"]]\n' }), [], {})).toBe(false);
    expect(mayMeasureCoverage(projectWith({ "setup.cfg": "[coverage:run]\n# run with --cov in CI\nbranch = true\n" }), [], {})).toBe(false);
  });
});

describe("files --split runs whole", () => {
  it.each([
    [["tests/e2e/test_wizard*.py"]],
    [["tests/e2e/test_wizard*.py", "!tests/e2e/test_wizard_ok.py"]],
    [["**/test_slow.py"]],
    [["./tests/http/test_cart.py"]],
    [["tests/**/test_{cart,dot}.py"]],
    [["test_slow.py"]],
    [["!tests/http/test_cart.py"]],
  ])("matches %j as fast-glob finds it on disk", (noSplit) => {
    const root = projectWith(FILES);
    const files = Object.keys(FILES);
    // fast-glob keeps a pattern's leading ./ in what it returns; the chosen files' paths have none.
    const onDisk = new Set(fg.sync(noSplit, { cwd: root, onlyFiles: true, dot: true }).map((found) => found.replace(/^\.\//, "")));
    const expected = files.filter((file) => onDisk.has(file) || file === "tests/http/test_marked.py");
    expect([...unsplittable(root, noSplit, files)].sort()).toEqual(expected.sort());
  });

  it("runs a module marked grimoire_serial whole with no globs at all", () => {
    const root = projectWith(FILES);
    expect([...unsplittable(root, [], Object.keys(FILES))]).toEqual(["tests/http/test_marked.py"]);
  });

  it("runs whole a module whose tests compare with snapshots a plugin keeps per file (syrupy, pytest-snapshot, inline-snapshot)", () => {
    const files = {
      "tests/http/test_syrupy.py": "def test_order(client, snapshot):\n    assert client.get('/o').json() == snapshot\n",
      "tests/http/test_multiline.py": "class TestUsers:\n    def test_list(\n        self,\n        snapshot,\n    ):\n        assert snapshot == []\n",
      "tests/http/test_inline.py": "from inline_snapshot import snapshot\n\ndef test_total():\n    assert 1 + 1 == snapshot(2)\n",
      "tests/http/test_vm.py": "def test_snapshot_of_a_vm(vm):\n    vm.take_snapshot()\n",
      "tests/http/test_helper.py": "def snapshot(x):\n    return x\n\ndef test_plain():\n    assert snapshot(1) == 1\n",
    };
    const root = projectWith(files);
    expect([...unsplittable(root, [], Object.keys(files))].sort()).toEqual(["tests/http/test_inline.py", "tests/http/test_multiline.py", "tests/http/test_syrupy.py"]);
  });
});

describe("pytest-xdist's xdist_group marks, read from the files' sources", () => {
  it("finds each file's group names, literal or named by a constant, and leaves unmarked files out", () => {
    const root = projectWith({
      "tests/test_a.py": 'import pytest\n\n@pytest.mark.xdist_group(name="db")\ndef test_a():\n    pass\n\n@pytest.mark.xdist_group("mail")\ndef test_b():\n    pass\n',
      "tests/test_b.py": "import pytest\npytestmark = pytest.mark.xdist_group(name='db')\n",
      "tests/test_c.py": "import pytest\nfrom groups import SHARED\n\n@pytest.mark.xdist_group(name=SHARED)\ndef test_c():\n    pass\n",
      "tests/test_d.py": "def test_d():\n    pass\n",
    });
    const groups = xdistGroups(root, ["tests/test_a.py", "tests/test_b.py", "tests/test_c.py", "tests/test_d.py", "tests/missing.py"]);
    expect([...groups]).toEqual([
      ["tests/test_a.py", ["db", "mail"]],
      ["tests/test_b.py", ["db"]],
      ["tests/test_c.py", ["SHARED"]],
    ]);
    expect(groupNotice({ mode: "parallel" }, groups)).toBe("pytest-xdist's xdist_group marks: the files of group db (tests/test_a.py, tests/test_b.py) never run at the same time, as --dist loadgroup keeps a group's tests in one worker");
    expect(groupNotice({ mode: "serial" }, groups)).toBeNull();
    expect(groupNotice({ mode: "parallel" }, new Map([["tests/test_a.py", ["db"]]]))).toBeNull();
  });
});
