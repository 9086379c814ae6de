/**
 * Coverage across per-file processes, the pure parts: which processes' data
 * the run combines, how a total reads, how it decides the exit code and the
 * summary, and which shards' data merge-reports combines.
 */
import { describe, expect, it } from "vitest";
import { dataFilesToCombine, displayCovered, processDataFile, testsFailedIn } from "../../src/coverage/dataFiles.js";
import { exitCodeOf } from "../../src/exitCode.js";
import { shardCoverage, type ReadReport } from "../../src/mergeReports.js";
import type { CoverageResult, CoverageSettings } from "../../src/model.js";
import type { JsonReport } from "../../src/report/jsonReport.js";
import { palette } from "../../src/report/style.js";
import { describeCoverage } from "../../src/report/summary.js";
import { fileResult } from "../helpers/results.js";

const SETTINGS: CoverageSettings = { source: ["shop"], report: {}, config: ".coveragerc", branch: null, precision: null, failUnder: 90, append: false, noCovOnFail: false };

describe("the data a run combines", () => {
  it("names each process's file after its log, in a folder of its own", () => {
    expect(processDataFile("/logs/run", "tests_http_test_a.py.a2")).toBe("/logs/run/coverage/tests_http_test_a.py.a2/.coverage");
  });

  it("takes the last attempt of each file in each iteration, and a shared process's file once", () => {
    const results = [
      fileResult({ path: "a.py", status: "failed", coverageData: "/c/a/.coverage" }),
      fileResult({ path: "a.py", attempt: 2, status: "flaky", coverageData: "/c/a.a2/.coverage" }),
      fileResult({ path: "b.py", coverageData: "/c/pack/.coverage" }),
      fileResult({ path: "c.py", coverageData: "/c/pack/.coverage" }),
      fileResult({ path: "b.py", iteration: 2, coverageData: "/c/b.i2/.coverage" }),
      fileResult({ path: "d.py", status: "cancelled", log: null, slot: -1, coverageData: null }),
    ];
    expect(dataFilesToCombine(results)).toEqual(["/c/a.a2/.coverage", "/c/pack/.coverage", "/c/b.i2/.coverage"]);
  });

  it("knows whether tests failed, for --no-cov-on-fail", () => {
    const counts = (failed: number) => ({ passed: 1, failed, skipped: 0, errors: 0, xfailed: 0, xpassed: 0, deselected: 0 });
    expect(testsFailedIn([fileResult({ path: "a.py", tests: counts(0) })])).toBe(false);
    expect(testsFailedIn([fileResult({ path: "a.py", status: "timeout" })])).toBe(true);
    expect(testsFailedIn([fileResult({ path: "a.py", status: "failed", tests: counts(1) }), fileResult({ path: "a.py", attempt: 2, status: "flaky", tests: counts(0) })])).toBe(false);
  });
});

describe("a total as coverage shows it", () => {
  it.each([
    [87.5, 0, "88"],
    [99.6, 0, "99"],
    [0.2, 0, "1"],
    [66.666, 2, "66.67"],
    [100, 1, "100.0"],
    [0, 0, "0"],
  ])("%f at precision %i reads %s", (total, precision, shown) => {
    expect(displayCovered(total, precision)).toBe(shown);
  });
});

