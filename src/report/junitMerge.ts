/**
 * One JUnit XML document from every pytest process's own report, for CI
 * test dashboards: a `<testsuite>` per execution, named after its file (and
 * iteration and attempt when there are several). An execution pytest could
 * not report on (crashed, timed out, cancelled) still shows, as an error or
 * a skip, so that the dashboard never looks greener than the run.
 */
import fs from "node:fs";
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import { failedOnItsOwn, type FileResult } from "../model.js";
import { compareCodeUnits } from "../projectPaths.js";
import { escapeHtml } from "./htmlText.js";

type Node = Record<string, unknown> & { ":@"?: Record<string, string> };

// Character references too (pytest writes a message's newlines as &#10;): the values are the texts themselves.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
});
// Escaped here rather than by the builder, which leaves a newline in an attribute as it is (a reader then takes it
// for a space) and would escape a character reference a second time.
const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  suppressEmptyNode: true,
  processEntities: false,
  attributeValueProcessor: (_name: string, value: unknown) => escapeXml(String(value), true),
  tagValueProcessor: (_name: string, value: unknown) => escapeXml(String(value), false),
});

/** HTML's escapes are XML's; an attribute also keeps its line breaks and tabs as references, as pytest writes them. */
function escapeXml(text: string, attribute: boolean): string {
  const escaped = escapeHtml(text);
  return attribute ? escaped.replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;") : escaped;
}

export interface JUnitExecution {
  /** The file's result, or the serial run's first file's, whose fate the suite reports. */
  result: FileResult;
  /** For the whole-run suite of a serial run: all its files' results. */
  results: readonly FileResult[];
  /** The pytest process's report, or null when it wrote none. */
  xml: string | null;
}

/** The suites of a JUnit document, as nodes (pytest writes `<testsuites><testsuite>`; others write a bare `<testsuite>`). */
export function suitesOf(xml: string): Node[] {
  const nodes = parser.parse(xml) as Node[];
  const root = nodes.find((n) => "testsuites" in n);
  if (root !== undefined) return (root["testsuites"] as Node[]).filter((n) => "testsuite" in n);
  return nodes.filter((n) => "testsuite" in n);
}

/** Sums the suites' counts into one `<testsuites>` document. */
export function junitDocument(suites: Node[], name = "grimoire-run"): string {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  for (const suite of suites) {
    const attrs = suite[":@"] ?? {};
    totals.tests += Number(attrs["@_tests"] ?? 0) || 0;
    totals.failures += Number(attrs["@_failures"] ?? 0) || 0;
    totals.errors += Number(attrs["@_errors"] ?? 0) || 0;
    totals.skipped += Number(attrs["@_skipped"] ?? 0) || 0;
    totals.time += Number(attrs["@_time"] ?? 0) || 0;
  }
  const root: Node = {
    testsuites: suites,
    ":@": {
      "@_name": name,
      "@_tests": String(totals.tests),
      "@_failures": String(totals.failures),
      "@_errors": String(totals.errors),
      "@_skipped": String(totals.skipped),
      "@_time": totals.time.toFixed(3),
    },
  };
  return `<?xml version="1.0" encoding="utf-8"?>\n${builder.build([root]) as string}\n`;
}

/**
 * `flakyPasses` (--flaky-result pass): a file that passed on a retry counts as passed, and so it reads
 * on a dashboard: its earlier attempts' suites give way to the passing one, whose testcases carry
 * each earlier failure as a `<flakyFailure>` (or `<flakyError>`), as Maven's Surefire writes its
 * reruns (Jenkins shows them as flaky; GitLab reads a passed test). Before, the failed attempt's
 * `<failure>` stood beside the pass, and a run that passed showed as failed (a helper's CI trial).
 */
