/**
 * A real suite, as a user has it: networkx's own tests for its algorithms,
 * from the networkx wheel on the package index at a pinned version (the
 * wheel carries its tests). Against serial pytest and pytest-xdist, with the
 * same tests passing in every contender.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CLI, WORK, benchEnv, medians, ratioRow, sideBySide, timeChecked, timed, timingTable } from "./lib.mjs";

const PACKAGE = "networkx";
const VERSION = "3.6.1";
const TARGET = "networkx/algorithms";
const WORKERS = 2;

/** The wheel downloaded from the index and unpacked into a project folder: the package, its conftest and its tests. */
function installSuite() {
  const root = path.join(WORK, "real-world");
  fs.rmSync(root, { recursive: true, force: true });
  const wheels = path.join(WORK, "real-world-wheel");
  fs.mkdirSync(wheels, { recursive: true });
  // As .ci/run: a machine with a local package mirror gets it as its index, so pip does not wait on one it cannot reach.
  const env = { ...process.env };
  if (env.PIP_INDEX_URL === undefined && fs.existsSync("/opt/pypi/simple")) env.PIP_INDEX_URL = "file:///opt/pypi/simple";
  const download = spawnSync("python3", ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:", "-d", wheels, `${PACKAGE}==${VERSION}`], { encoding: "utf8", env });
  if (download.status !== 0) throw new Error(`pip download ${PACKAGE}==${VERSION} failed:\n${download.stderr}`);
  const wheel = fs.readdirSync(wheels).find((name) => name.startsWith(`${PACKAGE}-${VERSION}-`) && name.endsWith(".whl"));
  if (wheel === undefined) throw new Error(`no ${PACKAGE} ${VERSION} wheel in ${wheels}`);
  const unpack = spawnSync("python3", ["-m", "zipfile", "-e", path.join(wheels, wheel), root], { encoding: "utf8" });
  if (unpack.status !== 0) throw new Error(`unpacking ${wheel} failed:\n${unpack.stderr}`);
  return { root, wheel };
}

/** pytest's own summary line's counts: passed, failed, skipped, xfailed… */
function counts(output) {
  const found = {};
  for (const [, n, word] of output.matchAll(/(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)\b/g)) found[word] = Number(n);
  return found;
}

/** A contender: its wall time, after checking that it passed the tests the reference run passed. */
function contender(root, command, args, expected) {
  return async () => {
    const run = await timeChecked(command, args, { cwd: root, env: benchEnv() });
    const passed = counts(run.output.slice(-3000)).passed ?? 0;
    if (expected.passed !== undefined && passed !== expected.passed) throw new Error(`${args.join(" ")}: ${passed} passed, the reference run ${expected.passed}:\n${run.output.slice(-3000)}`);
    return run.seconds;
  };
}

const SERIAL = "serial pytest, one process";
const XDIST = `pytest-xdist -n ${WORKERS}`;
const GRIMOIRE = `grimoire-run --parallel -n ${WORKERS} (auto-preload: what the conftest imports)`;
const NO_AUTO = `grimoire-run --parallel -n ${WORKERS} --no-auto-preload`;
const PRELOADED = `grimoire-run --parallel -n ${WORKERS} --preload ${PACKAGE}`;

export async function realWorldScenario({ repetitions }) {
  const { root, wheel } = installSuite();
  // The reference: one plain pytest run, which also warms the file cache; every contender must pass what it passed.
  const reference = await timeChecked("python3", ["-m", "pytest", TARGET, "-q", "-p", "no:cacheprovider"], { cwd: root, env: benchEnv() });
  const expected = counts(reference.output.slice(-3000));
  const grimoireArgs = (extra) => [CLI, "--parallel", "-n", String(WORKERS), "-q", ...extra, TARGET];
  // grimoire-run's first run writes the history its later runs order by; the timed runs are all ordered by it.
  await timeChecked("node", grimoireArgs([]), { cwd: root, env: benchEnv() });
  const samples = await sideBySide(
    [
      timed(SERIAL, contender(root, "python3", ["-m", "pytest", TARGET, "-q"], expected)),
      timed(XDIST, contender(root, "python3", ["-m", "pytest", TARGET, "-q", "-p", "xdist", "-n", String(WORKERS)], expected)),
      timed(GRIMOIRE, contender(root, "node", grimoireArgs([]), expected)),
      timed(NO_AUTO, contender(root, "node", grimoireArgs(["--no-auto-preload"]), expected)),
      timed(PRELOADED, contender(root, "node", grimoireArgs(["--preload", PACKAGE]), expected)),
    ],
    repetitions,
  );
  const m = medians(samples);
  const testFiles = spawnSync("find", [TARGET, "-name", "test_*.py"], { cwd: root, encoding: "utf8" }).stdout.trim().split("\n").length;
  return {
    title: `A real suite: ${PACKAGE} ${VERSION}'s ${TARGET} tests`,
    intro:
      `${PACKAGE}'s own tests for \`${TARGET}\` (${testFiles} test files; ${Object.entries(expected).map(([k, v]) => `${v} ${k}`).join(", ")} in a plain pytest run here), from \`${wheel}\` on the package index, unpacked as a project. ` +
      `${WORKERS} workers; ${repetitions} run(s) of each contender, alternating; every contender is checked to pass the same number of tests as the plain run. grimoire-run's runs are ordered by the history of one run before them.`,
    table: timingTable(samples, [SERIAL, XDIST, NO_AUTO, GRIMOIRE, PRELOADED]),
    ratios: [
      ["ratio of medians", "value", "target"],
      ratioRow(`grimoire-run (default) / ${XDIST}`, m[GRIMOIRE], m[XDIST], 1.0),
      ratioRow(`grimoire-run --preload ${PACKAGE} / ${XDIST}`, m[PRELOADED], m[XDIST], 1.0),
      ratioRow("grimoire-run (default) / serial pytest", m[GRIMOIRE], m[SERIAL]),
      ratioRow("grimoire-run (default) / --no-auto-preload", m[GRIMOIRE], m[NO_AUTO]),
      ratioRow(`${XDIST} / serial pytest`, m[XDIST], m[SERIAL]),
    ],
    notes: [
      "numpy and scipy make more of networkx's tests run (the rest skip themselves): the counts above are this machine's.",
      `networkx's conftest imports numpy, scipy and sympy (when installed): auto-preload imports them once in the fork server. networkx itself is the project here, never preloaded unless named: \`--preload ${PACKAGE}\` (\`preload = ["${PACKAGE}"]\` in pyproject.toml) is what its own suite would set.`,
      "The 1.0× target is issue 14's for a real CPU-bound suite (one process per file against pytest-xdist's two long-lived workers).",
    ],
  };
}
