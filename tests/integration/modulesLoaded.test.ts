/**
 * What a run loads of grimoire-run's bundle: the packages kept for the runs that need them (the PostgreSQL client for
 * managed mode, the XML library for JUnit reports, the spinner for a terminal) are left out of a plain run's start,
 * which every run pays before its first test (docs/performance.md, "Time to the first test").
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli, temporaryProjects, testEnv, type Project } from "../helpers/project.js";

const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));
const project = temporaryProjects();

/** Runs grimoire-run with a module loader hook that notes every module Node.js loads; returns the bundle's files among them, relative to dist/. */
async function bundleFilesLoaded(p: Project, args: string[]): Promise<{ files: string[]; out: string; code: number | null }> {
  const log = path.join(p.root, "loaded.log");
  p.write("hook/register.mjs", 'import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n');
  p.write("hook/hooks.mjs", `import fs from "node:fs";\nexport async function load(url, context, next) {\n  fs.appendFileSync(${JSON.stringify(log)}, url + "\\n");\n  return next(url, context);\n}\n`);
  const result = await runCli(args, { cwd: p.root, env: testEnv({ NODE_OPTIONS: `--import ${path.join(p.root, "hook", "register.mjs")}` }) });
  const urls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  const files = urls.filter((url) => url.startsWith("file:")).map((url) => fileURLToPath(url)).filter((file) => file.startsWith(DIST)).map((file) => path.relative(DIST, file));
  return { files, out: result.stdout + result.stderr, code: result.code };
}

/** The packages bundled into `file` (esbuild marks each bundled module with a `// node_modules/NAME/…` comment). */
function packagesIn(file: string): string[] {
  const names = new Set<string>();
  for (const match of fs.readFileSync(path.join(DIST, file), "utf8").matchAll(/^\/\/ node_modules\/((?:@[^/\n]+\/)?[^/\n]+)\//gm)) names.add(match[1] as string);
  return [...names];
}

describe("a plain run's start", () => {
  it("loads neither the PostgreSQL client, nor the XML library, nor the spinner", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    assert True\n", "tests/http/test_b.py": "def test_b():\n    assert True\n" });
    const { files, out, code } = await bundleFilesLoaded(p, ["--parallel", "-n", "2"]);
    expect(code, out).toBe(0);
    // The hook saw the run: the command's entry and the chunk that bundles yargs.
    expect(files).toContain("cli.js");
    const loaded = files.flatMap(packagesIn);
    expect(loaded).toContain("yargs");
    expect(loaded).toContain("p-limit");
    expect(loaded.filter((name) => /^(pg|pg-.*|postgres-.*|fast-xml-parser|ora)$/.test(name))).toEqual([]);
  });

  it("loads the XML library when a JUnit report is asked for", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    assert True\n" });
    const { files, out, code } = await bundleFilesLoaded(p, ["--parallel", "--junit-xml", "junit.xml"]);
    expect(code, out).toBe(0);
    expect(files.flatMap(packagesIn)).toContain("fast-xml-parser");
  });
});
