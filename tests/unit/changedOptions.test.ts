/**
 * `--changed [REF]` and `changed-always`, wherever they are written: the
 * command line (where REF is optional), pyproject.toml and GRIMOIRE_*
 * variables; a bad value is refused with its origin named.
 */
import { describe, expect, it } from "vitest";
import { attachOptionalValues, parseCommandLine, type CliCommand } from "../../src/cli/options.js";
import { formatConfig } from "../../src/config/printConfig.js";
import { resolveConfig } from "../../src/config/runConfig.js";
import { mergeSettings } from "../../src/config/settings.js";
import { hookBlock, hookCommand } from "../../src/installHook.js";

const paths = new Set(["tests/http", "tests/http/test_cart.py"]);
const isPath = (word: string): boolean => paths.has(word.split("::")[0] as string);
const parse = async (argv: string[]) => {
  const command: CliCommand = await parseCommandLine(argv, isPath);
  if (command.kind !== "run") throw new Error(`not a run: ${command.kind}`);
  return command.input;
};
const none = { cli: {}, pyproject: null, env: {}, dotenv: {} };

describe("--changed on the command line", () => {
  it("is on by itself, with the default REF", async () => {
    expect((await parse(["--changed"])).values.changed).toBe(true);
    expect((await parse(["--changed", "--parallel"])).values).toEqual({ changed: true, parallel: true });
  });

  it("is said as typed where a pytest option beside it is moved after --", async () => {
    await expect(parse(["--changed", "--dry-run"])).rejects.toThrow(/grimoire-run --changed -- --dry-run$/);
    await expect(parse(["--changed=HEAD~3", "--dry-run"])).rejects.toThrow(/grimoire-run '--changed=HEAD~3' -- --dry-run$/);
  });

  it("takes the next word as REF, or after =", async () => {
    expect((await parse(["--changed", "origin/main", "--parallel"])).values.changed).toBe("origin/main");
    expect((await parse(["--changed=HEAD~3"])).values.changed).toBe("HEAD~3");
  });

  it("leaves an existing path (or a node id in one) to be tested, with the default REF", async () => {
    const given = await parse(["--changed", "tests/http", "--parallel"]);
    expect(given.values.changed).toBe(true);
    expect(given.paths).toEqual(["tests/http"]);
    expect((await parse(["--changed", "tests/http/test_cart.py::test_total"])).paths).toEqual(["tests/http/test_cart.py::test_total"]);
  });

  it("never takes a REF from after --", async () => {
    const given = await parse(["--changed", "--", "-k", "cart"]);
    expect(given.values.changed).toBe(true);
    expect(given.pytestArgs).toEqual(["-k", "cart"]);
    expect(attachOptionalValues(["--", "--changed", "main"], isPath)).toEqual(["--", "--changed", "main"]);
  });

  it("is off with --no-changed (over a pyproject.toml that turns it on)", async () => {
    expect((await parse(["--no-changed"])).values.changed).toBe(false);
    expect(resolveConfig({ values: mergeSettings({ ...none, pyproject: { changed: true }, cli: { changed: false } }).values, paths: [], pytestArgs: [] }, "/p", {}).changed).toBeNull();
  });

  it("splits --changed-always at commas, keeping {a,b} whole", async () => {
    expect((await parse(["--changed", "--changed-always", "*.sql,templates/**,*.{json,yaml}"])).values["changed-always"]).toEqual(["*.sql", "templates/**", "*.{json,yaml}"]);
  });

  it("is given once", async () => {
    await expect(parse(["--changed", "--changed=main"])).rejects.toThrow("--changed was given more than once");
    // A one-letter option is named as it is written.
    await expect(parse(["-k", "a", "-k", "b"])).rejects.toThrow(/^-k was given more than once$/);
  });

  it("refuses a REF that git would read as an option", () => {
    expect(() => resolveConfig({ values: { changed: "-x" }, paths: [], pytestArgs: [] }, "/p", {})).toThrow('--changed takes a git revision (a branch, tag or commit); got "-x"');
  });
});

