/**
 * Time to the first test: from the command to the setup of the first test any
 * process runs, for plain pytest and for grimoire-run serial and parallel, on
 * the same suite. Issue 14's target: no more than plain pytest's plus 100 ms.
 */
import fs from "node:fs";
import path from "node:path";
import { CLI, NODE_CERTIFICATES, SERIAL_ARGS, WORK, benchEnv, medians, ms, sideBySide, timeChecked, timed, writeSuite } from "./lib.mjs";

const FILES = 120;
const WORKERS = 2;
const TARGET_MS = 100;

/** A conftest (never loaded by grimoire-run's fork server, which imports no project code) that notes when its process's first test is set up. */
const CONFTEST = `import os, time

_noted = False


def pytest_runtest_setup(item):
    global _noted
    out = os.environ.get("BENCH_FIRST_TEST_FILE")
    if out and not _noted:
        _noted = True
        with open(out, "a") as handle:
            handle.write(f"{time.time()}\\n")
`;

function suite() {
  const files = { "conftest.py": CONFTEST };
  for (let i = 0; i < FILES; i++) files[`tests/http/test_tiny_${String(i).padStart(3, "0")}.py`] = "def test_tiny():\n    assert True\n";
  return writeSuite("first-test", files);
}

/** Seconds from launching the command to the earliest first-test note of any of its processes. */
async function toFirstTest(root, command, args, extra = {}) {
  const notes = path.join(WORK, "first-test.notes");
  fs.rmSync(notes, { force: true });
  const launched = Date.now() / 1000;
  await timeChecked(command, args, { cwd: root, env: benchEnv({ BENCH_FIRST_TEST_FILE: notes, ...extra }) });
  const times = fs.readFileSync(notes, "utf8").trim().split("\n").map(Number);
  return Math.min(...times) - launched;
}

const PLAIN = "plain pytest, one process";
const SERIAL = "grimoire-run (serial: one pytest process)";
const PARALLEL = `grimoire-run --parallel -n ${WORKERS}`;
const SERIAL_CERTIFICATES = `grimoire-run (serial), ${NODE_CERTIFICATES} as this machine sets it`;

export async function firstTestScenario({ repetitions }) {
  const root = suite();
  const runs = repetitions * 2 + 1;
  const certificates = process.env[NODE_CERTIFICATES];
  const contenders = [
    timed(PLAIN, () => toFirstTest(root, "python3", ["-m", "pytest", ...SERIAL_ARGS])),
    timed(SERIAL, () => toFirstTest(root, "node", [CLI, "-q"])),
    timed(PARALLEL, () => toFirstTest(root, "node", [CLI, "--parallel", "-n", String(WORKERS), "-q"])),
  ];
  const names = [PLAIN, SERIAL, PARALLEL];
  if (certificates) {
    contenders.push(timed(SERIAL_CERTIFICATES, () => toFirstTest(root, "node", [CLI, "-q"], { [NODE_CERTIFICATES]: certificates })));
    names.push(SERIAL_CERTIFICATES);
  }
  const samples = await sideBySide(contenders, runs);
  const m = medians(samples);
  const over = (name) => m[name] - m[PLAIN];
  const verdict = (name) => `${ms(over(name))}, target ≤ ${TARGET_MS} ms ${over(name) * 1000 <= TARGET_MS ? "✔" : "✘"}`;
  return {
    title: "Time to the first test",
    intro: `${FILES} files of one trivial test each; from launching the command to the setup of the first test (a conftest notes the time in each pytest process; the earliest counts). ${runs} run(s) of each contender, alternating; medians.`,
    table: [["command", "median", "runs"], ...names.map((name) => [name, ms(m[name]), samples[name].map((s) => ms(s)).join(", ")])],
    ratios: [
      ["difference of medians", "value"],
      [`${SERIAL} − plain pytest`, verdict(SERIAL)],
      [`${PARALLEL} − plain pytest`, verdict(PARALLEL)],
      ...(certificates ? [[`${SERIAL_CERTIFICATES} − ${SERIAL}`, ms(m[SERIAL_CERTIFICATES] - m[SERIAL])]] : []),
    ],
    notes: [
      "Plain pytest collects every file before its first test; a parallel grimoire-run starts its fork server and has pytest list the files first, and its first file then collects only itself. See performance.md, \"Time to the first test\", for where the difference goes.",
      "Every contender starts the same `python3`; grimoire-run adds Node.js and its own modules before it (see \"Start-up\").",
      `The contenders run without ${NODE_CERTIFICATES}, as on most machines (bench/lib.mjs); where the measuring machine sets it, the last row runs grimoire-run with it: Node.js reads the bundle as it starts, before any of grimoire-run's code.`,
    ],
  };
}