export function mergeJUnit(executions: readonly JUnitExecution[], options: { flakyPasses?: boolean } = {}): string {
  const several = new Set(executions.map((e) => `${e.result.iteration}/${e.result.attempt}`)).size > 1;
  const suites: Node[] = [];
  const retried = options.flakyPasses === true ? retriedBeforeAPass(executions) : new Map<FileResult, FileSuites[]>();
  // The earlier attempts' suites of a file that passed on a retry, dropped where they stand: their failures are its.
  const folded = new Set([...retried.values()].flat().map((earlier) => earlier.result));
  for (const execution of executions) {
    if (execution.results.length === 1 && folded.has(execution.result)) continue;
    const { result } = execution;
    const nameOf = (base: string, of: FileResult): string => (several ? `${base} [iteration ${of.iteration}, attempt ${of.attempt}]` : base);
    const shared = execution.results.length > 1;
    const name = nameOf(shared ? "serial run" : result.path, result);
    const own = suitesOrNone(execution.xml);
    // pytest never wrote its report (the process was killed): the tests it recorded as they ended stand in for it.
    if (own.length === 0) {
      const recorded = recordedSuite(name, execution.results);
      if (recorded !== null) own.push(recorded);
    }
    for (const suite of own) {
      suite[":@"] = { ...(suite[":@"] ?? {}), "@_name": name };
      dropNamelessCases(suite);
    }
    // A process of several files (a serial run, a pack, modules checked for doctests): a suite for each, named after
    // it, as a process of its own gets. Before, one suite named "serial run" stood for all of them, in a parallel run's
    // packs too (a helper's trial of joblib's doctests), and merge-reports could not check that every file had one.
    const perFile = shared ? suitesByFile(own, execution.results) : null;
    if (perFile !== null) {
      for (const [file, suite] of perFile) {
        if (folded.has(file)) continue;
        suite[":@"] = { ...(suite[":@"] ?? {}), "@_name": nameOf(file.path, file) };
        const missing = missingVerdict(file, [suite]);
        if (missing !== null) addCases(suite, syntheticSuite(nameOf(file.path, file), file, missing));
        const earlier = retried.get(file);
        if (earlier !== undefined) foldIntoPass([suite], earlier);
        suites.push(suite);
      }
      continue;
    }
    const missing = missingVerdict(result, own);
    if (missing !== null) {
      const synthetic = syntheticSuite(name, result, missing);
      // Beside what pytest reported of the file before it was stopped, in the same suite: one suite per file, as a
      // dashboard expects, not a second one of the same name.
      const first = own[0];
      if (first === undefined) own.push(synthetic);
      else addCases(first, synthetic);
    }
    const earlier = retried.get(execution.result);
    if (earlier !== undefined) foldIntoPass(own, earlier);
    suites.push(...own);
  }
  return junitDocument(suites);
}

/**
 * A shared process's suites cut into one suite per file, each test case in its file's (by its `file`, else by its
 * class name, as pytest's JUnit writes them), the counts and time worked out again; the file with none of the cases
 * gets an empty one. Null where a case belongs to none of the files, or the report holds none at all (a process
 * killed before it wrote one): the suite then stays whole, as before.
 */
function suitesByFile(own: readonly Node[], files: readonly FileResult[]): Map<FileResult, Node> | null {
  if (own.length === 0) return null;
  const cases = own.flatMap((suite) => ((suite["testsuite"] as Node[] | undefined) ?? []).filter((child) => "testcase" in child));
  const byPath = new Map(files.map((file) => [file.path, file]));
  const modules = files.map((file) => ({ file, module: dottedModule(file.path) })).sort((a, b) => b.module.length - a.module.length);
  const fileOf = (testcase: Node): FileResult | undefined => {
    const attrs = testcase[":@"] ?? {};
    const named = byPath.get(attrs["@_file"] ?? "");
    if (named !== undefined) return named;
    // A collection error's case has no class name: its name is the module's.
    const classname = attrs["@_classname"] || (attrs["@_name"] ?? "");
    return modules.find(({ module }) => classname === module || classname.startsWith(`${module}.`))?.file;
  };
  const grouped = new Map<FileResult, Node[]>(files.map((file) => [file, []]));
  for (const testcase of cases) {
    const file = fileOf(testcase);
    if (file === undefined) return null;
    grouped.get(file)?.push(testcase);
  }
  const first = own[0]?.[":@"] ?? {};
  const kept = Object.fromEntries(Object.entries(first).filter(([key]) => key === "@_timestamp" || key === "@_hostname"));
  const has = (testcase: Node, verdict: string): boolean => ((testcase["testcase"] as Node[] | undefined) ?? []).some((part) => verdict in part);
  return new Map(
    [...grouped].map(([file, theirs]) => [
      file,
      {
        testsuite: theirs,
        ":@": {
          ...kept,
          "@_tests": String(theirs.length),
          "@_failures": String(theirs.filter((c) => has(c, "failure")).length),
          "@_errors": String(theirs.filter((c) => has(c, "error")).length),
          "@_skipped": String(theirs.filter((c) => has(c, "skipped")).length),
          "@_time": theirs.reduce((sum, c) => sum + (Number(c[":@"]?.["@_time"] ?? 0) || 0), 0).toFixed(3),
        },
      },
    ]),
  );
}

