/**
 * Order, last-failed selection and CI shards: pure functions of the file list and the history.
 */
import { describe, expect, it } from "vitest";
import { EMPTY_HISTORY, type History, type RecordedOutcome } from "../../src/plan/history.js";
import { orderFiles, selectLastFailed, shuffle } from "../../src/plan/order.js";
import { parseShard, partition } from "../../src/plan/shard.js";
import { onlyFailedTests, planFiles } from "../../src/plan/planFiles.js";
import { countCases, estimateFromSource } from "../../src/plan/estimate.js";
import type { TestFile } from "../../src/model.js";

function history(entries: Record<string, [number | null, RecordedOutcome]>): History {
  return {
    version: 1,
    files: Object.fromEntries(Object.entries(entries).map(([path, [seconds, outcome]]) => [path, { seconds, outcome, runs: 1, lastRun: "2026-01-01T00:00:00Z" }])),
  };
}
const files = (...paths: string[]) => paths.map((path) => ({ path }));
const paths = (list: { path: string }[]) => list.map((f) => f.path);

describe("the start order", () => {
  const past = history({
    "a.py": [2, "passed"],
    "b.py": [9, "passed"],
    "c.py": [1, "failed"],
    "d.py": [5, "timeout"],
    "e.py": [4, "passed"],
    "f.py": [null, "cancelled"],
  });
  const all = files("a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "new1.py", "new0.py");

  it("starts what failed or timed out last time first, then new files, then what was cancelled, then the longest first", () => {
    // A run stopped by Ctrl-C records its files never started as cancelled: a new file (httpcore's trial) starts before them.
    expect(paths(orderFiles(all, past, { order: "history", seed: 0, failedFirst: false }))).toEqual(["d.py", "c.py", "new0.py", "new1.py", "f.py", "b.py", "e.py", "a.py"]);
  });

  it("starts the files edited since their last run right after what failed: what was just changed most likely fails now", () => {
    // kombu's trial: a quick file broken on purpose in a --fail-fast session, passing last time, started last (29 s in).
    const asked: [string, string][] = [];
    const editedSince = (path: string, iso: string): boolean => {
      asked.push([path, iso]);
      return path === "a.py" || path === "e.py";
    };
    expect(paths(orderFiles(all, past, { order: "history", seed: 0, failedFirst: false, editedSince }))).toEqual(["d.py", "c.py", "e.py", "a.py", "new0.py", "new1.py", "f.py", "b.py"]);
    // Asked with each file's last run, of the files timed and passing only (new files start early anyway).
    expect(asked.map(([path]) => path).sort()).toEqual(["a.py", "b.py", "e.py"]);
    expect(new Set(asked.map(([, iso]) => iso))).toEqual(new Set(["2026-01-01T00:00:00Z"]));
    // Not with --order name or random, which keep their own.
    expect(paths(orderFiles(all, past, { order: "name", seed: 0, failedFirst: false, editedSince }))).toEqual(["a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "new0.py", "new1.py"]);
  });

  it("on a first run, starts the files whose source looks longest first: test cases, then size", () => {
    expect(countCases("def helper():\n    pass\n\ndef test_a():\n    pass\n\nclass TestK:\n    async def test_b(self):\n        pass\n")).toBe(2);
    const parametrized = (args: string): number => countCases(`@pytest.mark.parametrize(${args})\ndef test_a(x):\n    pass\n`);
    expect(parametrized("'x', [1, 2, 3]")).toBe(3);
    expect(parametrized("'x', [1, 2, 3,]")).toBe(3);
    expect(parametrized("('x', 'y'), [(1, 2), (3, 4)]")).toBe(2);
    expect(parametrized("'x', range(7)")).toBe(7);
    expect(parametrized("'x', range(2, 7)")).toBe(5);
    expect(parametrized("'x', CASES")).toBe(2);
    expect(parametrized("\n    'x',\n    [\n        'a,b',  # one, two\n        \"\"\"c)\"\"\",\n    ],\n")).toBe(2);
    expect(parametrized("'x', []")).toBe(1);
    expect(estimateFromSource(`def test_a():\n    assert ${"1 + ".repeat(500)}1\n`)).toBeCloseTo(3.027, 3);
    const estimates = new Map([["new0.py", 1], ["new1.py", 9]]);
    expect(paths(orderFiles(files("new0.py", "new1.py", "b.py"), past, { order: "history", seed: 0, failedFirst: false, estimates }))).toEqual(["new1.py", "new0.py", "b.py"]);
  });

  it("orders by name, failures first when asked", () => {
    expect(paths(orderFiles(all, past, { order: "name", seed: 0, failedFirst: false }))).toEqual(["a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "new0.py", "new1.py"]);
    expect(paths(orderFiles(all, past, { order: "name", seed: 0, failedFirst: true }))).toEqual(["c.py", "d.py", "f.py", "a.py", "b.py", "e.py", "new0.py", "new1.py"]);
  });

  it("shuffles the same way for the same seed, and differently for another", () => {
    const one = paths(orderFiles(all, past, { order: "random", seed: 42, failedFirst: false }));
    expect(paths(orderFiles([...all].reverse(), past, { order: "random", seed: 42, failedFirst: false }))).toEqual(one);
    expect(paths(orderFiles(all, past, { order: "random", seed: 43, failedFirst: false }))).not.toEqual(one);
    expect([...one].sort()).toEqual(paths(all).sort());
  });

  it("shuffles fairly enough: every position is reachable", () => {
    const firsts = new Set(Array.from({ length: 200 }, (_, seed) => shuffle(["a", "b", "c", "d"], seed)[0]));
    expect(firsts).toEqual(new Set(["a", "b", "c", "d"]));
  });
});

describe("--last-failed", () => {
  it("keeps the files that failed, timed out or were cancelled, but not the flaky", () => {
    const past = history({ "a.py": [1, "failed"], "b.py": [1, "flaky"], "c.py": [1, "timeout"], "d.py": [1, "cancelled"], "e.py": [1, "passed"] });
    const selected = selectLastFailed(files("a.py", "b.py", "c.py", "d.py", "e.py", "f.py"), past);
    expect(paths(selected.files)).toEqual(["a.py", "c.py", "d.py"]);
    expect(selected.everything).toBe(false);
  });

  it("narrows a file that failed to its failed tests, named by node id; a file that failed as a whole runs whole", () => {
    const past: History = {
      version: 1,
      files: {
        "tests/a.py": { seconds: 1, outcome: "failed", runs: 1, lastRun: "", failedTests: ["tests/a.py::TestK::test_x[1-2]", "tests/a.py::test_y"] },
        "tests/b.py": { seconds: 1, outcome: "failed", runs: 1, lastRun: "", failedTests: ["tests/b.py"] },
        "tests/c.py": { seconds: 1, outcome: "timeout", runs: 1, lastRun: "", failedTests: [] },
      },
    };
    const found = (path: string): TestFile => ({ path, named: null, folder: "tests", kind: "tests" });
    // Chosen among what the file's collection finds, as pytest's --lf chooses (a plugin may rename a test: SQLAlchemy's
    // test classes, which pytest did not find by name in a helper's trial on alembic): the file is given whole.
    expect(onlyFailedTests(found("tests/a.py"), past)).toEqual({ ...found("tests/a.py"), subset: { run: "failed", nodeids: ["tests/a.py::TestK::test_x[1-2]", "tests/a.py::test_y"] } });
    expect(onlyFailedTests(found("tests/b.py"), past)).toEqual(found("tests/b.py"));
    expect(onlyFailedTests(found("tests/c.py"), past)).toEqual(found("tests/c.py"));
    // A folder whose own collector yields its tests takes no node id ("directory argument cannot contain ::"): whole.
    const folder: TestFile = { ...found("tests/a.py"), folderEntry: true };
    expect(onlyFailedTests(folder, past, ["tests/a.py::test_y"])).toEqual(folder);
    const plan = planFiles(["tests/a.py", "tests/b.py", "tests/c.py", "tests/d.py"].map(found), past, { order: "name", seed: 0, lastFailed: true, failedFirst: false, shard: null, changed: null });
    expect(plan.files.map((f) => f.path)).toEqual(["tests/a.py", "tests/b.py", "tests/c.py"]);
    expect(plan.narrowed).toBe(true);
    expect(plan.narrowedBy).toEqual(["--last-failed"]);
    // Each whole file by what happened to it last time.
    expect(plan.notices.join()).toMatch(/the 2 tests that failed, and 2 whole files \(1 failed without a test to show for it, 1 timed out\)$/);
    const cancelled: History = { version: 1, files: { "tests/c.py": { ...(past.files["tests/c.py"] as History["files"][string]), outcome: "cancelled" }, "tests/d.py": { seconds: 1, outcome: "cancelled", runs: 1, lastRun: "" } } };
    const both = planFiles(["tests/c.py", "tests/d.py"].map(found), cancelled, { order: "name", seed: 0, lastFailed: true, failedFirst: false, shard: null, changed: null });
    expect(both.notices.join()).toMatch(/--last-failed: running 2 whole files that were cancelled$/);
  });

  it("reads pytest's own memory too: with the history, or alone where a plain pytest run wrote it since (a helper's false green)", () => {
    const past: History = { version: 1, files: { "tests/a.py": { seconds: 1, outcome: "failed", runs: 1, lastRun: "", failedTests: ["tests/a.py::test_x"] }, "tests/b.py": { seconds: 1, outcome: "passed", runs: 1, lastRun: "" } } };
    const found = ["tests/a.py", "tests/b.py", "tests/c.py"].map((path): TestFile => ({ path, named: null, folder: "tests", kind: "tests" }));
    const options = { order: "name", seed: 0, lastFailed: true, failedFirst: false, shard: null, changed: null } as const;
    const byFile = new Map([["tests/b.py", ["tests/b.py::test_y"]], ["tests/c.py", ["tests/c.py"]]]);
    const both = planFiles(found, past, { ...options, cached: { byFile, newerThanHistory: false } });
    expect(both.files.map((f) => [f.path, f.subset?.nodeids ?? null])).toEqual([["tests/a.py", ["tests/a.py::test_x"]], ["tests/b.py", ["tests/b.py::test_y"]], ["tests/c.py", null]]);
    // A plain pytest run since: test_x passed there (pytest forgot it), test_y failed, c.py did not collect.
    const plainSince = planFiles(found, past, { ...options, cached: { byFile, newerThanHistory: true } });
    expect(plainSince.files.map((f) => [f.path, f.subset?.nodeids ?? null])).toEqual([["tests/b.py", ["tests/b.py::test_y"]], ["tests/c.py", null]]);
  });

  it("says why --last-failed runs everything: nothing failed last time, or no run is recorded at all", () => {
    const found = ["tests/a.py"].map((path): TestFile => ({ path, named: null, folder: "tests", kind: "tests" }));
    const options = { order: "name", seed: 0, lastFailed: true, failedFirst: false, shard: null, changed: null } as const;
    expect(planFiles(found, EMPTY_HISTORY, options).notices).toEqual(["--last-failed: no earlier run of these files is recorded (grimoire-run's history, pytest's cache); running everything"]);
    const passed: History = { version: 1, files: { "tests/a.py": { seconds: 1, outcome: "passed", runs: 1, lastRun: "" } } };
    expect(planFiles(found, passed, options).notices).toEqual(["--last-failed: nothing failed, timed out or was cancelled last time; running everything"]);
  });

  it("runs everything when nothing failed, as pytest's --lf does", () => {
    const selected = selectLastFailed(files("a.py", "b.py"), history({ "a.py": [1, "passed"] }));
    expect(paths(selected.files)).toEqual(["a.py", "b.py"]);
    expect(selected.everything).toBe(true);
  });

  it("runs nothing when nothing failed under pytest's --lfnf none, and everything otherwise", () => {
    const past = history({ "a.py": [1, "passed"], "b.py": [1, "passed"] });
    const options = { order: "name", seed: 0, lastFailed: true, failedFirst: false, shard: null, changed: null } as const;
    const found = ["a.py", "b.py"].map((path): TestFile => ({ path, named: null, folder: ".", kind: "tests" }));
    const none = planFiles(found, past, { ...options, noneWhenNothingFailed: true });
    expect(none.files).toEqual([]);
    expect(none.notices.join()).toMatch(/running nothing \(pytest's --lfnf none\)/);
    expect(planFiles(found, past, options).files).toHaveLength(2);
  });
});

describe("--shard I/N", () => {
  it("reads I/N and refuses anything else", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    for (const bad of ["0/4", "5/4", "2", "a/b", "2/0", "-1/3"]) expect(() => parseShard(bad)).toThrow(/--shard must be I\/N/);
  });

  /** A long-tailed suite: a few long files and many short ones, seconds per file. */
  const longTailed: Record<string, number> = {};
  [8, 7.5, 6, 3].forEach((s, i) => (longTailed[`long_${i}.py`] = s));
  for (let i = 0; i < 40; i++) longTailed[`short_${String(i).padStart(2, "0")}.py`] = 0.2 + (i % 7) * 0.15;
  const longHistory = history(Object.fromEntries(Object.entries(longTailed).map(([p, s]) => [p, [s, "passed"]])));
  const all = Object.keys(longTailed);

  it.each([2, 3, 4, 7])("cuts %i disjoint parts that together hold every file", (count) => {
    const { parts } = partition(all, longHistory, count);
    const assigned = parts.flatMap((p) => p.paths);
    expect(assigned.sort()).toEqual([...all].sort());
    expect(new Set(assigned).size).toBe(all.length);
  });

  it("balances the parts within the longest file, and far closer on a long-tailed suite", () => {
    for (const count of [2, 3, 4]) {
      const { parts } = partition(all, longHistory, count);
      const sums = parts.map((p) => p.paths.reduce((s, f) => s + (longTailed[f] as number), 0));
      const spread = Math.max(...sums) - Math.min(...sums);
      expect(spread).toBeLessThanOrEqual(8);
      expect(spread).toBeLessThan(0.5);
    }
  });

  it("is the same on every machine: deterministic, whatever the input order", () => {
    const one = partition(all, longHistory, 3);
    const two = partition([...all].reverse(), longHistory, 3);
    expect(two).toEqual(one);
    expect(one.digest).toMatch(/^[0-9a-f]{12}$/);
    expect(partition(all, history({}), 3).digest).not.toBe(one.digest);
  });

  it("counts files without history as the mean of the others", () => {
    const past = history({ "a.py": [10, "passed"], "b.py": [2, "passed"] });
    const { parts } = partition(["a.py", "b.py", "new.py"], past, 2);
    expect(parts.map((p) => [p.paths, p.seconds])).toEqual([
      [["a.py"], 10],
      [["b.py", "new.py"], 8],
    ]);
  });

  it("makes no more parts than files: the shards past them are empty, however many there are", () => {
    expect(partition(["a.py"], history({}), 3).parts.map((p) => p.paths)).toEqual([["a.py"]]);
    expect(partition(["a.py", "b.py"], history({}), Number.MAX_SAFE_INTEGER).parts.map((p) => p.paths)).toEqual([["a.py"], ["b.py"]]);
    expect(partition([], history({}), 4).parts.map((p) => p.paths)).toEqual([[]]);
  });
});
