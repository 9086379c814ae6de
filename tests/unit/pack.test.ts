import { describe, expect, it } from "vitest";
import type { History } from "../../src/plan/history.js";
import { fill, packBatches, workerEnds } from "../../src/plan/pack.js";
import type { TestFile } from "../../src/model.js";

const file = (path: string): TestFile => ({ path, named: null, folder: "tests", kind: "tests" });
function history(seconds: Record<string, number>, failed: string[] = []): History {
  return {
    version: 1,
    files: Object.fromEntries(Object.entries(seconds).map(([p, s]) => [p, { seconds: s, outcome: failed.includes(p) ? "failed" : "passed", runs: 1, lastRun: "" }])),
  };
}

describe("packing quick files", () => {
  it("packs quick and new files; slower files run alone, and the packs fill the time beside them", () => {
    const files = ["a.py", "b.py", "c.py", "d.py", "e.py", "slow.py", "new.py"].map((p) => file(p));
    const batches = packBatches(files, history({ "a.py": 0.4, "b.py": 0.3, "c.py": 0.2, "d.py": 0.1, "e.py": 0.05, "slow.py": 3 }), { workers: 2, underSeconds: 1 });
    expect(batches[0]?.paths).toEqual(["slow.py"]);
    // 1.26 s of quick files beside a 3 s one: one pack on the other worker, one start-up.
    const packs = batches.slice(1);
    expect(packs).toHaveLength(1);
    expect(packs.flatMap((s) => s.paths).sort()).toEqual(["a.py", "b.py", "c.py", "d.py", "e.py", "new.py"]);
    expect(packs.every((s) => s.files.map((f) => f.path).join() === s.paths.join())).toBe(true);
    // With the quick files longer than the slow one, one pack per worker, the larger for the worker free first.
    const longer = packBatches(files, history({ "a.py": 0.9, "b.py": 0.9, "c.py": 0.9, "d.py": 0.9, "e.py": 0.9, "new.py": 0.9, "slow.py": 1 }), { workers: 2, underSeconds: 1 });
    expect(longer.map((batch) => batch.paths.length)).toEqual([1, 4, 2]);
  });

  it("sizes the packs to end beside a long file that runs alone, instead of two equal packs one after the other (fsspec's trial)", () => {
    const quick = Array.from({ length: 45 }, (_, i) => `t${String(i).padStart(2, "0")}.py`);
    const seconds: Record<string, number> = { ...Object.fromEntries(quick.map((path, i) => [path, i < 5 ? 5 : 0.8])), "test_archive.py": 34 };
    const batches = packBatches([file("test_archive.py"), ...quick.map(file)], history(seconds), { workers: 2, underSeconds: 11 });
    expect(batches[0]?.paths).toEqual(["test_archive.py"]);
    const packSeconds = batches.slice(1).map((batch) => batch.paths.reduce((sum, path) => sum + (seconds[path] as number), 0));
    // 57 s of quick files: about 45.5 s for the worker free at once, 11.5 s for the other once its 34 s file is done.
    expect(packSeconds).toHaveLength(2);
    expect(packSeconds[0]).toBeCloseTo(45.4, 0);
    expect(packSeconds[1]).toBeCloseTo(11.6, 0);
    // The batches as the pool hands them out end within a file of each other, where equal packs ended 57 s against 34.
    const ends = workerEnds([34, ...packSeconds], 2);
    expect((ends[1] as number) - (ends[0] as number)).toBeLessThanOrEqual(0.8);
  });

  it("counts the batches queued before the packs (a split file's parts)", () => {
    const files = ["a.py", "b.py", "c.py", "d.py"].map((p) => file(p));
    const batches = packBatches(files, history({ "a.py": 1, "b.py": 1, "c.py": 1, "d.py": 1 }), { workers: 2, underSeconds: 2, ahead: [4] });
    expect(batches).toHaveLength(1);
    expect(batches[0]?.paths).toHaveLength(4);
  });

  it("shares seconds among workers so that they end together", () => {
    expect(fill([0, 0], 10)).toEqual([5, 5]);
    expect(fill([0, 30], 20)).toEqual([20]);
    expect(fill([0, 34], 57)).toEqual([45.5, 11.5]);
    expect(fill([0, 2, 10], 6)).toEqual([4, 2]);
    expect(fill([0, 0], 0)).toEqual([]);
    expect(workerEnds([5, 3, 2, 2], 2)).toEqual([5, 7]);
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
