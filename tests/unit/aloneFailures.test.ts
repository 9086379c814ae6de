/** Files that fail in a process of their own after passing in one shared with other files: the history notes how each ran. */
import { describe, expect, it } from "vitest";
import { aloneFailuresHint } from "../../src/exec/aloneFailures.js";
import { EMPTY_HISTORY, updateHistory } from "../../src/plan/history.js";
import { fileResult } from "../helpers/results.js";

const now = new Date("2026-12-06T12:00:00Z");

describe("files that failed alone after passing with others", () => {
  it("notes in the history whether a file last ran in a process shared with other files", () => {
    const serial = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", log: "serial.log" }), fileResult({ path: "b.py", log: "serial.log" })], now);
    expect(serial.files["a.py"]?.shared).toBe(true);
    const own = updateHistory(serial, [fileResult({ path: "a.py", log: "a.log" }), fileResult({ path: "b.py", log: "b.log" })], now);
    expect(own.files["a.py"]?.shared).toBeUndefined();
    // A serial run of one file is a process of its own.
    expect(updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", log: "serial.log" })], now).files["a.py"]?.shared).toBeUndefined();
  });

  it("names the files that failed in their own process after passing in a shared one, and nothing else", () => {
    const before = updateHistory(EMPTY_HISTORY, ["a.py", "b.py", "c.py"].map((path) => fileResult({ path, log: "serial.log" })), now);
    const results = [fileResult({ path: "a.py", log: "a.log", status: "failed" }), fileResult({ path: "b.py", log: "b.log" }), fileResult({ path: "c.py", log: "pack.log", status: "failed" }), fileResult({ path: "d.py", log: "pack.log" })];
    expect(aloneFailuresHint(results, before)).toMatch(/^1 file failed in a process of its own that passed the last time it ran in one process with other files \(a serial run, or --pack\): a\.py\. A test may need what another file did first/);
    // Failed in its own process last time too, or never run before: nothing to say.
    const ownBefore = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", log: "a.log" })], now);
    expect(aloneFailuresHint(results, ownBefore)).toBeNull();
    expect(aloneFailuresHint(results, EMPTY_HISTORY)).toBeNull();
    const failedBefore = updateHistory(EMPTY_HISTORY, ["a.py", "b.py"].map((path) => fileResult({ path, log: "serial.log", status: "failed" })), now);
    expect(aloneFailuresHint(results, failedBefore)).toBeNull();
  });
});
