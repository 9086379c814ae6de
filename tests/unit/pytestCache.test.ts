/**
 * pytest's last-failed memory after a run of many processes is what one plain pytest run would leave.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { lastFailedFile, noteOwnWrite, readCachedFailures, updateLastFailed, updateNodeIds, writeLastFailed } from "../../src/plan/pytestCache.js";
import { fileResult } from "../helpers/results.js";
import { temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

describe("pytest's last-failed memory", () => {
  it("remembers what failed, forgets what passed or was skipped, and keeps what did not run", () => {
    const before = { "tests/a.py::t_fixed": true, "tests/b.py::t_old": true, "tests/c.py": true };
    const results = [
      fileResult({ path: "tests/a.py", startSeconds: 1, cases: [
        { nodeid: "tests/a.py::t_fixed", outcome: "passed", seconds: 1 },
        { nodeid: "tests/a.py::t_new", outcome: "failed", seconds: 1 },
        { nodeid: "tests/a.py::t_skip", outcome: "skipped", seconds: 0 },
      ] }),
      fileResult({ path: "tests/c.py", startSeconds: 2, cases: [{ nodeid: "tests/c.py::t", outcome: "passed", seconds: 1 }] }),
      fileResult({ path: "tests/d.py", startSeconds: 3, cases: [{ nodeid: "tests/d.py", outcome: "error", seconds: 0 }] }),
    ];
    expect(updateLastFailed(before, results)).toEqual({ "tests/a.py::t_new": true, "tests/b.py::t_old": true, "tests/d.py": true });
  });

  it("lets a later attempt decide: a retry that passed is forgotten", () => {
    const failedOnce = fileResult({ path: "a.py", startSeconds: 1, attempt: 1, cases: [{ nodeid: "a.py::t", outcome: "failed", seconds: 1 }] });
    const passedOnRetry = fileResult({ path: "a.py", startSeconds: 2, attempt: 2, cases: [{ nodeid: "a.py::t", outcome: "passed", seconds: 1 }] });
    expect(updateLastFailed({}, [passedOnRetry, failedOnce])).toEqual({});
  });

  it("forgets a file's failed tests it no longer has where --last-failed ran it whole for want of them", () => {
    const before = { "a.py::t_renamed": true, "b.py::t_old": true };
    const whole = fileResult({ path: "a.py", ranWhole: true, cases: [{ nodeid: "a.py::t_new_name", outcome: "passed", seconds: 1 }] });
    expect(updateLastFailed(before, [whole])).toEqual({ "b.py::t_old": true });
    // Run some other way, a file keeps what it did not run, as pytest keeps it.
    expect(updateLastFailed(before, [{ ...whole, ranWhole: undefined }])).toEqual(before);
  });
});

describe("pytest's cache folder", () => {
  it("is made as pytest makes it where it is missing: the .gitignore that keeps it out of git, its tag and README, as a real pytest writes them", () => {
    const { root } = project({ "pytest.ini": "[pytest]\n", "test_a.py": "def test_a():\n    pass\n" });
    const plain = spawnSync("python3", ["-m", "pytest", "-q", "-p", "no:randomly", "test_a.py"], { cwd: root, env: { ...process.env, PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1" } });
    expect(plain.status, String(plain.stdout)).toBe(0);
    const pytests = path.join(root, ".pytest_cache");
    const ours = path.join(root, "sub", ".pytest_cache");
    writeLastFailed(ours, { "tests/test_a.py::test_x": true });
    for (const name of [".gitignore", "CACHEDIR.TAG", "README.md"]) expect(fs.readFileSync(path.join(ours, name), "utf8"), name).toBe(fs.readFileSync(path.join(pytests, name), "utf8"));
    expect(fs.statSync(ours).mode & 0o777).toBe(fs.statSync(pytests).mode & 0o777);
    // Nothing of its making is left beside it; a folder there already is written into as it is.
    expect(fs.readdirSync(path.join(root, "sub"))).toEqual([".pytest_cache"]);
    fs.rmSync(path.join(ours, "README.md"));
    writeLastFailed(ours, {});
    expect(fs.existsSync(path.join(ours, "README.md"))).toBe(false);
  });
});

describe("pytest's memory of the tests it has seen (--nf)", () => {
  it("keeps what it knew and adds every test of every file's process, sorted; a collection error is no test", () => {
    const results = [
      fileResult({ path: "tests/b.py", cases: [{ nodeid: "tests/b.py::t2", outcome: "passed", seconds: 1 }, { nodeid: "tests/b.py::t1", outcome: "failed", seconds: 1 }] }),
      fileResult({ path: "tests/a.py", cases: [{ nodeid: "tests/a.py::t", outcome: "skipped", seconds: 0 }] }),
      fileResult({ path: "tests/c.py", cases: [{ nodeid: "tests/c.py", outcome: "error", seconds: 0 }] }),
    ];
    expect(updateNodeIds(["tests/old.py::t", "tests/a.py::t"], results)).toEqual(["tests/a.py::t", "tests/b.py::t1", "tests/b.py::t2", "tests/old.py::t"]);
  });
});

describe("pytest's memory read for --last-failed", () => {
  it("gives its failed node ids by the project path of their file (its rootdir below the project), and says whether pytest wrote it after grimoire-run's last run", () => {
    const { root } = project({ "app/pytest.ini": "[pytest]\n" });
    const cacheDir = path.join(root, "app", ".pytest_cache");
    writeLastFailed(cacheDir, { "tests/test_a.py::test_x": true, "tests/test_a.py::test_z": true, "tests/test_b.py": true, "tests/test_c.py::gone": false as unknown as true });
    const written = fs.statSync(lastFailedFile(cacheDir)).mtimeMs;
    const read = readCachedFailures(cacheDir, root, path.join(root, "app"), written - 60_000);
    expect(read.byFile).toEqual(new Map([["app/tests/test_a.py", ["tests/test_a.py::test_x", "tests/test_a.py::test_z"]], ["app/tests/test_b.py", ["tests/test_b.py"]]]));
    expect(read.newerThanHistory).toBe(true);
    // grimoire-run's own end of run writes it beside its history: the same run.
    expect(readCachedFailures(cacheDir, root, path.join(root, "app"), written - 1_000).newerThanHistory).toBe(false);
    expect(readCachedFailures(cacheDir, root, path.join(root, "app"), null).newerThanHistory).toBe(true);
    expect(readCachedFailures(path.join(root, "none"), root, root, null)).toEqual({ byFile: new Map(), newerThanHistory: false });
  });

  it("knows its own last write from any other by the note it keeps, however soon after the other came (a plain pytest run a second later)", () => {
    const { root } = project({ "pytest.ini": "[pytest]\n" });
    const cacheDir = path.join(root, ".pytest_cache");
    writeLastFailed(cacheDir, { "tests/test_a.py::test_x": true });
    noteOwnWrite(root, cacheDir);
    const ours = fs.statSync(lastFailedFile(cacheDir)).mtimeMs;
    // The history's run recorded at the same moment: grimoire-run's own write.
    expect(readCachedFailures(cacheDir, root, root, ours).newerThanHistory).toBe(false);
    // A plain pytest run a moment later, everything passing: its memory is the latest, within the old 5 s as well.
    writeLastFailed(cacheDir, {});
    const theirs = ours + 1_000;
    fs.utimesSync(lastFailedFile(cacheDir), theirs / 1000, theirs / 1000);
    expect(readCachedFailures(cacheDir, root, root, ours).newerThanHistory).toBe(true);
    // A note of another cache says nothing of this one: the time decides.
    const other = path.join(root, "other", ".pytest_cache");
    writeLastFailed(other, {});
    noteOwnWrite(root, other);
    expect(readCachedFailures(cacheDir, root, root, ours).newerThanHistory).toBe(false);
  });

  it("takes pytest's memory gone since grimoire-run wrote it (--cache-clear, a removed .pytest_cache) for one that remembers nothing failing", () => {
    // A helper's trial: a --fail-fast run, then a passing `pytest --cache-clear`, which writes no lastfailed; grimoire-run's
    // --lf then ran its history's old failure alone, where pytest's --lf runs everything.
    const { root } = project({ "pytest.ini": "[pytest]\n" });
    const cacheDir = path.join(root, ".pytest_cache");
    writeLastFailed(cacheDir, { "tests/test_a.py::test_x": true });
    noteOwnWrite(root, cacheDir);
    fs.rmSync(cacheDir, { recursive: true });
    expect(readCachedFailures(cacheDir, root, root, Date.now())).toEqual({ byFile: new Map(), newerThanHistory: true });
    // Never written by grimoire-run (a project's first run, pytest's cache off): the history alone speaks.
    const other = path.join(root, "other", ".pytest_cache");
    expect(readCachedFailures(other, root, root, Date.now())).toEqual({ byFile: new Map(), newerThanHistory: false });
  });
});
