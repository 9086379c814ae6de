/**
 * --split: a file longer than its share of the run, divided by its tests'
 * recorded seconds into parts that together run every test exactly once.
 */
import { describe, expect, it } from "vitest";
import { combineParts } from "../../src/exec/results.js";
import type { TestFile } from "../../src/model.js";
import type { History } from "../../src/plan/history.js";
import { partBatches, partCount, planSplits, whyNothingSplit } from "../../src/plan/split.js";
import { fileResult } from "../helpers/results.js";

const file = (path: string, over: Partial<TestFile> = {}): TestFile => ({ path, named: null, folder: "tests", kind: "tests", ...over });

function history(entries: Record<string, { seconds: number; tests?: Record<string, number>; perProcess?: number; afterCollection?: number }>): History {
  return {
    version: 1,
    files: Object.fromEntries(
      Object.entries(entries).map(([path, e]) => [
        path,
        {
          seconds: e.seconds,
          outcome: "passed",
          runs: 1,
          lastRun: "",
          ...(e.tests ? { testSeconds: e.tests } : {}),
          ...(e.perProcess === undefined ? {} : { perProcessSeconds: e.perProcess }),
          ...(e.afterCollection === undefined ? {} : { afterCollectionSeconds: e.afterCollection }),
        },
      ]),
    ),
  };
}

/** tests/flow.py: 16 tests of 0.5 s, two classes of 4 and 8 module-level tests. */
const FLOW: Record<string, number> = {};
for (let i = 0; i < 4; i++) FLOW[`tests/flow.py::TestLogin::test_${i}`] = 0.5;
for (let i = 0; i < 4; i++) FLOW[`tests/flow.py::TestCart::test_${i}`] = 0.5;
for (let i = 0; i < 8; i++) FLOW[`tests/flow.py::test_step_${i}[${i}]`] = 0.5;
const past = history({ "tests/flow.py": { seconds: 8, tests: FLOW }, ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`tests/t${i}.py`, { seconds: 1 }])) });
const files = [file("tests/flow.py"), ...Array.from({ length: 8 }, (_, i) => file(`tests/t${i}.py`))];

