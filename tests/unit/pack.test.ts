import { describe, expect, it } from "vitest";
import type { History } from "../../src/plan/history.js";
import { packBatches } from "../../src/plan/pack.js";
import type { TestFile } from "../../src/model.js";

const file = (path: string): TestFile => ({ path, named: null, folder: "tests", kind: "tests" });
function history(seconds: Record<string, number>, failed: string[] = []): History {
  return {
    version: 1,
    files: Object.fromEntries(Object.entries(seconds).map(([p, s]) => [p, { seconds: s, outcome: failed.includes(p) ? "failed" : "passed", runs: 1, lastRun: "" }])),
  };
}

describe("packing quick files", () => {
  it("packs quick and new files, one pack per worker, balanced; slower files run alone", () => {
    const files = ["a.py", "b.py", "c.py", "d.py", "e.py", "slow.py", "new.py"].map((p) => file(p));
    const batches = packBatches(files, history({ "a.py": 0.4, "b.py": 0.3, "c.py": 0.2, "d.py": 0.1, "e.py": 0.05, "slow.py": 3 }), { workers: 2, underSeconds: 1 });
    expect(batches[0]?.paths).toEqual(["slow.py"]);
    const packs = batches.slice(1);
    expect(packs).toHaveLength(2);
    expect(packs.flatMap((s) => s.paths).sort()).toEqual(["a.py", "b.py", "c.py", "d.py", "e.py", "new.py"]);
    expect(packs.every((s) => s.files.map((f) => f.path).join() === s.paths.join())).toBe(true);
  });

  it("spreads files of no recorded time over the packs instead of piling them in one", () => {
    const files = Array.from({ length: 12 }, (_, i) => file(`t${String(i).padStart(2, "0")}.py`));
    const batches = packBatches(files, history(Object.fromEntries(files.map((f) => [f.path, 0]))), { workers: 3, underSeconds: 1 });
    expect(batches.map((s) => s.paths.length)).toEqual([4, 4, 4]);
  });

  it("counts what each file costs a pack beyond its tests' time: a few files recorded at 1 ms do not leave the 0 ms ones to one pack", () => {
    const files = Array.from({ length: 120 }, (_, i) => file(`t${String(i).padStart(3, "0")}.py`));
    const seconds = Object.fromEntries(files.map((f, i) => [f.path, i < 7 ? 0.001 : 0]));
    const batches = packBatches(files, history(seconds), { workers: 2, underSeconds: 1 });
    expect(batches.map((s) => s.paths.length).sort()).toEqual([60, 60]);
  });

  it("starts the pack holding what failed last time first", () => {
    const batches = packBatches([file("a.py"), file("slow.py"), file("b.py")], history({ "a.py": 0.1, "b.py": 0.1, "slow.py": 5 }, ["b.py"]), { workers: 1, underSeconds: 1 });
    expect(batches.map((s) => s.paths)).toEqual([["a.py", "b.py"], ["slow.py"]]);
  });
});
