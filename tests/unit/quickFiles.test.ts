/**
 * When a parallel run's files are so quick that their own processes are most
 * of their cost, and the run says so, with --pack.
 */
import { describe, expect, it } from "vitest";
import { quickFilesHint } from "../../src/exec/quickFiles.js";

const COUNTS = { passed: 1, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 };
const file = (durationSeconds: number, extra: { parts?: []; tests?: null; iteration?: number; attempt?: number } = {}) => ({ iteration: 1, attempt: 1, durationSeconds, parts: null, tests: COUNTS, ...extra });

describe("the hint for --pack", () => {
  it("names the quick files, their median and their share of the files' time", () => {
    const results = [...Array.from({ length: 300 }, (_, i) => file(i % 2 === 0 ? 0.1 : 0.12)), file(3)];
    expect(quickFilesHint(results, 1)).toBe(
      "300 of the 301 files took under 1 s each (median 0.12 s), 33 s of the files' 36 s: for files this quick, each one's own pytest session (start-up, collection, and what its first calls build anew) is most of that time. " +
        "--pack runs them in shared processes, a worker's share at a time, each still reported on its own; files in a pack share module state, so keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md",
    );
  });

  it("says nothing for a few quick files, for a short run, or when most of the time is in long files", () => {
    expect(quickFilesHint(Array.from({ length: 39 }, () => file(0.9)), 1)).toBeNull();
    expect(quickFilesHint(Array.from({ length: 120 }, () => file(0.05)), 1)).toBeNull();
    expect(quickFilesHint([...Array.from({ length: 100 }, () => file(0.5)), file(60)], 1)).toBeNull();
  });

  it("says nothing for a run that repeats its files, whose rounds each count them again", () => {
    const rounds = [1, 2, 3].flatMap((iteration) => Array.from({ length: 40 }, () => file(0.6, { iteration })));
    expect(quickFilesHint(rounds, 1)).toBeNull();
  });

  it("counts only files run whole that started, in their first attempt: a split file's parts are not packed", () => {
    const results = [...Array.from({ length: 39 }, () => file(0.6)), file(0.6, { parts: [] }), file(0.6, { tests: null }), file(0.6, { attempt: 2 })];
    expect(quickFilesHint(results, 1)).toBeNull();
    expect(quickFilesHint([...results, file(0.6)], 1)).toMatch(/^40 of the 40 files took under 1 s each/);
  });
});
