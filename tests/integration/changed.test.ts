/**
 * Issue 16: `--changed [REF]` on real git repositories and real pytest runs.
 * The promise: before a push, the test files a change can affect run (and
 * say why), the others do not, and nothing to run is a quick exit 0.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Project, processesIn, readReport, runCli, temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

const PASS = "def test_ok():\n    pass\n";
const APP = {
  ".gitignore": "__pycache__/\n.pytest_cache/\n",
  "app/__init__.py": "",
  "app/util.py": "def total(xs):\n    return sum(xs)\n",
  "app/cart.py": "from app.util import total\n\n\ndef cart_total(items):\n    return total(items)\n",
  "app/search.py": "def find(word):\n    return [word]\n",
  "tests/http/conftest.py": "import pytest\n",
  "tests/http/test_cart.py": "from app.cart import cart_total\n\n\ndef test_total():\n    assert cart_total([1, 2]) == 3\n",
  "tests/http/test_health.py": PASS,
  "tests/e2e/test_search.py": "from app import search\n\n\ndef test_find():\n    assert search.find('x') == ['x']\n",
  "tests/e2e/test_home.py": PASS,
};

function git(p: Project, ...args: string[]): string {
  return execFileSync("git", args, { cwd: p.root, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z" } });
}

/** A project in a git repository, everything committed. */
function repo(files: Record<string, string> = APP): Project {
  const p = project(files);
  git(p, "init", "-q", "-b", "main");
  git(p, "config", "user.email", "dev@example.com");
  git(p, "config", "user.name", "Dev");
  git(p, "add", "-A");
  git(p, "commit", "-q", "-m", "first");
  return p;
}

/** A repository whose main branch is pushed to a bare remote, `origin`, made for the test and removed after it. */
async function withPushedRepo(test: (p: Project) => Promise<void>): Promise<void> {
  const remote = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-remote-"));
  try {
    const p = repo();
    execFileSync("git", ["init", "-q", "--bare", remote]);
    git(p, "remote", "add", "origin", remote);
    git(p, "push", "-q", "-u", "origin", "main");
    await test(p);
  } finally {
    fs.rmSync(remote, { recursive: true, force: true });
  }
}

/** What a --changed run ran, by its JSON report, and what it printed. */
async function changedRun(p: Project, args: string[] = []) {
  const result = await runCli(["--changed", ...args, "--parallel", "--report-json", "r.json"], { cwd: p.root });
  const ran = fs.existsSync(path.join(p.root, "r.json")) ? readReport(p, "r.json").files.map((f) => f.path).sort() : [];
  fs.rmSync(path.join(p.root, "r.json"), { force: true });
  return { ...result, ran };
}