/** A file's result in one execution, and its suites there: the process's own, or its cut of a shared process's. */
interface FileSuites {
  result: FileResult;
  suites: Node[];
}

/**
 * Each file's passing attempt after failed ones (its final status flaky), with the attempts before it and their
 * suites: a file of its own process, or of a shared one (a serial run's retry ran the session -x cut short again, its
 * failed attempt's `<failure>` stood in a run that passed: a helper's trial of rfc3986). Not a file split into parts
 * (--split), whose parts' attempts are told apart by nothing here: they stay as they are.
 */
function retriedBeforeAPass(executions: readonly JUnitExecution[]): Map<FileResult, FileSuites[]> {
  const attempts = executions.flatMap((execution) => execution.results.map((result) => ({ execution, result })));
  const key = (result: FileResult): string => `${result.path}\0${result.iteration}`;
  const retried = new Map<FileResult, FileSuites[]>();
  for (const final of attempts) {
    if (final.result.status !== "flaky") continue;
    const group = attempts.filter((a) => key(a.result) === key(final.result));
    if (new Set(group.map((a) => a.result.attempt)).size !== group.length) continue;
    const earlier = group.filter((a) => a.result.attempt < final.result.attempt).map((a) => ({ result: a.result, suites: suitesOfFile(a.execution, a.result) }));
    if (earlier.length > 0) retried.set(final.result, earlier);
  }
  return retried;
}

/** A file's suites in an execution, with the run's own case where pytest's report lacks its verdict. */
function suitesOfFile(execution: JUnitExecution, result: FileResult): Node[] {
  const own = suitesOrNone(execution.xml);
  const cut = execution.results.length > 1 ? suitesByFile(own, execution.results)?.get(result) : undefined;
  const theirs = execution.results.length > 1 ? (cut === undefined ? [] : [cut]) : own;
  const missing = missingVerdict(result, theirs);
  if (missing !== null) theirs.push(syntheticSuite(result.path, result, missing));
  return theirs;
}

/** Each earlier attempt's failed testcases, as `flakyFailure`/`flakyError` of the passing attempt's same testcase (or a testcase of their own). */
function foldIntoPass(own: Node[], earlier: readonly FileSuites[]): void {
  const suite = own[0];
  if (suite === undefined) return;
  const caseKey = (testcase: Node): string => `${testcase[":@"]?.["@_classname"] ?? ""}::${testcase[":@"]?.["@_name"] ?? ""}`;
  const passing = new Map<string, Node>();
  for (const s of own) for (const child of (s["testsuite"] as Node[] | undefined) ?? []) if ("testcase" in child) passing.set(caseKey(child), child);
  for (const attempt of earlier) {
    for (const s of attempt.suites) {
      for (const child of (s["testsuite"] as Node[] | undefined) ?? []) {
        if (!("testcase" in child)) continue;
        const flaky = ((child["testcase"] as Node[] | undefined) ?? []).filter((part) => "failure" in part || "error" in part).map((part) => ("failure" in part ? { flakyFailure: part["failure"], ":@": part[":@"] } : { flakyError: part["error"], ":@": part[":@"] }));
        if (flaky.length === 0) continue;
        const into = passing.get(caseKey(child));
        if (into !== undefined) into["testcase"] = [...((into["testcase"] as Node[] | undefined) ?? []), ...flaky];
        else addCases(suite, { testsuite: [{ testcase: flaky, ":@": child[":@"] }], ":@": { "@_tests": "1" } });
      }
    }
  }
}

