/**
 * A long-tailed suite at 4 workers: a few long files among many short ones.
 * With one process per file the start order decides the wall time, so this
 * is where history-based ordering has to pay off: against serial pytest,
 * pytest-xdist's three distribution modes, grimoire-run's own first run (no
 * history: ordered by an estimate from the source), and the lower bound no
 * runner can beat.
 */
import { fmt, raceSerialXdistGrimoire, ratioRow, sum, timingTable, writeSuite, xdistName } from "./lib.mjs";

const WORKERS = 4;
const DISTS = ["load", "loadfile", "worksteal"];

/**
 * Seconds of sleep of each file, in name order: from 0.5 s to 8 s, 40 s in
 * all, with the longest files late in name order, where only history or
 * an estimate from the source would move them.
 */
const SECONDS = [0.5, 1.0, 0.7, 2.0, 0.5, 1.2, 0.6, 0.8, 3.0, 0.5, 1.3, 1.5, 0.7, 0.5, 2.5, 0.6, 1.8, 0.8, 4.0, 1.0, 0.5, 8.0, 5.1, 0.9];

/** One test per started second of the file, each sleeping its share: xdist's `load` can spread a long file's tests. */
const testsIn = (seconds) => Math.ceil(seconds);

function longTailedSuite() {
  const files = {};
  SECONDS.forEach((seconds, i) => {
    const tests = testsIn(seconds);
    files[`tests/http/test_${String(i + 1).padStart(2, "0")}.py`] = `import time

import pytest


@pytest.mark.parametrize("part", range(${tests}))
def test_sleep(part):
    time.sleep(${seconds / tests})
`;
  });
  return { root: writeSuite("long-tailed", files), tests: sum(SECONDS.map(testsIn)) };
}

const SERIAL = "serial pytest, one process";
const xdist = (dist) => xdistName(WORKERS, dist);
const FIRST = "grimoire-run, first run (no history: longest-looking first)";
const SECOND = "grimoire-run, second run (history: longest first)";
const SUMMED = "first run's summed file durations";

export async function longTailedScenario({ repetitions }) {
  const { root, tests } = longTailedSuite();
  const files = SECONDS.length;
  const { samples, m, bestDist } = await raceSerialXdistGrimoire(root, {
    tests,
    files,
    workers: WORKERS,
    dists: DISTS,
    repetitions,
    names: { serial: SERIAL, first: FIRST, second: SECOND },
    fromFirst: (first) => ({ [SUMMED]: sum(first.report.files.map((f) => f.durationSeconds)) }),
  });
  const xdistBest = m[xdist(bestDist)];
  const total = sum(SECONDS);
  const longest = Math.max(...SECONDS);
  const lowerBound = Math.max(longest, total / WORKERS);
  const perFileOverhead = (m[SUMMED] - total) / files;

  return {
    title: `Long-tailed suite at ${WORKERS} workers`,
    intro:
      `${files} files of sleeping tests (${tests} tests), ${Math.min(...SECONDS)} s to ${longest} s of sleep per file, ${total.toFixed(1)} s in all, ` +
      `the longest files late in name order. ${repetitions} run(s) of each contender, alternating; grimoire-run's first run starts without ` +
      "`.grimoire/` (ordered by an estimate from each file's source: its test cases, literal parametrizations counted) and its second follows it at once, ordered by the history the first one wrote.",
    table: [
      ...timingTable(samples, [SERIAL, ...DISTS.map(xdist), FIRST, SECOND]),
      [`lower bound: max(longest file, total / ${WORKERS})`, fmt(lowerBound), `max(${longest}, ${total.toFixed(1)} / ${WORKERS}), from the tests' sleep seconds`],
    ],
    ratios: [
      ["ratio of medians", "value", "target"],
      ratioRow("grimoire-run second run / first run", m[SECOND], m[FIRST]),
      ratioRow(`grimoire-run second run / xdist best (--dist ${bestDist})`, m[SECOND], xdistBest, 1.0),
      ratioRow("grimoire-run second run / lower bound", m[SECOND], lowerBound, 1.15),
      ratioRow("grimoire-run first run / lower bound", m[FIRST], lowerBound, 1.25),
      ratioRow(`xdist best (--dist ${bestDist}) / lower bound`, xdistBest, lowerBound),
    ],
    notes: [
      "The lower bound comes from the tests' own sleep seconds, not from measured durations: it leaves out every process start, so no runner can beat it.",
      `In grimoire-run's first run the files' processes lived ${fmt(m[SUMMED])} summed (the JSON report's durationSeconds, median), ${fmt(m[SUMMED] - total)} more than their sleep: ${fmt(perFileOverhead)} per file of process start, pytest start, collection and reports.`,
      "`--dist load` hands out single tests, so it can split a long file over several workers; `loadfile` and grimoire-run keep each file in one process.",
    ],
  };
}