describe("what a change runs", () => {
  it("a changed test file runs, and nothing else", async () => {
    const p = repo();
    p.write("tests/e2e/test_home.py", "def test_ok():\n    assert 1\n");
    const run = await changedRun(p);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.ran).toEqual(["tests/e2e/test_home.py"]);
    expect(run.stdout).toContain("  tests/e2e/test_home.py (changed)");
  });

  it("a changed module runs the test files that import it through other modules, and prints the chain", async () => {
    const p = repo();
    p.write("app/util.py", "def total(xs):\n    return sum(xs) + 1\n");
    const run = await changedRun(p);
    expect(run.code).toBe(1);
    expect(run.ran).toEqual(["tests/http/test_cart.py"]);
    expect(run.stdout).toContain("--changed: 1 file changed since HEAD: app/util.py");
    expect(run.stdout).toContain("--changed: running 1 of 4 selected test files:\n  tests/http/test_cart.py ← app/cart.py ← app/util.py\n");
  });

  it("runs the test files that import an extension module whose Cython or C source changed (yarl's .pyx, markupsafe's .c: two false greens)", async () => {
    const extension = "try:\n    from app import _speedups, _quoting\nexcept ImportError:\n    pass\n\n\ndef test_it():\n    pass\n";
    const p = repo({ ...APP, "app/_speedups.c": "int x = 4;\n", "app/_quoting.pyx": "x = 1\n", "app/_quoting.pxd": "cdef int y\n", "tests/http/test_ext.py": extension });
    for (const [file, text] of [["app/_speedups.c", "int x = 5;\n"], ["app/_quoting.pxd", "cdef int z\n"]] as const) {
      p.write(file, text);
      const run = await changedRun(p);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.ran).toEqual(["tests/http/test_ext.py"]);
      git(p, "checkout", "--", file);
    }
  });

  it("runs every test file where the code the managed server runs changed: the tests reach it over HTTP (a helper's Flask project passed, running nothing)", async () => {
    const served = "import os, urllib.request\n\n\ndef test_home():\n    assert urllib.request.urlopen(os.environ['E2E_BASE_URL']).read() == b'ok'\n";
    const p = repo({
      "notesapp/__init__.py": "",
      "notesapp/__main__.py": "import http.server, sys\nfrom notesapp.app import Handler\n\nport = int(sys.argv[sys.argv.index('--port') + 1])\nhttp.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()\n",
      "notesapp/app.py": "import http.server\n\n\nclass Handler(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200)\n        self.end_headers()\n        self.wfile.write(b'ok')\n",
      "tests/http/test_home.py": served,
      "tests/http/test_again.py": served,
    });
    p.write("notesapp/app.py", `${p.read("notesapp/app.py")}\n# edited\n`);
    const run = await changedRun(p, ["--server", "python3 -m notesapp --port {port}"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.ran).toEqual(["tests/http/test_again.py", "tests/http/test_home.py"]);
    expect(run.stdout).toContain("--changed: running all 2 selected test files, because of notesapp/app.py (code the --server runs, which every test file talks to)");
    expect(processesIn(p.root)).toEqual([]);
  });

  it("follows `from package import *` to the submodules the package's __all__ names, and pytest.importorskip of a literal module (two false greens of a helper's trial)", async () => {
    const p = repo({
      ...APP,
      "app/starpkg/__init__.py": '__all__ = ["star"]\n',
      "app/starpkg/star.py": "def s():\n    return 'star'\n",
      "tests/http/test_star.py": "from app.starpkg import *\n\n\ndef test_star():\n    assert star.s() == 'star'\n",
      "tests/http/test_optional.py": "import pytest\n\nutil = pytest.importorskip('app.search')\n\n\ndef test_find():\n    assert util.find('x') == ['x']\n",
    });
    p.write("app/starpkg/star.py", "def s():\n    return 'moon'\n");
    p.write("app/search.py", "def find(word):\n    return []\n");
    const run = await changedRun(p);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.ran).toEqual(["tests/e2e/test_search.py", "tests/http/test_optional.py", "tests/http/test_star.py"]);
  });

  it("runs a doctest text file whose examples import the changed module (--doctest-glob; diskcache's README.rst, a helper's trial)", async () => {
    const p = repo({
      ...APP,
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--doctest-glob=*.rst"\n',
      "tests/http/guide.rst": "The cart adds up:\n\n    >>> from app.cart import (\n    ...     cart_total,\n    ... )\n    >>> cart_total([1, 2])\n    3\n",
      "tests/http/other.rst": "Nothing of the app:\n\n    >>> 1 + 1\n    2\n",
    });
    p.write("app/util.py", "def total(xs):\n    return sum(xs) + 1\n");
    const run = await changedRun(p);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.ran).toEqual(["tests/http/guide.rst", "tests/http/test_cart.py"]);
    expect(run.stdout).toContain("  tests/http/guide.rst ← app/cart.py ← app/util.py\n");
  });

  it("runs every test file with a changed module the project loads as a pytest plugin (-p, an editable install's entry point), imported or not", async () => {
    // pytest-cases' tests use its fixtures without importing its plugin module (a helper's false green).
    const p = repo({
      ...APP,
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p app.plugin"\n',
      "app/plugin.py": "import pytest\n\n\n@pytest.fixture\ndef answer():\n    return 42\n",
      "tests/http/test_answer.py": "def test_answer(answer):\n    assert answer == 42\n",
    });
    p.write("app/plugin.py", "import pytest\n\n\n@pytest.fixture\ndef answer():\n    return 41\n");
    const run = await changedRun(p);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.ran).toEqual(["tests/e2e/test_home.py", "tests/e2e/test_search.py", "tests/http/test_answer.py", "tests/http/test_cart.py", "tests/http/test_health.py"]);
    expect(run.stdout).toContain("  5 files ← app/plugin.py (loaded as a pytest plugin): tests/e2e/test_home.py, tests/e2e/test_search.py, tests/http/test_answer.py and 2 more\n");
  });

  it("a changed conftest.py runs every test file below it", async () => {
    const p = repo();
    p.write("tests/http/conftest.py", "import pytest\n\n\n@pytest.fixture\ndef user():\n    return 'u'\n");
    const run = await changedRun(p);
    expect(run.ran).toEqual(["tests/http/test_cart.py", "tests/http/test_health.py"]);
    expect(run.stdout).toContain("  tests/http/test_health.py ← tests/http/conftest.py");
  });

  it("a changed pytest configuration runs everything", async () => {
    const p = repo({ ...APP, "pytest.ini": "[pytest]\n" });
    p.write("pytest.ini", "[pytest]\nmarkers =\n    slow: slow tests\n");
    const run = await changedRun(p);
    expect(run.ran).toHaveLength(4);
    expect(run.stdout).toContain("--changed: running all 4 selected test files, because of pytest.ini (pytest's configuration)");
  });

  it("a change matching changed-always in pyproject.toml runs everything; other data files run nothing and are named", async () => {
    const p = repo({ ...APP, "pyproject.toml": '[tool.grimoire-run]\nchanged-always = ["tests/fixtures/**"]\n', "tests/fixtures/users.json": "[]\n", "docs/notes.md": "notes\n" });
    p.write("docs/notes.md", "more notes\n");
    const unrelated = await changedRun(p);
    expect(unrelated.code).toBe(0);
    expect(unrelated.ran).toEqual([]);
    expect(unrelated.stdout).toContain("--changed: no selected test file imports docs/notes.md (a file the tests read rather than import belongs in --changed-always, or changed-always in [tool.grimoire-run]; one they write, in .gitignore)");
    p.write("tests/fixtures/users.json", '[{"name": "ann"}]\n');
    const always = await changedRun(p);
    expect(always.ran).toHaveLength(4);
    expect(always.stdout).toContain('because of tests/fixtures/users.json (changed-always "tests/fixtures/**")');
  });

  it("an untracked test file, and an untracked module a test imports, count as changes", async () => {
    const p = repo();
    p.write("tests/http/test_new.py", PASS);
    p.write("app/search_index.py", "WORDS = []\n");
    p.write("app/search.py", "from app.search_index import WORDS\n\n\ndef find(word):\n    return [word]\n");
    const run = await changedRun(p);
    expect(run.code).toBe(0);
    expect(run.ran).toEqual(["tests/e2e/test_search.py", "tests/http/test_new.py"]);
    expect(run.stdout).toContain("  tests/e2e/test_search.py ← app/search.py");
  });

  it("a deleted module runs the test files that imported it (and they fail, as they would in CI)", async () => {
    const p = repo();
    git(p, "rm", "-q", "app/util.py");
    const run = await changedRun(p);
    expect(run.code).toBe(1);
    expect(run.ran).toEqual(["tests/http/test_cart.py"]);
    expect(run.stdout).toContain("app/util.py (deleted)");
  });

  it("compares with a given REF: what was committed since counts too", async () => {
    const p = repo();
    p.write("app/search.py", "def find(word):\n    return [word, word]\n");
    git(p, "commit", "-q", "-am", "search twice");
    expect((await changedRun(p)).stdout).toContain("--changed: nothing changed since HEAD");
    const run = await changedRun(p, ["HEAD~1"]);
    expect(run.code).toBe(1);
    expect(run.ran).toEqual(["tests/e2e/test_search.py"]);
    expect(run.stdout).toMatch(/--changed: 1 file changed since HEAD~1 \([0-9a-f]{10}\): app\/search\.py/);
  });

  it("by default compares with where the branch left its upstream: pushed commits do not count, unpushed ones do", async () => {
    await withPushedRepo(async (p) => {
      p.write("tests/e2e/test_home.py", "def test_ok():\n    assert 2\n");
      git(p, "commit", "-q", "-am", "not pushed yet");
      const run = await changedRun(p);
      expect(run.ran).toEqual(["tests/e2e/test_home.py"]);
      expect(run.stdout).toMatch(/--changed: 1 file changed since origin\/main \(where this branch left it, [0-9a-f]{10}\): tests\/e2e\/test_home\.py/);
    });
  });

  it("on a branch with no upstream yet, compares with where it left origin's default branch: a first push's commits count (a helper's false green)", async () => {
    await withPushedRepo(async (p) => {
      git(p, "checkout", "-q", "-b", "feature");
      p.write("app/search.py", "def find(word):\n    return []\n");
      git(p, "commit", "-q", "-am", "breaks test_search, not pushed");
      // Without origin/HEAD only what is not committed counts, and the run says so even when that is nothing.
      const unknown = await changedRun(p);
      expect(unknown.code).toBe(0);
      expect(unknown.stdout).toMatch(/--changed: nothing changed since HEAD: no test to run\n--changed: this branch has no upstream, so only what is not committed counts/);
      git(p, "remote", "set-head", "origin", "main");
      const run = await changedRun(p);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.ran).toEqual(["tests/e2e/test_search.py"]);
      expect(run.stdout).toMatch(/--changed: 1 file changed since origin\/main \(where this branch, which has no upstream yet, left it, [0-9a-f]{10}\): app\/search\.py/);
      // The same commit checked out on no branch (a CI checkout): said so, not "this branch".
      git(p, "checkout", "-q", "--detach");
      const detached = await changedRun(p);
      expect(detached.ran).toEqual(["tests/e2e/test_search.py"]);
      expect(detached.stdout).toMatch(/--changed: 1 file changed since origin\/main \(where the detached HEAD, on no branch, left it, [0-9a-f]{10}\): app\/search\.py/);
    });
  });

  it("narrows a serial run to the affected files: one pytest process runs just those", async () => {
    const p = repo();
    p.write("app/search.py", "def find(word):\n    return [word]\n\n");
    const run = await runCli(["--changed", "--report-json", "r.json"], { cwd: p.root });
    expect(run.code, run.stdout).toBe(0);
    expect(readReport(p, "r.json").files.map((f) => f.path)).toEqual(["tests/e2e/test_search.py"]);
    expect(run.stdout).toContain("1 passed");
  });

  it("-- --co lists only the affected files' tests", async () => {
    const p = repo();
    p.write("app/search.py", "def find(word):\n    return [word]\n\n");
    const run = await runCli(["--changed", "--", "--co"], { cwd: p.root });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("  tests/e2e/test_search.py ← app/search.py");
    expect(run.stdout).toMatch(/^1 test in 1 file$/m);
  });

  it("keeps the rest of the selection: paths and --scope narrow first", async () => {
    const p = repo();
    p.write("tests/http/conftest.py", "import pytest\n\n");
    p.write("tests/e2e/test_home.py", "def test_ok():\n    assert 3\n");
    expect((await changedRun(p, ["tests/e2e"])).ran).toEqual(["tests/e2e/test_home.py"]);
    expect((await changedRun(p, ["--scope", "http"])).ran).toEqual(["tests/http/test_cart.py", "tests/http/test_health.py"]);
  });

  it("caches what each module imports under .grimoire/, keyed by content", async () => {
    const p = repo();
    p.write("app/util.py", "def total(xs):\n    return sum(xs)\n\n");
    expect((await changedRun(p)).ran).toEqual(["tests/http/test_cart.py"]);
    const cache = JSON.parse(p.read(".grimoire/imports.json")) as { files: Record<string, [string, number, number, string]>; graph: { imports: Record<string, string> } };
    expect(cache.files["app/cart.py"]?.[3]).toBe("0:app.util:total");
    expect(cache.graph.imports["app/cart.py"]).toBe("app/__init__.py\napp/util.py");
    // A module whose imports change is read again: the test that now imports util through search runs too.
    p.write("app/search.py", "from app.util import total\n\n\ndef find(word):\n    return [word]\n");
    expect((await changedRun(p)).ran).toEqual(["tests/e2e/test_search.py", "tests/http/test_cart.py"]);
    // A new file can change where an unchanged import leads (a package app/util/ now wins over app/util.py): imports are resolved again.
    git(p, "checkout", "-q", "--", ".");
    p.write("app/util/__init__.py", "def total(xs):\n    return 0\n");
    const shadowed = await changedRun(p);
    expect(shadowed.ran).toEqual(["tests/http/test_cart.py"]);
    expect(shadowed.stdout).toContain("  tests/http/test_cart.py ← app/cart.py ← app/util/__init__.py");
  });

  it("leaves virtualenvs' modules out of the project's, whatever the folder's name", async () => {
    const p = repo({ ...APP, ".gitignore": "__pycache__/\n.pytest_cache/\nenv/\n", "env/pyvenv.cfg": "home = /usr/bin\n", "env/lib/app/util.py": "" });
    p.write("app/util.py", "def total(xs):\n    return sum(xs)\n\n");
    expect((await changedRun(p)).ran).toEqual(["tests/http/test_cart.py"]);
    const cache = JSON.parse(p.read(".grimoire/imports.json")) as { files: Record<string, unknown> };
    expect(Object.keys(cache.files).filter((file) => file.startsWith("env/"))).toEqual([]);
  });
});

