import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HISTORY_LOCK_POLL_MS, HISTORY_NODEID_MAX_CHARS, HISTORY_RECENT_RUNS } from "../../src/defaults.js";
import { runsNodeIdsOnly, type FileResult, type FlakeRate, type TestCase } from "../../src/model.js";
import { flakeRate, flakyFiles } from "../../src/plan/flakes.js";
import { formatFlaky } from "../../src/report/flaky.js";
import { palette } from "../../src/report/style.js";
import { onlyFailedTests } from "../../src/plan/planFiles.js";
import { EMPTY_HISTORY, readHistory, readHistoryChecked, recordRun, updateHistory, type History } from "../../src/plan/history.js";
import { orderFiles } from "../../src/plan/order.js";
import { collectionRequest } from "../../src/discovery/selection.js";
import { fileResult } from "../helpers/results.js";

const now = new Date("2026-11-22T10:00:00Z");

describe("updating the history", () => {
  it("smooths durations: half way from the old estimate to this run's", () => {
    const first = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", durationSeconds: 4 })], now);
    expect(first.files["a.py"]).toEqual({ seconds: 4, outcome: "passed", runs: 1, lastRun: now.toISOString(), failedTests: [], recent: "P", tests: {} });
    const second = updateHistory(first, [fileResult({ path: "a.py", durationSeconds: 8 })], now);
    expect(second.files["a.py"]?.seconds).toBe(6);
    expect(second.files["a.py"]?.runs).toBe(2);
  });

  it("keeps durations measured afresh (no fork server, start-up included) apart from forked ones, each replacing the other only where it is all there is", () => {
    const forked = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", durationSeconds: 0.3 })], now);
    // A run without the fork server: its 2.4 s hold Python's and pytest's start, and move nothing forked.
    const afresh = updateHistory(forked, [fileResult({ path: "a.py", durationSeconds: 2.4, fresh: true })], now);
    expect(afresh.files["a.py"]).toMatchObject({ seconds: 0.3, runs: 2 });
    expect(afresh.files["a.py"]).not.toHaveProperty("fresh");
    // Only ever afresh: those seconds, said to be so, smoothed among themselves, replaced by the first forked run.
    const onlyFresh = updateHistory(updateHistory(EMPTY_HISTORY, [fileResult({ path: "b.py", durationSeconds: 2, fresh: true })], now), [fileResult({ path: "b.py", durationSeconds: 3, fresh: true })], now);
    expect(onlyFresh.files["b.py"]).toMatchObject({ seconds: 2.5, fresh: true });
    const thenForked = updateHistory(onlyFresh, [fileResult({ path: "b.py", durationSeconds: 0.4 })], now);
    expect(thenForked.files["b.py"]?.seconds).toBe(0.4);
    expect(thenForked.files["b.py"]).not.toHaveProperty("fresh");
  });

  it("moves a file's duration only by runs of the whole file: a run of some of its tests gives a first estimate at most", () => {
    const whole = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", durationSeconds: 40 })], now);
    const some = updateHistory(whole, [fileResult({ path: "a.py", durationSeconds: 2 }), fileResult({ path: "b.py", durationSeconds: 3 })], now, null, new Set(["a.py", "b.py"]));
    expect(some.files["a.py"]?.seconds).toBe(40);
    expect(some.files["b.py"]?.seconds).toBe(3);
    expect(some.files["a.py"]?.runs).toBe(2);
  });

  it("takes no duration from a run pytest stopped at a failure (-x, --maxfail) but its first estimate, and still counts its failure", () => {
    const whole = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", durationSeconds: 40 })], now);
    const stopped = fileResult({ path: "a.py", status: "failed", durationSeconds: 2, cutShort: true, cases: [{ nodeid: "a.py::t", outcome: "failed", seconds: 1 }] });
    const after = updateHistory(whole, [stopped], now);
    expect(after.files["a.py"]).toMatchObject({ seconds: 40, outcome: "failed", recent: "PF", failedTests: ["a.py::t"] });
    expect(updateHistory(EMPTY_HISTORY, [stopped], now).files["a.py"]?.seconds).toBe(2);
    const retried = updateHistory(whole, [stopped, fileResult({ path: "a.py", attempt: 2, status: "flaky", durationSeconds: 30 })], now);
    expect(retried.files["a.py"]?.seconds).toBe(35);
  });

  it("remembers which tests failed, by pytest node id, and forgets them once the file passes", () => {
    const cases = [
      { nodeid: "a.py::t_ok", outcome: "passed" as const, seconds: 1 },
      { nodeid: "a.py::t_bad[1]", outcome: "failed" as const, seconds: 1 },
      { nodeid: "a.py::t_teardown", outcome: "error" as const, seconds: 1 },
      { nodeid: "a.py::t_x", outcome: "xfailed" as const, seconds: 1 },
    ];
    const failed = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", status: "failed", cases })], now);
    expect(failed.files["a.py"]?.failedTests).toEqual(["a.py::t_bad[1]", "a.py::t_teardown"]);
    expect(updateHistory(failed, [fileResult({ path: "a.py" })], now).files["a.py"]?.failedTests).toEqual([]);
  });

  it("remembers no test by a node id longer than HISTORY_NODEID_MAX_CHARS (python-multipart's megabyte payloads), and still the file's outcome", () => {
    const huge = `a.py::t_payload[${"x".repeat(HISTORY_NODEID_MAX_CHARS)}]`;
    const cases = [
      { nodeid: "a.py::t_ok", outcome: "passed" as const, seconds: 1 },
      { nodeid: huge, outcome: "failed" as const, seconds: 2 },
    ];
    const entry = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", status: "failed", cases })], now).files["a.py"];
    expect(entry).toMatchObject({ outcome: "failed", recent: "F", failedTests: [], tests: { "a.py::t_ok": "P" }, testSeconds: { "a.py::t_ok": 1 } });
    expect(JSON.stringify(entry).length).toBeLessThan(1000);
  });

  it("keeps a failed test a run of some of the file's tests did not run, as pytest's last-failed memory does; forgets it once it passes", () => {
    const failing = (nodeid: string) => ({ nodeid, outcome: "failed" as const, seconds: 1 });
    const passing = (nodeid: string) => ({ nodeid, outcome: "passed" as const, seconds: 1 });
    const failed = updateHistory(EMPTY_HISTORY, [fileResult({ path: "b.py", status: "failed", cases: [failing("b.py::b1"), passing("b.py::b2")] })], now);
    // -k "not b1": b2 alone ran and passed; b1 still failed (a helper's trial: --last-failed then skipped it, a false green).
    const narrowed = updateHistory(failed, [fileResult({ path: "b.py", cases: [passing("b.py::b2")] })], now, null, new Set(["b.py"]));
    expect(narrowed.files["b.py"]).toMatchObject({ outcome: "failed", failedTests: ["b.py::b1"] });
    expect(onlyFailedTests({ path: "b.py", kind: "tests", named: null, folder: "." }, narrowed)).toMatchObject({ subset: { run: "failed", nodeids: ["b.py::b1"] } });
    const fixed = updateHistory(narrowed, [fileResult({ path: "b.py", cases: [passing("b.py::b1")] })], now, null, new Set(["b.py"]));
    expect(fixed.files["b.py"]).toMatchObject({ outcome: "passed", failedTests: [] });
    // A run of the whole file says it all.
    expect(updateHistory(failed, [fileResult({ path: "b.py", cases: [passing("b.py::b2")] })], now).files["b.py"]).toMatchObject({ outcome: "passed", failedTests: [] });
  });

  it("keeps the seconds of the tests a run of some of them left out, or pytest never reached; forgets a test a whole run no longer has", () => {
    const passing = (nodeid: string, seconds: number) => ({ nodeid, outcome: "passed" as const, seconds });
    const all = [passing("f.py::a", 10), passing("f.py::b", 10), passing("f.py::c", 10)];
    const first = updateHistory(EMPTY_HISTORY, [fileResult({ path: "f.py", cases: all })], now);
    // pytest-rerunfailures' trial: a -k run of one test left the file's other tests without seconds, and the next
    // --split auto saw a file of one short test.
    const narrowed = updateHistory(first, [fileResult({ path: "f.py", cases: [passing("f.py::a", 0.2)] })], now, null, new Set(["f.py"]));
    expect(narrowed.files["f.py"]?.testSeconds).toEqual({ "f.py::a": 5.1, "f.py::b": 10, "f.py::c": 10 });
    const stopped = updateHistory(first, [fileResult({ path: "f.py", status: "failed", cutShort: true, cases: [{ nodeid: "f.py::a", outcome: "failed", seconds: 2 }] })], now);
    expect(Object.keys(stopped.files["f.py"]?.testSeconds ?? {}).sort()).toEqual(["f.py::a", "f.py::b", "f.py::c"]);
    // A run of the whole file says which tests it has: c is gone.
    const whole = updateHistory(first, [fileResult({ path: "f.py", cases: [passing("f.py::a", 10), passing("f.py::b", 10)] })], now);
    expect(Object.keys(whole.files["f.py"]?.testSeconds ?? {}).sort()).toEqual(["f.py::a", "f.py::b"]);
  });

  it("remembers what a process of the file pays besides its tests, and its tests' seconds, from processes of its own that ran to their end", () => {
    // 12 s, 9 of them after collection: 3 s a process pays again (start, collecting the whole file).
    const first = updateHistory(EMPTY_HISTORY, [fileResult({ path: "f.py", log: "f.log", durationSeconds: 12, testsSeconds: 9 })], now);
    expect(first.files["f.py"]).toMatchObject({ perProcessSeconds: 3, afterCollectionSeconds: 9 });
    // Smoothed as a file's seconds are; a run of some of its tests (-k) says what a process pays, not what the tests take.
    const narrowed = updateHistory(first, [fileResult({ path: "f.py", log: "f.log", durationSeconds: 6, testsSeconds: 1 })], now, null, new Set(["f.py"]));
    expect(narrowed.files["f.py"]).toMatchObject({ perProcessSeconds: 4, afterCollectionSeconds: 9 });
    // A split file's parts: each paid its own start; their tests together are the file's.
    const parts = { durationSeconds: 14, testsSeconds: 8, parts: [1, 2].map((slot) => ({ status: "passed" as const, slot, startSeconds: 0, durationSeconds: 7, tests: null, log: null, junit: null, coverageData: null })) };
    expect(updateHistory(first, [fileResult({ path: "f.py", log: "f.log", ...parts })], now).files["f.py"]).toMatchObject({ perProcessSeconds: 3, afterCollectionSeconds: 8.5 });
    // A process shared with other files (a pack), one cut off, or one that did not say: nothing learned, nothing lost.
    const shared = updateHistory(first, [fileResult({ path: "f.py", log: "pack.log", durationSeconds: 1, testsSeconds: 1 }), fileResult({ path: "g.py", log: "pack.log", durationSeconds: 1, testsSeconds: 1 })], now);
    expect(shared.files["f.py"]).toMatchObject({ perProcessSeconds: 3, afterCollectionSeconds: 9 });
    expect(shared.files["g.py"]).not.toHaveProperty("perProcessSeconds");
    const cancelled = updateHistory(first, [fileResult({ path: "f.py", log: "f.log", status: "cancelled", durationSeconds: 1, testsSeconds: 0.5 })], now);
    expect(cancelled.files["f.py"]).toMatchObject({ perProcessSeconds: 3, afterCollectionSeconds: 9 });
    expect(updateHistory(EMPTY_HISTORY, [fileResult({ path: "f.py", log: "f.log", durationSeconds: 12 })], now).files["f.py"]).not.toHaveProperty("perProcessSeconds");
    // Moved by kind as the file's seconds are: a run afresh (Python's start in it) moves no forked figure; forked ones
    // replace afresh ones.
    const afresh = updateHistory(first, [fileResult({ path: "f.py", log: "f.log", durationSeconds: 14, testsSeconds: 9, fresh: true })], now);
    expect(afresh.files["f.py"]).toMatchObject({ perProcessSeconds: 3, afterCollectionSeconds: 9 });
    const onlyFresh = updateHistory(EMPTY_HISTORY, [fileResult({ path: "f.py", log: "f.log", durationSeconds: 14, testsSeconds: 9, fresh: true })], now);
    expect(updateHistory(onlyFresh, [fileResult({ path: "f.py", log: "f.log", durationSeconds: 10, testsSeconds: 8 })], now).files["f.py"]).toMatchObject({ perProcessSeconds: 2, afterCollectionSeconds: 8 });
  });

  it("keeps a failed test a run of the whole file never reached, pytest having stopped at an earlier failure (a serial run's -x)", () => {
    const failing = (nodeid: string) => ({ nodeid, outcome: "failed" as const, seconds: 1 });
    const passing = (nodeid: string) => ({ nodeid, outcome: "passed" as const, seconds: 1 });
    const failed = updateHistory(EMPTY_HISTORY, [fileResult({ path: "b.py", status: "failed", cases: [passing("b.py::b1"), failing("b.py::b2[x]"), failing("b.py::b2[y]"), failing("b.py::b2[z]")] })], now);
    // stamina's trial: the file ran whole, stopped at b2[x]; b2[y] and b2[z] were never reached, and were forgotten.
    const stopped = updateHistory(failed, [fileResult({ path: "b.py", status: "failed", cutShort: true, cases: [passing("b.py::b1"), failing("b.py::b2[x]")] })], now);
    expect(stopped.files["b.py"]).toMatchObject({ outcome: "failed" });
    expect([...(stopped.files["b.py"]?.failedTests ?? [])].sort()).toEqual(["b.py::b2[x]", "b.py::b2[y]", "b.py::b2[z]"]);
    // Run to its end, the file says it all.
    const whole = updateHistory(stopped, [fileResult({ path: "b.py", status: "failed", cases: [passing("b.py::b1"), failing("b.py::b2[x]"), passing("b.py::b2[y]"), passing("b.py::b2[z]")] })], now);
    expect(whole.files["b.py"]?.failedTests).toEqual(["b.py::b2[x]"]);
  });

  it("remembers a failure in any iteration over later passes, and a retried pass as flaky", () => {
    const looped = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", iteration: 1, status: "failed" }), fileResult({ path: "a.py", iteration: 2 })], now);
    expect(looped.files["a.py"]?.outcome).toBe("failed");
    const retried = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", status: "failed" }), fileResult({ path: "a.py", attempt: 2, status: "flaky" })], now);
    expect(retried.files["a.py"]?.outcome).toBe("flaky");
  });

  it("learns nothing about duration from a cancelled file, and at least the limit from a timeout", () => {
    const past = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", durationSeconds: 3 }), fileResult({ path: "b.py", durationSeconds: 3 })], now);
    const next = updateHistory(
      past,
      [fileResult({ path: "a.py", status: "cancelled", durationSeconds: 0.5 }), fileResult({ path: "b.py", status: "timeout", durationSeconds: 30 }), fileResult({ path: "c.py", status: "cancelled", log: null, slot: -1 })],
      now,
    );
    expect(next.files["a.py"]).toMatchObject({ seconds: 3, outcome: "cancelled" });
    expect(next.files["b.py"]).toMatchObject({ seconds: 30, outcome: "timeout" });
    expect(next.files["c.py"]).toMatchObject({ seconds: null, outcome: "cancelled", runs: 0 });
  });

  it("takes how long a file never run to its end had run when cut off, as a lower bound its next run to an end replaces", () => {
    const cut = updateHistory(EMPTY_HISTORY, [fileResult({ path: "s.py", status: "cancelled", durationSeconds: 8 }), fileResult({ path: "c.py", status: "cancelled", log: null, slot: -1 })], now);
    expect(cut.files["s.py"]).toMatchObject({ seconds: 8, outcome: "cancelled", atLeast: true });
    expect(cut.files["c.py"]).toMatchObject({ seconds: null, outcome: "cancelled" });
    expect(cut.files["c.py"]).not.toHaveProperty("atLeast");
    // Not reached by a stopped serial run (its process's log, no time of its own): nothing learnt.
    expect(updateHistory(EMPTY_HISTORY, [fileResult({ path: "n.py", status: "cancelled", log: "serial.log", durationSeconds: 0 })], now).files["n.py"]).toMatchObject({ seconds: null });
    // Started first next time: the file known to take 8 s before the one never started.
    const order = orderFiles([{ path: "c.py" }, { path: "s.py" }], cut, { order: "history", seed: 0, failedFirst: true });
    expect(order.map((f) => f.path)).toEqual(["s.py", "c.py"]);
    // Cut off again sooner: still at least 8 s. Then run to its end: measured, not smoothed from the bound.
    const again = updateHistory(cut, [fileResult({ path: "s.py", status: "cancelled", durationSeconds: 2 })], now);
    expect(again.files["s.py"]).toMatchObject({ seconds: 8, atLeast: true });
    const ended = updateHistory(again, [fileResult({ path: "s.py", durationSeconds: 12 })], now);
    expect(ended.files["s.py"]).toMatchObject({ seconds: 12, outcome: "passed" });
    expect(ended.files["s.py"]).not.toHaveProperty("atLeast");
    // Measured once, a cut-off run says nothing more: the smoothed figure stays.
    expect(updateHistory(ended, [fileResult({ path: "s.py", status: "cancelled", durationSeconds: 1 })], now).files["s.py"]).toMatchObject({ seconds: 12 });
  });
});

