/**
 * The plan of a run, from plain data: batches, workers, what every process
 * gets, and pytest's cross-file options, decided before anything runs.
 */
import { describe, expect, it } from "vitest";
import type { CliValues } from "../../src/cli/options.js";
import { readForwardedArgs } from "../../src/config/pytestArgs.js";
import { resolveConfig } from "../../src/config/runConfig.js";
import type { Listing } from "../../src/discovery/askPytest.js";
import type { CollectionRequest } from "../../src/discovery/selection.js";
import type { TestFile } from "../../src/model.js";
import { EMPTY_HISTORY, type History } from "../../src/plan/history.js";
import { acrossFileNotices, planRun, workerCount } from "../../src/plan/planRun.js";

const listing = (maxfail = 0): Listing => ({
  files: [],
  errors: [],
  rootdir: "/project",
  inifile: null,
  args: ["/project/tests/http"],
  cacheDir: null,
  sysPath: [],
  options: { maxfail, lastFailed: false, failedFirst: false, collectOnly: false, xdistWorkers: null },
});
const request: CollectionRequest = { args: ["tests/http", "tests/e2e/test_named.py"], named: new Map([["tests/e2e/test_named.py", ["tests/e2e/test_named.py::test_one"]]]), notices: [] };
const file = (path: string, kind: TestFile["kind"] = "tests"): TestFile => ({ path, named: null, folder: "tests/http", kind });
const files = [file("tests/http/test_a.py"), file("tests/http/test_b.py"), file("tests/http/util.py", "doctests"), file("tests/http/more.py", "doctests"), file("tests/http/other.py", "doctests")];

function plan(values: CliValues, options: { args?: string[]; narrowed?: boolean; maxfail?: number; cpus?: number } = {}) {
  const config = resolveConfig({ values, paths: [], pytestArgs: options.args ?? [] }, "/project", {});
  return planRun({ config, files, narrowed: options.narrowed ?? false, request, given: readForwardedArgs(options.args ?? []), listing: listing(options.maxfail), history: EMPTY_HISTORY, cpus: options.cpus ?? 8 });
}

