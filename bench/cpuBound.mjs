/**
 * CPU-bound files on as many workers as cores: every millisecond a runner
 * spends on itself is taken from the tests, so this shows grimoire-run's
 * overhead when the machine is full.
 */
import { raceSerialXdistGrimoire, ratioRow, sum, timingTable, writeSuite, xdistName } from "./lib.mjs";

const WORKERS = 2;
const DISTS = ["load", "worksteal"];

/** Pure-Python loop iterations per second of CPU, roughly, on the machine this was written on. */
const ITERATIONS_PER_SECOND = 20_000_000;

/** Rough CPU seconds of each file, uneven; each file splits its work over a test per started second. */
const SECONDS = [2.0, 0.5, 1.2, 0.7, 1.6, 0.5, 0.9, 1.8, 0.6, 1.0, 0.8, 1.4];
const testsIn = (seconds) => Math.ceil(seconds);

function cpuSuite() {
  const files = {};
  SECONDS.forEach((seconds, i) => {
    const tests = testsIn(seconds);
    files[`tests/http/test_cpu_${String(i + 1).padStart(2, "0")}.py`] = `import pytest


def burn(iterations):
    x = 0
    for i in range(iterations):
        x = (x + i * i) % 1000003
    return x


@pytest.mark.parametrize("part", range(${tests}))
def test_burn(part):
    assert burn(${Math.round((seconds / tests) * ITERATIONS_PER_SECOND)}) >= 0
`;
  });
  return { root: writeSuite("cpu-bound", files), tests: sum(SECONDS.map(testsIn)) };
}

const SERIAL = "serial pytest, one process";
const xdist = (dist) => xdistName(WORKERS, dist);
const FIRST = `grimoire-run -n ${WORKERS}, first run (no history)`;
const SECOND = `grimoire-run -n ${WORKERS}, second run (history)`;

export async function cpuBoundScenario({ repetitions }) {
  const { root, tests } = cpuSuite();
  const files = SECONDS.length;
  const { samples, m, bestDist } = await raceSerialXdistGrimoire(root, {
    tests,
    files,
    workers: WORKERS,
    dists: DISTS,
    repetitions,
    names: { serial: SERIAL, first: FIRST, second: SECOND },
  });
  return {
    title: `CPU-bound files at ${WORKERS} workers`,
    intro:
      `${files} files (${tests} tests) burning CPU in pure Python, roughly ${Math.min(...SECONDS)} s to ${Math.max(...SECONDS)} s each, uneven; ` +
      `${WORKERS} workers on ${WORKERS} cores. ${repetitions} run(s) of each contender, alternating; grimoire-run's second run follows its first at once.`,
    table: timingTable(samples, [SERIAL, ...DISTS.map(xdist), FIRST, SECOND]),
    ratios: [
      ["ratio of medians", "value", "target"],
      ratioRow(`grimoire-run second run / xdist best (--dist ${bestDist})`, m[SECOND], m[xdist(bestDist)], 1.1),
      ratioRow("grimoire-run second run / serial pytest", m[SECOND], m[SERIAL]),
      ratioRow(`xdist best (--dist ${bestDist}) / serial pytest`, m[xdist(bestDist)], m[SERIAL]),
    ],
    notes: [`The ideal is 1/${WORKERS} of the serial time (${WORKERS} busy cores), which is the suite's CPU work plus one pytest start.`],
  };
}
