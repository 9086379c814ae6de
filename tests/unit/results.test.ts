import { describe, expect, it } from "vitest";
import type { JUnitCase } from "../../src/exec/junit.js";
import { fileOfCase, resultOfFile, resultsOfSerialRun, statusOf, type ProcessOutcome } from "../../src/exec/results.js";
import type { StartedRun } from "../../src/model.js";

function outcome(over: Partial<ProcessOutcome> = {}): ProcessOutcome {
  return { exitCode: 0, signal: null, timedOut: false, timeoutSeconds: null, cancelled: false, spawnError: null, durationSeconds: 2, junit: null, tail: ["last line"], ...over };
}
const RUN: StartedRun = { path: "tests/http/test_a.py", iteration: 1, attempt: 1, slot: 0, startSeconds: 1, log: "log", junit: "/logs/junit/a.xml", artifacts: null, pid: 10 };
const testCase = (classname: string, outcome: JUnitCase["outcome"], seconds = 1, name = "test_x"): JUnitCase => ({ classname, name, seconds, outcome });

describe("the status of a file from its pytest process", () => {
  it.each([
    [{ exitCode: 0 }, "passed"],
    [{ exitCode: 5 }, "no-tests"],
    [{ exitCode: 1 }, "failed"],
    [{ exitCode: 2 }, "failed"],
    [{ exitCode: 4 }, "failed"],
    [{ exitCode: null, signal: "SIGSEGV" }, "failed"],
    [{ exitCode: null, timedOut: true }, "timeout"],
    [{ exitCode: 2, cancelled: true }, "cancelled"],
    [{ exitCode: null, spawnError: "ENOENT" }, "failed"],
  ] as const)("%o is %s", (over, status) => {
    expect(statusOf(outcome(over)).status).toBe(status);
  });

  it("names the signal and explains pytest's exit codes", () => {
    expect(statusOf(outcome({ exitCode: null, signal: "SIGSEGV" })).reason).toBe("killed by SIGSEGV");
    expect(statusOf(outcome({ exitCode: 4 })).reason).toMatch(/usage error/);
    expect(statusOf(outcome({ exitCode: 77 })).reason).toBe("pytest exited with code 77");
  });

  it("keeps the tail only where it helps: failures", () => {
    expect(resultOfFile(RUN, outcome()).tail).toEqual([]);
    expect(resultOfFile(RUN, outcome({ exitCode: 1 })).tail).toEqual(["last line"]);
  });
});

describe("splitting a serial run by file", () => {
  const paths = ["tests/e2e/test_a.py", "tests/http/test_b.py", "tests/http/test_c.py"];

  it("gives each file its cases, and files pytest went past without cases no-tests", () => {
    const junit = { counts: { passed: 2, failed: 0, skipped: 0, errors: 0 }, cases: [testCase("tests.e2e.test_a", "passed", 0.5), testCase("tests.http.test_c.TestK", "passed", 0.25)] };
    const results = resultsOfSerialRun(RUN, paths, outcome({ junit }));
    expect(results.map((r) => [r.path, r.status, r.durationSeconds])).toEqual([
      ["tests/e2e/test_a.py", "passed", 0.5],
      ["tests/http/test_b.py", "no-tests", 0],
      ["tests/http/test_c.py", "passed", 0.25],
    ]);
    expect(results[2]?.startSeconds).toBe(1.5);
  });

  it("after -x stopped at a failure, the files never reached are cancelled", () => {
    const junit = { counts: { passed: 1, failed: 1, skipped: 0, errors: 0 }, cases: [testCase("tests.e2e.test_a", "passed"), testCase("tests.http.test_b", "failed")] };
    expect(resultsOfSerialRun(RUN, paths, outcome({ exitCode: 1, junit })).map((r) => r.status)).toEqual(["passed", "failed", "cancelled"]);
  });

  it("a timeout falls on the first file not finished", () => {
    const junit = { counts: { passed: 1, failed: 0, skipped: 0, errors: 0 }, cases: [testCase("tests.e2e.test_a", "passed")] };
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 2, timedOut: true, junit }));
    expect(results.map((r) => r.status)).toEqual(["passed", "timeout", "cancelled"]);
  });

  it("an error while collecting means nothing ran", () => {
    const junit = { counts: { passed: 0, failed: 0, skipped: 0, errors: 1 }, cases: [testCase("", "error", 0, "tests.http.test_b")] };
    expect(resultsOfSerialRun(RUN, paths, outcome({ exitCode: 2, junit })).map((r) => r.status)).toEqual(["cancelled", "failed", "cancelled"]);
  });

  it("a usage error with no report at all falls on the first file", () => {
    const results = resultsOfSerialRun(RUN, paths, outcome({ exitCode: 4 }));
    expect(results.map((r) => r.status)).toEqual(["failed", "cancelled", "cancelled"]);
    expect(results[0]?.reason).toMatch(/usage error/);
  });
});

describe("which file a JUnit case belongs to", () => {
  const paths = ["tests/http/test_login.py", "tests/e2e/test_login.py", "tests/http/test_cart.py"];
  it("matches the dotted module path, whatever the class", () => {
    expect(fileOfCase({ classname: "tests.http.test_login.TestLogin", name: "t" }, paths)).toBe("tests/http/test_login.py");
    expect(fileOfCase({ classname: "tests.e2e.test_login", name: "t" }, paths)).toBe("tests/e2e/test_login.py");
  });
  it("copes with a pytest rootdir above or below the project root", () => {
    expect(fileOfCase({ classname: "project.tests.http.test_cart", name: "t" }, paths)).toBe("tests/http/test_cart.py");
    expect(fileOfCase({ classname: "http.test_cart", name: "t" }, paths)).toBe("tests/http/test_cart.py");
  });
  it("uses the name for collection errors, and gives up on strangers", () => {
    expect(fileOfCase({ classname: "", name: "tests.http.test_cart" }, paths)).toBe("tests/http/test_cart.py");
    expect(fileOfCase({ classname: "other.module", name: "t" }, paths)).toBeNull();
  });
});
