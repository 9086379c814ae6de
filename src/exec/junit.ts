/**
 * Reads pytest's own JUnit XML report: the per-test counts of a file, and
 * the test cases for splitting a serial run's report by file.
 *
 * The counts are pytest's JUnit counts: an xfail is `skipped`, an xpass is
 * `passed`, and an error in a fixture's teardown is an `error` of that test.
 */
import fs from "node:fs";
import { XMLParser } from "fast-xml-parser";
import { emptyCounts, type TestCounts } from "../model.js";

export type CaseOutcome = "passed" | "failed" | "skipped" | "error";

export interface JUnitCase {
  classname: string;
  name: string;
  seconds: number;
  outcome: CaseOutcome;
}

export interface JUnitReport {
  counts: TestCounts;
  cases: JUnitCase[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  isArray: (name) => name === "testsuite" || name === "testcase",
  processEntities: false,
  parseAttributeValue: false,
  parseTagValue: false,
});

type XmlNode = Record<string, unknown>;

export function parseJUnit(xml: string): JUnitReport {
  const doc = parser.parse(xml) as XmlNode;
  const root = (doc["testsuites"] as XmlNode | undefined) ?? doc;
  const suites = (root["testsuite"] as XmlNode[] | undefined) ?? [];
  const counts = emptyCounts();
  const cases: JUnitCase[] = [];
  for (const suite of suites) {
    const tests = toInt(suite["tests"]);
    const failures = toInt(suite["failures"]);
    const errors = toInt(suite["errors"]);
    const skipped = toInt(suite["skipped"]);
    counts.failed += failures;
    counts.errors += errors;
    counts.skipped += skipped;
    counts.passed += Math.max(0, tests - failures - errors - skipped);
    for (const testcase of (suite["testcase"] as XmlNode[] | undefined) ?? []) {
      cases.push({
        classname: String(testcase["classname"] ?? ""),
        name: String(testcase["name"] ?? ""),
        seconds: Number(testcase["time"] ?? 0) || 0,
        outcome: outcomeOf(testcase),
      });
    }
  }
  return { counts, cases };
}

/** The report pytest wrote, or null when it wrote none (killed early, crashed, or not a pytest run). */
export function readJUnitFile(file: string): JUnitReport | null {
  let xml: string;
  try {
    xml = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  try {
    return parseJUnit(xml);
  } catch {
    return null;
  }
}

function outcomeOf(testcase: XmlNode): CaseOutcome {
  if ("error" in testcase) return "error";
  if ("failure" in testcase) return "failed";
  if ("skipped" in testcase) return "skipped";
  return "passed";
}

function toInt(value: unknown): number {
  const parsed = Number.parseInt(String(value ?? "0"), 10);
  return Number.isFinite(parsed) ? parsed : 0;
}
