import { describe, expect, it } from "vitest";
import { parseJUnit } from "../../src/exec/junit.js";

const REPORT = `<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="2" tests="6" time="0.1">
<testcase classname="tests.http.test_a" name="test_ok" time="0.010" />
<testcase classname="tests.http.test_a" name="test_ok2" time="0.020" />
<testcase classname="tests.http.test_a" name="test_fail" time="0.030"><failure message="assert 0">x</failure></testcase>
<testcase classname="tests.http.test_a" name="test_skip" time="0"><skipped message="s" /></testcase>
<testcase classname="tests.http.test_a.TestK" name="test_xfail" time="0"><skipped type="pytest.xfail" message="" /></testcase>
<testcase classname="tests.http.test_a" name="test_err" time="0"><error message="failed on setup">e</error></testcase>
</testsuite></testsuites>`;

describe("reading pytest's JUnit report", () => {
  it("takes the counts from the suite, passed being what is left", () => {
    expect(parseJUnit(REPORT).counts).toEqual({ passed: 2, failed: 1, skipped: 2, errors: 1 });
  });

  it("lists every case with its outcome and time", () => {
    const cases = parseJUnit(REPORT).cases;
    expect(cases.map((c) => c.outcome)).toEqual(["passed", "passed", "failed", "skipped", "skipped", "error"]);
    expect(cases[2]).toEqual({ classname: "tests.http.test_a", name: "test_fail", seconds: 0.03, outcome: "failed" });
  });

  it("reads a report with a single suite and no cases", () => {
    expect(parseJUnit('<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="0"></testsuite></testsuites>')).toEqual({
      counts: { passed: 0, failed: 0, skipped: 0, errors: 0 },
      cases: [],
    });
  });
});