/**
 * pytest's report of a test a stop interrupted (a timeout, Ctrl-C, --fail-fast) holds a `<testcase>` with no
 * classname, no name and no outcome, counted in none of the suite's totals: a dashboard reads it as a nameless test
 * that passed (a helper's trial). The run's own testcase for the stop says what happened.
 */
function dropNamelessCases(suite: Node): void {
  const children = suite["testsuite"] as Node[] | undefined;
  if (children === undefined) return;
  suite["testsuite"] = children.filter((child) => !("testcase" in child) || child[":@"]?.["@_name"] !== undefined || child[":@"]?.["@_classname"] !== undefined);
}

/** A pytest report's suites; none when there is no report, or one that does not parse (a process killed mid-write). */
function suitesOrNone(xml: string | null): Node[] {
  if (xml === null) return [];
  try {
    return suitesOf(xml);
  } catch {
    return [];
  }
}

/**
 * A cancelled file's verdict: before it started, not reached in the process it shared (why, as the console says it: a
 * serial run's file after pytest's -x read "cancelled while running" before, a helper's trial), or while running.
 */
function cancelledMessage(result: FileResult): string {
  if (result.reason === "not started") return "cancelled before it started";
  if (result.log === null && result.reason !== null) return `cancelled, ${result.reason}`;
  return "cancelled while running";
}

/** What the dashboard must be told that pytest's own report does not say, if anything. */
function missingVerdict(result: FileResult, suites: Node[]): { kind: "error" | "skipped"; message: string } | null {
  if (result.status === "cancelled") return { kind: "skipped", message: cancelledMessage(result) };
  const reported = suites.some((suite) => Number(suite[":@"]?.["@_failures"] ?? 0) + Number(suite[":@"]?.["@_errors"] ?? 0) > 0);
  if (failedOnItsOwn(result.status) && !reported) {
    return { kind: "error", message: result.reason ?? (result.status === "timeout" ? "timed out" : "failed") };
  }
  // The test a stop interrupted, in a file whose report has failures of its own: pytest's report leaves it out.
  if (result.stoppedIn !== undefined) {
    return result.status === "timeout" ? { kind: "error", message: result.reason ?? "timed out" } : { kind: "skipped", message: `stopped by the run${result.reason === null ? "" : ` (${result.reason})`}` };
  }
  return null;
}

/**
 * A suite of the tests a process recorded as they ended, named as pytest's JUnit names them, for a process killed
 * before pytest wrote its report: a failure's message and text, a skip (xfail as pytest reports it), the rest passed.
 */
function recordedSuite(name: string, results: readonly FileResult[]): Node | null {
  const cases = results.flatMap((result) => result.cases);
  if (cases.length === 0) return null;
  const count = (outcomes: readonly string[]): number => cases.filter((c) => outcomes.includes(c.outcome)).length;
  const testcases: Node[] = cases.map((c) => {
    const failure = c.failures?.[0];
    const detail = failure === undefined ? [] : [{ "#text": failure.text ?? failure.message }];
    const message = failure?.message ?? "";
    const verdict =
      c.outcome === "failed" ? [{ failure: detail, ":@": { "@_message": message } }]
      : c.outcome === "error" ? [{ error: detail, ":@": { "@_message": message } }]
      : c.outcome === "skipped" || c.outcome === "xfailed" ? [{ skipped: [], ":@": { "@_message": c.outcome === "xfailed" ? "xfail" : "skipped" } }]
      : [];
    return { testcase: verdict, ":@": { ...namesOf(c.nodeid), "@_time": c.seconds.toFixed(3) } };
  });
  return {
    testsuite: testcases,
    ":@": {
      "@_name": name,
      "@_tests": String(cases.length),
      "@_failures": String(count(["failed"])),
      "@_errors": String(count(["error"])),
      "@_skipped": String(count(["skipped", "xfailed"])),
      "@_time": cases.reduce((sum, c) => sum + c.seconds, 0).toFixed(3),
    },
  };
}

