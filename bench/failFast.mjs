/**
 * Fail-fast latency: eight files are running (each with a grandchild), one
 * more fails; how long from that failure until grimoire-run has exited with
 * every tree gone? Once with trees that ignore SIGTERM (they wait out the
 * grace period and get SIGKILL), once with trees that honour it.
 */
import fs from "node:fs";
import path from "node:path";
import { CLI, benchEnv, fmt, median, timeCommand, writeSuite } from "./lib.mjs";

const RUNNING = 8;
const IGNORE = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)";
const HONOUR = "import time; time.sleep(600)";

export function failFastSuite(name, grandchild) {
  const files = {};
  for (let i = 0; i < RUNNING; i++) {
    files[`tests/http/test_hang_${i}.py`] = `import pathlib, subprocess, sys, time

def test_hang():
    subprocess.Popen([sys.executable, "-c", ${JSON.stringify(grandchild)}, "GRIMOIRE_BENCH_TREE"])
    pathlib.Path("ready", "${i}").touch()
    time.sleep(600)
`;
  }
  files["tests/http/test_0_fail.py"] = `import pathlib, time

def test_fail():
    while len(list(pathlib.Path("ready").iterdir())) < ${RUNNING}:
        time.sleep(0.01)
    pathlib.Path("failed_at").write_text(repr(time.time()))
    assert False
`;
  const root = writeSuite(name, files);
  return root;
}

async function latency(root, graceSeconds) {
  fs.rmSync(path.join(root, "ready"), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, "ready"));
  const run = await timeCommand("node", [CLI, "--parallel", "-n", String(RUNNING + 1), "--fail-fast", "--kill-grace", String(graceSeconds), "-q"], {
    cwd: root,
    env: benchEnv(),
  });
  const exitedAt = Date.now() / 1000;
  if (run.code !== 1) throw new Error(`fail-fast run exited ${run.code}:\n${run.output}`);
  const failedAt = Number(fs.readFileSync(path.join(root, "failed_at"), "utf8"));
  return exitedAt - failedAt;
}

export async function failFastScenario({ repetitions }) {
  const grace = 2;
  const rows = [];
  for (const [label, grandchild] of [
    ["trees that ignore SIGTERM", IGNORE],
    ["trees that honour SIGTERM", HONOUR],
  ]) {
    const root = failFastSuite(`failfast-${grandchild === IGNORE ? "ignore" : "honour"}`, grandchild);
    const samples = [];
    for (let i = 0; i < repetitions; i++) samples.push(await latency(root, grace));
    rows.push({ label, median: median(samples), samples });
  }
  return {
    title: "Fail-fast: from the first failure to exit",
    intro: `${RUNNING} files running (each pytest with a grandchild), a 9th fails; \`--kill-grace ${grace}\` (the default). Time from the failing test's last statement to grimoire-run's exit, every tree gone. ${repetitions} runs each.`,
    table: [
      ["running trees", "median", "runs"],
      ...rows.map((r) => [r.label, fmt(r.median), r.samples.map((s) => s.toFixed(2)).join(", ")]),
    ],
    notes: [`Trees that ignore SIGTERM cost the grace period (${grace} s) plus the SIGKILL round; trees that honour it are gone in a fraction of a second.`],
  };
}
