/**
 * Issue 6: history, order, --last-failed, CI shards, merged reports, on real runs.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { readChanges } from "../../src/changes/git.js";
import { sourceState } from "../../src/changes/sourceState.js";
import { CLI, processesIn, type Project, readReport, runCli, startCli, temporaryProjects, testEnv } from "../helpers/project.js";

const project = temporaryProjects();

const sleeper = (seconds: number): string => `import time\n\ndef test_sleep():\n    time.sleep(${seconds})\n`;
const history = (p: Project) => JSON.parse(p.read(".grimoire/history.json")) as { version: number; files: Record<string, { seconds: number | null; outcome: string; runs: number; recent?: string; tests?: Record<string, string> }> };
const startOrder = (p: Project, report: string) =>
  readReport(p, report)
    .files.sort((a, b) => a.startSeconds - b.startSeconds)
    .map((f) => f.path);

describe("history and order", () => {
  it("records each file's duration and outcome, and starts the slowest file first next time", async () => {
    const p = project({ "tests/http/test_a.py": sleeper(0.1), "tests/http/test_b.py": sleeper(0.1), "tests/http/test_c.py": sleeper(0.1), "tests/http/test_z_slow.py": sleeper(1.5) });
    expect((await runCli(["--parallel", "-n", "1", "--report-json", "first.json"], { cwd: p.root })).code).toBe(0);
    expect(startOrder(p, "first.json")).toEqual(["tests/http/test_a.py", "tests/http/test_b.py", "tests/http/test_c.py", "tests/http/test_z_slow.py"]);
    const recorded = history(p);
    expect(recorded.files["tests/http/test_z_slow.py"]?.outcome).toBe("passed");
    expect(recorded.files["tests/http/test_z_slow.py"]?.seconds).toBeGreaterThan(1.5);

    expect((await runCli(["--parallel", "-n", "1", "--report-json", "second.json"], { cwd: p.root })).code).toBe(0);
    expect(startOrder(p, "second.json")[0]).toBe("tests/http/test_z_slow.py");
    expect(history(p).files["tests/http/test_a.py"]?.runs).toBe(2);
  });

  it("a run of some of a file's tests (-k, -m, --deselect) leaves its duration alone; tests the project's addopts always deselect do not", async () => {
    const file = (seconds: number) =>
      `import time, pytest\n\ndef test_long():\n    time.sleep(${seconds})\n\ndef test_quick():\n    pass\n\n@pytest.mark.stress\ndef test_stress():\n    pass\n`;
    const p = project({ "pytest.ini": '[pytest]\naddopts = -m "not stress"\nmarkers =\n    stress\n', "tests/http/test_a.py": file(1) });
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    const whole = history(p).files["tests/http/test_a.py"]?.seconds ?? 0;
    expect(whole).toBeGreaterThan(1);
    for (const picked of [["-k", "quick"], ["--", "--deselect", "tests/http/test_a.py::test_long"]]) {
      expect((await runCli(["--parallel", ...picked], { cwd: p.root })).code).toBe(0);
      expect(history(p).files["tests/http/test_a.py"]?.seconds).toBe(whole);
    }
    // Every run deselects test_stress (the project's addopts): the file as the project runs it, whose duration counts.
    p.write("tests/http/test_a.py", file(3));
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    expect(history(p).files["tests/http/test_a.py"]?.seconds).toBeGreaterThan(whole + 0.5);
  });

  it("starts what failed last time first, and orders by name or by a seeded shuffle on request", async () => {
    const p = project(Object.fromEntries(["a", "b", "c", "d", "e"].map((n) => [`tests/http/test_${n}.py`, n === "d" ? "def test_d():\n    assert 0\n" : sleeper(0)])));
    expect((await runCli(["--parallel", "-n", "1"], { cwd: p.root })).code).toBe(1);
    expect((await runCli(["--parallel", "-n", "1", "--report-json", "r.json"], { cwd: p.root })).code).toBe(1);
    expect(startOrder(p, "r.json")[0]).toBe("tests/http/test_d.py");
    await runCli(["--parallel", "-n", "1", "--order", "name", "--report-json", "name.json"], { cwd: p.root });
    expect(startOrder(p, "name.json")).toEqual(["a", "b", "c", "d", "e"].map((n) => `tests/http/test_${n}.py`));
    const first = await runCli(["--parallel", "-n", "1", "--order", "random", "--seed", "7", "--report-json", "r1.json"], { cwd: p.root });
    await runCli(["--parallel", "-n", "1", "--order", "random", "--seed", "7", "--report-json", "r2.json"], { cwd: p.root });
    expect(startOrder(p, "r2.json")).toEqual(startOrder(p, "r1.json"));
    expect(first.stdout).toMatch(/order: random, seed 7/);
    const unseeded = await runCli(["--parallel", "--order", "random"], { cwd: p.root });
    expect(unseeded.stdout).toMatch(/order: random, seed \d+ \(--order random --seed \d+ repeats it\)/);
    const bad = await runCli(["--parallel", "--seed", "3"], { cwd: p.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--seed only applies with --order random/);
  });

  it("--last-failed runs only the tests that failed and the files that timed out or were cancelled; everything when nothing did", async () => {
    const p = project({
      "tests/http/test_fails.py": "import os\n\ndef test_x():\n    assert os.environ.get('FIXED') == '1'\n",
      "tests/http/test_slow.py": sleeper(30),
      "tests/http/test_ok.py": sleeper(0),
    });
    expect((await runCli(["--parallel", "--timeout", "2", "--kill-grace", "0.5"], { cwd: p.root })).code).toBe(1);
    const rerun = await runCli(["--parallel", "--last-failed", "--timeout", "2", "--kill-grace", "0.5", "--report-json", "r.json"], { cwd: p.root });
    expect(readReport(p, "r.json").files.map((f) => f.path).sort()).toEqual(["tests/http/test_fails.py", "tests/http/test_slow.py"]);
    expect(rerun.stdout).toMatch(/--last-failed: running the 1 test that failed, and 1 whole file that timed out$/m);

    p.write("tests/http/test_slow.py", sleeper(0));
    p.write("tests/http/test_fails.py", "def test_x():\n    pass\n");
    expect((await runCli(["--parallel", "--last-failed"], { cwd: p.root })).code).toBe(0);
    // The failed test ran alone, by node id: its letter is kept, the file as a whole gets none. The run had no
    // --timeout, the two before it had: other conditions, a new stretch (no flake across it), in git or outside it.
    expect(history(p).files["tests/http/test_fails.py"]).toMatchObject({ recent: "F|", tests: { "tests/http/test_fails.py::test_x": "FF|P" } });
    const all = await runCli(["--parallel", "--last-failed", "--report-json", "all.json"], { cwd: p.root });
    expect(all.stdout).toMatch(/--last-failed: nothing failed, timed out or was cancelled last time; running everything/);
    expect(readReport(p, "all.json").files).toHaveLength(3);
  });

  it("starts a file edited since its last run first: a --fail-fast session meets the failure just made at once (kombu's trial)", async () => {
    const p = project({
      "tests/http/test_a_slow.py": sleeper(0.6),
      "tests/http/test_b_slow.py": sleeper(0.6),
      "tests/http/test_c_quick.py": "def test_quick():\n    pass\n",
    });
    expect((await runCli(["--parallel", "-n", "1"], { cwd: p.root })).code).toBe(0);
    // Broken on purpose: quick, it passed last time, and the history order started it last.
    p.write("tests/http/test_c_quick.py", "def test_quick():\n    assert False\n");
    const result = await runCli(["--parallel", "-n", "1", "--fail-fast", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const statuses = Object.fromEntries(readReport(p, "r.json").files.map((f) => [f.path, f.status]));
    expect(statuses).toEqual({ "tests/http/test_a_slow.py": "cancelled", "tests/http/test_b_slow.py": "cancelled", "tests/http/test_c_quick.py": "failed" });
  });

  it("a serial --last-failed chooses as a parallel one does: the failed test alone, from the history, with no file that passed called NO TESTS", async () => {
    // Given pytest's --lf, a serial run read pytest's cache alone and reported each file the --lf skipped as "NO TESTS"
    // (a helper's trial of whitenoise: six of them); after a parallel run with the cache plugin off it ran everything.
    const p = project({
      "tests/http/test_a.py": "import os\n\ndef test_a():\n    assert os.environ.get('FIXED') == '1'\n\ndef test_a2():\n    pass\n",
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    expect((await runCli(["--parallel", "--", "-p", "no:cacheprovider"], { cwd: p.root })).code).toBe(1);
    for (const args of [["--last-failed", "--report-json", "r.json"], ["--report-json", "r.json", "--", "--lf"]]) {
      const rerun = await runCli(args, { cwd: p.root });
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
      expect(rerun.stdout).toMatch(/^--last-failed: running the 1 test that failed$/m);
      expect(rerun.stdout).toMatch(/^Found 1 test file, running it in one pytest process/m);
      expect(rerun.stdout).not.toMatch(/NO TESTS/);
      const files = readReport(p, "r.json").files;
      expect(files.map((f) => [f.path, f.status])).toEqual([["tests/http/test_a.py", "failed"]]);
      expect(files[0]?.cases.map((c) => c.nodeid)).toEqual(["tests/http/test_a.py::test_a"]);
    }
    // The failed test renamed since: the file runs whole, as pytest's --lf runs it, and the run says why (h11's trial:
    // "running the 1 test that failed", then 2 passed).
    p.write("tests/http/test_a.py", "def test_a_renamed():\n    pass\n\ndef test_a2():\n    pass\n");
    const gone = await runCli(["--parallel", "--last-failed"], { cwd: p.root });
    expect(gone.code, gone.stdout + gone.stderr).toBe(0);
    expect(gone.stdout).toMatch(/^--last-failed: none of the tests that failed last time in tests\/http\/test_a\.py is among its tests now \(renamed or removed\?\): it ran whole, as pytest's --lf runs what it cannot narrow$/m);
    expect(gone.stdout).toMatch(/^Tests: 2 passed/m);
    // A whole run of the file, remembered as one: the renamed test is not kept as failed, to be looked for again.
    const after = await runCli(["--last-failed"], { cwd: p.root });
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^--last-failed: nothing failed, timed out or was cancelled last time; running everything$/m);
  });

  it("--last-failed finds the tests that failed among those collected, as pytest's --lf does, where a plugin renamed them; alone or packed", async () => {
    // SQLAlchemy's test plugin renames its test classes after collection: pytest did not find alembic's failed tests by
    // name (a helper's trial: every failed file "not found", exit 2, nothing of them run).
    const renames = "def pytest_collection_modifyitems(items):\n    for item in items:\n        item._nodeid = item._nodeid.replace('::TestA::', '::TestA_sqlite::')\n";
    const p = project({
      "tests/http/conftest.py": renames,
      "tests/http/test_a.py": "import os\n\nclass TestA:\n    def test_bad(self):\n        assert os.environ.get('FIXED') == '1'\n\n    def test_good(self):\n        pass\n",
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(1);
    for (const mode of [["--parallel"], ["--parallel", "-n", "1", "--pack", "--pack-under", "60"]]) {
      const rerun = await runCli([...mode, "--last-failed", "--report-json", "r.json"], { cwd: p.root });
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
      expect(rerun.stdout).toMatch(/--last-failed: running the 1 test that failed$/m);
      const files = readReport(p, "r.json").files;
      expect(files.map((f) => f.path)).toEqual(["tests/http/test_a.py"]);
      expect(files[0]?.cases.map((c) => [c.nodeid, c.outcome])).toEqual([["tests/http/test_a.py::TestA_sqlite::test_bad", "failed"]]);
      // The test it left out, as pytest's --lf counts it ("1 failed, 1 deselected").
      expect(files[0]?.tests?.deselected).toBe(1);
    }
    // A failed test no longer collected (renamed, removed): its file runs whole, as pytest's --lf runs what it finds.
    p.write("tests/http/conftest.py", renames.replace("TestA_sqlite", "TestA_postgresql"));
    const whole = await runCli(["--parallel", "--last-failed", "--report-json", "w.json"], { cwd: p.root, env: testEnv({ FIXED: "1" }) });
    expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    expect(readReport(p, "w.json").files[0]?.cases.map((c) => c.nodeid).sort()).toEqual(["tests/http/test_a.py::TestA_postgresql::test_bad", "tests/http/test_a.py::TestA_postgresql::test_good"]);
  });

  it("says which files failed alone after passing in one process with other files, as a serial run ran them", async () => {
    // test_b uses email.mime, which only test_a imports: one plain session passes both (jsonschema's, click's trials).
    const p = project({
      "tests/http/test_a.py": "def test_imports():\n    import email.mime.text\n",
      "tests/http/test_b.py": "import email\n\ndef test_uses():\n    assert email.mime.text.MIMEText\n",
    });
    expect((await runCli([], { cwd: p.root })).code).toBe(0);
    const alone = await runCli(["--parallel"], { cwd: p.root });
    expect(alone.code).toBe(1);
    expect(alone.stdout).toMatch(/^1 file failed in a process of its own that passed the last time it ran in one process with other files \(a serial run, or --pack\): tests\/http\/test_b\.py\./m);
    // Once it has failed alone, the next parallel run has nothing new to say.
    expect((await runCli(["--parallel"], { cwd: p.root })).stdout).not.toMatch(/in a process of its own that passed/);
    // Nor where the file was edited since it passed: the edit may be why it fails (datasette's trial).
    expect((await runCli([], { cwd: p.root })).code).toBe(0);
    p.write("tests/http/test_b.py", "import email\n\ndef test_uses():\n    assert email.mime.text.MIMEText  # edited\n");
    const edited = await runCli(["--parallel"], { cwd: p.root });
    expect(edited.code).toBe(1);
    expect(edited.stdout).not.toMatch(/in a process of its own that passed/);
  });

  it("a serial run of some of a file's tests by node id gives the file as a whole no letter: no flaky file after a failure (aiosqlite's trial)", async () => {
    const p = project({ "tests/http/test_x.py": "def test_ok():\n    pass\n\ndef test_bad():\n    assert 0\n" });
    expect((await runCli([], { cwd: p.root })).code).toBe(1);
    const one = await runCli(["tests/http/test_x.py::test_ok"], { cwd: p.root });
    expect(one.code).toBe(0);
    expect(one.stdout).not.toMatch(/Flaky recently/);
    expect(history(p).files["tests/http/test_x.py"]).toMatchObject({ recent: "F", tests: { "tests/http/test_x.py::test_ok": "PP", "tests/http/test_x.py::test_bad": "F-" } });
  });

  it("remembers recent outcomes per file and per test: the summary, the report and --list-flaky show a flake rate", async () => {
    const p = project({
      // Fails on the runs whose number (kept in a file beside it) is even.
      "tests/http/test_wobbly.py": "import pathlib\n\ndef test_steady():\n    pass\n\ndef test_wobbly():\n    mark = pathlib.Path(__file__).with_suffix('.count')\n    n = int(mark.read_text()) + 1 if mark.exists() else 1\n    mark.write_text(str(n))\n    assert n % 2\n",
      "tests/http/test_fine.py": sleeper(0),
    });
    const none = await runCli(["--list-flaky"], { cwd: p.root });
    expect([none.code, none.stdout]).toEqual([0, expect.stringMatching(/^No history yet/)]);
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    expect((await runCli(["--parallel", "--list-flaky"], { cwd: p.root })).stdout).toMatch(/^No flaky file: none of the 2 files in .*history\.json both passed and failed within its last 20 runs/);
    const second = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/Flaky recently \(passed and failed within their last 20 runs\): 1 file\n +50% {2}tests\/http\/test_wobbly\.py {2}failed 1 of its last 2 runs\n +tests\/http\/test_wobbly\.py::test_wobbly {2}failed 1 of its last 2 runs/);
    expect(readReport(p, "r.json")).toMatchObject({ flaky: [{ path: "tests/http/test_wobbly.py", runs: 2, failed: 1, tests: [{ nodeid: "tests/http/test_wobbly.py::test_wobbly", runs: 2, failed: 1 }] }] });
    expect(history(p).files["tests/http/test_wobbly.py"]).toMatchObject({ recent: "PF", tests: { "tests/http/test_wobbly.py::test_steady": "PP", "tests/http/test_wobbly.py::test_wobbly": "PF" } });
    // A retry that passes is a flaky run in itself.
    expect((await runCli(["--parallel", "--retries", "1", "--flaky-result", "pass"], { cwd: p.root })).code).toBe(0);
    expect(history(p).files["tests/http/test_wobbly.py"]?.recent).toBe("PFP");
    expect((await runCli(["--parallel", "--retries", "1", "--flaky-result", "pass"], { cwd: p.root })).code).toBe(0);
    expect(history(p).files["tests/http/test_wobbly.py"]).toMatchObject({ recent: "PFPK", tests: { "tests/http/test_wobbly.py::test_wobbly": "PFPK" } });
    const listed = await runCli(["--list-flaky"], { cwd: p.root });
    expect(listed.code).toBe(0);
    // PFPK: the K a failure that passed on a retry, said so.
    expect(listed.stdout).toMatch(/^Flaky recently .*: 1 file\n +50% {2}tests\/http\/test_wobbly\.py {2}failed 2 of its last 4 runs, 1 of them passing on a retry\n +tests\/http\/test_wobbly\.py::test_wobbly {2}failed 2 of its last 4 runs, 1 of them passing on a retry \(50%\)\n$/);
  });

  it("lists no flaky file the run stopped before it ran a test of it (fail-fast), in the summary or the report", async () => {
    const p = project({
      "tests/http/test_a_fails.py": "def test_fails():\n    assert False\n",
      // Fails on its second run only (a count kept in a file beside it).
      "tests/http/test_wobbly.py": "import pathlib\n\ndef test_wobbly():\n    mark = pathlib.Path(__file__).with_suffix('.count')\n    n = int(mark.read_text()) + 1 if mark.exists() else 1\n    mark.write_text(str(n))\n    assert n != 2\n",
    });
    for (let run = 0; run < 2; run++) expect((await runCli(["--parallel", "--order", "name"], { cwd: p.root })).code).toBe(1);
    expect(history(p).files["tests/http/test_wobbly.py"]?.recent).toBe("PF");
    // One worker, by name: the failing file first, and the wobbly one cancelled before it starts.
    const stopped = await runCli(["--parallel", "-n", "1", "--order", "name", "--fail-fast", "--report-json", "r.json"], { cwd: p.root });
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toMatch(/Cancelled: 1 \(0 stopped while running, 1 not started\)\n +tests\/http\/test_wobbly\.py/);
    expect(stopped.stdout).not.toMatch(/Flaky recently/);
    expect((readReport(p, "r.json") as { flaky?: unknown[] }).flaky ?? []).toEqual([]);
    // Run, it is listed again.
    const again = await runCli(["--parallel", "--order", "name"], { cwd: p.root });
    expect(again.stdout).toMatch(/Flaky recently \(passed and failed within their last 20 runs\): 1 file\n +\d+% {2}tests\/http\/test_wobbly\.py/);
  });

  it("in a git repository, calls a test flaky only when it passed and failed on the same source, not when it was broken and fixed", async () => {
    const passing = "def test_a():\n    pass\n";
    const p = project({ "tests/http/test_a.py": passing, "notes.py": "" });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: p.root, env: { ...process.env, GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.com" } });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "first");
    const clean = await sourceState(p.root);
    expect(clean).toMatch(/^[0-9a-f]{12}$/);
    // What a run writes (its history, reports, pytest's cache, data files) is not source; an edit and a new Python file are.
    p.write(".grimoire/history.json", "{}");
    p.write("report.json", "{}");
    expect(await sourceState(p.root)).toBe(clean);
    // Nor is a virtualenv git does not ignore (a .gitignore naming venv, not .venv): a package installed there.
    p.write(".venv/pyvenv.cfg", "home = /usr/bin\n");
    p.write(".venv/lib/python3.11/site-packages/installed.py", "VERSION = 1\n");
    expect(await sourceState(p.root)).toBe(clean);
    expect((await readChanges(p.root, null)).files.map((file) => file.path)).toEqual(["report.json"]);
    fs.rmSync(path.join(p.root, ".venv"), { recursive: true });
    p.write("tests/http/test_new.py", passing);
    expect(await sourceState(p.root)).not.toBe(clean);
    expect((await readChanges(p.root, null)).files.map((file) => file.path)).toEqual(["report.json", "tests/http/test_new.py"]);
    fs.rmSync(path.join(p.root, "tests/http/test_new.py"));
    fs.rmSync(path.join(p.root, ".grimoire"), { recursive: true });
    fs.rmSync(path.join(p.root, "report.json"));

    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    p.write("tests/http/test_a.py", "def test_a():\n    assert False\n");
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(1);
    p.write("tests/http/test_a.py", passing);
    const fixed = await runCli(["--parallel"], { cwd: p.root });
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).not.toMatch(/Flaky recently/);
    expect(history(p).files["tests/http/test_a.py"]).toMatchObject({ recent: "P|F|P", tests: { "tests/http/test_a.py::test_a": "P|F|P" } });
    // The same source failing where it passed: a flake.
    p.write("notes.py", "FLIP = 1\n");
    p.write("tests/http/test_a.py", "import pathlib\n\ndef test_a():\n    mark = pathlib.Path('flips.count')\n    n = int(mark.read_text()) + 1 if mark.exists() else 1\n    mark.write_text(str(n))\n    assert n % 2\n");
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    const flipped = await runCli(["--parallel"], { cwd: p.root });
    expect(flipped.code).toBe(1);
    expect(flipped.stdout).toMatch(/Flaky recently .*: 1 file\n +40% {2}tests\/http\/test_a\.py {2}failed 2 of its last 5 runs/);
  });

  it("merge-reports records the shards under the source it has checked out: a commit that breaks a test is no flake (a helper's trial)", async () => {
    const passing = "def test_a():\n    pass\n";
    const p = project({ "tests/http/test_a.py": passing, "tests/http/test_b.py": "def test_b():\n    pass\n" });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: p.root, env: { ...process.env, GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.com" } });
    git("init", "-q", "-b", "main");
    p.write(".gitignore", ".grimoire/\nout*/\n__pycache__/\n");
    git("add", "-A");
    git("commit", "-q", "-m", "first");
    const pipeline = async (out: string): Promise<Awaited<ReturnType<typeof runCli>>> => {
      for (const index of [1, 2]) await runCli(["--parallel", "--shard", `${index}/2`, "--report-json", `${out}/shard${index}/report.json`], { cwd: p.root });
      return runCli(["merge-reports", out], { cwd: p.root });
    };
    expect((await pipeline("out1")).code).toBe(0);
    p.write("tests/http/test_a.py", "def test_a():\n    assert False\n");
    git("commit", "-q", "-am", "breaks test_a");
    const broken = await pipeline("out2");
    expect(broken.code).toBe(1);
    expect(broken.stdout).not.toMatch(/Flaky recently/);
    expect(history(p).files["tests/http/test_a.py"]?.recent).toBe("P|F");
  });

  it("in a git repository or outside one, does not call a test flaky that failed only under other pytest arguments, another --timeout, or with processes started otherwise", async () => {
    const warns = "import warnings\n\ndef test_w():\n    warnings.warn('old api', UserWarning)\n";
    // Outside git the source is unknown (every run the same code): the conditions alone tell the runs apart.
    const outside = project({ "tests/http/test_w.py": warns });
    expect((await runCli(["--parallel", "--", "-W", "error::UserWarning"], { cwd: outside.root })).code).toBe(1);
    const without = await runCli(["--parallel"], { cwd: outside.root });
    expect(without.code).toBe(0);
    expect(without.stdout).not.toMatch(/Flaky recently/);
    expect(history(outside).files["tests/http/test_w.py"]?.recent).toBe("F|P");

    const p = project({ "tests/http/test_w.py": warns });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: p.root, env: { ...process.env, GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.com" } });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "first");
    expect(await sourceState(p.root, ["-W", "error::UserWarning"])).not.toBe(await sourceState(p.root));
    expect((await runCli(["--parallel", "--", "-W", "error::UserWarning"], { cwd: p.root })).code).toBe(1);
    const plain = await runCli(["--parallel"], { cwd: p.root });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/Flaky recently/);
    expect(history(p).files["tests/http/test_w.py"]).toMatchObject({ recent: "F|P", tests: { "tests/http/test_w.py::test_w": "F|P" } });
    // The same arguments again: the same conditions, no new stretch.
    expect((await runCli(["--parallel"], { cwd: p.root })).code).toBe(0);
    expect(history(p).files["tests/http/test_w.py"]?.recent).toBe("F|PP");

    // A test that fails only in a forked process does so every time: a run started afresh is another stretch.
    const forked = project({ "tests/http/test_f.py": "import os\n\ndef test_fresh():\n    assert b'-m\\0grimoire_run_' not in open(f'/proc/{os.getppid()}/cmdline', 'rb').read()\n" });
    expect((await runCli(["--parallel"], { cwd: forked.root })).code).toBe(1);
    const fresh = await runCli(["--parallel", "--no-fork-server"], { cwd: forked.root });
    expect(fresh.code, fresh.stdout).toBe(0);
    expect(fresh.stdout).not.toMatch(/Flaky recently/);
    expect(history(forked).files["tests/http/test_f.py"]?.recent).toBe("F|P");

    // So does one that fails only with the bytecode cache on (inside the file, Python may write bytecode then).
    const cached = project({ "tests/http/test_b.py": "import sys\n\ndef test_no_bytecode():\n    assert sys.dont_write_bytecode\n" });
    const noBytecode = testEnv({ PYTHONDONTWRITEBYTECODE: "1", PYTHONPYCACHEPREFIX: undefined });
    expect((await runCli(["--parallel"], { cwd: cached.root, env: noBytecode })).code).toBe(1);
    const uncached = await runCli(["--parallel", "--no-bytecode-cache"], { cwd: cached.root, env: noBytecode });
    expect(uncached.code, uncached.stdout).toBe(0);
    expect(uncached.stdout).not.toMatch(/Flaky recently/);
    expect(history(cached).files["tests/http/test_b.py"]?.recent).toBe("F|P");
  });

  it("does not call a test flaky that failed while the base URL did not answer and passed once it did, outside git too, where only the run's conditions tell runs apart", async () => {
    const p = project({ "tests/http/test_home.py": "import os, urllib.request\n\ndef test_home():\n    with urllib.request.urlopen(os.environ['E2E_BASE_URL']) as answer:\n        assert answer.status == 200\n" });
    // A real server on a port that is free now, started only for the second run.
    const server = http.createServer((_, response) => response.end("ok"));
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const env = { ...testEnv(), E2E_BASE_URL: `http://127.0.0.1:${port}/` };
    // Outside git the source is unknown: every run counts as the same code, and the conditions tell runs apart.
    expect(await sourceState(p.root)).toBe(await sourceState(p.root));
    expect(await sourceState(p.root)).not.toBe(await sourceState(p.root, ["--timeout=2"]));
    expect(await sourceState(p.root, ["base URL a"])).not.toBe(await sourceState(p.root, ["base URL b"]));
    const down = await runCli(["--parallel"], { cwd: p.root, env });
    expect(down.code).toBe(1);
    expect(down.stderr + down.stdout).toMatch(/does not answer/);
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      const up = await runCli(["--parallel"], { cwd: p.root, env });
      expect(up.code).toBe(0);
      expect(up.stdout).not.toMatch(/Flaky recently/);
      expect(history(p).files["tests/http/test_home.py"]?.recent).toBe("F|P");
      // The same server answering again: the same conditions, no new stretch.
      expect((await runCli(["--parallel"], { cwd: p.root, env })).code).toBe(0);
      expect(history(p).files["tests/http/test_home.py"]?.recent).toBe("F|PP");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("does not call a test flaky that failed until a package it needs was installed, or until the files had servers of their own", async () => {
    // A helper's trial: tests that errored before pytest-mock was installed, and tests that failed on a database the
    // files shared and passed on clones of their own, were listed as flaky.
    const p = project({ "tests/http/test_needs.py": "import importlib.util\n\ndef test_needs():\n    assert importlib.util.find_spec('needed')\n" });
    const env = testEnv({ PYTHONPATH: path.join(p.root, "site-packages") });
    expect((await runCli(["--parallel"], { cwd: p.root, env })).code).toBe(1);
    p.write("site-packages/needed.py", "VALUE = 1\n");
    p.write("site-packages/needed-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: needed\nVersion: 1.0\n");
    const installed = await runCli(["--parallel"], { cwd: p.root, env });
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    expect(installed.stdout).not.toMatch(/Flaky recently/);
    expect(history(p).files["tests/http/test_needs.py"]?.recent).toBe("F|P");

    const served = project({ "tests/http/test_served.py": "import os\n\ndef test_served():\n    assert os.environ.get('E2E_BASE_URL')\n" });
    expect((await runCli(["--parallel"], { cwd: served.root, env: testEnv({ E2E_BASE_URL: undefined }) })).code).toBe(1);
    const own = await runCli(["--parallel", "--server", "python3 -m http.server {port} --bind 127.0.0.1"], { cwd: served.root, env: testEnv({ E2E_BASE_URL: undefined }) });
    expect(own.code, own.stdout + own.stderr).toBe(0);
    expect(own.stdout).not.toMatch(/Flaky recently/);
    expect(history(served).files["tests/http/test_served.py"]?.recent).toBe("F|P");
    expect(processesIn(served.root)).toEqual([]);
  });

  it("keeps the history whole when two runs record at once", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6; i++) files[`tests/http/test_${i}.py`] = sleeper(0.1);
    const p = project(files);
    const one = startCli(["--parallel", "-n", "1", "tests/http/test_0.py", "tests/http/test_1.py", "tests/http/test_2.py"], { cwd: p.root });
    const two = startCli(["--parallel", "-n", "1", "tests/http/test_3.py", "tests/http/test_4.py", "tests/http/test_5.py"], { cwd: p.root });
    const [a, b] = await Promise.all([one.done, two.done]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(Object.keys(history(p).files).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `tests/http/test_${i}.py`));
    expect(fs.readdirSync(path.join(p.root, ".grimoire")).filter((f) => f.includes("history"))).toEqual(["history.json"]);
  });
});

