/**
 * What the run says of the modules the fork server refused: each refused
 * module, and a package's untried modules in one line; and what the runs
 * remember of the --preload modules it refused, only to keep the preload hint
 * from naming them again.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { notPreloadingAll, preloadsBeforeConftests, readRefusedPreloads, rememberRefusedPreloads, updateRefusedPreloads } from "../../src/exec/preloadRefusals.js";

const untried = (module: string) => ({ module, reason: "not tried: IPython, of the same package, imported the project's own code", untried: true });

describe("the modules the fork server refused", () => {
  it("are said one by one, but a package's modules not tried once another was refused are said in one line", () => {
    const refused = [
      { module: "IPython", reason: "its import imported the project's own code (pygments.style)" },
      ...["IPython.core", "IPython.core.alias", "IPython.display", "IPython.lib", "IPython.utils"].map(untried),
      { module: "settingslib", reason: "its import reads GRIMOIRE_SLOT, which each file sets for itself" },
    ];
    expect(notPreloadingAll(refused)).toEqual([
      "not preloading IPython: its import imported the project's own code (pygments.style); each file imports it itself",
      "not preloading settingslib: its import reads GRIMOIRE_SLOT, which each file sets for itself; each file imports it itself",
      "not preloading 5 more modules of IPython (IPython.core, IPython.core.alias, IPython.display and 2 more): not tried: IPython, of the same package, imported the project's own code; each file imports them itself",
    ]);
  });

  it("are grouped by the server's own mark, not by the words of their reason", () => {
    const worded = ["IPython.core", "IPython.display"].map((module) => ({ module, reason: "not tried: said so, but not marked" }));
    expect(notPreloadingAll(worded)).toEqual(["not preloading IPython.core: not tried: said so, but not marked; each file imports it itself", "not preloading IPython.display: not tried: said so, but not marked; each file imports it itself"]);
  });

  it("say a single untried module as any other", () => {
    expect(notPreloadingAll([untried("IPython.core")])).toEqual(["not preloading IPython.core: not tried: IPython, of the same package, imported the project's own code; each file imports it itself"]);
  });
});

const now = new Date("2026-12-05T10:00:00Z");
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});
function projectRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-refused-"));
  roots.push(root);
  return root;
}

describe("a --preload that read what the conftests then changed", () => {
  it("is said for each module that read a variable the conftests set, naming only those", () => {
    const messages = preloadsBeforeConftests({ structlog: ["FORCE_COLOR", "NO_COLOR"], rich: ["COLUMNS"] }, ["FORCE_COLOR", "TESTING"]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^--preload structlog: its import in the fork server read FORCE_COLOR before any conftest ran/);
    expect(messages[0]).toMatch(/leave it out$/);
  });

  it("is said of a module that looked through the whole environment, naming the changes", () => {
    const changed = ["A", "B", "C", "D", "E", "F", "G"];
    const [message] = preloadsBeforeConftests({ settings_reader: ["*"] }, changed);
    expect(message).toMatch(/looked through the whole environment before any conftest ran, and the conftests or plugins then set or changed A, B, C, D, E and 2 more:/);
  });

  it("is not said when the conftests changed nothing, or nothing the module read", () => {
    expect(preloadsBeforeConftests({ structlog: ["FORCE_COLOR", "*"] }, [])).toEqual([]);
    expect(preloadsBeforeConftests({ structlog: ["FORCE_COLOR"] }, ["TESTING"])).toEqual([]);
    expect(preloadsBeforeConftests({}, ["TESTING"])).toEqual([]);
  });
});

describe("refused preloads", () => {
  it("adds what the server refused and forgets what it took", () => {
    const before = { app: { reason: "its import reads DATABASE_URL", at: "2026-12-01T00:00:00.000Z" }, other: { reason: "r", at: "2026-12-01T00:00:00.000Z" } };
    const after = updateRefusedPreloads(before, ["app"], [{ module: "ninja", reason: "its import failed" }], now);
    expect(after).toEqual({ other: before.other, ninja: { reason: "its import failed", at: now.toISOString() } });
  });

  it("are kept in the project's .grimoire folder, and a file that is not what grimoire-run writes reads as nothing remembered", () => {
    const root = projectRoot();
    expect(readRefusedPreloads(root)).toEqual({});
    rememberRefusedPreloads(root, [], [{ module: "ninja", reason: "its import failed" }], now);
    expect(readRefusedPreloads(root)).toEqual({ ninja: { reason: "its import failed", at: now.toISOString() } });
    fs.writeFileSync(path.join(root, ".grimoire/refused-preloads.json"), '{"ninja": "no", "app": {"reason": "r", "at": "t"}}');
    expect(readRefusedPreloads(root)).toEqual({ app: { reason: "r", at: "t" } });
    fs.writeFileSync(path.join(root, ".grimoire/refused-preloads.json"), "[not json");
    expect(readRefusedPreloads(root)).toEqual({});
  });

  it("leave the file alone after a run with no --preload", () => {
    const root = projectRoot();
    expect(rememberRefusedPreloads(root, [], [], now)).toEqual({});
    expect(fs.existsSync(path.join(root, ".grimoire"))).toBe(false);
  });
});
