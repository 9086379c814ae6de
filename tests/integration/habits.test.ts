/**
 * Issue 8: configuration files, git hooks, GitHub Actions, colour and narrow terminals.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, type Project, readReport, runCli, temporaryProjects, testEnv } from "../helpers/project.js";

const project = temporaryProjects();

const PASS = "def test_ok():\n    pass\n";
const FAIL = "def test_bad():\n    assert 1 == 2\n";

describe("configuration", () => {
  it("reads [tool.grimoire-run], lets GRIMOIRE_* override it, and the command line override both", async () => {
    const p = project({
      "pyproject.toml": '[tool.grimoire-run]\nparallel = true\nworkers = 3\nscope = "http"\n',
      "tests/http/test_a.py": PASS,
      "tests/http/test_b.py": PASS,
      "tests/http/test_c.py": PASS,
      "tests/e2e/test_not_in_scope.py": FAIL,
    });
    const fromFile = await runCli(["--report-json", "r.json"], { cwd: p.root });
    expect(fromFile.code, fromFile.stdout + fromFile.stderr).toBe(0);
    expect(readReport(p, "r.json").workers).toBe(3);

    const fromEnv = await runCli(["--report-json", "r.json"], { cwd: p.root, env: testEnv({ GRIMOIRE_WORKERS: "2" }) });
    expect(readReport(p, "r.json").workers).toBe(2);
    expect(fromEnv.code).toBe(0);

    await runCli(["--report-json", "r.json", "-n", "1"], { cwd: p.root, env: testEnv({ GRIMOIRE_WORKERS: "2" }) });
    expect(readReport(p, "r.json").workers).toBe(1);
  });

  it("takes GRIMOIRE_* from .env without letting .env override the environment", async () => {
    const p = project({ ".env": "GRIMOIRE_PARALLEL=1\nGRIMOIRE_WORKERS=2\n", "tests/http/test_a.py": PASS, "tests/http/test_b.py": PASS, "tests/http/test_c.py": PASS });
    const printed = await runCli(["--print-config"], { cwd: p.root, env: testEnv({ GRIMOIRE_WORKERS: "3" }) });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^\s+parallel\s+true\s+\.env GRIMOIRE_PARALLEL$/m);
    expect(printed.stdout).toMatch(/^\s+workers\s+3\s+environment GRIMOIRE_WORKERS$/m);
    expect(printed.stdout).toMatch(/^\s+timeout\s+\(not set\)\s+default$/m);
    expect(fs.existsSync(path.join(p.root, ".grimoire"))).toBe(false);
  });

  it.each([
    ['[tool.grimoire-run]\nfail_fast = true\n', /pyproject\.toml \[tool\.grimoire-run\] fail_fast: no such option; did you mean fail-fast\?/],
    ['[tool.grimoire-run]\nparallel = "yes"\n', /pyproject\.toml \[tool\.grimoire-run\] parallel: expected true or false, got "yes"/],
    ['[tool.grimoire-run]\nworkers = 0\n', /pyproject\.toml \[tool\.grimoire-run\] workers must be a whole number of at least 1/],
    ["[tool.grimoire-run\n", /pyproject\.toml: not valid TOML/],
  ])("refuses a bad pyproject.toml with the file and key (exit 2): %s", async (toml, message) => {
    const p = project({ "pyproject.toml": toml, "tests/http/test_a.py": PASS });
    const result = await runCli([], { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe("install-hook", () => {
  function gitRepo(files: Record<string, string>): Project {
    const p = project(files);
    expect(spawnSync("git", ["init", "-q"], { cwd: p.root }).status).toBe(0);
    return p;
  }
  const hookFile = (p: Project) => path.join(p.root, ".git", "hooks", "pre-push");
  const runHook = (p: Project) => spawnSync(hookFile(p), [], { cwd: p.root, env: testEnv(), encoding: "utf8" });
  const command = `node ${CLI} --parallel --fail-fast -q`;

  it("writes an executable pre-push hook that runs the suite, once however often it is installed", async () => {
    const p = gitRepo({ "tests/http/test_a.py": PASS });
    const first = await runCli(["install-hook", "--command", command], { cwd: p.root });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/installed .*\.git\/hooks\/pre-push/);
    expect(fs.statSync(hookFile(p)).mode & 0o111).not.toBe(0);
    expect((await runCli(["install-hook", "--command", command], { cwd: p.root })).stdout).toMatch(/already runs/);
    expect(fs.readFileSync(hookFile(p), "utf8").match(/>>> grimoire-run >>>/g)).toHaveLength(1);

    expect(runHook(p).status).toBe(0);
    p.write("tests/http/test_b.py", FAIL);
    const failing = runHook(p);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/FAIL\s+tests\/http\/test_b\.py/);
  });

  it("warns where the hook's npx grimoire-run would find no grimoire-run installed, and not where it would", async () => {
    const p = gitRepo({ "tests/http/test_a.py": PASS });
    // No global install on this PATH: only git and the shell's folders.
    const env = testEnv({ PATH: "/usr/bin:/bin" });
    const bare = await runCli(["install-hook"], { cwd: p.root, env });
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stderr).toMatch(/warning: the hook runs `npx grimoire-run`, and grimoire-run is not installed in this project \(no node_modules\/\.bin\/grimoire-run\) nor on PATH/);
    p.write("node_modules/.bin/grimoire-run", "#!/bin/sh\n");
    const installed = await runCli(["install-hook"], { cwd: p.root, env });
    expect(installed.stderr).not.toMatch(/warning/);
    // A command of the user's own is theirs to know.
    fs.rmSync(path.join(p.root, "node_modules"), { recursive: true });
    expect((await runCli(["install-hook", "--command", command], { cwd: p.root, env })).stderr).not.toMatch(/warning/);
  });

  it("chains to an existing shell hook: the suite first, then the hook's own lines", async () => {
    const p = gitRepo({ "tests/http/test_a.py": PASS });
    fs.writeFileSync(hookFile(p), "#!/bin/sh\necho 'my own check ran'\n", { mode: 0o755 });
    const result = await runCli(["install-hook", "--command", command], { cwd: p.root });
    expect(result.stdout).toMatch(/added .* to your existing .*pre-push: it runs first, then the rest of your hook/);
    const ran = runHook(p);
    expect(ran.status).toBe(0);
    expect(ran.stdout).toMatch(/1 file: 1 passed[\s\S]*my own check ran/);
  });

  it.each([
    ["#!/usr/bin/env python3\nprint('hook')\n", /is not a shell script, so grimoire-run leaves it alone: add this line to it yourself/],
    ["#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n", /managed by pre-commit/],
  ])("never clobbers a hook it cannot chain to: %s", async (existing, message) => {
    const p = gitRepo({ "tests/http/test_a.py": PASS });
    fs.writeFileSync(hookFile(p), existing, { mode: 0o755 });
    const result = await runCli(["install-hook"], { cwd: p.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fs.readFileSync(hookFile(p), "utf8")).toBe(existing);
  });

  it("refuses when another tool owns the hooks folder, or outside a git repository", async () => {
    const p = gitRepo({ "tests/http/test_a.py": PASS });
    spawnSync("git", ["config", "core.hooksPath", ".husky/_"], { cwd: p.root });
    const husky = await runCli(["install-hook"], { cwd: p.root });
    expect(husky.code).toBe(2);
    expect(husky.stderr).toMatch(/core\.hooksPath is set to \.husky\/_/);
    const plain = project({});
    const outside = await runCli(["install-hook"], { cwd: plain.root });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/not inside a git repository/);
  });
});

describe("GitHub Actions", () => {
  it("annotates each failure at pytest's line and writes a job summary", async () => {
    const p = project({ "tests/http/test_bad.py": "\n\ndef test_bad():\n    assert 'a' == 'b'\n", "tests/http/test_ok.py": PASS });
    const summary = path.join(p.root, "summary.md");
    const result = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary }) });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^::error file=tests\/http\/test_bad\.py,line=4,title=FAIL tests\/http\/test_bad\.py::tests failed%0A.*AssertionError/m);
    const table = fs.readFileSync(summary, "utf8");
    expect(table).toMatch(/### grimoire-run: ❌ failed \(exit code 1\)/);
    expect(table).toMatch(/\| FAIL \| `tests\/http\/test_bad\.py` \|/);
    expect(table).toMatch(/\| PASS \| `tests\/http\/test_ok\.py` \|/);
  });
});

describe("--report-html", () => {
  it("writes a self-contained page whose links open each file's log, and keeps one in the run's log folder", async () => {
    const p = project({ "tests/http/test_a.py": PASS, "tests/http/test_b b.py": FAIL });
    const result = await runCli(["--parallel", "--report-html", "out/report page.html", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(1);
    const html = p.read("out/report page.html");
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => decodeURIComponent((m[1] as string).replaceAll("&amp;", "&")));
    const logs = readReport(p, "r.json").files.map((f) => f.log);
    expect(hrefs.length).toBeGreaterThanOrEqual(logs.length);
    for (const href of hrefs) expect(fs.existsSync(path.join(p.root, "out", href)), href).toBe(true);
    expect(html).not.toMatch(/<script|src="http/);
    const runDir = path.join(p.root, ".grimoire", "logs", fs.readdirSync(path.join(p.root, ".grimoire", "logs"))[0] as string);
    expect(fs.existsSync(path.join(runDir, "report.html"))).toBe(true);
  });
});

describe("colour and width", () => {
  const twoFiles = { "tests/http/test_a.py": PASS, "tests/http/test_b.py": PASS };

  it("follows FORCE_COLOR and NO_COLOR, and gives each file the same tag colour every run", async () => {
    const p = project(twoFiles);
    const forced = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ FORCE_COLOR: "1" }) });
    const again = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ FORCE_COLOR: "1" }) });
    const tagColour = (out: string, tag: string) => new RegExp(`(\\x1b\\[\\d+m)${tag}\\s*\\|`).exec(out)?.[1];
    expect(tagColour(forced.stdout, "a")).toBeDefined();
    expect(tagColour(again.stdout, "a")).toBe(tagColour(forced.stdout, "a"));
    expect(tagColour(again.stdout, "b")).toBe(tagColour(forced.stdout, "b"));
    const off = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ FORCE_COLOR: "0" }) });
    expect(off.stdout).not.toContain("\x1b[");
    const none = await runCli(["--parallel"], { cwd: p.root, env: testEnv({ NO_COLOR: "1" }) });
    expect(none.stdout).not.toContain("\x1b[");
  });

  it("fits an 80-column terminal", async () => {
    const p = project({
      "tests/http/test_a_file_with_a_rather_long_name_for_its_own_good.py": FAIL,
      "tests/e2e/deeply/nested/folder/test_b.py": "import time\n\ndef test_ok():\n    time.sleep(0.2)\n",
    });
    const output = await new Promise<string>((resolve) => {
      const child = spawn("script", ["-qec", `stty cols 80 rows 40; node ${CLI} --parallel`, "/dev/null"], { cwd: p.root, env: testEnv({ NO_COLOR: "1" }) });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.on("close", () => resolve(text));
    });
    // eslint-disable-next-line no-control-regex
    const lines = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/\r?\n|\r/);
    // The lines grimoire-run lays out: result lines and the summary's head. (pytest's own lines, behind
    // their tags, are as wide as pytest makes them; a failure's full path and log path may wrap.)
    const laidOut = lines.filter((line) => /^(PASS|FAIL|TIMEOUT|CANCEL|NO TESTS|FLAKY)\s/.test(line) || /^(\d+ files?|Tests|Time):/.test(line) || line.startsWith("───"));
    expect(laidOut.length).toBeGreaterThanOrEqual(6);
    const long = laidOut.filter((line) => [...line].length > 80);
    expect(long, long.join("\n")).toEqual([]);
    expect(output).toMatch(/FAIL\s+tests\/http\/test\S*…\S*_good\.py/);
  });
});
