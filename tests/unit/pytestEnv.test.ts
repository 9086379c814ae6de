import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BasetempNames, logName, pytestEnv, type EnvSettings, type ProcessPlace } from "../../src/exec/pytestCommand.js";

const place: ProcessPlace = {
  slot: 1,
  iteration: 1,
  attempt: 1,
  treeId: "run.1",
  artifactsDir: "/logs/a.artifacts",
  logFile: "/logs/a.log",
  junitFile: "/logs/junit/a.xml",
  recordsFile: "/logs/a.records",
  onlyFile: null,
};
const settings = (baseEnv: NodeJS.ProcessEnv): EnvSettings => ({ baseEnv, baseUrl: null, workers: 2, runId: "run", colour: false, columns: null });

describe("a pytest process's environment", () => {
  it("gives the Node.js processes a file starts (Playwright's driver) Node's compile cache", () => {
    expect(pytestEnv(settings({}), place)["NODE_COMPILE_CACHE"]).toBe(path.join(os.tmpdir(), "node-compile-cache"));
  });

  it("keeps the user's own compile cache, or none when they turned it off", () => {
    expect(pytestEnv(settings({ NODE_COMPILE_CACHE: "/mine" }), place)["NODE_COMPILE_CACHE"]).toBe("/mine");
    expect(pytestEnv(settings({ NODE_DISABLE_COMPILE_CACHE: "1" }), place)["NODE_COMPILE_CACHE"]).toBeUndefined();
  });

  it("names the slot, the workers and the run, and keeps the base environment", () => {
    const env = pytestEnv(settings({ HOME: "/home/me", GRIMOIRE_ONLY_FILES: "/stale" }), place);
    expect([env["HOME"], env["GRIMOIRE_SLOT"], env["GRIMOIRE_WORKERS"], env["GRIMOIRE_RUN_ID"], env["GRIMOIRE_ONLY_FILES"]]).toEqual(["/home/me", "1", "2", "run", undefined]);
  });

  it("names a process's own folder under a --basetemp only where processes run at once", () => {
    expect(pytestEnv(settings({}), { ...place, basetempName: "tests_http_test_a.py" })["GRIMOIRE_BASETEMP_NAME"]).toBe("tests_http_test_a.py");
    expect(pytestEnv(settings({ GRIMOIRE_BASETEMP_NAME: "stale" }), { ...place, basetempName: null })["GRIMOIRE_BASETEMP_NAME"]).toBeUndefined();
  });

  it("names the modules to import first only where two test modules share a module name", () => {
    const pairs = { "/p/tests/http/test_login.py": "/p/tests/e2e/test_login.py" };
    expect(JSON.parse(pytestEnv({ ...settings({}), importFirst: pairs }, place)["GRIMOIRE_IMPORT_FIRST"] ?? "null")).toEqual(pairs);
    expect(pytestEnv({ ...settings({ GRIMOIRE_IMPORT_FIRST: "{}" }), importFirst: {} }, place)["GRIMOIRE_IMPORT_FIRST"]).toBeUndefined();
  });
});

describe("a process's basetemp folder name", () => {
  it("is eight hexadecimal digits, no longer than pytest-xdist's popen-gw0, the same for the same log name", () => {
    const names = new BasetempNames();
    const cart = names.name("tests_http_test_cart.py.part2");
    expect(cart).toMatch(/^[0-9a-f]{8}$/);
    expect(names.name("tests_http_test_cart.py.part2")).toBe(cart);
    expect(new BasetempNames().name("tests_http_test_cart.py.part2")).toBe(cart);
    // A pack's log name (its `+`) gives plain digits too, which a test matching its tmp_path as a regular expression finds.
    expect(names.name(logName(["tests/http/test_a.py", "tests/http/test_b.py"], 1, 1))).toMatch(/^[0-9a-f]{8}$/);
  });

  it("gives two log names of one run folders of their own even where their first digits meet", () => {
    const names = new BasetempNames();
    // Two names whose hashes share their first eight digits, found by search: the second gets more digits.
    const byPrefix = new Map<string, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const name = `tests_http_test_${i}.py`;
      const prefix = createHash("sha256").update(name).digest("hex").slice(0, 4);
      const other = byPrefix.get(prefix);
      if (other !== undefined) pair = [other, name];
      byPrefix.set(prefix, name);
    }
    const short = new BasetempNames(4);
    const first = short.name(pair[0]);
    const second = short.name(pair[1]);
    expect(first).toHaveLength(4);
    expect(second).not.toBe(first);
    expect(second.startsWith(first)).toBe(true);
    expect(names.name(pair[0])).not.toBe(names.name(pair[1]));
  });
});
