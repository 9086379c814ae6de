/**
 * --split auto: a long file runs as several pytest processes over its tests,
 * each test exactly once, reported as one file with its parts; a file marked
 * grimoire_serial never is.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { outcomesOf, readReport, runCli, temporaryProjects, testEnv } from "../helpers/project.js";

const project = temporaryProjects();

/** A long flow: a class of 4 steps and 6 module-level steps, each a little wait, each noting the pid that ran it. */
function flow(extra = "", seconds = 0.3): string {
  const step = (name: string, indent = "") => `${indent}def ${name}(${indent ? "self" : ""}):\n${indent}    time.sleep(${seconds})\n${indent}    note()\n`;
  return `import os, time

def note():
    with open("pids.txt", "a") as out:
        out.write(str(os.getpid()) + "\\n")

class TestLogin:
${[0, 1, 2, 3].map((i) => step(`test_login_${i}`, "    ")).join("\n")}
${[0, 1, 2, 3, 4, 5].map((i) => step(`test_step_${i}`)).join("\n")}
${extra}`;
}
const SHORT = "import time\n\ndef test_short():\n    time.sleep(0.3)\n";

describe("--split auto", () => {
  it("runs a file longer than its share as parts over its tests, each test once, one row with its parts", async () => {
    const p = project({ "tests/http/test_flow.py": flow(), "tests/http/test_a.py": SHORT, "tests/http/test_b.py": SHORT, "tests/http/test_c.py": SHORT });
    // The first run has no history: the file runs whole, and its tests' times are recorded.
    const first = await runCli(["--parallel", "-n", "4", "--split", "auto"], { cwd: p.root });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    p.write("pids.txt", "");
    const second = await runCli(["--parallel", "-n", "4", "--split", "auto", "--report-json", "r.json"], { cwd: p.root });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const report = readReport(p, "r.json");
    const rows = report.files.filter((f) => f.path === "tests/http/test_flow.py");
    expect(rows).toHaveLength(1);
    const row = rows[0] as (typeof rows)[number] & { parts?: { log: string; status: string }[] };
    expect(row.parts?.length).toBeGreaterThanOrEqual(2);
    expect(row.tests?.passed).toBe(10);
    const outcomes = outcomesOf(report);
    expect(Object.keys(outcomes).filter((id) => id.includes("test_flow"))).toHaveLength(10);
    // Every test exactly once, in more than one process.
    const pids = p.read("pids.txt").trim().split("\n");
    expect(pids).toHaveLength(10);
    expect(new Set(pids).size).toBe(row.parts?.length);
    expect(second.stdout).toMatch(/PASS\s+tests\/http\/test_flow\.py\s+.*\[\d parts, their times summed\]/);
    // Each part's lines carry its number, the parts running side by side (pytest-aiohttp's trial: one tag for both).
    for (let part = 1; part <= (row.parts?.length ?? 0); part++) expect(second.stdout).toMatch(new RegExp(`^flow#${part} +\\| `, "m"));
    // Said before the first file: which file runs in parts.
    expect(second.stdout).toContain(`Found 4 test files, running them on 4 workers, tests/http/test_flow.py in ${row.parts?.length} parts (--split auto)\n`);
    expect(first.stdout).toContain("Found 4 test files, running them on 4 workers\n");
    // The HTML report's timeline has a bar per part, each in the slot it ran in.
    const logs = p.root + "/.grimoire/logs";
    const latest = fs.readdirSync(logs).sort().at(-1) as string;
    const html = fs.readFileSync(`${logs}/${latest}/report.html`, "utf8");
    const bars = [...html.matchAll(/data-path="tests\/http\/test_flow\.py" data-slot="(\d+)"/g)].map((m) => m[1]);
    expect(bars).toHaveLength(row.parts?.length ?? 0);
    expect(html).toContain(`test_flow.py (part ${row.parts?.length}/${row.parts?.length})`);

    // A test the history does not know yet runs once too: in the part that runs the file minus the others' tests.
    p.write("tests/http/test_flow.py", flow("def test_new():\n    note()\n"));
    p.write("pids.txt", "");
    const third = await runCli(["--parallel", "-n", "4", "--split", "auto", "--report-json", "r3.json"], { cwd: p.root });
    expect(third.code, third.stdout + third.stderr).toBe(0);
    expect(p.read("pids.txt").trim().split("\n")).toHaveLength(11);
    expect(Object.keys(outcomesOf(readReport(p, "r3.json"))).filter((id) => id.includes("test_flow"))).toHaveLength(11);

    // A test renamed since history saw it is no error; a failing part fails the file, and the summary names each part's log.
    p.write("tests/http/test_flow.py", flow("def test_new():\n    note()\n").replace("def test_step_0(", "def test_step_zero(").replace("def test_login_1(self):\n    ", "def test_login_1(self):\n        assert False\n    "));
    const fourth = await runCli(["--parallel", "-n", "4", "--split", "auto", "--report-json", "r4.json"], { cwd: p.root });
    expect(fourth.code, fourth.stdout + fourth.stderr).toBe(1);
    const flowRow = readReport(p, "r4.json").files.find((f) => f.path === "tests/http/test_flow.py") as { status: string; tests: { passed: number; failed: number } | null; parts?: unknown[] };
    expect(flowRow.status).toBe("failed");
    expect(flowRow.tests).toMatchObject({ passed: 10, failed: 1 });
    expect(fourth.stdout).toMatch(/FAIL\s+tests\/http\/test_flow\.py/);
    expect(fourth.stdout).toMatch(/part 1 of \d+: (passed|failed), log: \S+\.part1\.log/);
    expect(fourth.stdout).not.toMatch(/not found|no match/);
  });

  it("names the part a slow notice is about", async () => {
    const p = project({ "tests/http/test_flow.py": flow("", 0.4), "tests/http/test_a.py": SHORT, "tests/http/test_b.py": SHORT });
    await runCli(["--parallel", "-n", "3", "--split", "auto"], { cwd: p.root });
    const split = await runCli(["--parallel", "-n", "3", "--split", "auto", "--slow-notice", "1"], { cwd: p.root });
    expect(split.code, split.stdout + split.stderr).toBe(0);
    expect(split.stdout).toMatch(/^SLOW\s+tests\/http\/test_flow\.py \(part \d of \d\)\s+\S+\s+still running/m);
    expect(split.stdout).not.toMatch(/^SLOW\s+tests\/http\/test_flow\.py\s+\d/m);
  });

  it("counts a deselected test of a split file once, not once per part", async () => {
    const p = project({ "tests/http/test_flow.py": flow(), "tests/http/test_a.py": SHORT, "tests/http/test_b.py": SHORT, "tests/http/test_c.py": SHORT });
    expect((await runCli(["--parallel", "-n", "4", "--split", "auto"], { cwd: p.root })).code).toBe(0);
    const selected = await runCli(["--parallel", "-n", "4", "--split", "auto", "-k", "not test_login_2 and not test_short", "--report-json", "r.json"], { cwd: p.root });
    expect(selected.code, selected.stdout + selected.stderr).toBe(0);
    const row = readReport(p, "r.json").files.find((f) => f.path === "tests/http/test_flow.py") as { tests: { passed: number; deselected: number } | null; parts?: unknown[] };
    expect(row.parts?.length).toBeGreaterThanOrEqual(2);
    expect(row.tests).toMatchObject({ passed: 9, deselected: 1 });
    // As one plain pytest run says: 9 passed, 4 deselected (one of the flow, the three short files' tests).
    expect(selected.stdout).toMatch(/^Tests: 9 passed, 0 failed, 0 skipped, 4 deselected$/m);
  });

  it("is suggested for a run of one long file, which ran on one of the workers asked for (lark's suite), and splits it after a run of some of its tests as before", async () => {
    const p = project({ "tests/http/test_flow.py": flow("", 0.5) });
    const whole = await runCli(["--parallel", "-n", "2"], { cwd: p.root });
    expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(/^Found 1 test file, running it on 1 worker/m);
    expect(whole.stdout).toMatch(/^tests\/http\/test_flow\.py took \d+\.\d s, more than its share of the run \(the files' \d+\.\d s over the 2 workers a split run would use \(this run used 1\), \d+\.\d s each\)/m);
    p.write("pids.txt", "");
    expect((await runCli(["--parallel", "-n", "2", "--split", "auto"], { cwd: p.root })).code).toBe(0);
    expect(new Set(p.read("pids.txt").trim().split("\n")).size).toBe(2);
    // A run of one of its tests says nothing of the others' seconds: the next --split auto splits it as before
    // (pytest-rerunfailures' trial: after a -k run it ran the file whole, 32 s against 20 s).
    expect((await runCli(["--parallel", "-n", "2", "-k", "test_step_0"], { cwd: p.root })).code).toBe(0);
    p.write("pids.txt", "");
    expect((await runCli(["--parallel", "-n", "2", "--split", "auto"], { cwd: p.root })).code).toBe(0);
    expect(new Set(p.read("pids.txt").trim().split("\n")).size).toBe(2);
  });

  it("is not suggested by a run --changed chose some files of: their share is not the suite's (cattrs' trial: 2 of 54 files)", async () => {
    const p = project({ "tests/http/test_flow.py": flow("", 0.5), "tests/http/test_a.py": SHORT, "tests/http/test_b.py": SHORT });
    const git = (...args: string[]): void => void execFileSync("git", args, { cwd: p.root, stdio: "ignore" });
    git("init", "-q", "-b", "main");
    git("-c", "user.email=dev@example.com", "-c", "user.name=Dev", "commit", "-q", "--allow-empty", "-m", "empty");
    git("add", "-A");
    git("-c", "user.email=dev@example.com", "-c", "user.name=Dev", "commit", "-q", "-m", "first");
    p.write("tests/http/test_flow.py", `${flow("", 0.5)}\n# edited\n`);
    p.write("tests/http/test_a.py", `${SHORT}\n# edited\n`);
    const changed = await runCli(["--parallel", "-n", "2", "--changed"], { cwd: p.root });
    expect(changed.code, changed.stdout + changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/--changed: running 2 of 3 selected test files/);
    expect(changed.stdout).not.toContain("--split auto");
  });

  it("is not suggested by a run whose files failed before their first test: their seconds say nothing of a working run's", async () => {
    // psycopg's ten files crashed at their sessions' start on a marker in the shared cache, and the one left got the hint.
    const crash = "import os\n\ndef pytest_sessionstart(session):\n    if os.environ.get('CRASH') and 'test_crash' in os.environ.get('GRIMOIRE_LOG_FILE', ''):\n        raise RuntimeError('a marker another process left')\n";
    const p = project({ "tests/http/conftest.py": crash, "tests/http/test_flow.py": flow("", 0.5), "tests/http/test_crash_a.py": SHORT, "tests/http/test_crash_b.py": SHORT, "tests/http/test_c.py": SHORT });
    const crashed = await runCli(["--parallel", "-n", "4"], { cwd: p.root, env: { ...testEnv(), CRASH: "1" } });
    expect(crashed.code, crashed.stdout + crashed.stderr).toBe(1);
    expect(crashed.stdout).toMatch(/^FAIL +tests\/http\/test_crash_a\.py .*pytest hit an internal error/m);
    expect(crashed.stdout).not.toContain("--split auto");
    const working = await runCli(["--parallel", "-n", "4"], { cwd: p.root });
    expect(working.code, working.stdout + working.stderr).toBe(0);
    expect(working.stdout).toContain("--split auto runs such a file in parts");
  });

  it("is suggested at the end of a run that could not end before one long file, unless the file must run whole", async () => {
    // 10 tests of 0.5 s beside 3 short files at 4 workers: the file's 5 s against a share of about 1.6 s.
    const p = project({ "tests/http/test_flow.py": flow("", 0.5), "tests/http/test_a.py": SHORT, "tests/http/test_b.py": SHORT, "tests/http/test_c.py": SHORT });
    const whole = await runCli(["--parallel", "-n", "4"], { cwd: p.root });
    expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(/^tests\/http\/test_flow\.py took \d+\.\d s, more than its share of the run \(the files' \d+\.\d s over 4 workers, \d+\.\d s each\)/m);
    expect(whole.stdout).toContain("--split auto runs such a file in parts");
    // History that remembers the short files as long (runs in their own processes of a slower day, say): a next run
    // with --split auto judges the file by those seconds and would not split it, so this run does not suggest it.
    const history = JSON.parse(p.read(".grimoire/history.json")) as { files: Record<string, { seconds: number }> };
    for (const short of ["tests/http/test_a.py", "tests/http/test_b.py", "tests/http/test_c.py"]) (history.files[short] as { seconds: number }).seconds = 60;
    p.write(".grimoire/history.json", JSON.stringify(history));
    const remembered = await runCli(["--parallel", "-n", "4"], { cwd: p.root });
    expect(remembered.code, remembered.stdout + remembered.stderr).toBe(0);
    expect(remembered.stdout).not.toContain("--split auto");
    p.write("pids.txt", "");
    expect((await runCli(["--parallel", "-n", "4", "--split", "auto"], { cwd: p.root })).code).toBe(0);
    expect(new Set(p.read("pids.txt").trim().split("\n")).size).toBe(1);
    p.write("tests/http/test_flow.py", `import pytest\npytestmark = pytest.mark.grimoire_serial\n${flow("", 0.5)}`);
    const marked = await runCli(["--parallel", "-n", "4"], { cwd: p.root });
    expect(marked.code, marked.stdout + marked.stderr).toBe(0);
    expect(marked.stdout).not.toContain("--split auto");
    // Nor in a run whose files met in what files running at once cannot share (a SQLite file): the file's parts would
    // meet there too (databases' suite, a helper's trial: 12 s became 10 minutes of locked databases).
    p.write("tests/http/test_flow.py", flow("", 0.5));
    fs.rmSync(path.join(p.root, ".grimoire", "history.json"));
    p.write("tests/http/test_c.py", "def test_locked():\n    raise RuntimeError('(sqlite3.OperationalError) database is locked')\n");
    const shared = await runCli(["--parallel", "-n", "4"], { cwd: p.root });
    expect(shared.code).toBe(1);
    expect(shared.stdout).toContain("SQLite found a table gone or already there");
    expect(shared.stdout).not.toContain("--split auto");
  });

  it("never splits a module marked grimoire_serial", async () => {
    const marked = `import pytest\npytestmark = pytest.mark.grimoire_serial\n${flow()}`;
    const p = project({ "pytest.ini": "[pytest]\naddopts = --strict-markers\n", "tests/http/test_flow.py": marked, "tests/http/test_a.py": SHORT, "tests/http/test_b.py": SHORT });
    expect((await runCli(["--parallel", "-n", "4", "--split", "auto"], { cwd: p.root })).code).toBe(0);
    p.write("pids.txt", "");
    const again = await runCli(["--parallel", "-n", "4", "--split", "auto"], { cwd: p.root });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(new Set(p.read("pids.txt").trim().split("\n")).size).toBe(1);
  });
});
