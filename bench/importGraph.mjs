/**
 * --changed's import graph on a generated 2,000-module project: how long a
 * run spends listing, reading and parsing the project's Python files and
 * resolving their imports, cold (no .grimoire/imports.json) and warm (the
 * cache written by the run before, no file changed since).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO, median, writeSuite } from "./lib.mjs";

const PACKAGES = 40;
const MODULES_PER_PACKAGE = 39;
const TEST_FILES = 399;
/** The module edited between the warm runs, and the one whose change is selected. */
const EDITED = "app/pkg20/mod5.py";
const CHANGED = "app/pkg39/mod7.py";
const RUNS = 10;
const COLD_TARGET_MS = 1000;
const WARM_TARGET_MS = 100;
const PROBE = path.join(REPO, "bench", "importGraphProbe.mjs");

/** A deterministic pseudo-random sequence, so that every run measures the same project. */
function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Modules of about 70 lines: a docstring, stdlib and project imports
 * (absolute, from-imports, relative, one inside a function, one in a
 * try/except), functions with f-strings, a class. Each imports modules of
 * lower-numbered packages, so the graph is deep, as a layered application's is.
 */
function moduleSource(pick, p, m) {
  const lines = [`"""Package ${p}, module ${m}: generated for the import-graph benchmark.\n\nimport not_an_import  # inside the docstring\n"""`, "import json", "import os.path", "from dataclasses import dataclass, field", ""];
  for (let k = 0; k < 4 && p > 0; k++) {
    const q = Math.floor(pick() * p);
    const n = Math.floor(pick() * MODULES_PER_PACKAGE);
    lines.push(k % 2 === 0 ? `from app.pkg${q}.mod${n} import helper_${n}` : `import app.pkg${q}.mod${n} as dep_${k}`);
  }
  if (m > 0) lines.push(`from .mod${Math.floor(pick() * m)} import helper_0 as sibling`);
  lines.push("try:", "    import ujson as fastjson", "except ImportError:", "    fastjson = json", "");
  for (let f = 0; f < 6; f++) {
    lines.push(
      `def helper_${f}(value, *, scale=${f + 1}):`,
      `    """Scale {value} (not an import: from x import y)."""`,
      `    label = f"{value!r:>10} x {scale} = {value * scale}"`,
      `    if not label:`,
      `        raise ValueError("empty label") from None`,
      `    return {"label": label, "path": os.path.join("out", str(value))}`,
      "",
    );
  }
  lines.push("def load_plugin(name):", "    import importlib", "    return importlib.import_module(name)", "");
  lines.push("@dataclass", `class Record${m}:`, "    name: str", "    tags: list = field(default_factory=list)", "", "    def dump(self):", "        return json.dumps({'name': self.name, 'tags': self.tags})", "");
  return `${lines.join("\n")}\n`;
}

function generatedProject() {
  const pick = random(16);
  const files = { "app/__init__.py": "" };
  for (let p = 0; p < PACKAGES; p++) {
    files[`app/pkg${p}/__init__.py`] = `from .mod0 import helper_0\n`;
    for (let m = 0; m < MODULES_PER_PACKAGE; m++) files[`app/pkg${p}/mod${m}.py`] = moduleSource(pick, p, m);
  }
  for (let t = 0; t < TEST_FILES; t++) {
    const imports = Array.from({ length: 3 }, () => `from app.pkg${Math.floor(pick() * PACKAGES)}.mod${Math.floor(pick() * MODULES_PER_PACKAGE)} import helper_1`);
    files[`tests/test_${String(t).padStart(3, "0")}.py`] = `${imports.join("\n")}\n\n\ndef test_helper():\n    assert helper_1(2)["label"]\n`;
  }
  const root = writeSuite("import-graph", files);
  // Files the cache may trust by their size and time are those older than a couple of seconds (see importScan.ts); a project's files usually are.
  const past = new Date(Date.now() - 3_600_000);
  for (const file of Object.keys(files)) fs.utimesSync(path.join(root, file), past, past);
  return { root, past, modules: Object.keys(files).length, bytes: Object.values(files).reduce((sum, text) => sum + Buffer.byteLength(text), 0) };
}

