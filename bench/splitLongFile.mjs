/**
 * One long flow file beside short ones, at 4 workers: per-file scheduling
 * cannot finish before the long file does, however it orders. With
 * `--split auto` the second run (history knows each test's seconds) runs
 * that file as several processes over disjoint groups of its tests. Against
 * serial pytest, pytest-xdist (`load` spreads single tests; `loadfile` keeps
 * files whole, as grimoire-run does without --split) and the lower bound.
 */
import { fmt, raceSerialXdistGrimoire, ratioRow, sum, timingTable, writeSuite, xdistName } from "./lib.mjs";

const WORKERS = 4;
const DISTS = ["load", "loadfile"];
const FLOW_STEPS = 16;
const FLOW_STEP_SECONDS = 0.5;
const SHORT_FILES = 8;
const SHORT_FILE_SECONDS = 1;
const FLOW = "tests/e2e/test_checkout_flow.py";

function splitSuite() {
  const files = {
    [FLOW]: `import time

import pytest


@pytest.mark.parametrize("step", range(${FLOW_STEPS}))
def test_checkout_step(step):
    time.sleep(${FLOW_STEP_SECONDS})
`,
  };
  for (let i = 1; i <= SHORT_FILES; i++) {
    files[`tests/http/test_page_${i}.py`] = `import time


def test_page():
    time.sleep(${SHORT_FILE_SECONDS})
`;
  }
  return { root: writeSuite("split-long-file", files), tests: FLOW_STEPS + SHORT_FILES };
}

const SERIAL = "serial pytest, one process";
const xdist = (dist) => xdistName(WORKERS, dist);
const FIRST = "grimoire-run --split auto, first run (no history: the file whole)";
const SECOND = "grimoire-run --split auto, second run (history: the file split)";
const PARTS = "second run: processes the flow file ran as";
const ONCE = "second run: flow tests reported, each once";

/** From the second run's JSON report: how many parts the flow file ran as, and how many distinct tests it reported (all exactly once, or NaN). */
function flowFile(second) {
  const flow = second.report.files.find((f) => f.path === FLOW);
  const ids = flow.cases.map((c) => c.nodeid);
  const once = new Set(ids).size === ids.length ? ids.length : Number.NaN;
  return { [PARTS]: flow.parts?.length ?? 1, [ONCE]: once };
}

export async function splitLongFileScenario({ repetitions }) {
  const { root, tests } = splitSuite();
  const files = 1 + SHORT_FILES;
  const { samples, m, bestDist } = await raceSerialXdistGrimoire(root, {
    tests,
    files,
    workers: WORKERS,
    dists: DISTS,
    repetitions,
    names: { serial: SERIAL, first: FIRST, second: SECOND },
    extra: ["--split", "auto"],
    fromSecond: flowFile,
  });
  const flowSeconds = FLOW_STEPS * FLOW_STEP_SECONDS;
  const total = flowSeconds + SHORT_FILES * SHORT_FILE_SECONDS;
  const lowerBound = Math.max(FLOW_STEP_SECONDS, SHORT_FILE_SECONDS, total / WORKERS);
  const everyOnce = samples[ONCE].every((n) => n === FLOW_STEPS);
  return {
    title: `One long file among short ones at ${WORKERS} workers (--split auto)`,
    intro:
      `A flow file of ${FLOW_STEPS} tests of ${FLOW_STEP_SECONDS} s (${flowSeconds} s) beside ${SHORT_FILES} files of one ${SHORT_FILE_SECONDS} s test, ${total} s in all. ` +
      `${repetitions} run(s) of each contender, alternating. grimoire-run runs with \`--split auto\`: its first run has no history and runs the flow file whole; ` +
      "its second follows at once and splits it by the per-test seconds the first one recorded.",
    table: [
      ...timingTable(samples, [SERIAL, ...DISTS.map(xdist), FIRST, SECOND]),
      [`lower bound: max(longest test, total / ${WORKERS})`, fmt(lowerBound), `max(${Math.max(FLOW_STEP_SECONDS, SHORT_FILE_SECONDS)}, ${total} / ${WORKERS}), from the tests' sleep seconds`],
    ],
    ratios: [
      ["ratio of medians", "value", "target"],
      ratioRow("grimoire-run second run / lower bound", m[SECOND], lowerBound, 1.3),
      ratioRow("grimoire-run second run / first run (the file whole)", m[SECOND], m[FIRST]),
      ratioRow(`grimoire-run second run / xdist best (--dist ${bestDist})`, m[SECOND], m[xdist(bestDist)]),
    ],
    notes: [
      `In the second runs the flow file ran as ${samples[PARTS].join(", ")} processes, and reported ${samples[ONCE].join(", ")} distinct tests: ${everyOnce ? `each of its ${FLOW_STEPS} tests exactly once ✔` : `not each of its ${FLOW_STEPS} tests exactly once ✘`}.`,
      `Without --split no per-file runner can beat ${fmt(flowSeconds)}, the flow file alone; a part runs the file's module-scoped fixtures again, which is why --split is opt-in.`,
      `Summed test seconds: ${fmt(sum([flowSeconds, SHORT_FILES * SHORT_FILE_SECONDS]))}.`,
    ],
  };
}
