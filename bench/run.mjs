#!/usr/bin/env node
/**
 * `npm run bench`: runs the scenarios side by side on this machine and
 * writes docs/benchmarks.md. `--quick` for one repetition instead of three,
 * `--only NAME[,NAME]` (or the names alone: `node bench/run.mjs import-graph`)
 * for some scenarios, `--no-write` to only print.
 *
 * A scenario returns { title, intro, table, ratios?, notes }: `table` and
 * `ratios` are rows of cells, the first row the header. When only some
 * scenarios run, the document's other sections are kept as they were; a
 * section whose title says "(measured by hand)" is never replaced.
 */
import fs from "node:fs";
import path from "node:path";
import { cpuBoundScenario } from "./cpuBound.mjs";
import { failFastScenario } from "./failFast.mjs";
import { firstTestScenario } from "./firstTest.mjs";
import { importGraphScenario } from "./importGraph.mjs";
import { REPO, WORK, machine } from "./lib.mjs";
import { longTailedScenario } from "./longTailed.mjs";
import { memoryScenario } from "./memory.mjs";
import { slowImportsScenario } from "./slowImports.mjs";
import { startUpScenario } from "./startUp.mjs";
import { tinyFilesScenario } from "./tinyFiles.mjs";
import { whereTimeScenario } from "./whereTime.mjs";
import { bookshopBrowserScenario, playwrightScenario } from "./browsers.mjs";
import { managedSetupScenario } from "./managedSetup.mjs";
import { splitLongFileScenario } from "./splitLongFile.mjs";
import { realWorldScenario } from "./realWorld.mjs";

const SCENARIOS = {
  "long-tailed": longTailedScenario,
  "split-long-file": splitLongFileScenario,
  "tiny-files": tinyFilesScenario,
  "cpu-bound": cpuBoundScenario,
  "slow-imports": slowImportsScenario,
  "start-up": startUpScenario,
  "first-test": firstTestScenario,
  memory: memoryScenario,
  "fail-fast": failFastScenario,
  "where-time": whereTimeScenario,
  playwright: playwrightScenario,
  "bookshop-browser": bookshopBrowserScenario,
  "managed-setup": managedSetupScenario,
  "import-graph": importGraphScenario,
  "real-world": realWorldScenario,
};

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const write = !args.includes("--no-write");
const named = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--only") named.push(...(args[++i] ?? "").split(","));
  else if (!args[i].startsWith("--")) named.push(args[i]);
  else if (args[i] !== "--quick" && args[i] !== "--no-write") throw new Error(`unknown option ${args[i]}; known: --quick, --no-write, --only NAME[,NAME]`);
}
const only = named.length > 0 ? named : Object.keys(SCENARIOS);
for (const name of only) if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(", ")}`);
const repetitions = quick ? 1 : 3;

function table(rows) {
  const [head, ...body] = rows;
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...body.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function render({ title, intro, table: rows, cpu = null, ratios, notes }) {
  return [`## ${title}`, "", intro, "", table(rows), "", ...(cpu ? [table(cpu), ""] : []), ...(ratios ? [table(ratios), ""] : []), ...notes.map((n) => `- ${n}`)].join("\n");
}

/** The document as it is: its head (title, preamble, Machine section) and its other `## ` sections, by title. */
function existingDocument(file) {
  if (!fs.existsSync(file)) return { head: null, sections: [] };
  const parts = fs.readFileSync(file, "utf8").split(/^(?=## )/m);
  const sections = parts.slice(1).map((text) => ({ title: text.slice(3, text.indexOf("\n")).trim(), text: text.trimEnd() }));
  const head = [parts[0], ...sections.filter((s) => s.title === "Machine").map((s) => s.text)].join("").trimEnd();
  return { head, sections: sections.filter((s) => s.title !== "Machine") };
}

const titleOf = (section) => section.slice(3, section.indexOf("\n")).trim();
const byHand = (title) => title.includes("(measured by hand)");

const host = machine();
const docFile = path.join(REPO, "docs", "benchmarks.md");
const existing = existingDocument(docFile);
// A partial run keeps the document's Machine section, which describes the other sections' run: its own sections say when and how busy.
const partial = named.length > 0 && existing.head !== null;
const sections = [];
const benchStarted = performance.now();
try {
  for (const name of only) {
    process.stderr.write(`bench: ${name}…\n`);
    const started = performance.now();
    const result = await SCENARIOS[name]({ repetitions });
    const alone = `Measured on its own (\`node bench/run.mjs ${name}\`) on ${host.date}: ${host.cpu}, ${host.node}, load average ${host["load average at start"]} at the start, PYTHONDONTWRITEBYTECODE ${host.PYTHONDONTWRITEBYTECODE}, NODE_EXTRA_CA_CERTS ${host.NODE_EXTRA_CA_CERTS}.`;
    const section = render(partial ? { ...result, notes: [...result.notes, alone] } : result);
    process.stderr.write(`bench: ${name} took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    process.stdout.write(`${section}\n\n`);
    sections.push(section);
  }
} finally {
  fs.rmSync(WORK, { recursive: true, force: true });
}
process.stderr.write(`bench: ${((performance.now() - benchStarted) / 1000).toFixed(0)} s in all\n`);

if (write) {
  const fresh = new Map(sections.map((section) => [titleOf(section), section]));
  // A partial run replaces its own sections and keeps the rest; a full run keeps only the sections measured by hand.
  const kept = existing.sections.filter((s) => fresh.has(s.title) || byHand(s.title) || partial);
  const merged = kept.map((s) => fresh.get(s.title) ?? s.text);
  const added = sections.filter((section) => !kept.some((s) => s.title === titleOf(section)));
  const handIndex = merged.findIndex((text) => byHand(titleOf(text)));
  if (handIndex < 0) merged.push(...added);
  else merged.splice(handIndex, 0, ...added);
  const head = partial
    ? [existing.head, ""]
    : [
        "# Benchmarks",
        "",
        "Generated by `npm run bench` (bench/run.mjs); do not edit by hand, except the sections marked \"measured by hand\", which it keeps. Every ratio compares commands run on the same machine in the same run.",
        `Timings are medians of ${repetitions} run(s) per contender unless a section says otherwise; contenders alternate within each scenario.`,
        "",
        "## Machine",
        "",
        ...Object.entries(host).map(([key, value]) => `- ${key}: ${value}`),
        "",
      ];
  const doc = [...head, ...merged.flatMap((s) => [s, ""])].join("\n");
  fs.writeFileSync(docFile, doc);
  process.stderr.write("bench: wrote docs/benchmarks.md\n");
}