/** Moves a suite's test cases into another, its counts with them (the time is the file's own already). */
function addCases(into: Node, from: Node): void {
  const cases = (from["testsuite"] as Node[] | undefined) ?? [];
  into["testsuite"] = [...((into["testsuite"] as Node[] | undefined) ?? []), ...cases];
  const attrs = { ...(into[":@"] ?? {}) };
  for (const count of ["@_tests", "@_failures", "@_errors", "@_skipped"]) attrs[count] = String((Number(attrs[count] ?? 0) || 0) + (Number(from[":@"]?.[count] ?? 0) || 0));
  into[":@"] = attrs;
}

function syntheticSuite(name: string, result: FileResult, verdict: { kind: "error" | "skipped"; message: string }): Node {
  const seconds = result.durationSeconds.toFixed(3);
  const detail = result.tail.length > 0 ? [{ "#text": result.tail.join("\n") }] : [];
  const testcase: Node = {
    testcase: [{ [verdict.kind]: detail, ":@": { "@_message": verdict.message } }],
    ":@": { ...caseNames(result), "@_time": seconds },
  };
  return {
    testsuite: [testcase],
    ":@": {
      "@_name": name,
      "@_tests": "1",
      "@_failures": "0",
      "@_errors": verdict.kind === "error" ? "1" : "0",
      "@_skipped": verdict.kind === "skipped" ? "1" : "0",
      "@_time": seconds,
    },
  };
}

/**
 * The test case's names: the test a stop interrupted, named as pytest's JUnit names a test (`tests.http.test_a.TestX`,
 * `test_y[1]`), so that a dashboard shows which one hung; else the file, with its status for a name.
 */
function caseNames(result: FileResult): { "@_classname": string; "@_name": string } {
  if (result.stoppedIn === undefined) return { "@_classname": dottedModule(result.path), "@_name": `(${result.status})` };
  return namesOf(result.stoppedIn);
}

/** A test's JUnit names as pytest gives them: `tests.http.test_a.TestX` and `test_y[1]` for `tests/http/test_a.py::TestX::test_y[1]`. */
function namesOf(nodeid: string): { "@_classname": string; "@_name": string } {
  const [file = nodeid, ...rest] = nodeid.split("::");
  const test = rest.pop() ?? nodeid;
  return { "@_classname": [dottedModule(file), ...rest].join("."), "@_name": test };
}

/** A test file's path as pytest's JUnit names its module in a class name: `tests/http/test_a.py` is `tests.http.test_a`. */
function dottedModule(file: string): string {
  return file.replace(/\.py$/, "").replaceAll("/", ".");
}

export function readXml(file: string | null): string | null {
  if (file === null) return null;
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** The merged JUnit of a run's results: one execution per pytest report (the files of a serial run or a pack share theirs). */
export function junitOfRun(results: readonly FileResult[], options: { flakyPasses?: boolean } = {}): string {
  const executions: JUnitExecution[] = [];
  const byReport = new Map<string, FileResult[]>();
  // A split file's parts each wrote a report of their own.
  const expanded = results.flatMap((result) => (result.parts === undefined || result.parts === null ? [result] : result.parts.map((part) => ({ ...result, ...part, parts: null }))));
  for (const result of expanded) {
    if (result.junit === null) executions.push({ result, results: [result], xml: null });
    else byReport.set(result.junit, [...(byReport.get(result.junit) ?? []), result]);
  }
  for (const [file, group] of byReport) {
    const worst = group.find((r) => failedOnItsOwn(r.status)) ?? (group[0] as FileResult);
    executions.push({ result: worst, results: group, xml: readXml(file) });
  }
  return mergeJUnit(
    executions.sort((a, b) => a.result.startSeconds - b.result.startSeconds || compareCodeUnits(a.result.path, b.result.path)),
    options,
  );
}
