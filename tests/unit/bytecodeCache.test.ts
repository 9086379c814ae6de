/**
 * Where a parallel run's forked files keep the bytecode the environment asks
 * Python not to write beside the sources. Plain data in and out.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bytecodeCacheDir, withBytecodeCache } from "../../src/config/bytecodeCache.js";

const root = path.join(path.sep, "work", "shop");
const folder = bytecodeCacheDir(root);

describe("the bytecode cache", () => {
  it("is a folder under .grimoire, given in a variable of grimoire-run's, the user's environment kept as it is", () => {
    expect(folder).toBe(path.join(root, ".grimoire", "pycache"));
    expect(withBytecodeCache({ PYTHONDONTWRITEBYTECODE: "1", PATH: "/usr/bin" }, folder)).toEqual({ PATH: "/usr/bin", PYTHONDONTWRITEBYTECODE: "1", GRIMOIRE_BYTECODE_CACHE: folder });
  });

  it("leaves the environment alone where Python writes bytecode anyway, or where the user chose a cache folder", () => {
    const writes = { PATH: "/usr/bin" };
    expect(withBytecodeCache(writes, folder)).toBe(writes);
    // Python reads an empty value as unset.
    const empty = { PYTHONDONTWRITEBYTECODE: "" };
    expect(withBytecodeCache(empty, folder)).toBe(empty);
    const own = { PYTHONDONTWRITEBYTECODE: "1", PYTHONPYCACHEPREFIX: "/cache" };
    expect(withBytecodeCache(own, folder)).toBe(own);
  });
});
