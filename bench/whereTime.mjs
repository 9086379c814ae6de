/**
 * Where the time of one tiny file goes: the steps every pytest process pays
 * before and around its first test, each on top of the one before. This is
 * the per-file cost that one process per file multiplies.
 */
import { benchEnv, medians, ms, sideBySide, timePytest, timePython, timed, writeSuite } from "./lib.mjs";

const RUNS = 10;
const TEST_FILE = "tests/http/test_x.py";

export async function whereTimeScenario() {
  const root = writeSuite("where-time", { [TEST_FILE]: "def test_x():\n    assert True\n" });
  const autoload = benchEnv();
  delete autoload.PYTEST_DISABLE_PLUGIN_AUTOLOAD;
  const pytest = (env) => () => timePytest(root, [TEST_FILE, "-q", "-p", "no:cacheprovider"], 1, env);
  const steps = [
    ["interpreter start: `python3 -c pass`", () => timePython("pass", root)],
    ['importing pytest: `python3 -c "import pytest"`', () => timePython("import pytest", root)],
    ["a whole pytest run of one tiny file, plugin autoload off", pytest(benchEnv())],
    ["the same with plugin autoload on (this machine's installed plugins)", pytest(autoload)],
  ];
  const m = medians(await sideBySide(steps.map(([label, measure]) => timed(label, measure)), RUNS));
  return {
    title: "Where the time goes",
    intro: `One file with one trivial test; medians of ${RUNS} runs each, alternating. Each step includes the ones before it.`,
    table: [["step", "median", "on top of the step before"], ...steps.map(([label], k) => [label, ms(m[label]), k === 0 ? "" : ms(m[label] - m[steps[k - 1][0]])])],
    notes: [
      "A pytest process started afresh pays the third row (the fourth with autoload on) for every file, before its first test; one pytest process, or one xdist worker, pays it once; a process forked from one that has already imported pytest skips most of the first two rows.",
      "The benchmarks above turn plugin autoload off (`PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`) for every contender; the last row shows what this machine's stray plugins would add to each pytest start.",
    ],
  };
}
