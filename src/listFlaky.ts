/**
 * `grimoire-run --list-flaky`: the files and tests of the project's history
 * that both passed and failed within their recent runs, with their flake
 * rates, most failing first. Reads `.grimoire/history.json`, runs nothing,
 * and exits 0 whatever it finds.
 */
import fs from "node:fs";
import { HISTORY_RECENT_RUNS } from "./defaults.js";
import { plural } from "./format.js";
import { flakyFiles } from "./plan/flakes.js";
import { historyFile, readHistory } from "./plan/history.js";
import { formatFlaky } from "./report/flaky.js";
import { palette } from "./report/style.js";

export function listFlaky(root: string, colour: boolean): string {
  const file = historyFile(root);
  if (!fs.existsSync(file)) return `No history yet: ${file} is written by each run (CI shards leave it to merge-reports).\n`;
  const history = readHistory(root);
  const flaky = flakyFiles(history);
  const known = Object.keys(history.files).length;
  if (flaky.length === 0) {
    return `No flaky file: none of the ${plural(known, "file")} in ${file} both passed and failed within its last ${HISTORY_RECENT_RUNS} runs.\n`;
  }
  const lines = formatFlaky(flaky, { colours: palette(colour), maxFiles: Infinity, maxTests: Infinity });
  return `${lines.join("\n")}\n`;
}
