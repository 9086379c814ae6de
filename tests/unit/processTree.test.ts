import { describe, expect, it } from "vitest";
import { descendantsOf } from "../../src/exec/processTree.js";

describe("descendantsOf", () => {
  const table = [
    { pid: 10, ppid: 1 },
    { pid: 11, ppid: 10 },
    { pid: 12, ppid: 11 },
    { pid: 13, ppid: 12 },
    { pid: 20, ppid: 1 },
    { pid: 21, ppid: 20 },
  ];
  it("walks the whole subtree, not the roots themselves", () => {
    expect([...descendantsOf(table, [10])].sort()).toEqual([11, 12, 13]);
  });
  it("takes several roots at once, and nothing from other trees", () => {
    expect([...descendantsOf(table, [12, 20])].sort()).toEqual([13, 21]);
    expect([...descendantsOf(table, [99])]).toEqual([]);
  });
  it("survives a cycle in a bad table", () => {
    expect([...descendantsOf([{ pid: 1, ppid: 2 }, { pid: 2, ppid: 1 }], [1])]).toEqual([2]);
  });
});
