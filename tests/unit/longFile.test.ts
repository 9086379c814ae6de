/**
 * When a parallel run could not end before one long file, and the run says so,
 * with --split auto.
 */
import { describe, expect, it } from "vitest";
import { longFileHint } from "../../src/exec/longFile.js";
import type { FileStatus } from "../../src/model.js";

const COUNTS = { passed: 2, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 };
function file(path: string, tests: number[], extra: { iteration?: number; attempt?: number; parts?: [] } = {}) {
  const cases = tests.map((seconds, i) => ({ nodeid: `${path}::test_${i}`, outcome: "passed" as const, seconds }));
  return { path, status: "passed" as FileStatus, signal: null as string | null, iteration: 1, attempt: 1, durationSeconds: tests.reduce((a, b) => a + b, 0.2), parts: null, tests: COUNTS, cases, ...extra };
}
const LONG = file("tests/test_sync.py", Array.from({ length: 18 }, () => 0.5));
const SHORT = [file("tests/test_a.py", [0.4]), file("tests/test_b.py", [0.4]), file("tests/test_c.py", [0.4])];
const anyFile = () => true;

describe("the hint for --split auto", () => {
  it("names the file, the files' summed time and the workers' share", () => {
    expect(longFileHint([LONG, ...SHORT], 2, anyFile)).toBe(
      "tests/test_sync.py took 9.2 s, more than its share of the run (the files' 11.0 s over 2 workers, 5.5 s each): the run could not end before it. " +
        "--split auto runs such a file in parts, on several workers at once, cut by its tests' times as history recorded them (this run recorded them); see grimoire-run's docs/scheduling.md",
    );
  });

  it("says the workers it counts are a split run's where this run used fewer (one file on two CPUs: mkdocs' trial)", () => {
    expect(longFileHint([LONG, ...SHORT], 2, anyFile, 1)).toMatch(/\(the files' 11\.0 s over the 2 workers a split run would use \(this run used 1\), 5\.5 s each\)/);
  });

  it("says where one test bounds every part, and what is left to gain (prompt-toolkit's test_cli.py)", () => {
    const cli = file("tests/test_cli.py", [20, ...Array.from({ length: 12 }, () => 0.5)]);
    const shorts = Array.from({ length: 6 }, (_, i) => file(`tests/test_${i}.py`, [0.4]));
    expect(longFileHint([cli, ...shorts], 2, anyFile)).toMatch(/docs\/scheduling\.md\. Its longest test, tests\/test_cli\.py::test_0, took 20\.0 s of it, which no part goes below: about 6 s less at best$/);
    expect(longFileHint([LONG, ...SHORT], 2, anyFile)).not.toMatch(/longest test/);
  });

  it("says nothing when splitting could not save enough, or the file could not be split", () => {
    // Within its share, or its one long test is most of it, or it has one test.
    expect(longFileHint([file("tests/test_x.py", [2, 2]), file("tests/test_y.py", [3.5])], 2, anyFile)).toBeNull();
    expect(longFileHint([file("tests/test_x.py", [8, 0.5]), ...SHORT], 2, anyFile)).toBeNull();
    expect(longFileHint([file("tests/test_x.py", [9]), ...SHORT], 2, anyFile)).toBeNull();
    // Most of the file's time outside its tests (collecting thousands of generated tests): each part would pay it again.
    expect(longFileHint([{ ...file("tests/test_x.py", [2, 2]), durationSeconds: 10 }, ...SHORT], 2, anyFile)).toBeNull();
    expect(longFileHint([{ ...file("tests/test_x.py", [4, 4]), durationSeconds: 10 }, ...SHORT], 2, anyFile)).toMatch(/^tests\/test_x\.py took 10\.0 s/);
    // One worker, a file a next run with --split auto would not split (by its history, grimoire_serial, --no-split), a run that repeats its files.
    expect(longFileHint([LONG, ...SHORT], 1, anyFile)).toBeNull();
    expect(longFileHint([LONG, ...SHORT], 2, (path) => path !== "tests/test_sync.py")).toBeNull();
    expect(longFileHint([LONG, ...SHORT, { ...SHORT[0]!, iteration: 2 }], 2, anyFile)).toBeNull();
    // Its time was a hang's, ended by a timeout or a signal (python-socketio's admin tests, a helper's trial).
    expect(longFileHint([{ ...LONG, status: "timeout" as const, signal: null }, ...SHORT], 2, anyFile)).toBeNull();
    expect(longFileHint([{ ...LONG, status: "failed" as const, signal: "SIGABRT" }, ...SHORT], 2, anyFile)).toBeNull();
    expect(longFileHint([{ ...LONG, status: "failed" as const, signal: null }, ...SHORT], 2, anyFile)).not.toBeNull();
  });

  it("takes a file's tests' part from what its process said came after its collection, pytest's work for each test included", () => {
    // 51,000 tests of under a millisecond each, recorded as 0 s (packaging's test_version.py): 45 s, 40 of them after
    // its collection. By the tests' own seconds, 45 s would be what each part pays again, and no hint.
    const many = { ...file("tests/test_version.py", Array.from({ length: 2000 }, () => 0)), durationSeconds: 45 };
    const rest = [file("tests/test_a.py", [1]), file("tests/test_b.py", [1])];
    expect(longFileHint([many, ...rest], 2, anyFile)).toBeNull();
    expect(longFileHint([{ ...many, testsSeconds: 40 }, ...rest], 2, anyFile)).toMatch(/^tests\/test_version\.py took 45\.0 s, more than its share/);
    // Most of it in its collection (thousands of generated tests), as the process said: each part pays that again.
    expect(longFileHint([{ ...many, testsSeconds: 8 }, ...rest], 2, anyFile)).toBeNull();
  });

  it("looks at files run whole, in their first attempt", () => {
    expect(longFileHint([{ ...LONG, parts: [] }, ...SHORT], 2, anyFile)).toBeNull();
    expect(longFileHint([{ ...LONG, attempt: 2 }, ...SHORT], 2, anyFile)).toBeNull();
  });
});
