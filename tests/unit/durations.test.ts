/** pytest's --durations list, merged from a parallel run's processes into the one a plain run prints. */
import { describe, expect, it } from "vitest";
import type { ProcessDurations } from "../../src/exec/testRecords.js";
import { DurationsTally } from "../../src/report/durations.js";

function process(count: number, shown: [string, string, number][], hidden: number, min = 0.005, minGiven = false): ProcessDurations {
  return { count, min, minGiven, shown: shown.map(([nodeid, when, seconds]) => ({ nodeid, when, seconds })), hidden };
}

describe("DurationsTally", () => {
  it("lists the N longest phases of the whole run, longest first, in pytest's lines", () => {
    const tally = new DurationsTally();
    tally.add(process(3, [["t/test_a.py::test_x", "call", 0.5], ["t/test_a.py::test_y", "setup", 0.2]], 4));
    tally.add(process(3, [["t/test_b.py::test_z", "teardown", 1.234], ["t/test_b.py::test_w", "call", 0.1]], 2));
    expect(tally.lines(80)).toEqual([
      "============================= slowest 3 durations ==============================",
      "1.23s teardown t/test_b.py::test_z",
      "0.50s call     t/test_a.py::test_x",
      "0.20s setup    t/test_a.py::test_y",
    ]);
  });

  it("says how many of the N it hid for being under the minimum, with pytest's advice unless --durations-min was given", () => {
    const tally = new DurationsTally();
    tally.add(process(5, [["t/test_a.py::test_x", "call", 0.5]], 3));
    tally.add(process(5, [], 7));
    expect(tally.lines(40).slice(-2)).toEqual(["", "(4 durations < 0.005s hidden.  Use -vv to show these durations.)"]);

    const given = new DurationsTally();
    given.add(process(0, [["t/test_a.py::test_x", "call", 0.5]], 3, 1e-5, true));
    given.add(process(0, [], 7, 1e-5, true));
    expect(given.lines(40)).toEqual(["========== slowest durations ===========", "0.50s call     t/test_a.py::test_x", "", "(10 durations < 1e-05s hidden.)"]);
  });

  it("keeps the longest however many processes add theirs (a long --loop)", () => {
    const tally = new DurationsTally();
    for (let i = 1; i <= 50; i++) tally.add(process(2, [[`t/test_${i}.py::test_x`, "call", i / 100]], 1));
    expect(tally.lines(80).slice(1)).toEqual(["0.50s call     t/test_50.py::test_x", "0.49s call     t/test_49.py::test_x"]);
  });

  it("prints nothing when no process was asked for durations, or none ran a test", () => {
    const none = new DurationsTally();
    none.add(null);
    none.add(undefined);
    expect(none.lines(80)).toEqual([]);
    const empty = new DurationsTally();
    empty.add(process(10, [], 0));
    expect(empty.lines(80)).toEqual([]);
  });

  it("fits pytest's 80 columns off a terminal", () => {
    const tally = new DurationsTally();
    tally.add(process(2, [["t/test_a.py::test_x", "call", 0.5]], 0));
    expect(tally.lines(null)[0]).toHaveLength(80);
  });
});