describe("why --split auto split nothing (--verbose)", () => {
  const never = (): boolean => false;

  it("says the longest file was within its share, with the share worked out", () => {
    expect(whyNothingSplit(files, past, { workers: 2, unsplittable: never })).toBe(
      "--split auto split no file: none is longer than its share of the run: the longest, tests/flow.py, took 8.0 s; its share of the run is 8.0 s (the files' 16.0 s over 2 workers)",
    );
  });

  it("says why a file longer than its share runs whole", () => {
    expect(whyNothingSplit(files, past, { workers: 4, unsplittable: (p) => p === "tests/flow.py" })).toMatch(/tests\/flow.py took 8.0 s, more than its share .*, but runs whole: it is marked grimoire_serial, matches --no-split, or its tests compare with snapshots \(syrupy's, pytest-snapshot's, inline-snapshot's\)$/);
    const untimed = history({ "tests/flow.py": { seconds: 8, tests: { "tests/flow.py::test_one": 8 } }, "tests/t0.py": { seconds: 1 } });
    expect(whyNothingSplit([file("tests/flow.py"), file("tests/t0.py")], untimed, { workers: 2, unsplittable: never })).toMatch(/runs whole: history knows fewer than two of its tests/);
    const byNodeIds = [file("tests/flow.py", { named: ["tests/flow.py::TestCart"], folder: null }), ...files.slice(1)];
    expect(whyNothingSplit(byNodeIds, past, { workers: 4, unsplittable: never })).toMatch(/runs whole: it was named by node ids$/);
    const lastFailed = [{ ...file("tests/flow.py"), subset: { run: "failed" as const, nodeids: ["tests/flow.py::test_one"] } }, ...files.slice(1)];
    expect(whyNothingSplit(lastFailed, past, { workers: 4, unsplittable: never })).toMatch(/runs whole: it runs only the tests that failed last time \(--last-failed\)$/);
  });

  it("says when there is one worker, or no history yet", () => {
    expect(whyNothingSplit(files, past, { workers: 1, unsplittable: never })).toBe("--split auto split no file: the run has one worker");
    expect(whyNothingSplit(files, history({}), { workers: 2, unsplittable: never })).toMatch(/history has no time for these files yet/);
  });
});

describe("splitting a file that dominates the run", () => {
  it("splits only what is longer than its share (total over workers), into parts of at most half a share, no more than workers", () => {
    const splits = planSplits(files, past, { workers: 4, unsplittable: () => false });
    expect([...splits.keys()]).toEqual(["tests/flow.py"]);
    const parts = splits.get("tests/flow.py")?.parts ?? [];
    // 16 s in all over 4 workers: a share is 4 s, so the 8 s file runs as 4 parts of 2 s.
    expect(parts.length).toBe(4);
    expect(planSplits(files, past, { workers: 8, unsplittable: () => false }).get("tests/flow.py")?.parts.length).toBe(8);
    // Over 2 workers the file is no longer than its share (8 s of 16 s).
    expect(planSplits(files, past, { workers: 2, unsplittable: () => false }).size).toBe(0);
    expect(planSplits(files, past, { workers: 1, unsplittable: () => false }).size).toBe(0);
    expect(planSplits(files, past, { workers: 4, unsplittable: (p) => p === "tests/flow.py" }).size).toBe(0);
    // Named whole on the command line, it splits the same; named by node ids, it runs just those, whole.
    const named = (targets: string[]): TestFile[] => [file("tests/flow.py", { named: targets, folder: null }), ...files.slice(1)];
    expect(planSplits(named(["tests/flow.py"]), past, { workers: 4, unsplittable: () => false }).get("tests/flow.py")?.parts.length).toBe(4);
    expect(planSplits(named(["tests/flow.py::TestCart"]), past, { workers: 4, unsplittable: () => false }).size).toBe(0);
  });

  it("names each test in exactly one part, keeps classes together, and runs all but the named ones in the last part", () => {
    const parts = planSplits(files, past, { workers: 4, unsplittable: () => false }).get("tests/flow.py")?.parts ?? [];
    expect(parts.length).toBeGreaterThan(2);
    const named = parts.slice(0, -1).flatMap((p) => (p.subset?.run === "only" ? p.subset.nodeids : []));
    const last = parts[parts.length - 1] as TestFile;
    expect(new Set(named).size).toBe(named.length);
    expect(parts.every((p) => p.named === null && p.folder === "tests")).toBe(true);
    expect(last.subset?.run).toBe("all-but");
    expect([...(last.subset?.nodeids ?? [])].sort()).toEqual([...named].sort());
    // Whole classes: each of the two (2 s, a part's worth) sits in one part.
    for (const cls of ["TestLogin", "TestCart"]) expect(parts.slice(0, -1).filter((p) => p.subset?.nodeids.some((n) => n.includes(cls))).length).toBeLessThanOrEqual(1);
    const batches = partBatches({ path: "tests/flow.py", parts });
    expect(batches.map((b) => [b.paths, b.part])).toEqual(parts.map((_, index) => [["tests/flow.py"], { index, count: parts.length }]));
  });

  it("counts what each part pays again besides its tests, and runs whole a file whose parts would not pay", () => {
    const others = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`tests/t${i}.py`, { seconds: 1 }]));
    const costly = (perProcess: number, afterCollection?: number): History => history({ "tests/flow.py": { seconds: 8, tests: FLOW, perProcess, ...(afterCollection === undefined ? {} : { afterCollection }) }, ...others });
    // 1 s of start and collection a part, 7 s of tests: no part comes down to half a share (2 s) over 4 workers, and 2
    // parts end the run as soon as 3 or 4 would (4.5 s, against 8 s whole) with fewer extra starts.
    expect(planSplits(files, costly(1), { workers: 4, unsplittable: () => false }).get("tests/flow.py")?.parts.length).toBe(2);
    // Over 8 workers no part gets that small: as many as bring the run's end lowest (2.5 s: 5 parts, 4 extra starts).
    expect(planSplits(files, costly(1), { workers: 8, unsplittable: () => false }).get("tests/flow.py")?.parts.length).toBe(5);
    // Collecting the whole file is most of it (pylint's test_functional.py under -k): 6.5 s a part, 1.5 s of tests. Over
    // 3 workers 2 parts would end the run at 7.5 s at best (the workers' share with the extra start), against 8 s whole.
    expect(planSplits(files, costly(6.5, 1.5), { workers: 3, unsplittable: () => false }).size).toBe(0);
    expect(whyNothingSplit(files, costly(6.5, 1.5), { workers: 3, unsplittable: () => false })).toBe(
      "--split auto split no file: tests/flow.py took 8.0 s, more than its share (its share of the run is 5.3 s (the files' 16.0 s over 3 workers)), but runs whole: parts would not pay: each pays again the 6.5 s its process spends besides its tests (pytest's start, collecting the whole file), and its tests took 1.5 s",
    );
    // The same file whole before this change's history: 8 s of tests to share out, and 3 parts.
    expect(planSplits(files, past, { workers: 3, unsplittable: () => false }).get("tests/flow.py")?.parts.length).toBe(3);
    // The tests' own seconds where history has them (6 s), else the file's less one process's cost (7 s).
    expect(planSplits(files, costly(0.5, 6), { workers: 4, unsplittable: () => false }).get("tests/flow.py")?.parts.length).toBe(4);
  });

  it("splits into parts no shorter than the longest test allows, only where the run's end comes down by a tenth", () => {
    expect(partCount({ own: 8, again: 0, tests: 8, longestTest: 0.5, total: 16, workers: 4, testCount: 16 })).toBe(4);
    // One test of 7.5 s in a file of 8: no part goes below it, and the run's end moves from 8 s to 7.5 s at best.
    expect(partCount({ own: 8, again: 0, tests: 8, longestTest: 7.5, total: 16, workers: 4, testCount: 2 })).toBeNull();
    expect(partCount({ own: 8, again: 0, tests: 8, longestTest: 7, total: 16, workers: 4, testCount: 2 })).toBe(2);
    // Parts' extra starts that push the workers' share up as far as the file whole: no gain.
    expect(partCount({ own: 8, again: 3, tests: 5, longestTest: 0.5, total: 16, workers: 2, testCount: 16 })).toBeNull();
  });

  it("leaves a file alone when history knows fewer than two of its tests", () => {
    const one = history({ "tests/flow.py": { seconds: 8, tests: { "tests/flow.py::test_a": 8 } }, "tests/t0.py": { seconds: 1 } });
    expect(planSplits([file("tests/flow.py"), file("tests/t0.py")], one, { workers: 4, unsplittable: () => false }).size).toBe(0);
  });

  it("reports a split file once: its worst part's status, every test, the parts' time summed, each part listed", () => {
    const cases = (names: string[], outcome: "passed" | "failed") => names.map((nodeid) => ({ nodeid, outcome, seconds: 1 }));
    const a = fileResult({ path: "f.py", startSeconds: 1, durationSeconds: 2, log: "a.log", tests: { passed: 2, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 }, cases: cases(["f.py::a", "f.py::b"], "passed") });
    const b = fileResult({ path: "f.py", status: "failed", exitCode: 1, startSeconds: 1.5, durationSeconds: 3, log: "b.log", reason: "tests failed", tests: { passed: 0, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 }, cases: cases(["f.py::c"], "failed") });
    const combined = combineParts([a, b]);
    expect(combined).toMatchObject({ path: "f.py", status: "failed", exitCode: 1, startSeconds: 1, durationSeconds: 5, log: "b.log", reason: "tests failed" });
    expect(combined.tests).toEqual({ passed: 2, failed: 1, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 });
    expect(combined.cases.map((c) => c.nodeid)).toEqual(["f.py::a", "f.py::b", "f.py::c"]);
    expect(combined.parts?.map((p) => [p.status, p.log])).toEqual([["passed", "a.log"], ["failed", "b.log"]]);
    expect(combineParts([a, { ...a, log: "c.log" }]).status).toBe("passed");
    // The parts' tests' seconds together: what a split file's parts share out next time; unknown if a part did not say.
    expect(combineParts([{ ...a, testsSeconds: 1.5 }, { ...b, testsSeconds: 2 }]).testsSeconds).toBe(3.5);
    expect(combineParts([{ ...a, testsSeconds: 1.5 }, b]).testsSeconds).toBeUndefined();
  });
});