describe("nothing to run, and what git refuses", () => {
  it("nothing changed: says so and exits 0 without starting pytest", async () => {
    const p = repo();
    const run = await runCli(["--changed", "--parallel"], { cwd: p.root });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("--changed: nothing changed since HEAD: no test to run\n--changed: this branch has no upstream, so only what is not committed counts (give a REF to compare with, e.g. --changed origin/main, or let origin's default branch be the base: git remote set-head origin --auto)\n");
    expect(fs.existsSync(path.join(p.root, ".grimoire"))).toBe(false);
  });

  it("changes no selected test depends on: says so and exits 0", async () => {
    const p = repo({ ...APP, "README.md": "hello\n" });
    p.write("README.md", "hello again\n");
    const run = await changedRun(p);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--changed: none of the 4 selected test files depends on what changed");
    // The lines that say why come before the one that counts what is left, which then reads as their outcome.
    expect(run.stdout).toMatch(/--changed: none of the 4 selected test files depends on what changed\n(--changed: [^\n]*\n)*Found no test file to run\n/);
    expect(run.stdout).toMatch(/^Time: \S+ wall$/m);
    expect(run.stdout).toContain("PASSED (exit code 0)");
  });

  it("not a git repository: exit 2 with a clear message", async () => {
    const p = project(APP);
    const run = await runCli(["--changed"], { cwd: p.root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`grimoire-run: --changed needs a git repository, and ${p.root} is not inside one`);
  });

  it("an unknown REF: exit 2 with a clear message, before anything is written", async () => {
    const p = repo();
    const run = await runCli(["--changed", "no-such-branch", "--report-json", "r.json"], { cwd: p.root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('grimoire-run: --changed: git knows no commit named "no-such-branch"');
    expect(fs.existsSync(path.join(p.root, ".grimoire"))).toBe(false);
  });
});

describe("install-hook --changed", () => {
  it("writes a pre-push hook that runs only what the push can affect", async () => {
    const p = repo();
    const installed = await runCli(["install-hook", "--changed"], { cwd: p.root });
    expect(installed.code, installed.stderr).toBe(0);
    const hook = p.read(".git/hooks/pre-push");
    expect(hook).toContain("npx grimoire-run --parallel --fail-fast -q --changed || exit $?");
    expect(hook).toContain("CI still runs them all");
  });
});
