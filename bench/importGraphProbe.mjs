/**
 * One measurement of --changed's import graph, in a fresh Node.js process as
 * a run would do it: list and read the project's modules (or take them from
 * .grimoire/imports.json), resolve the graph, select what one change runs.
 * Prints the milliseconds of each step as JSON. Run by importGraph.mjs.
 */
import { importRoots } from "../dist/changes/importGraph.js";
import { importGraph, scanImports } from "../dist/changes/importScan.js";
import { selectChanged } from "../dist/plan/changed.js";

const [root, changed] = process.argv.slice(2);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const scanned = scanImports(root);
const scannedAt = performance.now();
const graph = importGraph(root, scanned, { deleted: [], roots: importRoots([], false) });
const builtAt = performance.now();
const cpu = process.cpuUsage(cpuBefore);
const candidates = scanned.files.filter((file) => file.startsWith("tests/")).map((path) => ({ path, named: null, folder: "tests", kind: "tests" }));
const selection = selectChanged(candidates, { changes: { ref: "HEAD", commit: null, chosen: "head", files: [{ path: changed, deleted: false }] }, graph, always: [], inifile: null });
const selectedAt = performance.now();
process.stdout.write(
  JSON.stringify({
    modules: scanned.files.length,
    parsed: scanned.reparsed.size,
    edges: [...graph.imports.values()].reduce((sum, list) => sum + list.length, 0),
    selected: selection.reasons.size,
    candidates: candidates.length,
    scanMs: scannedAt - started,
    graphMs: builtAt - scannedAt,
    /** The process's own CPU time for both: what the machine's other work cannot inflate much. */
    cpuMs: (cpu.user + cpu.system) / 1000,
    selectMs: selectedAt - builtAt,
  }),
);
