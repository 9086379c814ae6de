/**
 * grimoire-run's own start-up: what Node.js and grimoire-run's modules cost
 * before anything useful happens, and how long a run takes to get its first
 * pytest process going.
 */
import { CLI, benchEnv, medians, ms, sideBySide, timeChecked, timed, timeGrimoire, timePython, writeSuite } from "./lib.mjs";

const RUNS = 20;
const TARGET_SECONDS = 0.15;

/**
 * The pytest check grimoire-run makes before it starts any test (as in
 * src/python.ts): a Python start it cannot skip, taken out of the
 * launch-to-first-pytest time to leave grimoire-run's own share.
 */
const PYTEST_CHECK = "import sys, importlib.util as u; print(sys.executable); sys.exit(0 if u.find_spec('pytest') else 3)";
const TEST_FILE = "tests/http/test_one.py";

async function versionSeconds(root) {
  const run = await timeChecked("node", [CLI, "--version"], { cwd: root, env: benchEnv() });
  if (!/^\d+\.\d+\.\d+/.test(run.output.trim())) throw new Error(`grimoire-run --version printed ${JSON.stringify(run.output)}`);
  return run.seconds;
}

/** Seconds from launching grimoire-run until `--verbose` prints the command line of the file's pytest, which it does once the process exists. */
async function firstPytestSeconds(root) {
  const watch = new RegExp(`^${TEST_FILE.replaceAll(".", "\\.")}: `, "m");
  const run = await timeGrimoire(root, { workers: 1, files: 1, output: "--verbose", watch });
  if (run.watchedSeconds === null) throw new Error(`grimoire-run --verbose never printed the pytest command of ${TEST_FILE}:\n${run.output}`);
  return run.watchedSeconds;
}

export async function startUpScenario() {
  const root = writeSuite("start-up", { [TEST_FILE]: "def test_one():\n    assert True\n" });
  const options = { cwd: root, env: benchEnv() };
  const samples = await sideBySide(
    [
      timed("bareNode", async () => (await timeChecked("node", ["-e", "0"], options)).seconds),
      timed("version", () => versionSeconds(root)),
      timed("firstPytest", () => firstPytestSeconds(root)),
      timed("check", () => timePython(PYTEST_CHECK, root)),
    ],
    RUNS,
  );
  const { bareNode, version, firstPytest, check } = medians(samples);
  const own = version - bareNode;
  return {
    title: "Start-up",
    intro: `Medians of ${RUNS} runs each, alternating. The first pytest process is seen in \`--verbose\` output, which prints a file's pytest command line once the process has been started (a project of one file, \`-n 1\`).`,
    table: [
      ["measurement", "median"],
      ["`node -e 0`", ms(bareNode)],
      ["`grimoire-run --version`", ms(version)],
      ["grimoire-run's own start-up (the difference)", `${ms(own)}, target < ${TARGET_SECONDS * 1000} ms ${own < TARGET_SECONDS ? "✔" : "✘"}`],
      ["launch → first pytest process", ms(firstPytest)],
      ["the pytest check alone (`python3 -c \"import sys, importlib.util …\"`)", ms(check)],
      ["launch → first pytest process, minus the pytest check", ms(firstPytest - check)],
    ],
    notes: ["The last row is what grimoire-run adds before the first test can start: Node.js, its modules, the history, the log folder and the spawn (file discovery runs while the check does)."],
  };
}
