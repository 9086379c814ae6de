/**
 * grimoire-run's own start-up: what Node.js and grimoire-run's modules cost
 * before anything useful happens, and how long a run takes to get its first
 * pytest process going.
 */
import { CLI, benchEnv, medians, ms, sideBySide, timeChecked, timed, timeGrimoire, writeSuite } from "./lib.mjs";

const RUNS = 20;
const TARGET_SECONDS = 0.15;

const TEST_FILE = "tests/http/test_one.py";

async function versionSeconds(root) {
  const run = await timeChecked("node", [CLI, "--version"], { cwd: root, env: benchEnv() });
  if (!/^\d+\.\d+\.\d+/.test(run.output.trim())) throw new Error(`grimoire-run --version printed ${JSON.stringify(run.output)}`);
  return run.seconds;
}

/** Seconds from launching a parallel run until `--verbose` prints the command line of the file's pytest, which it does once the process exists. */
async function firstPytestSeconds(root) {
  const watch = new RegExp(`^${TEST_FILE.replaceAll(".", "\\.")}: `, "m");
  const run = await timeGrimoire(root, { workers: 1, files: 1, output: "--verbose", watch });
  if (run.watchedSeconds === null) throw new Error(`grimoire-run --verbose never printed the pytest command of ${TEST_FILE}:\n${run.output}`);
  return run.watchedSeconds;
}

/** The same for a serial run, which is one plain pytest process (`serial: python3 -m pytest …`). */
async function serialPytestSeconds(root) {
  const run = await timeChecked("node", [CLI, "--verbose"], { cwd: root, env: benchEnv(), watch: /^serial: /m });
  if (run.watchedSeconds === null) throw new Error(`grimoire-run --verbose never printed the serial run's pytest command:\n${run.output}`);
  return run.watchedSeconds;
}

export async function startUpScenario() {
  const root = writeSuite("start-up", { [TEST_FILE]: "def test_one():\n    assert True\n" });
  const options = { cwd: root, env: benchEnv() };
  const samples = await sideBySide(
    [
      timed("bareNode", async () => (await timeChecked("node", ["-e", "0"], options)).seconds),
      timed("version", () => versionSeconds(root)),
      timed("serialPytest", () => serialPytestSeconds(root)),
      timed("firstPytest", () => firstPytestSeconds(root)),
    ],
    RUNS,
  );
  const { bareNode, version, serialPytest, firstPytest } = medians(samples);
  const own = version - bareNode;
  return {
    title: "Start-up",
    intro: `Medians of ${RUNS} runs each, alternating. A pytest process is seen in \`--verbose\` output, which prints its command line once the process has been started (a project of one file).`,
    table: [
      ["measurement", "median"],
      ["`node -e 0`", ms(bareNode)],
      ["`grimoire-run --version`", ms(version)],
      ["grimoire-run's own start-up (the difference)", `${ms(own)}, target < ${TARGET_SECONDS * 1000} ms ${own < TARGET_SECONDS ? "✔" : "✘"}`],
      ["launch → the pytest process of a serial run", ms(serialPytest)],
      ["launch → the first file's pytest process, `--parallel -n 1`", ms(firstPytest)],
    ],
    notes: [
      "A serial run is one plain pytest process: before it, Node.js, grimoire-run's modules, the history and the log folder.",
      "A parallel run first starts the fork server (pytest imported, its plugins loaded, a warm-up session) and has pytest list the files; the first file is then forked.",
    ],
  };
}