function probe(root) {
  const run = spawnSync("node", [PROBE, root, CHANGED], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`import-graph probe failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

export async function importGraphScenario() {
  const { root, past, modules, bytes } = generatedProject();
  const cache = path.join(root, ".grimoire", "imports.json");
  const edited = path.join(root, EDITED);
  const original = fs.readFileSync(edited, "utf8");
  const cold = [];
  const warm = [];
  const oneEdited = [];
  for (let r = 0; r < RUNS; r++) {
    fs.rmSync(cache, { force: true });
    fs.writeFileSync(edited, original);
    fs.utimesSync(edited, past, past);
    const first = probe(root);
    const second = probe(root);
    // An edit before a push: one module's content and time change, and it now imports one more module.
    fs.writeFileSync(edited, `${original}\nfrom app.pkg0.mod1 import helper_2\n`);
    const later = new Date(past.getTime() + 1_000);
    fs.utimesSync(edited, later, later);
    const third = probe(root);
    if (first.modules !== modules || first.parsed !== modules || second.parsed !== 0 || third.parsed !== 1) {
      throw new Error(`expected ${modules} modules, all parsed cold, none warm, one after the edit; got ${JSON.stringify({ first, second, third })}`);
    }
    cold.push(first);
    warm.push(second);
    oneEdited.push(third);
  }
  const total = (s) => s.scanMs + s.graphMs;
  const row = (label, samples, target) => {
    const value = median(samples.map(total));
    return [label, `${median(samples.map((s) => s.scanMs)).toFixed(0)} ms`, `${median(samples.map((s) => s.graphMs)).toFixed(0)} ms`, `${value.toFixed(0)} ms`, `≤ ${target} ms ${value <= target ? "✔" : "✘"}`, samples.map((s) => total(s).toFixed(0)).join(", ")];
  };
  const sample = cold[0];
  return {
    title: "Import graph for --changed",
    intro: `A generated project of ${modules} Python files (${PACKAGES} packages of ${MODULES_PER_PACKAGE} modules, ${TEST_FILES} test files; ${(bytes / 1e6).toFixed(1)} MB, ${sample.edges} resolved imports), each module about 70 lines with stdlib, absolute, relative, in-function and try/except imports. ${RUNS} rounds of three runs, each in a fresh Node.js process: cold without \`.grimoire/imports.json\`; warm, with the cache the cold run wrote and no file changed; warm again after one module was edited (it imports one more module). The files are in the operating system's page cache throughout; their modification times are an hour old, as a project's files mostly are (the cache does not trust a time less than two seconds old).`,
    table: [
      ["run", "list + read + parse", "resolve", "graph in all (median)", "target", "each run (ms)"],
      row("cold (no cache)", cold, COLD_TARGET_MS),
      row("warm (cache, nothing changed)", warm, WARM_TARGET_MS),
      row("warm, one module edited since", oneEdited, WARM_TARGET_MS),
    ],
    notes: [
      `CPU time of the process for the same (medians): cold ${median(cold.map((s) => s.cpuMs)).toFixed(0)} ms, warm ${median(warm.map((s) => s.cpuMs)).toFixed(0)} ms, one module edited ${median(oneEdited.map((s) => s.cpuMs)).toFixed(0)} ms; the machine's other work stretches the wall times above these.`,
      `Selecting what a change to \`${CHANGED}\` runs (${sample.selected} of the ${sample.candidates} test files import it, directly or not) took ${median(warm.map((s) => s.selectMs)).toFixed(0)} ms more (median, warm).`,
      "Warm, each file is only listed and its size and modification time compared with the cache's; a file whose time changed is read and hashed, and parsed again only if its content did.",
    ],
  };
}
