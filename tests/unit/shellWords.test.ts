/**
 * --python and other commands given as one string are split into words as a shell (shlex) would.
 */
import { describe, expect, it } from "vitest";
import { splitArgs } from "../../src/config/shellWords.js";

describe("splitArgs", () => {
  it("splits like shlex: quotes and backslashes", () => {
    expect(splitArgs(`a "b c" 'd e' f\\ g`)).toEqual(["a", "b c", "d e", "f g"]);
    expect(splitArgs("  ")).toEqual([]);
    expect(splitArgs(`""`)).toEqual([""]);
    expect(() => splitArgs(`"open`)).toThrow(/unterminated quote/);
  });
});
