/** Plain results for unit tests of the logic that reads them. */
import type { FileResult } from "../../src/model.js";

export function fileResult(over: Partial<FileResult> & Pick<FileResult, "path">): FileResult {
  return {
    status: "passed",
    iteration: 1,
    attempt: 1,
    exitCode: 0,
    signal: null,
    slot: 0,
    startSeconds: 0,
    durationSeconds: 1,
    tests: null,
    cases: [],
    log: "x.log",
    junit: null,
    artifacts: null,
    artifactFiles: [],
    serverLog: null,
    coverageData: null,
    tail: [],
    reason: null,
    ...over,
  };
}
