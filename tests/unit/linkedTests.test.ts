/**
 * Tests a plugin ties to other files' (pytest-dependency, pytest-order), read
 * from the processes' records and said once at the run's end; and the plugins'
 * options that act on a whole session, said before the first file.
 */
import { describe, expect, it } from "vitest";
import type { Listing } from "../../src/discovery/askPytest.js";
import { LinkedTestTally } from "../../src/exec/linkedTests.js";
import { parseRecords } from "../../src/exec/testRecords.js";
import { refusedInParallel, sessionWideWarnings } from "../../src/plan/planRun.js";

const lines = (...records: unknown[]): string => records.map((record) => JSON.stringify(record)).join("\n");

describe("linked tests in a process's records", () => {
  it("keeps each plugin's node ids, across records, and ignores what is not one", () => {
    const text = lines(
      { t: "linked", plugin: "pytest-dependency", tests: ["tests/test_b.py::test_x", 3] },
      { t: "linked", plugin: "pytest-dependency", tests: ["tests/test_b.py::test_y"] },
      { t: "linked", plugin: "pytest-order", tests: "tests/test_c.py::test_z" },
      { t: "finish", exitstatus: 0 },
    );
    expect([...parseRecords(text).linked]).toEqual([["pytest-dependency", ["tests/test_b.py::test_x", "tests/test_b.py::test_y"]]]);
    expect(parseRecords(lines({ t: "finish", exitstatus: 0 })).linked.size).toBe(0);
  });
});

describe("what the run says of them", () => {
  it("warns of pytest-dependency's skips, naming the first tests once each, and notes pytest-order's marks with their files", () => {
    const tally = new LinkedTestTally();
    tally.add(new Map([["pytest-dependency", ["t/test_b.py::a", "t/test_b.py::b"]]]));
    tally.add(new Map([["pytest-dependency", ["t/test_b.py::a", "t/test_c.py::c", "t/test_d.py::d"]], ["pytest-order", ["t/test_e.py::first"]]]));
    const [dependency, order, ...more] = tally.messages();
    expect(more).toEqual([]);
    expect(dependency?.type).toBe("warning");
    expect(dependency?.message).toMatch(/^pytest-dependency: 4 tests depend on tests of other files .* skipped them: t\/test_b\.py::a, t\/test_b\.py::b, t\/test_c\.py::c and t\/test_d\.py::d\. Plain pytest runs them/);
    expect(order).toEqual({ type: "notice", message: expect.stringMatching(/^pytest-order: 1 test in 1 file has an order mark .*\(t\/test_e\.py::first\)\. .*--order-scope=module/) });
  });

  it("says nothing when no file had such tests", () => {
    const tally = new LinkedTestTally();
    tally.add(new Map());
    expect(tally.messages()).toEqual([]);
  });
});

describe("plugins' options that act on the whole session", () => {
  const listing = (sessionWide: NonNullable<Listing["options"]["sessionWide"]>): Listing => ({ options: { sessionWide } }) as unknown as Listing;

  it("warns in a parallel run of a session-wide report, durations file or split, naming the option and grimoire-run's own", () => {
    const warnings = sessionWideWarnings(
      { mode: "parallel" },
      listing([
        ["pytest-html", "--html=report.html", "report"],
        ["pytest-split", "--store-durations", "durations"],
        ["pytest-split", "--splits=2", "splits"],
      ]),
    );
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^pytest-html's --html=report\.html writes one report .* over the last: it will hold one file's tests.*--report-html/);
    expect(warnings[1]).toMatch(/^pytest-split's --store-durations .* rewrites it with its own/);
    expect(warnings[2]).toMatch(/^pytest-split's --splits=2 .*--shard K\/N/);
  });

  it("warns of pytest-benchmark's saved runs, and refuses in a parallel run what would give a false result", () => {
    expect(sessionWideWarnings({ mode: "parallel" }, listing([["pytest-benchmark", "--benchmark-autosave", "saved run"]]))[0]).toMatch(/^pytest-benchmark's --benchmark-autosave saves .* a run per file/);
    const refusing = { options: { refusedInParallel: [["pytest-benchmark", "--benchmark-compare with --benchmark-save=base", "benchmark-compare"], ["inline-snapshot", "--inline-snapshot=fix", "inline-snapshot"], ["pytest-rerunfailures", "--max-suite-reruns=3", "suite-reruns"]] } } as unknown as Listing;
    const refused = refusedInParallel({ mode: "parallel" }, refusing)?.split("\n");
    expect(refused).toHaveLength(3);
    expect(refused?.[0]).toMatch(/^pytest-benchmark's --benchmark-compare with --benchmark-save=base: .* a regression would pass\. Name the run to compare with/);
    expect(refused?.[1]).toMatch(/^inline-snapshot's --inline-snapshot=fix writes snapshots .* Run it without --parallel/);
    expect(refused?.[2]).toMatch(/^pytest-rerunfailures' --max-suite-reruns=3 caps the reruns of a whole pytest session, .* every file would get the whole budget/);
    expect(refusedInParallel({ mode: "serial" }, refusing)).toBeNull();
    expect(refusedInParallel({ mode: "parallel" }, { options: {} } as unknown as Listing)).toBeNull();
  });

  it("says nothing in a serial run, one pytest session as in plain pytest, or without such options", () => {
    expect(sessionWideWarnings({ mode: "serial" }, listing([["pytest-html", "--html=report.html", "report"]]))).toEqual([]);
    expect(sessionWideWarnings({ mode: "parallel" }, listing([]))).toEqual([]);
    expect(sessionWideWarnings({ mode: "parallel" }, { options: {} } as unknown as Listing)).toEqual([]);
  });
});