describe("CI shards and merged reports", () => {
  function shardedProject(): Project {
    const files: Record<string, string> = {};
    const seconds = [0.9, 0.1, 0.6, 0.2, 0.1, 0.4, 0.1, 0.3];
    seconds.forEach((s, i) => (files[`tests/http/test_${i}.py`] = sleeper(s)));
    files["tests/e2e/test_bad.py"] = "def test_bad():\n    assert 0\n";
    return project(files);
  }

  it("divides the selection into disjoint, complete parts, and merges their reports back into one", async () => {
    const p = shardedProject();
    await runCli(["--parallel"], { cwd: p.root });
    const before = p.read(".grimoire/history.json");
    const shards = [];
    for (const index of [1, 2, 3]) {
      const result = await runCli(["--parallel", "--shard", `${index}/3`, "--report-json", `out/shard${index}/report.json`, "--junit-xml", `out/shard${index}/junit.xml`], { cwd: p.root });
      expect(result.stdout).toMatch(new RegExp(`shard ${index}/3: \\d+ files?, [\\d.]+s of recorded time; the others: `));
      shards.push(readReport(p, `out/shard${index}/report.json`));
    }
    // Shards leave the history to merge-reports, so that they all divide by the same one.
    expect(p.read(".grimoire/history.json")).toBe(before);
    const assigned = shards.flatMap((r) => r.files.map((f) => f.path));
    expect(new Set(assigned).size).toBe(assigned.length);
    expect(assigned.sort()).toEqual([...Array.from({ length: 8 }, (_, i) => `tests/http/test_${i}.py`), "tests/e2e/test_bad.py"].sort());

    const merged = await runCli(["merge-reports", "out", "--report-json", "merged.json", "--junit-xml", "merged.xml"], { cwd: p.root });
    expect(merged.code).toBe(1);
    expect(merged.stdout).toMatch(/Merged 3 reports \(1\/3, 2\/3, 3\/3\) and 3 JUnit files/);
    expect(merged.stdout).toMatch(/9 files: 8 passed, 1 failed/);
    const report = readReport(p, "merged.json");
    expect(report.files).toHaveLength(9);
    // Each shard's slots follow the previous shards' in the merged report, so that their timeline lanes stay apart.
    const lanes = shards.map((shard) => new Set(report.files.filter((f) => shard.files.some((e) => e.path === f.path)).map((f) => f.slot)));
    for (let i = 1; i < lanes.length; i++) for (const slot of lanes[i] as Set<number>) expect(lanes[i - 1]?.has(slot)).toBe(false);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testsuite" || n === "testcase" }).parse(p.read("merged.xml"));
    expect(junit.testsuites.testsuite.map((s: { name: string }) => s.name).sort()).toEqual(assigned);
    expect(junit.testsuites).toMatchObject({ tests: "9", failures: "1" });
    expect(history(p).files["tests/http/test_0.py"]?.runs).toBe(2);
    // A JUnit file found twice (a copy of an artifact) is counted once, as its suites are (a helper's CI trial).
    fs.copyFileSync(path.join(p.root, "out/shard1/junit.xml"), path.join(p.root, "out/junit-copy.xml"));
    const again = await runCli(["merge-reports", "out", "--no-history", "--junit-xml", "again.xml"], { cwd: p.root });
    expect(again.stdout).toMatch(/Merged 3 reports \(1\/3, 2\/3, 3\/3\) and 3 JUnit files/);
    expect(again.stdout).toMatch(/FAIL\s+tests\/e2e\/test_bad\.py \(1 of 1 test failed\)/);
  });

  it("refuses to merge when a shard is missing or the shards divided differently", async () => {
    const p = shardedProject();
    await runCli(["--parallel", "--shard", "1/2", "--report-json", "a/report.json"], { cwd: p.root });
    const missing = await runCli(["merge-reports", "a"], { cwd: p.root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/the reports of shard 2\/2 are missing/);
    // What to read for it is merge-reports', not a run's options.
    expect(missing.stderr).toMatch(/grimoire-run merge-reports --help says what it reads/);
    expect(missing.stderr).not.toMatch(/Run grimoire-run --help for the options/);
    // Shard 1 run twice (a retried CI job's artifacts beside the first's): which shard, in which files.
    await runCli(["--parallel", "--shard", "1/2", "--report-json", "a2/report.json"], { cwd: p.root });
    const again = await runCli(["merge-reports", "a", "a2"], { cwd: p.root });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/shard 1\/2 appears in more than one run's report: \S*a\/report\.json, \S*a2\/report\.json; merge one run of each shard/);

    // A dashboard must not be greener than the run: each shard's JUnit file is there, and once (a helper's CI trial).
    await runCli(["--parallel", "--shard", "1/2", "--report-json", "j/1/report.json", "--junit-xml", "j/1/junit.xml"], { cwd: p.root });
    await runCli(["--parallel", "--shard", "2/2", "--report-json", "j/2/report.json"], { cwd: p.root });
    const noJUnit = await runCli(["merge-reports", "j", "--no-history", "--junit-xml", "merged.xml"], { cwd: p.root });
    expect(noJUnit.code, noJUnit.stdout + noJUnit.stderr).toBe(2);
    expect(noJUnit.stderr).toMatch(/no JUnit suite for \S+ .*\(shard 2\/2\): give merge-reports every shard's --junit-xml file/);
    expect(fs.existsSync(path.join(p.root, "merged.xml"))).toBe(false);
    // Shard 1's file again in shard 2's place, as it is (read once), or changed (its suites twice).
    fs.copyFileSync(path.join(p.root, "j/1/junit.xml"), path.join(p.root, "j/2/junit.xml"));
    const same = await runCli(["merge-reports", "j", "--no-history", "--junit-xml", "merged.xml"], { cwd: p.root });
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/no JUnit suite for .*\(shard 2\/2\)/);
    fs.writeFileSync(path.join(p.root, "j/2/junit.xml"), `${p.read("j/1/junit.xml")}\n`);
    const twice = await runCli(["merge-reports", "j", "--no-history", "--junit-xml", "merged.xml"], { cwd: p.root });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/the suite of \S+ is in two JUnit files/);

    // Its output cut short (`| head -1`): the verdict still, not an internal error (exit 4) of a write to a closed pipe.
    const piped = execFileSync("bash", ["-c", `"${process.execPath}" "${CLI}" merge-reports j --no-history | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: p.root, env: testEnv(), encoding: "utf8" });
    expect(piped.trim()).toBe("1");

    await runCli(["--parallel"], { cwd: p.root });
    await runCli(["--parallel", "--shard", "2/2", "--report-json", "b/report.json"], { cwd: p.root });
    const differ = await runCli(["merge-reports", "a", "b"], { cwd: p.root });
    expect(differ.code).toBe(2);
    expect(differ.stderr).toMatch(/the shards disagree on how the files were divided \(their partitions differ\): every shard job must run the same commit \(the same test files\)/);
  });

  it("--shard auto takes the part from the CI's own variables, and is a clear exit 2 where there are none", async () => {
    const p = shardedProject();
    const parts = [];
    for (const index of [1, 2]) {
      const result = await runCli(["--parallel", "--shard", "auto", "--report-json", `gitlab/${index}/report.json`], { cwd: p.root, env: testEnv({ CI_NODE_INDEX: String(index), CI_NODE_TOTAL: "2" }) });
      expect(result.stdout).toMatch(new RegExp(`shard ${index}/2 \\(from GitLab CI's CI_NODE_INDEX=${index} and CI_NODE_TOTAL=2\\): `));
      // No history yet: its seconds are an estimate, said so.
      expect(result.stdout).toMatch(/\d+ files?, [\d.]+s estimated: no history yet, a second a file; the others: /);
      parts.push(readReport(p, `gitlab/${index}/report.json`).files.map((f) => f.path));
    }
    expect(parts.flat().sort()).toEqual([...Array.from({ length: 8 }, (_, i) => `tests/http/test_${i}.py`), "tests/e2e/test_bad.py"].sort());
    const merged = await runCli(["merge-reports", "gitlab", "--no-history"], { cwd: p.root });
    expect(merged.stdout).toMatch(/Merged 2 reports \(1\/2, 2\/2\)/);

    const none = await runCli(["--parallel", "--shard", "auto"], { cwd: p.root, env: testEnv({ GITHUB_ACTIONS: "true" }) });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--shard auto: this job is not one of a CI service's parallel jobs: none of CI_NODE_INDEX\/CI_NODE_TOTAL \(GitLab CI\)/);
    expect(none.stderr).toMatch(/GitHub Actions has no such variables: use a matrix/);
  });

  it("an empty shard passes and says so", async () => {
    const p = project({ "tests/http/test_only.py": sleeper(0) });
    const result = await runCli(["--parallel", "--shard", "2/3", "--report-json", "r.json"], { cwd: p.root });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/shard 2\/3: 0 files/);
    expect(readReport(p, "r.json").files).toEqual([]);
  });

  it("writes a merged JUnit of a single run, with a timed-out file shown as an error", async () => {
    const p = project({ "tests/http/test_ok.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n", "tests/http/test_slow.py": sleeper(30) });
    const result = await runCli(["--parallel", "--timeout", "2", "--kill-grace", "0.5", "--junit-xml", "junit.xml"], { cwd: p.root });
    expect(result.code).toBe(1);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testsuite" || n === "testcase" }).parse(p.read("junit.xml"));
    const suites = junit.testsuites.testsuite as { name: string; testcase: Record<string, { message?: string }>[] }[];
    expect(suites.find((s) => s.name === "tests/http/test_ok.py")?.testcase).toHaveLength(2);
    expect(suites.filter((s) => s.name === "tests/http/test_slow.py").flatMap((s) => s.testcase).some((c) => c["error"]?.message === "no result within the 2s time limit")).toBe(true);
    expect(Number(junit.testsuites.errors)).toBeGreaterThanOrEqual(1);
  });

  it("has pytest write no JUnit report where none is asked for (a plain run writes none), and one per process where the run's is", async () => {
    const p = project({ "tests/http/test_a.py": "def test_a():\n    pass\n", "tests/http/test_b.py": "def test_b():\n    pass\n" });
    const reports = (logDir: string): string[] => fs.readdirSync(path.join(p.root, logDir, "junit")).filter((name) => name.endsWith(".xml"));
    for (const mode of [["--parallel"], ["--parallel", "--pack"], []]) {
      const quiet = await runCli([...mode, "--log-dir", "quiet"], { cwd: p.root });
      expect(quiet.code, quiet.stdout + quiet.stderr).toBe(0);
      expect(reports("quiet")).toEqual([]);
      const asked = await runCli([...mode, "--log-dir", "asked", "--junit-xml", "merged.xml"], { cwd: p.root });
      expect(asked.code, asked.stdout + asked.stderr).toBe(0);
      expect(reports("asked").length).toBeGreaterThan(0);
      expect(p.read("merged.xml").match(/<testcase /g)).toHaveLength(2);
      fs.rmSync(path.join(p.root, "quiet"), { recursive: true });
      fs.rmSync(path.join(p.root, "asked"), { recursive: true });
    }
  });

  it("a --junitxml given to pytest (addopts, or after --, which wins) gets the whole run's report, in every mode, as a plain run's", async () => {
    const p = project({
      "pytest.ini": "[pytest]\naddopts = --junitxml=reports/from-addopts.xml\n",
      "tests/http/test_ok.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
      "tests/http/test_bad.py": "def test_c():\n    assert 0\n",
    });
    const parse = (file: string): { testcase: unknown[]; failures: number } => {
      const suites = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testsuite" || n === "testcase" }).parse(p.read(file)).testsuites.testsuite as { testcase: unknown[]; failures: string }[];
      return { testcase: suites.flatMap((s) => s.testcase), failures: suites.reduce((sum, s) => sum + Number(s.failures), 0) };
    };
    for (const mode of [["--parallel"], ["--parallel", "--pack"], []]) {
      fs.rmSync(path.join(p.root, "reports"), { recursive: true, force: true });
      const result = await runCli([...mode, "tests/http/test_ok.py", "tests/http/test_bad.py"], { cwd: p.root });
      expect(result.code).toBe(1);
      const report = parse("reports/from-addopts.xml");
      expect(report.failures).toBe(1);
      // Serial mode's -x may stop before test_ok.py (the file that failed last time goes first): every test that ran is in it.
      const [, passed, failed] = /Tests: (\d+) passed, (\d+) failed/.exec(result.stdout) ?? [];
      expect(report.testcase).toHaveLength(Number(passed) + Number(failed));
      if (mode.length > 0) expect(report.testcase).toHaveLength(3);
    }
    const after = await runCli(["--parallel", "--", "--junitxml=later.xml"], { cwd: p.root });
    expect(after.code).toBe(1);
    expect(parse("later.xml").testcase).toHaveLength(3);
  });
});

describe("pytest-xdist's xdist_group marks", () => {
  it("files of one group never run at the same time; the others run beside them", async () => {
    // Each test notes when it ran; a grouped file holds the "database" for a while, as a test of a shared resource would.
    const timed = (group: string | null) =>
      `import json, os, time\nimport pytest\n\n${group === null ? "" : `@pytest.mark.xdist_group(name="${group}")\n`}def test_it(request):\n    start = time.time()\n    time.sleep(0.4)\n    with open(os.path.join("spans", request.node.path.stem), "w") as out:\n        json.dump([start, time.time()], out)\n`;
    const p = project({ "tests/http/test_db_a.py": timed("db"), "tests/http/test_db_b.py": timed("db"), "tests/http/test_free.py": timed(null), "spans/.keep": "" });
    const run = await runCli(["--parallel", "-n", "3"], { cwd: p.root });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/xdist_group marks: the files of group db \(tests\/http\/test_db_a\.py, tests\/http\/test_db_b\.py\) never run at the same time/);
    const span = (name: string): [number, number] => JSON.parse(fs.readFileSync(path.join(p.root, "spans", name), "utf8")) as [number, number];
    const [a, b, free] = [span("test_db_a"), span("test_db_b"), span("test_free")];
    expect(a[1] <= b[0] || b[1] <= a[0], `db files overlapped: ${JSON.stringify([a, b])}`).toBe(true);
    // The free file ran while one of them did.
    expect(free[0] < Math.max(a[1], b[1]) && free[1] > Math.min(a[0], b[0])).toBe(true);
    expect(processesIn(p.root)).toEqual([]);
  });

  it("a group a conftest gives while collecting is learned from a run, and keeps the files apart from the next one on", async () => {
    const timed = `import json, os, time\n\ndef test_it(request):\n    start = time.time()\n    time.sleep(0.4)\n    with open(os.path.join("spans", request.node.path.stem), "w") as out:\n        json.dump([start, time.time()], out)\n`;
    const conftest = "import pytest\n\ndef pytest_collection_modifyitems(items):\n    for item in items:\n        if 'worker' in item.nodeid:\n            item.add_marker(pytest.mark.xdist_group(name='ports'))\n";
    const p = project({ "tests/http/conftest.py": conftest, "tests/http/test_worker_a.py": timed, "tests/http/test_worker_b.py": timed, "spans/.keep": "" });
    const first = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // Not in the sources: the first run could not know.
    expect(first.stdout + first.stderr).not.toMatch(/xdist_group marks/);
    const second = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(second.code).toBe(0);
    expect(second.stdout + second.stderr).toMatch(/the files of group ports \(tests\/http\/test_worker_a\.py, tests\/http\/test_worker_b\.py\) never run at the same time/);
    const span = (name: string): [number, number] => JSON.parse(fs.readFileSync(path.join(p.root, "spans", name), "utf8")) as [number, number];
    const [a, b] = [span("test_worker_a"), span("test_worker_b")];
    expect(a[1] <= b[0] || b[1] <= a[0], `the group's files overlapped: ${JSON.stringify([a, b])}`).toBe(true);
    expect(processesIn(p.root)).toEqual([]);
  });
});
