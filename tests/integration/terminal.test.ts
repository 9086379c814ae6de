/**
 * On a terminal grimoire-run shows a spinner with live progress; in CI and
 * through pipes it prints plain lines only. A real pseudo-terminal (util-linux
 * `script`) stands in for the developer's terminal.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, temporaryProjects, testEnv } from "../helpers/project.js";

const project = temporaryProjects();

function inTerminal(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      // A runaway redraw loop must fail the test, not fill the disk.
      if (output.length > 1_000_000) child.kill("SIGKILL");
    });
    // eslint-disable-next-line no-control-regex
    child.on("close", (code) => resolve({ code, output: output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "") }));
  });
}

describe("the terminal", () => {
  const files = { "tests/http/test_a.py": "import time\n\ndef test_a():\n    time.sleep(1.5)\n", "tests/http/test_b.py": "def test_b():\n    pass\n" };

  it("shows live progress in a spinner on a terminal", async () => {
    const p = project(files);
    const { code, output } = await inTerminal(`stty cols 100 rows 30; node ${CLI} --parallel`, p.root, testEnv({ CI: undefined }));
    expect(code).toBe(0);
    expect(output).toMatch(/\d\/2 files · \d running/);
    expect(output).toMatch(/PASS\s+.*tests\/http\/test_a\.py/);
  });

  it("keeps the spinner off in CI, and on a terminal that reports no size", async () => {
    const p = project(files);
    const ci = await inTerminal(`stty cols 100 rows 30; node ${CLI} --parallel`, p.root, testEnv({ CI: "true" }));
    expect(ci.code).toBe(0);
    expect(ci.output).not.toMatch(/files · /);

    const unsized = await inTerminal(`node ${CLI} --parallel`, p.root, testEnv({ CI: undefined }));
    expect(unsized.code).toBe(0);
    expect(unsized.output.length).toBeLessThan(100_000);
    expect(unsized.output).toMatch(/2 files: 2 passed/);
  });

  it("leaves a serial run's pytest output as pytest prints it: no status line redrawn over its half-written progress lines", async () => {
    const p = project(files);
    const { code, output } = await inTerminal(`stty cols 100 rows 30; node ${CLI}`, p.root, testEnv({ CI: undefined }));
    expect(code).toBe(0);
    expect(output).not.toMatch(/files · /);
    expect(output).toMatch(/^tests\/http\/test_a\.py \.\s+\[ 50%\]\r?$/m);
  });

  it("colours pytest's lines and fits them beside the tag without giving the tests COLUMNS or PY_COLORS", async () => {
    const p = project({
      "tests/http/test_env.py": `import argparse, os, subprocess, sys

def test_environment_as_plain_pytest_gives_it():
    assert "PY_COLORS" not in os.environ and "COLUMNS" not in os.environ

def test_help_fits_the_fallback_width():
    text = argparse.ArgumentParser(prog="tool", description="word " * 30).format_help()
    assert max(len(line) for line in text.splitlines()) <= 80

def test_a_pytest_started_by_a_test_prints_no_colour(tmp_path):
    (tmp_path / "test_x.py").write_text("def test_x():\\n    pass\\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path)], capture_output=True, text=True).stdout
    assert "\\x1b[" not in out
`,
      "tests/http/test_b.py": "def test_b():\n    pass\n",
    });
    const raw = await new Promise<string>((resolve) => {
      const child = spawn("script", ["-qec", `stty cols 120 rows 30; node ${CLI} --parallel -n 2`, "/dev/null"], { cwd: p.root, env: testEnv({ CI: undefined, PY_COLORS: undefined, COLUMNS: undefined }), stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.on("close", () => resolve(output));
    });
    expect(raw).toMatch(/PASSED/);
    // pytest's own header, coloured (bold) and as wide as the terminal less the tag column.
    // eslint-disable-next-line no-control-regex
    const header = /\x1b\[1m(=+ test session starts =+)\x1b\[0m/.exec(raw);
    expect(header?.[1]?.length).toBeGreaterThan(100);
    expect(header?.[1]?.length).toBeLessThan(120);
  });

  it("prints plain lines, without colour or spinner, into a pipe", async () => {
    const p = project(files);
    const child = spawn(process.execPath, [CLI, "--parallel"], { cwd: p.root, env: testEnv({ CI: undefined }), stdio: ["ignore", "pipe", "pipe"] });
    let all = "";
    child.stdout.on("data", (c: Buffer) => (all += c.toString()));
    child.stderr.on("data", (c: Buffer) => (all += c.toString()));
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(all).not.toContain("\x1b[");
  });
});
