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

  it("keep a serial run's pytest configuration, ignoring what is not a string", () => {
    const records = parseRecords(lines({ t: "ini", rootdir: "/p", testpaths: ["tests", 1], pythonFiles: "test_*.py" }));
    expect(records.ini).toEqual({ rootdir: "/p", testpaths: ["tests"], pythonFiles: [], textFiles: [] });
    expect(parseRecords(lines({ t: "ini", testpaths: [] })).ini).toBeNull();
  });
});
