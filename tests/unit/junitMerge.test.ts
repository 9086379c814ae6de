import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { combinedExitCode } from "../../src/mergeReports.js";
import { mergeJUnit } from "../../src/report/junitMerge.js";
import { fileResult } from "../helpers/results.js";

const pytestReport = (file: string, failures = 0) => `<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="${failures}" skipped="0" tests="2" time="0.5">
<testcase classname="${file}" name="test_one" time="0.2" />
<testcase classname="${file}" name="test_two" time="0.3">${failures > 0 ? '<failure message="assert 1 &lt; 0">E  assert 1 &lt; 0 &amp; more</failure>' : ""}</testcase>
</testsuite></testsuites>`;

const parse = (xml: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testsuite" || n === "testcase" }).parse(xml);

describe("the merged JUnit report", () => {
  it("holds one suite per execution, named after its file, with pytest's cases intact and the totals summed", () => {
    const xml = mergeJUnit([
      { result: fileResult({ path: "tests/a.py" }), results: [], xml: pytestReport("tests.a") },
      { result: fileResult({ path: "tests/b.py", status: "failed" }), results: [], xml: pytestReport("tests.b", 1) },
    ]);
    const doc = parse(xml);
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s: { name: string }) => s.name)).toEqual(["tests/a.py", "tests/b.py"]);
    expect(doc.testsuites).toMatchObject({ name: "grimoire-run", tests: "4", failures: "1", errors: "0", skipped: "0" });
    expect(suites[1].testcase[1].failure["#text"]).toBe("E  assert 1 < 0 & more");
    expect(suites[1].testcase[1].failure.message).toBe("assert 1 < 0");
  });

  it("cuts a process of several files (a serial run, a pack) into a suite for each, named after it, its counts worked out again", () => {
    const shared = `<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5" time="1.0" timestamp="2026-12-07T10:00:00" hostname="ci">
<testcase classname="tests.a" name="test_one" file="tests/a.py" time="0.2" />
<testcase classname="tests.a.TestK" name="test_two" time="0.3"><failure message="no">E  no</failure></testcase>
<testcase classname="tests.ab" name="test_three" file="tests/ab.py" time="0.1"><skipped message="later" /></testcase>
<testcase classname="" name="tests.bad" time="0.0"><error message="collection failure">E  ImportError</error></testcase>
<testcase classname="pkg.mod" name="pkg.mod.double" file="pkg/mod.py" time="0.4" />
</testsuite></testsuites>`;
    const files = ["tests/a.py", "tests/ab.py", "tests/bad.py", "pkg/mod.py", "tests/later.py"].map((path) =>
      fileResult({ path, status: path === "tests/later.py" ? "cancelled" : path === "tests/a.py" || path === "tests/bad.py" ? "failed" : "passed", reason: path === "tests/later.py" ? "not started" : null, log: null }),
    );
    const doc = parse(mergeJUnit([{ result: files[0] as (typeof files)[number], results: files, xml: shared }]));
    const suites = doc.testsuites.testsuite as { name: string; tests: string; failures: string; errors: string; skipped: string; time: string; hostname?: string; testcase?: { name: string }[] }[];
    expect(suites.map((suite) => [suite.name, suite.tests, suite.failures, suite.errors, suite.skipped])).toEqual([
      ["tests/a.py", "2", "1", "0", "0"],
      ["tests/ab.py", "1", "0", "0", "1"],
      ["tests/bad.py", "1", "0", "1", "0"],
      ["pkg/mod.py", "1", "0", "0", "0"],
      // Not reached by pytest's -x: said as the cancelled file it is.
      ["tests/later.py", "1", "0", "0", "1"],
    ]);
    expect(suites[0]).toMatchObject({ time: "0.500", hostname: "ci" });
    expect(doc.testsuites).toMatchObject({ tests: "6", failures: "1", errors: "1", skipped: "2" });
    // A case of none of the files (a report whose rootdir is not the project's): the suite stays whole, as it was.
    const stray = shared.replace('classname="pkg.mod" name="pkg.mod.double" file="pkg/mod.py"', 'classname="elsewhere.mod" name="x"');
    expect(parse(mergeJUnit([{ result: files[0] as (typeof files)[number], results: files, xml: stray }])).testsuites.testsuite.map((suite: { name: string }) => suite.name)).toEqual(["serial run"]);
  });

  it("keeps a message's newlines as pytest wrote them (&#10;), neither escaped twice nor left for a reader to take for spaces", () => {
    const report = pytestReport("tests.a").replace('<testcase classname="tests.a" name="test_one" time="0.2" />', '<testcase classname="tests.a" name="test_one" time="0.2"><failure message="assert 1 == 2&#10;  where 1 = f()">E  line one&#10;E  line two</failure></testcase>');
    const xml = mergeJUnit([{ result: fileResult({ path: "tests/a.py", status: "failed" }), results: [], xml: report }]);
    expect(xml).toContain('message="assert 1 == 2&#10;  where 1 = f()"');
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", htmlEntities: true, isArray: (n) => n === "testsuite" || n === "testcase" }).parse(xml);
    const failure = doc.testsuites.testsuite[0].testcase[0].failure;
    expect(failure.message).toBe("assert 1 == 2\n  where 1 = f()");
    expect(failure["#text"]).toBe("E  line one\nE  line two");
  });

  it("shows what pytest could not report: a crash or timeout as an error, a cancellation as a skip", () => {
    const xml = mergeJUnit([
      { result: fileResult({ path: "tests/crash.py", status: "failed", reason: "killed by SIGSEGV", tail: ["Fatal Python error"] }), results: [], xml: null },
      { result: fileResult({ path: "tests/slow.py", status: "timeout", reason: "no result within the 30s time limit" }), results: [], xml: pytestReport("tests.slow") },
      { result: fileResult({ path: "tests/later.py", status: "cancelled", reason: "not started", log: null }), results: [], xml: null },
      { result: fileResult({ path: "tests/after.py", status: "cancelled", reason: "not reached: pytest stopped at the first failure (-x or --maxfail)", log: null }), results: [], xml: null },
    ]);
    const doc = parse(xml);
    const byName = Object.fromEntries(doc.testsuites.testsuite.map((s: { name: string }) => [s.name, s]));
    expect(byName["tests/crash.py"].testcase[0].error).toMatchObject({ message: "killed by SIGSEGV", "#text": "Fatal Python error" });
    // What pytest reported before the file was stopped and the stop itself, in the file's one suite, its counts summed.
    const slow = doc.testsuites.testsuite.filter((s: { name: string }) => s.name === "tests/slow.py");
    expect(slow).toHaveLength(1);
    expect(slow[0].testcase.map((c: { name: string }) => c.name)).toEqual(["test_one", "test_two", "(timeout)"]);
    expect(slow[0]).toMatchObject({ tests: "3", errors: "1", failures: "0" });
    expect(slow[0].testcase[2].error.message).toBe("no result within the 30s time limit");
    expect(byName["tests/later.py"].testcase[0].skipped.message).toBe("cancelled before it started");
    // A serial run's file that pytest's -x never reached: said so, not "cancelled while running" (a helper's trial).
    expect(byName["tests/after.py"].testcase[0].skipped.message).toBe("cancelled, not reached: pytest stopped at the first failure (-x or --maxfail)");
    expect(doc.testsuites).toMatchObject({ tests: "6", errors: "2", skipped: "2" });
  });

  it("a process killed before pytest wrote its report keeps the tests it recorded, named as pytest names them", () => {
    const cases = [
      { nodeid: "tests/test_srv.py::test_one", outcome: "passed" as const, seconds: 0.5 },
      { nodeid: "tests/test_srv.py::TestWorkers::test_two[2]", outcome: "failed" as const, seconds: 1, failures: [{ when: "call", message: "AssertionError: assert 1 == 2", text: "def test_two():\n>   assert 1 == 2", sections: [] }] },
      { nodeid: "tests/test_srv.py::test_three", outcome: "xfailed" as const, seconds: 0.1 },
    ];
    const killed = fileResult({ path: "tests/test_srv.py", status: "timeout", reason: "no result within the 6s time limit", cases });
    const doc = parse(mergeJUnit([{ result: killed, results: [killed], xml: null }]));
    const [suite] = doc.testsuites.testsuite;
    expect(suite).toMatchObject({ name: "tests/test_srv.py", tests: "3", failures: "1", errors: "0", skipped: "1" });
    expect(suite.testcase.map((c: { classname: string; name: string }) => `${c.classname} ${c.name}`)).toEqual(["tests.test_srv test_one", "tests.test_srv.TestWorkers test_two[2]", "tests.test_srv test_three"]);
    expect(suite.testcase[1].failure).toMatchObject({ message: "AssertionError: assert 1 == 2", "#text": "def test_two():\n>   assert 1 == 2" });
    expect(suite.testcase[2].skipped.message).toBe("xfail");
    // All it recorded passed: the timeout itself is the file's error, beside them.
    const passedThenKilled = fileResult({ path: "tests/test_srv.py", status: "timeout", reason: "no result within the 6s time limit", cases: [cases[0] as (typeof cases)[0]] });
    const [alone] = parse(mergeJUnit([{ result: passedThenKilled, results: [passedThenKilled], xml: null }])).testsuites.testsuite;
    expect(alone.testcase.map((c: { name: string }) => c.name)).toEqual(["test_one", "(timeout)"]);
    expect(alone).toMatchObject({ tests: "2", errors: "1" });
  });

  it("leaves out the nameless testcase pytest writes for a test a stop interrupted, which a dashboard would count as passed", () => {
    const interrupted = pytestReport("tests.slow").replace(/<testcase classname="tests.slow" name="test_two" time="0.3"><\/testcase>/, '<testcase time="0.005" />');
    const xml = mergeJUnit([{ result: fileResult({ path: "tests/slow.py", status: "timeout", reason: "no result within the 1s time limit" }), results: [], xml: interrupted }]);
    const cases = parse(xml).testsuites.testsuite[0].testcase;
    expect(cases.map((c: { classname?: string; name?: string }) => [c.classname, c.name])).toEqual([
      ["tests.slow", "test_one"],
      ["tests.slow", "(timeout)"],
    ]);
  });

  it("names the test a stop interrupted as pytest names a test, so that a dashboard shows which one hung", () => {
    const xml = mergeJUnit([
      { result: fileResult({ path: "tests/http/slow.py", status: "timeout", reason: "no result within the 1s time limit", stoppedIn: "tests/http/slow.py::TestWait::test_hangs[2]" }), results: [], xml: pytestReport("tests.http.slow") },
      { result: fileResult({ path: "tests/other.py", status: "cancelled", reason: "cancelled while running", stoppedIn: "tests/other.py::test_waits" }), results: [], xml: null },
    ]);
    const [slow, other] = parse(xml).testsuites.testsuite;
    expect(slow.testcase.map((c: { classname: string; name: string }) => [c.classname, c.name]).at(-1)).toEqual(["tests.http.slow.TestWait", "test_hangs[2]"]);
    expect(slow.testcase.at(-1).error.message).toBe("no result within the 1s time limit");
    expect(other.testcase[0]).toMatchObject({ classname: "tests.other", name: "test_waits", skipped: { message: "cancelled while running" } });
  });

  it("names the interrupted test beside a report's own failures too: a hang after a failure, a file stopped after its test failed", () => {
    const xml = mergeJUnit([
      { result: fileResult({ path: "tests/slow.py", status: "timeout", reason: "no result within the 1s time limit", stoppedIn: "tests/slow.py::test_hangs" }), results: [], xml: pytestReport("tests.slow", 1) },
      { result: fileResult({ path: "tests/b.py", status: "failed", reason: "a test of it failed before the run stopped it", stoppedIn: "tests/b.py::test_slow" }), results: [], xml: pytestReport("tests.b", 1) },
    ]);
    const [slow, b] = parse(xml).testsuites.testsuite;
    expect(slow.testcase.at(-1)).toMatchObject({ name: "test_hangs", error: { message: "no result within the 1s time limit" } });
    expect(slow).toMatchObject({ tests: "3", failures: "1", errors: "1" });
    expect(b.testcase.at(-1)).toMatchObject({ name: "test_slow", skipped: { message: "stopped by the run (a test of it failed before the run stopped it)" } });
    expect(b).toMatchObject({ tests: "3", failures: "1", skipped: "1" });
  });

  it("with --flaky-result pass, folds a flaky file's failed attempts into its passing one, as Surefire writes reruns; with fail, shows both", () => {
    const executions = [
      { result: fileResult({ path: "tests/a.py", status: "failed", attempt: 1 }), results: [], xml: pytestReport("tests.a", 1) },
      { result: fileResult({ path: "tests/b.py", status: "passed", attempt: 1 }), results: [], xml: pytestReport("tests.b") },
      { result: fileResult({ path: "tests/a.py", status: "flaky", attempt: 2, startSeconds: 3 }), results: [], xml: pytestReport("tests.a") },
    ].map((e) => ({ ...e, results: [e.result] }));
    const passing = parse(mergeJUnit(executions, { flakyPasses: true }));
    expect(passing.testsuites).toMatchObject({ tests: "4", failures: "0", errors: "0" });
    const a = passing.testsuites.testsuite.filter((suite: { name: string }) => suite.name.startsWith("tests/a.py"));
    expect(a).toHaveLength(1);
    expect(a[0].name).toBe("tests/a.py [iteration 1, attempt 2]");
    expect(a[0].testcase[1]).toMatchObject({ name: "test_two", flakyFailure: { message: "assert 1 < 0", "#text": "E  assert 1 < 0 & more" } });
    expect(a[0].testcase[0].flakyFailure).toBeUndefined();

    const failing = parse(mergeJUnit(executions));
    expect(failing.testsuites).toMatchObject({ tests: "6", failures: "1" });
    expect(failing.testsuites.testsuite.filter((suite: { name: string }) => suite.name.startsWith("tests/a.py"))).toHaveLength(2);
  });

  it("folds a serial run's failed attempt into the retry that passed, the files of its process each in their own suite (rfc3986's trial)", () => {
    const report = (failing: boolean) => `<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="${failing ? 1 : 0}" skipped="0" tests="${failing ? 1 : 2}" time="1.0" timestamp="2026-12-07T10:00:00" hostname="ci">
<testcase classname="tests.once" name="test_once" file="tests/once.py" time="0.1">${failing ? '<failure message="assert not True">E  assert not True</failure>' : ""}</testcase>
${failing ? "" : '<testcase classname="tests.other" name="test_other" file="tests/other.py" time="0.1" />'}
</testsuite></testsuites>`;
    const first = fileResult({ path: "tests/once.py", status: "failed", attempt: 1, log: "serial.log" });
    const once = fileResult({ path: "tests/once.py", status: "flaky", attempt: 2, log: "serial.a2.log" });
    const other = fileResult({ path: "tests/other.py", status: "passed", attempt: 2, log: "serial.a2.log" });
    const executions = [
      { result: first, results: [first], xml: report(true) },
      { result: once, results: [once, other], xml: report(false) },
    ];
    const merged = parse(mergeJUnit(executions, { flakyPasses: true }));
    expect(merged.testsuites).toMatchObject({ tests: "2", failures: "0", errors: "0" });
    expect(merged.testsuites.testsuite.map((s: { name: string }) => s.name)).toEqual(["tests/once.py [iteration 1, attempt 2]", "tests/other.py [iteration 1, attempt 2]"]);
    expect(merged.testsuites.testsuite[0].testcase[0]).toMatchObject({ name: "test_once", flakyFailure: { message: "assert not True" } });
  });

  it("names iterations and attempts when there are several", () => {
    const xml = mergeJUnit([
      { result: fileResult({ path: "tests/a.py", iteration: 1 }), results: [], xml: pytestReport("tests.a") },
      { result: fileResult({ path: "tests/a.py", iteration: 2, attempt: 2 }), results: [], xml: pytestReport("tests.a") },
    ]);
    expect(parse(xml).testsuites.testsuite.map((s: { name: string }) => s.name)).toEqual(["tests/a.py [iteration 1, attempt 1]", "tests/a.py [iteration 2, attempt 2]"]);
  });
});

describe("the exit code of merged shards", () => {
  it("is the worst of theirs", () => {
    expect(combinedExitCode([0, 0])).toBe(0);
    expect(combinedExitCode([0, 5])).toBe(0);
    expect(combinedExitCode([5, 5])).toBe(5);
    expect(combinedExitCode([0, 1, 5])).toBe(1);
    expect(combinedExitCode([1, 3])).toBe(3);
    expect(combinedExitCode([3, 130])).toBe(130);
  });
});
