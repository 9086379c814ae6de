/**
 * Issue 8: the package npm would publish works when installed into another
 * folder, as a user would install it.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject, testEnv } from "../helpers/project.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
let folder: string;
let installed: string;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = testEnv()) {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 180_000 });
  return { code: result.status, stdout: result.stdout, out: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-pack-"));
  const pack = run("npm", ["pack", "--silent", "--pack-destination", folder], repo, process.env);
  expect(pack.code, pack.out).toBe(0);
  const tarball = fs.readdirSync(folder).find((f) => f.endsWith(".tgz")) as string;
  installed = path.join(folder, "consumer");
  fs.mkdirSync(installed);
  fs.writeFileSync(path.join(installed, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  const install = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", path.join(folder, tarball)], installed, process.env);
  expect(install.code, install.out).toBe(0);
}, 240_000);

afterAll(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("ships what it needs, and no tests or sources", () => {
    const root = path.join(installed, "node_modules", "grimoire-run");
    expect(fs.existsSync(path.join(root, "dist", "cli.js"))).toBe(true);
    expect(fs.existsSync(path.join(root, "dist", "site-packages", "grimoire_run_pytest.py"))).toBe(true);
    expect(fs.existsSync(path.join(root, "dist", "site-packages", "grimoire_run_forkserver.py"))).toBe(true);
    expect(fs.existsSync(path.join(root, "docs", "options.md"))).toBe(true);
    expect(fs.existsSync(path.join(root, "src"))).toBe(false);
    expect(fs.existsSync(path.join(root, "tests"))).toBe(false);
    // What the docs point a user to (a conftest to copy, .env's shape): the example's sources, none of its runs' leavings.
    expect(fs.existsSync(path.join(root, "examples", "bookshop", "tests", "e2e", "conftest.py"))).toBe(true);
    expect(fs.existsSync(path.join(root, ".env.example"))).toBe(true);
    expect(fs.existsSync(path.join(root, "examples", "bookshop", ".grimoire"))).toBe(false);
    const shipped = fs.readdirSync(path.join(root, "examples"), { recursive: true }).map(String);
    expect(shipped.filter((file) => /__pycache__|\.pytest_cache|\.venv/.test(file))).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { bin: Record<string, string>; engines: Record<string, string>; version: string };
    expect(manifest.bin).toEqual({ "grimoire-run": "dist/cli.js" });
    expect(manifest.engines["node"]).toMatch(/>=20/);
  });

  it("answers npx grimoire-run --help and --version where it is installed", () => {
    const help = run("npx", ["grimoire-run", "--help"], installed);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toMatch(/grimoire-run \[PATHS\.\.\.\] \[OPTIONS\] \[-- PYTEST_ARGS\.\.\.\]/);
    expect(help.out).toMatch(/--fail-fast/);
    // Laid out by text width (the bundle measures printable ASCII itself, anything else with string-width): every
    // line within the 100 columns, each option's type flush with the right edge.
    const lines = help.stdout.split("\n");
    expect(Math.max(...lines.map((line) => line.length))).toBe(100);
    const typed = lines.filter((line) => /\[(string|boolean|number)\]$/.test(line));
    expect(typed.length).toBeGreaterThan(20);
    expect(typed.every((line) => line.length === 100)).toBe(true);
    const version = run("npx", ["grimoire-run", "--version"], installed);
    expect(version.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { version: string }).version);
  });

  it("runs a project's tests from the installed copy, its pytest plugin and fork server included", () => {
    const project = makeProject({ "tests/http/test_a.py": "def test_a():\n    pass\n", "tests/http/test_b.py": "def test_b():\n    assert 0\n" });
    try {
      const cli = path.join(installed, "node_modules", ".bin", "grimoire-run");
      const result = run(cli, ["--parallel", "--verbose"], project.root);
      expect(result.code, result.out).toBe(1);
      expect(result.out).toMatch(/\(forked\) python3 -m pytest .*-p grimoire_run_pytest/);
      expect(result.out).toMatch(/PASS\s+tests\/http\/test_a\.py/);
      expect(result.out).toMatch(/FAIL\s+tests\/http\/test_b\.py/);
    } finally {
      project.remove();
    }
  });
});
