/**
 * What a process's records say beyond its tests: the test a stop interrupted, and a serial run's pytest
 * configuration (in place of the listing's).
 */
import { describe, expect, it } from "vitest";
import { parseRecords, relativeRecords } from "../../src/exec/testRecords.js";

const lines = (...records: unknown[]): string => records.map((record) => JSON.stringify(record)).join("\n");

describe("a process's records", () => {
  it("keep the test a stop interrupted, with its file as a project path", () => {
    const records = parseRecords(lines({ t: "stopped", nodeid: "tests/test_a.py::test_hang", path: "/p/tests/test_a.py" }, { t: "stopped", nodeid: 3 }));
    expect(records.stoppedIn).toEqual({ nodeid: "tests/test_a.py::test_hang", path: "/p/tests/test_a.py" });
    expect(relativeRecords(records, "/p").stoppedIn).toEqual({ nodeid: "tests/test_a.py::test_hang", path: "tests/test_a.py" });
    expect(parseRecords(lines({ t: "finish", exitstatus: 0 })).stoppedIn).toBeNull();
  });

  it("count no failure of the test a stop interrupted that it reported after the stop: the stop's doing (a KeyboardInterrupt caught)", () => {
    const test = (nodeid: string, when: string, category: string) => ({ t: "test", nodeid, path: "/p/t.py", when, category, seconds: 0.01 });
    const records = parseRecords(
      lines(
        test("t.py::test_before", "setup", ""),
        test("t.py::test_before", "call", "failed"),
        test("t.py::test_before", "teardown", ""),
        test("t.py::test_cli", "setup", ""),
        { t: "stopped", nodeid: "t.py::test_cli", path: "/p/t.py" },
        test("t.py::test_cli", "call", "failed"),
        test("t.py::test_cli", "teardown", "error"),
      ),
    );
    const file = records.files.get("/p/t.py");
    expect(file?.cases.map((c) => [c.nodeid, c.outcome])).toEqual([["t.py::test_before", "failed"]]);
    expect(file?.counts).toMatchObject({ passed: 0, failed: 1, errors: 0 });
    // A failure the stop did not interrupt stays one, after the stop as before it.
    const other = parseRecords(lines({ t: "stopped", nodeid: "t.py::test_cli", path: "/p/t.py" }, test("t.py::test_other", "call", "failed")));
    expect(other.files.get("/p/t.py")?.counts.failed).toBe(1);
  });

  it("keep two tests of one node id apart (a plugin's collector that names items alike), and a rerun test as one", () => {
    // docopt-ng's trial: 178 items of tests/testcases.docopt, 84 node ids; the report's cases had 84, its counts 178.
    const phases = (nodeid: string, call: string) => [
      { t: "test", nodeid, path: "/p/t.cases", when: "setup", category: "", seconds: 0.01 },
      { t: "test", nodeid, path: "/p/t.cases", when: "call", category: call, seconds: 0.01 },
      { t: "test", nodeid, path: "/p/t.cases", when: "teardown", category: "", seconds: 0.01 },
    ];
    const records = parseRecords(lines(...phases("t.cases::case", "passed"), ...phases("t.cases::case", "failed"), ...phases("t.cases::case", "passed")));
    const file = records.files.get("/p/t.cases");
    expect(file?.cases.map((c) => [c.nodeid, c.outcome])).toEqual([
      ["t.cases::case", "passed"],
      ["t.cases::case", "failed"],
      ["t.cases::case", "passed"],
    ]);
    expect(file?.counts).toMatchObject({ passed: 2, failed: 1 });
    // pytest-rerunfailures: the failing attempt's call says "rerun", then the next attempt's setup follows: one test.
    const rerun = parseRecords(lines(...phases("t.py::test_flaky", "rerun"), ...phases("t.py::test_flaky", "passed"), ...phases("t.py::test_next", "passed")));
    expect(rerun.files.get("/p/t.cases")?.cases.map((c) => [c.nodeid, c.outcome])).toEqual([
      ["t.py::test_flaky", "passed"],
      ["t.py::test_next", "passed"],
    ]);
  });

  it("keep a serial run's pytest configuration, ignoring what is not a string", () => {
    const records = parseRecords(lines({ t: "ini", rootdir: "/p", testpaths: ["tests", 1], pythonFiles: "test_*.py" }));
    expect(records.ini).toEqual({ rootdir: "/p", testpaths: ["tests"], pythonFiles: [], textFiles: [] });
    expect(parseRecords(lines({ t: "ini", testpaths: [] })).ini).toBeNull();
  });
});
