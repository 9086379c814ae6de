/**
 * Files sharing a helper module that is slow to import (a big framework, a
 * model loaded at import time): a single pytest process or an xdist worker
 * imports it once, one process per file imports it for every file.
 */
import { SERIAL_ARGS, fmt, medians, ratioRow, sideBySide, timed, timeGrimoire, timePytest, timePython, timingTable, writeSuite, xdistArgs, xdistName } from "./lib.mjs";

const FILES = 16;
const WORKERS = 2;
/** Pure-Python loop iterations the helper runs at import: about 0.3 s of CPU on the machine this was written on. */
const IMPORT_ITERATIONS = 6_000_000;
const IMPORT_SAMPLES = 5;

function slowImportSuite() {
  const files = {
    // At the project root, as an app's own package is: `python -m pytest` puts the root on sys.path.
    "slowhelper.py": `def _table(iterations):
    x = 0
    for i in range(iterations):
        x = (x + i * i) % 1000003
    return x


TABLE = _table(${IMPORT_ITERATIONS})
`,
  };
  for (let i = 0; i < FILES; i++) {
    files[`tests/http/test_uses_helper_${String(i).padStart(2, "0")}.py`] = `from slowhelper import TABLE


def test_table():
    assert TABLE >= 0


def test_other():
    assert TABLE + ${i} >= ${i}
`;
  }
  return { root: writeSuite("slow-imports", files), tests: 2 * FILES };
}

/** What importing the helper costs on its own: python3 importing it, minus python3 doing nothing. */
async function importSeconds(root) {
  const m = medians(await sideBySide([timed("import", () => timePython("import slowhelper", root)), timed("bare", () => timePython("pass", root))], IMPORT_SAMPLES));
  return m.import - m.bare;
}

const SERIAL = "serial pytest, one process";
const XDIST = xdistName(WORKERS, "load");
const GRIMOIRE = `grimoire-run --parallel -n ${WORKERS}`;
const PACK = `grimoire-run --parallel -n ${WORKERS} --pack`;
const PRELOAD = `grimoire-run --parallel -n ${WORKERS} --preload slowhelper`;

export async function slowImportsScenario({ repetitions }) {
  const { root, tests } = slowImportSuite();
  const helper = await importSeconds(root);
  // What the default run says at its end about the helper every file imported (src/exec/importTimes.ts).
  let hint = null;
  const samples = await sideBySide(
    [
      timed(SERIAL, () => timePytest(root, SERIAL_ARGS, tests)),
      timed(XDIST, () => timePytest(root, xdistArgs(WORKERS, "load"), tests)),
      timed(GRIMOIRE, async () => {
        const run = await timeGrimoire(root, { workers: WORKERS, files: FILES });
        hint = /Imported by each file for itself: [^\n]*/.exec(run.output)?.[0] ?? hint;
        return run.seconds;
      }),
      timed(PACK, async () => (await timeGrimoire(root, { workers: WORKERS, files: FILES, extra: ["--pack"] })).seconds),
      timed(PRELOAD, async () => (await timeGrimoire(root, { workers: WORKERS, files: FILES, extra: ["--preload", "slowhelper"] })).seconds),
    ],
    repetitions,
  );
  const { [SERIAL]: serial, [XDIST]: xdist, [GRIMOIRE]: grimoire, [PACK]: pack, [PRELOAD]: preloaded } = medians(samples);
  return {
    title: "Slow imports",
    intro:
      `${FILES} files of two short tests each, every file importing one shared helper that computes a table at import ` +
      `(${fmt(helper)} of CPU, median of ${IMPORT_SAMPLES}); ${WORKERS} workers. ${repetitions} run(s) of each contender, alternating. The helper is the project's own module, so only \`--preload slowhelper\` (the user's decision) imports it once in the fork server.`,
    table: timingTable(samples, [SERIAL, XDIST, GRIMOIRE, PRELOAD, PACK]),
    ratios: [
      ["ratio of medians", "value", "target"],
      ratioRow("grimoire-run / serial pytest", grimoire, serial),
      ratioRow("grimoire-run / pytest-xdist", grimoire, xdist),
      ratioRow("grimoire-run --preload slowhelper / pytest-xdist", preloaded, xdist, 1.2),
      ratioRow("grimoire-run --pack / pytest-xdist", pack, xdist),
    ],
    notes: [
      `Importing the helper in every file is ${FILES} × ${fmt(helper)} = ${fmt(FILES * helper)} of CPU, ${fmt((FILES * helper) / WORKERS)} of wall time over ${WORKERS} workers; the single process pays it once, xdist once per worker, \`--pack\` once per pack.`,
      "Without `--preload` the fork server does not help here: it imports pytest, its plugins and the installed packages the conftests import, never the project's own modules unless named, so that nothing of one file reaches another.",
      hint === null ? "grimoire-run's default run named no module to preload at its end ✘ (it should name slowhelper)." : `grimoire-run's default run ends by saying what to preload: \`${hint}\`.`,
    ],
  };
}
