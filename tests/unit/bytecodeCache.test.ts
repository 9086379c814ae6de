/**
 * Where a parallel run's processes keep the bytecode the environment asks
 * Python not to write beside the sources. Plain data in and out.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bytecodeCacheDir, withBytecodeCache } from "../../src/config/bytecodeCache.js";

const root = path.join(path.sep, "work", "shop");

describe("the bytecode cache", () => {
  it("replaces PYTHONDONTWRITEBYTECODE with a cache folder under .grimoire, keeping the rest of the environment", () => {
    const env = withBytecodeCache({ PYTHONDONTWRITEBYTECODE: "1", PATH: "/usr/bin" }, root, true);
    expect(env).toEqual({ PATH: "/usr/bin", PYTHONPYCACHEPREFIX: path.join(root, ".grimoire", "pycache") });
    expect(bytecodeCacheDir(root)).toBe(path.join(root, ".grimoire", "pycache"));
  });

  it("leaves the environment alone where Python writes bytecode anyway, where the user chose a cache folder, or when turned off", () => {
    const writes = { PATH: "/usr/bin" };
    expect(withBytecodeCache(writes, root, true)).toBe(writes);
    // Python reads an empty value as unset.
    const empty = { PYTHONDONTWRITEBYTECODE: "" };
    expect(withBytecodeCache(empty, root, true)).toBe(empty);
    const own = { PYTHONDONTWRITEBYTECODE: "1", PYTHONPYCACHEPREFIX: "/cache" };
    expect(withBytecodeCache(own, root, true)).toBe(own);
    const off = { PYTHONDONTWRITEBYTECODE: "1" };
    expect(withBytecodeCache(off, root, false)).toBe(off);
  });
});