describe("recent outcomes and flake rates", () => {
  const pass = (nodeid: string): TestCase => ({ nodeid, outcome: "passed", seconds: 0.1 });
  const fail = (nodeid: string): TestCase => ({ nodeid, outcome: "failed", seconds: 0.1 });
  const run = (history: History, ...results: FileResult[]): History => updateHistory(history, results, now);

  it("keeps a letter per run of each file and each test: P passed, F failed, K failed then passed on a retry, - no verdict", () => {
    let history = run(EMPTY_HISTORY, fileResult({ path: "a.py", cases: [pass("a.py::t1"), pass("a.py::t2"), { nodeid: "a.py::t3", outcome: "skipped", seconds: 0 }] }));
    history = run(history, fileResult({ path: "a.py", status: "failed", cases: [pass("a.py::t1"), fail("a.py::t2")] }));
    history = run(history, fileResult({ path: "a.py", status: "failed", cases: [fail("a.py::t2")] }), fileResult({ path: "a.py", attempt: 2, status: "flaky", cases: [pass("a.py::t1"), pass("a.py::t2")] }));
    expect(history.files["a.py"]?.recent).toBe("PFK");
    // t3 never had a verdict: it is not kept. t1 was absent from nothing; t2 failed, then failed and passed on the retry.
    expect(history.files["a.py"]?.tests).toEqual({ "a.py::t1": "PPP", "a.py::t2": "PFK" });
  });

  it("adds one letter per iteration, and nothing for a cancelled run", () => {
    const looped = run(EMPTY_HISTORY, fileResult({ path: "a.py", iteration: 1 }), fileResult({ path: "a.py", iteration: 2, status: "failed" }), fileResult({ path: "a.py", iteration: 3, status: "timeout" }));
    expect(looped.files["a.py"]?.recent).toBe("PFF");
    const cancelled = run(looped, fileResult({ path: "a.py", status: "cancelled" }), fileResult({ path: "b.py", status: "cancelled", log: null, slot: -1 }));
    expect(cancelled.files["a.py"]?.recent).toBe("PFF");
  });

  it("adds nothing for a run that says nothing of the file's tests: none selected, or pytest rejecting its arguments", () => {
    const broken = run(EMPTY_HISTORY, fileResult({ path: "a.py", status: "failed", exitCode: 1, cases: [fail("a.py::t")] }));
    const deselected = run(broken, fileResult({ path: "a.py", status: "no-tests", exitCode: 5 }));
    const rejected = run(deselected, fileResult({ path: "a.py", status: "failed", exitCode: 4 }));
    expect(rejected.files["a.py"]?.recent).toBe("F");
    expect(rejected.files["a.py"]?.tests).toEqual({ "a.py::t": "F" });
    // Some of its tests selected (-k): the file as a whole gets no letter, the tests that ran do.
    const partial = run(rejected, fileResult({ path: "a.py", cases: [pass("a.py::u")], tests: { passed: 1, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 1 } }));
    expect(partial.files["a.py"]?.recent).toBe("F");
    expect(partial.files["a.py"]?.tests).toEqual({ "a.py::t": "F-", "a.py::u": "P" });
    expect(flakyFiles(partial)).toEqual([]);
    // Only a node id of it given (a.py::u): pytest deselects nothing, and the file as a whole still gets no letter.
    const byNodeId = updateHistory(partial, [fileResult({ path: "a.py", cases: [pass("a.py::u")] })], new Date(), null, new Set(["a.py"]));
    expect(byNodeId.files["a.py"]?.recent).toBe("F");
    expect(byNodeId.files["a.py"]?.tests).toEqual({ "a.py::t": "F--", "a.py::u": "PP" });
  });

  it("adds nothing for a run in which the module failed to import: a missing package installed since is no flake", () => {
    const collectError = (nodeid: string): TestCase => ({ nodeid, outcome: "error", seconds: 0, failures: [{ when: "collect", message: "ModuleNotFoundError: No module named 'humanize._version'", text: null, sections: [] }] });
    const broken = run(EMPTY_HISTORY, fileResult({ path: "a.py", status: "failed", exitCode: 2, cases: [collectError("a.py")] }));
    const fixed = run(broken, fileResult({ path: "a.py", cases: [pass("a.py::t")] }));
    expect(fixed.files["a.py"]?.recent).toBe("P");
    expect(flakyFiles(fixed)).toEqual([]);
    // A test that errors in its set-up is a test that ran: it counts.
    const setupError: TestCase = { nodeid: "a.py::t", outcome: "error", seconds: 0, failures: [{ when: "setup", message: "fixture 'db' not found", text: null, sections: [] }] };
    expect(run(fixed, fileResult({ path: "a.py", status: "failed", exitCode: 1, cases: [setupError] })).files["a.py"]?.recent).toBe("PF");
  });

  it("knows the files a run gives pytest only node ids of: named so, or by --last-failed", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-named-"));
    try {
      fs.mkdirSync(path.join(root, "tests"));
      for (const name of ["a", "b", "c", "d"]) fs.writeFileSync(path.join(root, "tests", `${name}.py`), "");
      const request = collectionRequest({ root, paths: ["tests/a.py::t", "tests/b.py", "tests/c.py::u", "tests/c.py", "./tests/d.py::C::m"], scope: "all" });
      expect([...request.named].filter(([file, named]) => runsNodeIdsOnly({ path: file, named })).map(([file]) => file)).toEqual(["tests/a.py", "tests/d.py"]);
      // --last-failed names a file's failed tests by node id too.
      const failedBefore = run(EMPTY_HISTORY, fileResult({ path: "tests/b.py", status: "failed", cases: [fail("tests/b.py::t"), pass("tests/b.py::u")] }));
      expect(runsNodeIdsOnly(onlyFailedTests({ path: "tests/b.py", named: null, folder: "tests", kind: "tests" }, failedBefore))).toBe(true);
      expect(runsNodeIdsOnly({ path: "tests/b.py", named: null })).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("remembers only the last HISTORY_RECENT_RUNS runs, and forgets a test with no verdict in them", () => {
    let history = run(EMPTY_HISTORY, fileResult({ path: "a.py", status: "failed", cases: [fail("a.py::gone")] }));
    for (let i = 0; i < HISTORY_RECENT_RUNS; i++) history = run(history, fileResult({ path: "a.py", cases: [pass("a.py::new")] }));
    expect(history.files["a.py"]?.recent).toBe("P".repeat(HISTORY_RECENT_RUNS));
    expect(Object.keys(history.files["a.py"]?.tests ?? {})).toEqual(["a.py::new"]);
    expect(flakyFiles(history)).toEqual([]);
  });

  it("rates a file, and its tests, that both passed and failed recently; most failing first", () => {
    const history: History = {
      version: 1,
      files: {
        "steady.py": { seconds: 1, outcome: "passed", runs: 5, lastRun: "", recent: "PPPPP" },
        "broken.py": { seconds: 1, outcome: "failed", runs: 3, lastRun: "", recent: "FFF" },
        "wobbly.py": { seconds: 1, outcome: "passed", runs: 4, lastRun: "", recent: "PFPP", tests: { "wobbly.py::t": "PF-P", "wobbly.py::u": "PPPP" } },
        "retried.py": { seconds: 1, outcome: "flaky", runs: 2, lastRun: "", recent: "PK" },
        "old.py": { seconds: 1, outcome: "passed", runs: 9, lastRun: "" },
        // One test always fails, another flips: the file failed every run, and says so beside its flaky test.
        "mixed.py": { seconds: 1, outcome: "failed", runs: 3, lastRun: "", recent: "FFF", tests: { "mixed.py::always": "FFF", "mixed.py::flips": "PFP" } },
      },
    };
    // A file listed for its flaky test ranks by that test (1 of 3), not by its own runs, all failed (anyio's suite).
    expect(flakyFiles(history)).toEqual([
      { path: "retried.py", runs: 2, failed: 1, retried: 1, tests: [] },
      { path: "mixed.py", runs: 3, failed: 3, tests: [{ nodeid: "mixed.py::flips", runs: 3, failed: 1 }] },
      { path: "wobbly.py", runs: 4, failed: 1, tests: [{ nodeid: "wobbly.py::t", runs: 3, failed: 1 }] },
    ]);
    // And shows no rate of its own, under a heading that says the list holds files whose tests passed and failed.
    expect(formatFlaky(flakyFiles(history), { colours: palette(false), maxFiles: 5, maxTests: 5 })).toEqual([
      "Flaky recently (passed and failed, or hold tests that did, within their last 20 runs): 3 files",
      "   50%  retried.py  failed 1 of its last 2 runs, passing on a retry",
      "        mixed.py  failed each of its last 3 runs; flaky tests in it:",
      "        mixed.py::flips  failed 1 of its last 3 runs (33%)",
      "   25%  wobbly.py  failed 1 of its last 4 runs",
      "        wobbly.py::t  failed 1 of its last 3 runs (33%)",
    ]);
    expect(flakyFiles(history, ["wobbly.py", "steady.py", "nowhere.py"]).map((f) => f.path)).toEqual(["wobbly.py"]);
    // A file listed for its tests whose every failure passed on a retry (it ended FLAKY, passing) says so: "failed in
    // its one recent run" of it read as a contradiction (two helpers' trials).
    const retriedOnly = (recent: string) => formatFlaky([{ path: "r.py", ...(flakeRate(recent) as FlakeRate), tests: [{ nodeid: "r.py::t", runs: 2, failed: 1 }] }], { colours: palette(false), maxFiles: 5, maxTests: 5 })[1];
    expect(retriedOnly("K")).toBe("        r.py  failed, then passed on a retry, in its one recent run; flaky tests in it:");
    expect(retriedOnly("KK")).toBe("        r.py  failed each of its last 2 runs, each time passing on a retry; flaky tests in it:");
    expect(retriedOnly("FK")).toBe("        r.py  failed each of its last 2 runs, 1 of them passing on a retry; flaky tests in it:");
    expect(flakeRate("K")).toEqual({ runs: 1, failed: 1, retried: 1 });
    expect(flakeRate("FF-F")).toBeNull();
  });

  it("calls a pass and a failure flaky only on the same source: a test that failed and was fixed is not", () => {
    const on = (history: History, source: string | null, ...results: FileResult[]): History => updateHistory(history, results, now, source);
    // Broken on purpose, then fixed: the failures and the pass were recorded on different source.
    let history = on(EMPTY_HISTORY, "aaa", fileResult({ path: "a.py", cases: [pass("a.py::t")] }));
    history = on(history, "bbb", fileResult({ path: "a.py", status: "failed", cases: [fail("a.py::t")] }));
    history = on(history, "bbb", fileResult({ path: "a.py", status: "failed", cases: [fail("a.py::t")] }));
    history = on(history, "ccc", fileResult({ path: "a.py", cases: [pass("a.py::t")] }));
    expect(history.files["a.py"]).toMatchObject({ recent: "P|FF|P", tests: { "a.py::t": "P|FF|P" }, source: "ccc" });
    expect(flakyFiles(history)).toEqual([]);
    // The same source passing, then failing: a flake, rated over every recent run.
    history = on(history, "ccc", fileResult({ path: "a.py", status: "failed", cases: [fail("a.py::t")] }));
    expect(flakyFiles(history)).toEqual([{ path: "a.py", runs: 5, failed: 3, tests: [{ nodeid: "a.py::t", runs: 5, failed: 3 }] }]);
    // A run that records nothing (cancelled) or knows no source (outside git) changes no stretch.
    history = on(history, "ddd", fileResult({ path: "a.py", status: "cancelled" }));
    history = on(history, null, fileResult({ path: "a.py", cases: [pass("a.py::t")] }));
    expect(history.files["a.py"]).toMatchObject({ recent: "P|FF|PFP", source: "ccc" });
    // The window counts runs, not the marks between them, and never starts with one.
    for (let i = 0; i < HISTORY_RECENT_RUNS - 2; i++) history = on(history, `s${i}`, fileResult({ path: "a.py", cases: [pass("a.py::t")] }));
    const recent = history.files["a.py"]?.recent ?? "";
    expect(recent.replaceAll("|", "")).toHaveLength(HISTORY_RECENT_RUNS);
    expect(recent.startsWith("|")).toBe(false);
    expect(flakeRate("P|F|P|F")).toBeNull();
    expect(flakeRate("P|FP")).toEqual({ runs: 3, failed: 1 });
    expect(flakeRate("F|K")).toEqual({ runs: 2, failed: 2, retried: 1 });
  });

  it("reads a history written before recent outcomes existed, and starts them from there", () => {
    const old: History = { version: 1, files: { "a.py": { seconds: 2, outcome: "failed", runs: 7, lastRun: "2026-01-01T00:00:00.000Z", failedTests: ["a.py::t"] } } };
    expect(flakyFiles(old)).toEqual([]);
    const next = run(old, fileResult({ path: "a.py", cases: [pass("a.py::t")] }));
    expect(next.files["a.py"]).toMatchObject({ runs: 8, recent: "P", tests: { "a.py::t": "P" } });
  });
});

describe("the history file", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
  });

  it("loses no update when runs record at the same time", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-history-"));
    roots.push(root);
    await Promise.all(Array.from({ length: 20 }, (_, i) => recordRun(root, [fileResult({ path: `f${i}.py`, durationSeconds: i })], now)));
    const recorded = readHistory(root);
    expect(Object.keys(recorded.files)).toHaveLength(20);
    expect(fs.readdirSync(path.join(root, ".grimoire"))).toEqual(["history.json"]);
  });

  it("keeps, reading it back, that a file's seconds were measured afresh, or are only a lower bound", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-history-"));
    roots.push(root);
    await recordRun(root, [fileResult({ path: "a.py", durationSeconds: 2, fresh: true }), fileResult({ path: "b.py", durationSeconds: 1 }), fileResult({ path: "c.py", status: "cancelled", durationSeconds: 4 })], now);
    const recorded = readHistory(root);
    expect(recorded.files["a.py"]).toMatchObject({ seconds: 2, fresh: true });
    expect(recorded.files["b.py"]).not.toHaveProperty("fresh");
    expect(recorded.files["b.py"]).not.toHaveProperty("atLeast");
    expect(recorded.files["c.py"]).toMatchObject({ seconds: 4, atLeast: true });
  });

  it("waits for a lock its holder has created and not yet written its pid into", async () => {
    // Another run between creating the lock (O_EXCL) and writing its pid: taking it over then would lose that run's update.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-history-"));
    roots.push(root);
    fs.mkdirSync(path.join(root, ".grimoire"));
    const lock = path.join(root, ".grimoire", "history.json.lock");
    fs.writeFileSync(lock, "");
    let recorded = false;
    const recording = recordRun(root, [fileResult({ path: "a.py" })], now).then(() => (recorded = true));
    // Twenty polls of the lock, and it is still waited for.
    await new Promise((resolve) => setTimeout(resolve, 20 * HISTORY_LOCK_POLL_MS));
    expect(recorded).toBe(false);
    expect(fs.existsSync(path.join(root, ".grimoire", "history.json"))).toBe(false);
    fs.rmSync(lock);
    await recording;
    expect(Object.keys(readHistory(root).files)).toEqual(["a.py"]);
  });

  it("takes over a lock whose holder died, and reads a damaged file as empty", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-history-"));
    roots.push(root);
    fs.mkdirSync(path.join(root, ".grimoire"));
    fs.writeFileSync(path.join(root, ".grimoire", "history.json"), "{ not json");
    fs.writeFileSync(path.join(root, ".grimoire", "history.json.lock"), "999999999");
    expect(readHistory(root)).toEqual(EMPTY_HISTORY);
    await recordRun(root, [fileResult({ path: "a.py" })], now);
    expect(Object.keys(readHistory(root).files)).toEqual(["a.py"]);
  });

  it("leaves out entries that are not what it writes, and keeps a file that is not JSON aside before writing a new one", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-history-"));
    roots.push(root);
    fs.mkdirSync(path.join(root, ".grimoire"));
    const file = path.join(root, ".grimoire", "history.json");
    const good = { seconds: 1, outcome: "passed", runs: 2, lastRun: "2026-01-01T00:00:00.000Z" };
    fs.writeFileSync(file, JSON.stringify({ version: 1, files: { "a.py": good, "b.py": { ...good, runs: "x" }, "c.py": { ...good, seconds: -5 }, "d.py": [1], "e.py": { ...good, outcome: "weird" } } }));
    const read = readHistoryChecked(root);
    expect(read.history.files).toEqual({ "a.py": good });
    expect(read.problem).toBe("4 entries for b.py, c.py, d.py, … could not be read and were left out");
    await recordRun(root, [fileResult({ path: "b.py", durationSeconds: 3 })], now);
    expect(readHistory(root).files["b.py"]).toMatchObject({ seconds: 3, runs: 1 });

    // The flake letters and the tests' seconds are read back; one that is not what grimoire-run writes is left out alone.
    const full = { ...good, recent: "PPF", tests: { "a.py::t": "PPF" }, testSeconds: { "a.py::t": 0.5 }, perProcessSeconds: 0.1, afterCollectionSeconds: 0.4 };
    fs.writeFileSync(file, JSON.stringify({ version: 1, files: { "a.py": full, "b.py": { ...full, testSeconds: { "b.py::t": "slow" }, tests: [1], perProcessSeconds: -1, afterCollectionSeconds: "9" } } }));
    expect(readHistoryChecked(root)).toMatchObject({ problem: null, history: { files: { "a.py": full, "b.py": { ...good, recent: "PPF" } } } });
    expect(readHistory(root).files["b.py"]).not.toHaveProperty("testSeconds");
    expect(readHistory(root).files["b.py"]).not.toHaveProperty("perProcessSeconds");
    expect(readHistory(root).files["b.py"]).not.toHaveProperty("afterCollectionSeconds");

    fs.writeFileSync(file, "\u0000{ not json");
    expect(readHistoryChecked(root)).toMatchObject({ history: EMPTY_HISTORY, unreadable: true, problem: expect.stringMatching(/^it is not JSON \(.*\)$/) });
    await recordRun(root, [fileResult({ path: "a.py" })], now);
    expect(fs.readFileSync(`${file}.damaged`, "utf8")).toBe("\u0000{ not json");
    expect(Object.keys(readHistory(root).files)).toEqual(["a.py"]);
  });
});

describe("xdist_group names in the history", () => {
  const now = new Date("2026-12-05T10:00:00Z");

  it("remembers a file's groups from the run that collected its tests, keeps them through a run that did not, and forgets removed ones", () => {
    const learned = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", groups: ["db", "ports"] }), fileResult({ path: "b.py", groups: [] })], now);
    expect(learned.files["a.py"]?.groups).toEqual(["db", "ports"]);
    expect(learned.files["b.py"]?.groups).toBeUndefined();
    // Stopped at an import: nothing was collected, what was known stands.
    const kept = updateHistory(learned, [fileResult({ path: "a.py", status: "failed" })], now);
    expect(kept.files["a.py"]?.groups).toEqual(["db", "ports"]);
    const dropped = updateHistory(kept, [fileResult({ path: "a.py", groups: [] })], now);
    expect(dropped.files["a.py"]?.groups).toBeUndefined();
  });
});
