/**
 * Whether pytest-cov may be asked to measure, from the project's files before pytest is asked (a serial run then
 * takes the listing path). Cheap textual looks, never an import; nothing heavier than node:fs, for the command's
 * entry reads it too, before grimoire-run's own modules load (process/earlyPython.ts).
 */
import fs from "node:fs";
import path from "node:path";

/** The files pytest reads its configuration from at the root, and the section of each that is pytest's. */
const PYTEST_SECTIONS: readonly (readonly [string, readonly string[]])[] = [
  ["pytest.ini", ["pytest"]],
  [".pytest.ini", ["pytest"]],
  ["pyproject.toml", ["tool.pytest.ini_options", "tool.pytest"]],
  ["tox.ini", ["pytest"]],
  ["setup.cfg", ["tool:pytest"]],
];

/**
 * Whether pytest-cov might be asked to measure: `--cov` in the arguments,
 * PYTEST_ADDOPTS or the pytest section of a configuration file pytest reads
 * from the root. A guess that may say yes wrongly (a comment there), which costs
 * a serial run the listing session, the fork server's start and its preloads.
 * Only pytest's own section: tox.ini's test commands (`pytest --cov=scrapy …`
 * in a testenv) are tox's, and took scrapy's serial runs off the direct path,
 * about 6 s a run on a loaded machine (a helper's trial). `pyproject`: its text, where already read.
 */
export function mayMeasureCoverage(root: string, pytestArgs: readonly string[], env: NodeJS.ProcessEnv, pyproject?: string): boolean {
  if (pytestArgs.some((arg) => arg.startsWith("--cov")) || (env["PYTEST_ADDOPTS"] ?? "").includes("--cov")) return true;
  return PYTEST_SECTIONS.some(([name, sections]) => {
    // pyproject.toml's text where the caller has read it already (the command's entry, before its Python starts).
    const text = name === "pyproject.toml" && pyproject !== undefined ? pyproject : readOrEmpty(path.join(root, name));
    return sections.some((section) => sectionText(text, section).includes("--cov"));
  });
}

/** The text of an INI section or TOML table `[name]`, to the next header (a TOML sub-table `[name.sub]` included). */
function sectionText(text: string, name: string): string {
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  let inside = false;
  for (const line of lines) {
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:[#;].*)?$/.exec(line);
    if (header !== null) inside = header[1] === name || (name.startsWith("tool.") && (header[1] ?? "").startsWith(`${name}.`));
    else if (inside) kept.push(line);
  }
  return kept.join("\n");
}

/** A file's text, or empty where it cannot be read. */
export function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
