/**
 * When a parallel run's files are so quick that their own processes are most
 * of their cost, and the run says so, with --pack.
 */
import { describe, expect, it } from "vitest";
import { quickFilesHint, slowSessionsHint } from "../../src/exec/quickFiles.js";

const COUNTS = { passed: 1, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 };
/** A file's result: its process's seconds, and its tests' (one case). */
const file = (durationSeconds: number, testSeconds = 0, extra: { parts?: []; tests?: null; iteration?: number; attempt?: number } = {}) => ({
  iteration: 1,
  attempt: 1,
  durationSeconds,
  parts: null,
  tests: COUNTS,
  cases: [{ nodeid: "t.py::test", outcome: "passed" as const, seconds: testSeconds }],
  ...extra,
});

describe("the hint for --pack", () => {
  it("names the quick files, their median, their tests' time and what their own sessions took", () => {
    const results = [...Array.from({ length: 300 }, (_, i) => file(i % 2 === 0 ? 0.1 : 0.12, 0.01)), file(3, 3)];
    expect(quickFilesHint(results, 1)).toBe(
      "300 of the 301 files took under 1 s each (median 0.12 s), 33 s in all, of which 30 s went to the files' own pytest sessions (start-up, collection, and what their first calls build anew), not to their tests. " +
        "--pack runs them in shared processes, a worker's share at a time, each still reported on its own. Files in a pack share module state: keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md",
    );
  });

  it("speaks for a suite whose longer files take most of the time when the quick ones still lose seconds to their sessions", () => {
    // authlib's suite, as a helper measured it: 60 of 81 files under 1 s, 38 s, their tests 8 s; 82 s in all.
    const results = [...Array.from({ length: 60 }, () => file(0.63, 0.13)), ...Array.from({ length: 21 }, () => file(2.1, 1.3))];
    expect(quickFilesHint(results, 1)).toMatch(/^60 of the 81 files took under 1 s each \(median 0\.63 s\), 38 s in all, of which 30 s went to the files' own pytest sessions/);
  });

  it("leaves out files that failed before their first test: an internal error is quick, and no measure of a session", () => {
    const crashed = { ...file(0.4), status: "failed" as const, tests: { ...COUNTS, passed: 0 }, cases: [] };
    const quick = Array.from({ length: 30 }, () => file(0.5, 0.1));
    expect(quickFilesHint([...quick, ...Array.from({ length: 90 }, () => crashed)], 1)).toMatch(/^30 of the 30 files took under 1 s each/);
    expect(quickFilesHint(Array.from({ length: 120 }, () => crashed), 1)).toBeNull();
    expect(quickFilesHint(Array.from({ length: 120 }, () => ({ ...crashed, status: "passed" as const })), 1)).toMatch(/^120 of the 120 files/);
  });

  it("says nothing for a few quick files, for little time lost to their sessions, or when it is a small share of the run", () => {
    expect(quickFilesHint(Array.from({ length: 19 }, () => file(0.9)), 1)).toBeNull();
    expect(quickFilesHint(Array.from({ length: 60 }, () => file(0.04)), 1)).toBeNull();
    // A small suite whose sessions are most of its time: 44 files, 5 s of sessions of 5.3 s (simplejson's, a helper's trial).
    expect(quickFilesHint(Array.from({ length: 44 }, () => file(0.12, 0.006)), 1)).toMatch(/^44 of the 44 files took under 1 s each \(median 0\.12 s\), 5 s in all, of which 5 s went/);
    // Fewer seconds, but not most of the time: no hint.
    expect(quickFilesHint([...Array.from({ length: 44 }, () => file(0.12, 0.006)), file(9, 9)], 1)).toBeNull();
    // Quick, but their time is their tests'.
    expect(quickFilesHint(Array.from({ length: 100 }, () => file(0.5, 0.45)), 1)).toBeNull();
    expect(quickFilesHint([...Array.from({ length: 40 }, () => file(0.5, 0.1)), file(100, 100)], 1)).toBeNull();
  });

  it("says nothing for a run that repeats its files, whose rounds each count them again", () => {
    const rounds = [1, 2, 3].flatMap((iteration) => Array.from({ length: 40 }, () => file(0.6, 0, { iteration })));
    expect(quickFilesHint(rounds, 1)).toBeNull();
  });

  it("counts only files run whole that started, in their first attempt: a split file's parts are not packed", () => {
    const results = [...Array.from({ length: 19 }, () => file(0.6)), file(0.6, 0, { parts: [] }), file(0.6, 0, { tests: null }), file(0.6, 0, { attempt: 2 })];
    expect(quickFilesHint(results, 1)).toBeNull();
    expect(quickFilesHint([...results, file(0.6)], 1)).toMatch(/^20 of the 20 files took under 1 s each/);
  });
});

describe("the hint for --pack, where each file's own session takes seconds", () => {
  it("names the --pack-under that spares most of the sessions, with what it would spare (fastapi-users' conftest: 2.5 s a file)", () => {
    const results = [...Array.from({ length: 12 }, () => file(2.5, 0.05)), ...Array.from({ length: 6 }, () => file(10, 7.5))];
    expect(quickFilesHint(results, 1)).toBeNull();
    expect(slowSessionsHint(results, 2, 1)).toBe(
      "18 of the 18 files took under 11 s each, 90 s in all, of which 44 s went to the files' own pytest sessions (start-up, conftests, collection: 2.5 s a file at the median), not to their tests. " +
        "--pack --pack-under 11 runs them in shared processes, a worker's share at a time, each still reported on its own: up to about 20 s less wall time at 2 workers (39 s of the workers' time), a session being paid per worker's share instead of per file (each file is still collected). " +
        "Files in a pack share module state: keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md",
    );
  });

  it("says, after a --pack run that packed none of them, that --pack-under left them alone, and the one that would not (inflect's 9 s imports)", () => {
    const results = [...Array.from({ length: 12 }, () => file(2.5, 0.05)), ...Array.from({ length: 6 }, () => file(10, 7.5))];
    expect(slowSessionsHint(results, 2, 1, true)).toMatch(
      /^--pack left every file of 1 s or more \(--pack-under 1\) in a process of its own: 18 of the 18 such files took under 11 s each, 90 s in all, .* --pack --pack-under 11 runs them in shared processes/,
    );
    // A --pack-under that already packs what pays: nothing to say.
    expect(slowSessionsHint(results, 2, 11, true)).toBeNull();
  });

  it("says the wall time packing could save beside the longest file, which no pack shortens, and nothing where that is little (kombu's 22 s test_redis.py)", () => {
    const quick = Array.from({ length: 24 }, () => file(1.6, 0.01));
    // 38 s of quick files beside a 60 s file: the run takes the long file's 60 s, packed or not.
    expect(slowSessionsHint([...quick, file(60, 59.9)], 2, 1)).toBeNull();
    // Beside a 25 s file, the 2 workers' 31.7 s come to 25 s at best: about 7 s less, not the 17 s half the spared time makes.
    expect(slowSessionsHint([...quick, file(25, 24.9)], 2, 1)).toMatch(/up to about 7 s less wall time at 2 workers \(35 s of the workers' time\)/);
  });

  it("takes the least --pack-under that spares most of it: long files whose time is their tests' stay alone", () => {
    const results = [...Array.from({ length: 24 }, () => file(1.6, 0.01)), ...Array.from({ length: 4 }, () => file(30, 29))];
    expect(slowSessionsHint(results, 2, 1)).toMatch(/^24 of the 28 files took under 2 s each, .* --pack --pack-under 2 runs them/);
  });

  it("counts only the files that had a process of their own: doctest-only modules a run packed together are no session (boltons' suite)", () => {
    const own = Array.from({ length: 29 }, (_, i) => ({ ...file(1.4, 0.02), log: `t${i}.log`, path: `tests/t${i}.py` }));
    const modules = Array.from({ length: 32 }, (_, i) => ({ ...file(0.01, 0.01), log: "doctests.log", path: `boltons/m${i}.py` }));
    const hint = slowSessionsHint([...own, ...modules], 2, 1);
    expect(hint).toMatch(/^29 of the 29 files took under 2 s each, 41 s in all, of which 40 s went to the files' own pytest sessions \(start-up, conftests, collection: 1\.4 s a file at the median\)/);
    expect(quickFilesHint([...Array.from({ length: 30 }, (_, i) => ({ ...file(0.5, 0.01), log: `q${i}.log`, path: `q${i}.py` })), ...modules], 1)).toMatch(/^30 of the 30 files took under 1 s each \(median 0\.50 s\)/);
  });

  it("leaves the default's files to the quick files' notice, and says nothing for a few files a worker, a small share of the run, or a repeated run", () => {
    expect(slowSessionsHint(Array.from({ length: 30 }, () => file(0.5)), 2, 1)).toBeNull();
    expect(slowSessionsHint(Array.from({ length: 5 }, () => file(4, 0.1)), 2, 1)).toBeNull();
    expect(slowSessionsHint(Array.from({ length: 20 }, () => file(30, 28.5)), 2, 1)).toBeNull();
    expect(slowSessionsHint([1, 2].flatMap((iteration) => Array.from({ length: 12 }, () => file(2.5, 0, { iteration }))), 2, 1)).toBeNull();
  });
});