describe("the verdict", () => {
  const result = (over: Partial<CoverageResult>): CoverageResult => ({ settings: SETTINGS, totalPercent: 87.5, precision: 0, failUnder: 90, judged: true, failed: true, dataFile: "/p/.coverage", ...over });

  it("fails a run whose files passed (or found nothing) when the total falls short, and never makes a worse code milder", () => {
    const base = { stopReason: null, interruptedBy: null, flakyPasses: true } as const;
    expect(exitCodeOf({ ...base, results: [fileResult({ path: "a.py" })], coverageFailed: true })).toBe(1);
    expect(exitCodeOf({ ...base, results: [fileResult({ path: "a.py", status: "no-tests" })], coverageFailed: true })).toBe(1);
    expect(exitCodeOf({ ...base, results: [fileResult({ path: "a.py" })], coverageFailed: false })).toBe(0);
    expect(exitCodeOf({ ...base, stopReason: "environment", results: [fileResult({ path: "a.py" })], coverageFailed: true })).toBe(3);
  });

  it("reads in the summary as the total and the threshold's verdict", () => {
    const plain = palette(false);
    expect(describeCoverage(result({}), plain)).toBe("Coverage: 88%, required 90%: not reached");
    expect(describeCoverage(result({ totalPercent: 95, failed: false }), plain)).toBe("Coverage: 95%, required 90%: reached");
    expect(describeCoverage(result({ failUnder: null, failed: false, judged: false }), plain)).toBe("Coverage: 88%");
    expect(describeCoverage(result({ judged: false, failed: false }), plain)).toBe("Coverage: 88% of this shard's tests (merge-reports judges the required 90% over all shards)");
    expect(describeCoverage(result({ judged: false, failed: false, of: "the tests --changed chose" }), plain)).toBe("Coverage: 88% of the tests --changed chose (the required 90% is judged on runs of the whole selection)");
    expect(describeCoverage(result({ totalPercent: null, settings: { ...SETTINGS, noCovOnFail: true }, failed: false, judged: false }), plain)).toBe("Coverage: not reported (--no-cov-on-fail, and tests failed)");
    // `--cov-report=` asks for none (django-oauth-toolkit's addopts): no warning to point to.
    expect(describeCoverage(result({ totalPercent: null, settings: { ...SETTINGS, report: { "": null } }, failUnder: null, failed: false, judged: false }), plain)).toBe("Coverage: measured and combined; no report asked for (--cov-report=)");
  });
});

describe("the shards' coverage, for merge-reports", () => {
  const shard = (index: number, over: Partial<JsonReport> = {}, file = `/ci/shards/${index}/report.json`): ReadReport => ({
    file,
    report: {
      version: 1,
      runId: `run-${index}`,
      exitCode: 0,
      wallSeconds: 1,
      workers: 1,
      files: [{ path: `t${index}.py`, status: "passed", exitCode: 0, signal: null, iteration: 1, attempt: 1, slot: 0, startSeconds: 0, durationSeconds: 1, tests: null, cases: [], log: null }],
      shard: { index, count: 2, digest: "d", selected: [], assigned: [] },
      coverage: { totalPercent: 50, precision: 0, failUnder: 90, judged: false, failed: false, settings: SETTINGS, dataFile: "report.coverage" },
      ...over,
    },
  });

  it("is nothing when no shard measured coverage", () => {
    expect(shardCoverage([shard(1, { coverage: undefined }), shard(2, { coverage: undefined })], () => true)).toBeNull();
  });

  it("is each shard's data file, found beside its report, with the settings to report by", () => {
    expect(shardCoverage([shard(1), shard(2)], () => true)).toEqual({ settings: SETTINGS, dataFiles: ["/ci/shards/1/report.coverage", "/ci/shards/2/report.coverage"] });
    // A shard with no files to run measured nothing, and is no gap.
    expect(shardCoverage([shard(1), shard(2, { coverage: undefined, files: [] })], () => true)?.dataFiles).toEqual(["/ci/shards/1/report.coverage"]);
  });

  it("refuses a shard that ran tests without measuring, or whose data is not beside its report", () => {
    expect(() => shardCoverage([shard(1), shard(2, { coverage: undefined })], () => true)).toThrow(/shard 2\/2 \(\/ci\/shards\/2\/report\.json\) did not measure coverage while shard 1\/2/);
    expect(() => shardCoverage([shard(1), shard(2)], (file) => !file.includes("/2/"))).toThrow(/shard 2\/2 .* measured coverage, but its data file report\.coverage is not beside it/);
  });
});