describe("planning a run", () => {
  it("in parallel: a process per test file, doctest-only modules shared, a pack per worker, never more workers than files", () => {
    const parallel = plan({ parallel: true, workers: "2" });
    expect(parallel.workers).toBe(2);
    expect(parallel.batches.map((b) => b.paths)).toEqual([["tests/http/test_a.py"], ["tests/http/test_b.py"], ["tests/http/more.py", "tests/http/util.py"], ["tests/http/other.py"]]);
    expect(plan({ parallel: true, workers: "1" }).workers).toBe(1);
    // The modules checked for doctests are files to share the workers among too (-n 2 over one test file and three such modules).
    expect(plan({ parallel: true }).workers).toBe(5);
  });

  it("starts the pack of a doctest module that failed last time first, where failures go first (nbformat's trial)", () => {
    const entry = (outcome: "passed" | "failed") => ({ seconds: 2, outcome, runs: 1, lastRun: "" });
    const history: History = { version: 1, files: { "tests/http/test_a.py": entry("passed"), "tests/http/test_b.py": entry("passed"), "tests/http/other.py": entry("failed") } };
    const batchesOf = (values: CliValues) =>
      planRun({ config: resolveConfig({ values, paths: [], pytestArgs: [] }, "/project", {}), files, narrowed: false, request, given: readForwardedArgs([]), listing: listing(), history, cpus: 8 }).batches.map((b) => b.paths);
    expect(batchesOf({ parallel: true, workers: "2" })[0]).toContain("tests/http/other.py");
    expect(batchesOf({ parallel: true, workers: "2", pack: true })[0]).toContain("tests/http/other.py");
    expect(batchesOf({ parallel: true, workers: "2", order: "name", "failed-first": true })[0]).toContain("tests/http/other.py");
    // By name without --failed-first: the test files, then the doctest modules' packs.
    expect(batchesOf({ parallel: true, workers: "2", order: "name" })[0]).toEqual(["tests/http/test_a.py"]);
  });

  it("counts a test file without history at the known files' mean where the doctest modules' packs fill in beside it", () => {
    // test_a took 4 s, test_b is new (4 s by the mean), the three doctest modules 1 s each: a pack beside each worker's file.
    const entry = (seconds: number) => ({ seconds, outcome: "passed" as const, runs: 1, lastRun: "" });
    const history: History = { version: 1, files: { "tests/http/test_a.py": entry(4), "tests/http/util.py": entry(1), "tests/http/more.py": entry(1), "tests/http/other.py": entry(1) } };
    const config = resolveConfig({ values: { parallel: true, workers: "2" }, paths: [], pytestArgs: [] }, "/project", {});
    const batches = planRun({ config, files, narrowed: false, request, given: readForwardedArgs([]), listing: listing(), history, cpus: 8 }).batches.map((b) => b.paths);
    expect(batches.filter((paths) => paths.some((path) => !path.includes("test_")))).toHaveLength(2);
  });

  it("counts a split file's parts among what the workers share: one long file alone splits over them", () => {
    const long = file("tests/http/test_long.py");
    const testSeconds = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`tests/http/test_long.py::test_${i}`, 0.5]));
    const history = { version: 1, files: { [long.path]: { seconds: 4, outcome: "passed", runs: 1, lastRun: "", testSeconds } } } as const;
    const config = resolveConfig({ values: { parallel: true, workers: "2", split: "auto" }, paths: [], pytestArgs: [] }, "/project", {});
    const split = planRun({ config, files: [long], narrowed: false, request, given: readForwardedArgs([]), listing: listing(), history, cpus: 8 });
    expect(split.workers).toBe(2);
    expect(split.batches.map((b) => b.part)).toEqual([
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ]);
    // Without --split, never more workers than files.
    const whole = planRun({ config: resolveConfig({ values: { parallel: true, workers: "2" }, paths: [], pytestArgs: [] }, "/project", {}), files: [long], narrowed: false, request, given: readForwardedArgs([]), listing: listing(), history, cpus: 8 });
    expect(whole.workers).toBe(1);
  });

  it("serially: one batch, given exactly a plain run's arguments unless the selection was narrowed", () => {
    const serial = plan({});
    expect(serial.workers).toBe(1);
    expect(serial.batches).toHaveLength(1);
    expect(serial.plainTargets).toEqual(["tests/http", "tests/e2e/test_named.py::test_one"]);
    expect(plan({}, { narrowed: true }).plainTargets).toBeNull();
  });

  it("forwards -k, -m and --headed before the arguments after --, minus the ones the run takes for itself", () => {
    expect(plan({ k: "cart", m: "not slow", headed: true }, { args: ["--lf", "--tb=short", "-n", "4"] }).forwardedArgs).toEqual(["-k", "cart", "-m", "not slow", "--headed", "--tb=short"]);
  });

  it("stops across the run at pytest's -x or --maxfail, from the arguments or the configuration", () => {
    expect(plan({ parallel: true }).maxFailedTests).toBeNull();
    expect(plan({ parallel: true }, { args: ["-x"] }).maxFailedTests).toBe(1);
    expect(plan({ parallel: true }, { maxfail: 3 }).maxFailedTests).toBe(3);
  });

  it("says pytest-xdist's -n from the configuration is off in each process, as what it came to (-n auto is a number by then)", () => {
    const configured: Listing = { ...listing(), options: { ...listing().options, xdistWorkers: 2 } };
    expect(acrossFileNotices({ mode: "parallel", workers: 2, workersGiven: false }, readForwardedArgs([]), configured, null)).toEqual([
      "pytest-xdist's -n from the pytest configuration (2 workers here) is off in each file's process: grimoire-run runs the files in parallel itself (--workers)",
    ]);
    expect(acrossFileNotices({ mode: "parallel", workers: 2, workersGiven: false }, readForwardedArgs(["-n", "4"]), configured, null)).toEqual(["ignoring pytest-xdist's -n 4: grimoire-run runs the files in parallel itself (--workers)"]);
    expect(acrossFileNotices({ mode: "parallel", workers: 2, workersGiven: false }, readForwardedArgs([]), listing(), null)).toEqual([]);
  });

  it("says a serial run drops pytest-xdist's -n for its one process, not for workers it does not have", () => {
    const configured: Listing = { ...listing(), options: { ...listing().options, xdistWorkers: 2 } };
    expect(acrossFileNotices({ mode: "serial", workers: 2, workersGiven: false }, readForwardedArgs(["-n", "3"]), configured, null)).toEqual(["ignoring pytest-xdist's -n 3: this run is one pytest process, without workers (--parallel runs the files in parallel)"]);
    expect(acrossFileNotices({ mode: "serial", workers: 2, workersGiven: false }, readForwardedArgs([]), configured, null)).toEqual([
      "pytest-xdist's -n from the pytest configuration (2 workers here) is off in its process: this run is one pytest process, without workers (--parallel runs the files in parallel)",
    ]);
    // -n 0 asks for what the run does: nothing to say, in either mode, whatever the configuration says (cheroot's trial).
    for (const zero of [["-n", "0"], ["-n0"], ["--numprocesses=0"], ["--numprocesses", "0"]]) {
      expect(acrossFileNotices({ mode: "serial", workers: 2, workersGiven: false }, readForwardedArgs(zero), configured, null)).toEqual([]);
      expect(acrossFileNotices({ mode: "parallel", workers: 2, workersGiven: false }, readForwardedArgs(zero), configured, null)).toEqual([]);
    }
    expect(acrossFileNotices({ mode: "serial", workers: 2, workersGiven: false }, readForwardedArgs(["-n", "0", "--dist", "load"]), configured, null)).toHaveLength(1);
  });

  it("says -n on the command line has no effect on a serial run, and nothing of a pyproject's workers", () => {
    expect(acrossFileNotices({ mode: "serial", workers: 4, workersGiven: true }, readForwardedArgs([]), null, null)).toEqual([
      "-n/--workers 4 has no effect without --parallel: this run is one pytest process (--parallel runs the files 4 at a time)",
    ]);
    expect(acrossFileNotices({ mode: "debug", workers: "auto", workersGiven: true }, readForwardedArgs([]), null, null)).toEqual([
      "-n/--workers auto has no effect without --parallel: this run is one pytest process (--parallel runs the files one per CPU)",
    ]);
    expect(acrossFileNotices({ mode: "serial", workers: 4, workersGiven: false }, readForwardedArgs([]), null, null)).toEqual([]);
    expect(acrossFileNotices({ mode: "parallel", workers: 4, workersGiven: true }, readForwardedArgs([]), null, null)).toEqual([]);
  });

  it("keeps the pool full across iterations for --duration without --delay", () => {
    expect(plan({ parallel: true, duration: "60" }).iterations).toMatchObject({ count: null, deadlineSeconds: 60, sustained: true });
    expect(plan({ parallel: true, loop: "3" }).iterations).toMatchObject({ count: 3, sustained: false });
  });

  it("takes the machine's CPUs for --workers auto, never more than files, never fewer than one", () => {
    expect(workerCount("auto", 10, 4)).toBe(4);
    expect(workerCount(8, 3, 4)).toBe(3);
    expect(workerCount("auto", 0, 4)).toBe(1);
  });
});
