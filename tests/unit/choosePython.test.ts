import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { choosePython, pythonOrigin, viaUv } from "../../src/python.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A folder tree: paths ending in "/" are folders, `bin/python` files are executable. */
function tree(entries: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-python-"));
  made.push(root);
  for (const entry of entries) {
    const full = path.join(root, entry);
    if (entry.endsWith("/")) fs.mkdirSync(full, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, "#!/bin/sh\n", { mode: 0o755 });
    }
  }
  return root;
}

const noUv = { PATH: "" };

describe("which Python runs pytest", () => {
  it("is the project's virtualenv, found from a folder below the project's root up to the top of its repository", () => {
    const root = tree([".git/", ".venv/bin/python", "tests/http/"]);
    expect(choosePython(root, undefined, noUv)).toEqual({ command: path.join(root, ".venv/bin/python"), args: [], source: ".venv/bin/python" });
    expect(choosePython(path.join(root, "tests", "http"), undefined, noUv)).toEqual({ command: path.join(root, ".venv/bin/python"), args: [], source: "../../.venv/bin/python" });
  });

  it("takes the nearest: a package's own virtualenv before the repository's", () => {
    const root = tree([".git/", ".venv/bin/python", "packages/shop/venv/bin/python", "packages/shop/tests/"]);
    expect(choosePython(path.join(root, "packages", "shop", "tests"), undefined, noUv).command).toBe(path.join(root, "packages/shop/venv/bin/python"));
  });

  it("never looks above the repository, nor above a folder outside one", () => {
    const outer = tree([".venv/bin/python", "repo/.git/", "repo/tests/", "loose/tests/"]);
    expect(choosePython(path.join(outer, "repo", "tests"), undefined, noUv).source).toBe("default");
    expect(choosePython(path.join(outer, "loose", "tests"), undefined, noUv).source).toBe("default");
  });

  it("runs `uv run python` for a uv.lock found on the way up, when uv is on the PATH; --python wins over all", () => {
    const root = tree([".git/", "uv.lock", "bin/uv", "tests/"]);
    const uv = choosePython(path.join(root, "tests"), undefined, { PATH: path.join(root, "bin") });
    expect(uv).toEqual({ command: path.join(root, "bin", "uv"), args: ["run", "python"], source: "../uv.lock" });
    expect(viaUv(uv)).toBe(true);
    expect(choosePython(path.join(root, "tests"), "python3.12 -X dev", noUv)).toEqual({ command: "python3.12", args: ["-X", "dev"], source: "--python" });
  });

  it("says where a uv.lock was passed over because uv is not on the PATH (dj-database-url's trial ran the machine's pytest without a word)", () => {
    const root = tree([".git/", "uv.lock", "tests/"]);
    const fallback = choosePython(path.join(root, "tests"), undefined, noUv);
    expect(fallback.source).toBe("default");
    expect(fallback.passedOver?.notice).toBe("the project has ../uv.lock, but uv is not on PATH: running pytest on python3, not the project's environment (install uv, or choose a Python with --python)");
    expect(pythonOrigin(fallback)).toBe("no .venv or venv was found in the project, and its ../uv.lock needs uv, which is not on PATH");
    expect(choosePython(tree([".git/", "tests/"]), undefined, noUv).passedOver).toBeUndefined();
  });

  it("says where a virtualenv above was not taken, outside a git repository (a helper's probe run from its tests/ folder)", () => {
    const outer = tree([".venv/bin/python", "tests/"]);
    const fallback = choosePython(path.join(outer, "tests"), undefined, noUv);
    expect(fallback.source).toBe("default");
    expect(fallback.passedOver?.notice).toBe("../.venv/bin/python, in a folder above, is not taken outside a git repository: running pytest on python3 (--python ../.venv/bin/python chooses it)");
    // In a repository the nearest is taken, and nothing is passed over.
    expect(choosePython(path.join(tree([".git/", ".venv/bin/python", "tests/"]), "tests"), undefined, noUv).passedOver).toBeUndefined();
  });
});
