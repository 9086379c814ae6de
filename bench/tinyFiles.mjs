/**
 * Many tiny files: nothing but per-file cost. One pytest process per file
 * pays interpreter start, pytest start and collection for each file, where a
 * single pytest process (or an xdist worker) pays them once.
 */
import { SERIAL_ARGS, benchEnv, medians, ms, ratioRow, sideBySide, timed, timeGrimoire, timePytest, timingTable, writeSuite, xdistArgs, xdistName } from "./lib.mjs";

const FILES = 120;
const WORKERS = 2;

function tinySuite() {
  const files = {};
  for (let i = 0; i < FILES; i++) files[`tests/http/test_tiny_${String(i).padStart(3, "0")}.py`] = "def test_tiny():\n    assert True\n";
  return writeSuite("tiny-files", files);
}

const SERIAL = "serial pytest, one process";
const XDIST = xdistName(WORKERS, "load");
const GRIMOIRE = `grimoire-run --parallel -n ${WORKERS} (fork server)`;
const FRESH = `grimoire-run --parallel -n ${WORKERS} --no-fork-server`;
const PACK = `grimoire-run --parallel -n ${WORKERS} --pack`;
const SERIAL_PLUGINS = "serial pytest, this machine's plugins autoloaded";
const GRIMOIRE_PLUGINS = `grimoire-run --parallel -n ${WORKERS} (fork server), this machine's plugins autoloaded`;

/** As every contender gets it, but with pytest loading the plugins installed here, as a user's pytest does. */
function withPlugins() {
  const env = benchEnv();
  delete env.PYTEST_DISABLE_PLUGIN_AUTOLOAD;
  return env;
}

export async function tinyFilesScenario({ repetitions }) {
  const root = tinySuite();
  const samples = await sideBySide(
    [
      timed(SERIAL, () => timePytest(root, SERIAL_ARGS, FILES)),
      timed(XDIST, () => timePytest(root, xdistArgs(WORKERS, "load"), FILES)),
      timed(GRIMOIRE, async () => (await timeGrimoire(root, { workers: WORKERS, files: FILES })).seconds),
      timed(FRESH, async () => (await timeGrimoire(root, { workers: WORKERS, files: FILES, extra: ["--no-fork-server"] })).seconds),
      timed(PACK, async () => (await timeGrimoire(root, { workers: WORKERS, files: FILES, extra: ["--pack"] })).seconds),
      timed(SERIAL_PLUGINS, () => timePytest(root, SERIAL_ARGS, FILES, withPlugins())),
      timed(GRIMOIRE_PLUGINS, async () => (await timeGrimoire(root, { workers: WORKERS, files: FILES, env: withPlugins() })).seconds),
    ],
    repetitions,
  );
  const { [SERIAL]: serial, [XDIST]: xdist, [GRIMOIRE]: grimoire, [FRESH]: fresh, [PACK]: pack, [SERIAL_PLUGINS]: serialPlugins, [GRIMOIRE_PLUGINS]: grimoirePlugins } = medians(samples);
  return {
    title: "Tiny files",
    intro: `${FILES} files of one trivial test each, ${WORKERS} workers. ${repetitions} run(s) of each contender, alternating.`,
    table: timingTable(samples, [SERIAL, XDIST, GRIMOIRE, FRESH, PACK, SERIAL_PLUGINS, GRIMOIRE_PLUGINS]),
    ratios: [
      ["ratio of medians", "value", "target"],
      ratioRow("grimoire-run (one process per file, fork server) / serial pytest", grimoire, serial, 3),
      ratioRow("grimoire-run --pack / serial pytest", pack, serial, 1.5),
      ratioRow("grimoire-run --no-fork-server / serial pytest", fresh, serial),
      ratioRow("grimoire-run (fork server) / --no-fork-server", grimoire, fresh),
      ratioRow("grimoire-run --pack / pytest-xdist", pack, xdist),
      ratioRow("with this machine's plugins autoloaded: grimoire-run / serial pytest", grimoirePlugins, serialPlugins),
    ],
    notes: [
      `One process per file (the default) costs, on top of the single process, ${ms(((grimoire - serial) * WORKERS) / FILES)} of worker time per file with the fork server and ${ms(((fresh - serial) * WORKERS) / FILES)} without; see "Where the time goes".`,
      "`--pack` (opt-in: files of a pack share one process) runs the files a worker's share at a time, each still reported on its own.",
      "The last two rows load the pytest plugins installed on the machine that ran this (the others turn autoloading off), as a user's pytest does: a plugin's cost per session is paid once by serial pytest and once per file by grimoire-run, less what the fork server does once for the run.",
    ],
  };
}