describe("changed and changed-always as settings", () => {
  it("reads pyproject.toml: true, a REF, and an array of globs", () => {
    expect(mergeSettings({ ...none, pyproject: { changed: true, "changed-always": ["*.sql", "tests/fixtures/**"] } }).values).toEqual({ changed: true, "changed-always": ["*.sql", "tests/fixtures/**"] });
    expect(mergeSettings({ ...none, pyproject: { changed: "origin/main" } }).values.changed).toBe("origin/main");
  });

  it("reads GRIMOIRE_CHANGED as on, off or a REF, and GRIMOIRE_CHANGED_ALWAYS as a comma-separated list", () => {
    expect(mergeSettings({ ...none, env: { GRIMOIRE_CHANGED: "1" } }).values.changed).toBe(true);
    expect(mergeSettings({ ...none, env: { GRIMOIRE_CHANGED: "off" } }).values.changed).toBe(false);
    expect(mergeSettings({ ...none, env: { GRIMOIRE_CHANGED: "origin/main" } }).values.changed).toBe("origin/main");
    expect(mergeSettings({ ...none, env: { GRIMOIRE_CHANGED_ALWAYS: "*.sql, *.{json,yaml}" } }).values["changed-always"]).toEqual(["*.sql", "*.{json,yaml}"]);
  });

  it.each([
    [{ changed: "" }, /\[tool\.grimoire-run\] changed: expected true, false or a value \(a string\), got ""/],
    [{ changed: 3 }, /changed: expected true, false or a value \(a string\), got 3/],
    [{ "changed-always": [1] }, /changed-always: expected an array of strings, got \[1\]/],
    [{ changed_always: ["*.sql"] }, /changed_always: no such option; did you mean changed-always\?/],
  ])("refuses %j with the key named", (pyproject, message) => {
    expect(() => mergeSettings({ ...none, pyproject })).toThrow(message);
  });

  it("shows both in --print-config", () => {
    const text = formatConfig(mergeSettings({ ...none, pyproject: { "changed-always": ["*.sql", "*.json"] } }));
    expect(text).toMatch(/^ {2}changed +false +default$/m);
    expect(text).toMatch(/changed-always +\*\.sql, \*\.json +pyproject\.toml/);
  });
});

describe("install-hook --changed", () => {
  it("adds --changed to the default command, or to the given one, once", () => {
    expect(hookCommand(null, true)).toBe("npx grimoire-run --parallel --fail-fast -q --changed");
    expect(hookCommand("npx grimoire-run --scope http", true)).toBe("npx grimoire-run --scope http --changed");
    expect(hookCommand("npx grimoire-run --changed=origin/main", true)).toBe("npx grimoire-run --changed=origin/main");
    expect(hookCommand(null, false)).toBe("npx grimoire-run --parallel --fail-fast -q");
    // Among grimoire-run's options, not after the -- that gives the rest to pytest.
    expect(hookCommand("npx grimoire-run --parallel -- -q -p no:cacheprovider", true)).toBe("npx grimoire-run --parallel --changed -- -q -p no:cacheprovider");
    expect(hookCommand("npx grimoire-run --parallel --", true)).toBe("npx grimoire-run --parallel --changed --");
    expect(hookCommand("npx grimoire-run --changed -- -q", true)).toBe("npx grimoire-run --changed -- -q");
  });

  it("says in the hook that CI still runs everything", () => {
    expect(hookBlock(hookCommand(null, true))).toContain("# Run the test files the push can affect (--changed) before pushing; CI still runs them all;");
  });

  it("is read by the subcommand's parser", async () => {
    expect(await parseCommandLine(["install-hook", "--changed"])).toEqual({ kind: "install-hook", command: null, changed: true });
  });
});

describe("--help", () => {
  it("ends with the exit codes", async () => {
    const command = await parseCommandLine(["--help"], isPath);
    if (command.kind !== "help") throw new Error(`not help: ${command.kind}`);
    expect(command.text).toMatch(/Exit codes:\n {2}0 {2}every file passed\n {2}1 {2}a file failed, timed out or was cancelled/);
    expect(command.text).toMatch(/ {2}5 {2}no test was collected anywhere\n {2}129, 130, 143 {2}stopped by SIGHUP, SIGINT \(Ctrl-C\), SIGTERM/);
  });

  it("is answered by each subcommand, merge-reports before it asks for its folders (it said 'Not enough non-option arguments')", async () => {
    for (const subcommand of ["merge-reports", "install-hook"]) {
      const command = await parseCommandLine([subcommand, "--help"]);
      if (command.kind !== "help") throw new Error(`not help: ${command.kind}`);
      expect(command.text).toContain(`grimoire-run ${subcommand}`);
    }
    await expect(parseCommandLine(["merge-reports"])).rejects.toThrow("merge-reports needs the folders (or files) holding the shards' reports: grimoire-run merge-reports DIR...");
  });
});
