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
