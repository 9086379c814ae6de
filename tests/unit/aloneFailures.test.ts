/** Files that fail in a process of their own after passing in one shared with other files: the history notes how each ran. */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { aloneFailuresHint, editedSince } from "../../src/exec/aloneFailures.js";
import { EMPTY_HISTORY, updateHistory } from "../../src/plan/history.js";
import type { TestCase } from "../../src/model.js";
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
    const before = updateHistory(EMPTY_HISTORY, ["a.py", "b.py", "c.py"].map((path) => fileResult({ path, log: "serial.log", cases: [passed(`${path}::test_x`)] })), now);
    const results = [
      fileResult({ path: "a.py", log: "a.log", status: "failed", cases: [failed("a.py::test_x")] }),
      fileResult({ path: "b.py", log: "b.log", cases: [passed("b.py::test_x")] }),
      fileResult({ path: "c.py", log: "pack.log", status: "failed", cases: [failed("c.py::test_x")] }),
      fileResult({ path: "d.py", log: "pack.log" }),
    ];
    expect(aloneFailuresHint(results, before)).toMatch(/^1 file failed in a process of its own that passed the last time it ran in one process with other files \(a serial run, or --pack\): a\.py\. A test may need what another file did first/);
    // Failed in its own process last time too, or never run before: nothing to say.
    const ownBefore = updateHistory(EMPTY_HISTORY, [fileResult({ path: "a.py", log: "a.log", cases: [passed("a.py::test_x")] })], now);
    expect(aloneFailuresHint(results, ownBefore)).toBeNull();
    expect(aloneFailuresHint(results, EMPTY_HISTORY)).toBeNull();
    const failedBefore = updateHistory(EMPTY_HISTORY, ["a.py", "b.py"].map((path) => fileResult({ path, log: "serial.log", status: "failed", cases: [failed(`${path}::test_x`)] })), now);
    expect(aloneFailuresHint(results, failedBefore)).toBeNull();
  });

  it("says nothing of a file edited since it passed: the edit may be why it fails (datasette's trial)", () => {
    const before = updateHistory(EMPTY_HISTORY, ["a.py", "b.py"].map((path) => fileResult({ path, log: "serial.log", cases: [passed(`${path}::test_x`)] })), now);
    const results = [fileResult({ path: "a.py", log: "a.log", status: "failed", cases: [failed("a.py::test_x")] }), fileResult({ path: "b.py", log: "b.log", cases: [passed("b.py::test_x")] })];
    expect(aloneFailuresHint(results, before, () => false)).toMatch(/^1 file failed in a process of its own .*: a\.py\./);
    const asked: string[] = [];
    const edited = (file: string, iso: string): boolean => {
      asked.push(`${file} ${iso}`);
      return file === "a.py";
    };
    expect(aloneFailuresHint(results, before, edited)).toBeNull();
    expect(asked).toEqual([`a.py ${now.toISOString()}`]);
  });

  it("tells a test file edited since a time by its own and its conftests' modification times", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-edited-"));
    try {
      fs.mkdirSync(path.join(root, "tests", "http"), { recursive: true });
      for (const file of ["tests/http/test_a.py", "tests/conftest.py", "conftest.py"]) fs.writeFileSync(path.join(root, file), "");
      const edited = editedSince(root);
      const later = new Date(Date.now() + 60_000).toISOString();
      const earlier = new Date(Date.now() - 60_000).toISOString();
      expect(edited("tests/http/test_a.py", earlier)).toBe(true);
      expect(edited("tests/http/test_a.py", later)).toBe(false);
      // Only a conftest above it changed since (each look is a new one: a look reads each file's time once).
      const past = new Date(Date.now() - 120_000);
      fs.utimesSync(path.join(root, "tests/http/test_a.py"), past, past);
      fs.utimesSync(path.join(root, "conftest.py"), past, past);
      expect(editedSince(root)("tests/http/test_a.py", earlier)).toBe(true);
      fs.utimesSync(path.join(root, "tests/conftest.py"), past, past);
      const again = editedSince(root);
      expect(again("tests/http/test_a.py", earlier)).toBe(false);
      expect(again("tests/http/gone.py", earlier)).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("says nothing of a test that failed a time limit (Hypothesis' deadline, pytest-timeout's): a busier machine, not another file (h2's trial)", () => {
    const before = updateHistory(EMPTY_HISTORY, ["a.py", "b.py"].map((path) => fileResult({ path, log: "serial.log", cases: [passed(`${path}::test_x`)] })), now);
    const over = (message: string): TestCase => ({ ...failed("a.py::test_x"), failures: [{ when: "call", message, text: "", sections: [] }] });
    for (const message of ["hypothesis.errors.DeadlineExceeded: Test took 253.12ms, which exceeds the deadline of 200.00ms", "Failed: Timeout >1.0s"]) {
      expect(aloneFailuresHint([fileResult({ path: "a.py", log: "a.log", status: "failed", cases: [over(message)] })], before)).toBeNull();
    }
    expect(aloneFailuresHint([fileResult({ path: "a.py", log: "a.log", status: "failed", cases: [over("AssertionError: assert 1 == 2")] })], before)).not.toBeNull();
  });

  it("says that a file passing alone failed beside the files running with it, where it ran beside any (Flask-Migrate's shared migrations folder)", () => {
    const before = updateHistory(EMPTY_HISTORY, ["a.py", "b.py"].map((path) => fileResult({ path, log: "serial.log", cases: [passed(`${path}::test_x`)] })), now);
    const aFails = { path: "a.py", log: "a.log", status: "failed" as const, cases: [failed("a.py::test_x")], startSeconds: 0, durationSeconds: 2 };
    const beside = aloneFailuresHint([fileResult(aFails), fileResult({ path: "b.py", log: "b.log", cases: [passed("b.py::test_x")], startSeconds: 1, durationSeconds: 2 })], before);
    expect(beside).toMatch(/If it passes alone, it failed beside the files running at the same time: a folder, a file, a port or a database they all use \(--parallel -n 1 shows it; GRIMOIRE_SLOT gives each running file a name of its own, --database-url a PostgreSQL database of its own\)\. A test that measures its own process \(its memory, as psutil reads it\) may fail forked from the fork server, which has imported packages before it: --no-fork-server shows it$/);
    // One after the other (one worker): nothing ran beside it.
    const after = aloneFailuresHint([fileResult(aFails), fileResult({ path: "b.py", log: "b.log", cases: [passed("b.py::test_x")], startSeconds: 2, durationSeconds: 2 })], before);
    expect(after).toMatch(/a plain session hides that need, and --pack where the files land in one pack\. A test that measures its own process/);
    expect(after).not.toMatch(/If it passes alone/);
  });

  it("says nothing of a test the shared run did not run (-k, -m), and names a module that imported there and not alone", () => {
    // `-k "not bad"` in the shared run: test_bad had no verdict there, and fails alone as it would in any run.
    const selected = updateHistory(EMPTY_HISTORY, ["a.py", "b.py"].map((path) => fileResult({ path, log: "serial.log", cases: [passed(`${path}::test_ok`)] })), now, null, new Set(["a.py"]));
    const aBad = fileResult({ path: "a.py", log: "a.log", status: "failed", cases: [passed("a.py::test_ok"), failed("a.py::test_bad")] });
    expect(aloneFailuresHint([aBad], selected)).toBeNull();
    // The module's import failed alone: whatever the shared run selected, it imported the module there.
    const notImported = fileResult({ path: "a.py", log: "a.log", status: "failed", cases: [{ nodeid: "a.py", outcome: "error", seconds: 0, failures: [{ when: "collect", message: "ImportError: cannot import name 'registry'", text: "", sections: [] }] }] });
    expect(aloneFailuresHint([notImported], selected)).toMatch(/^1 file failed in a process of its own .*: a\.py\./);
    // A process that failed without a test's verdict (a crash) says nothing of what passed before.
    expect(aloneFailuresHint([fileResult({ path: "a.py", log: "a.log", status: "failed" })], selected)).toBeNull();
  });
});

function passed(nodeid: string): TestCase {
  return { nodeid, outcome: "passed", seconds: 0.1 };
}

function failed(nodeid: string): TestCase {
  return { nodeid, outcome: "failed", seconds: 0.1, failures: [{ when: "call", message: "AssertionError", text: "", sections: [] }] };
}
