/**
 * Reads the two pytest settings discovery depends on (`python_files`,
 * `norecursedirs`) from the file pytest itself would pick, searched the way
 * pytest searches: from a folder upwards, first match wins.
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { DEFAULT_NORECURSEDIRS, DEFAULT_PYTHON_FILES } from "../defaults.js";
import { UsageError } from "../errors.js";

export interface PytestDiscoverySettings {
  /** The file the settings came from, or null when pytest's defaults apply. */
  source: string | null;
  pythonFiles: string[];
  norecursedirs: string[];
}

type RawSettings = Record<string, unknown>;

/** pytest's own search order (pytest 9). */
const CONFIG_NAMES = ["pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"];

export function readPytestSettings(startDir: string): PytestDiscoverySettings {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = path.join(dir, name);
      if (!isFile(file)) continue;
      const raw = loadSettings(file);
      if (raw !== null) {
        return {
          source: file,
          pythonFiles: listSetting(raw["python_files"], file) ?? DEFAULT_PYTHON_FILES,
          norecursedirs: listSetting(raw["norecursedirs"], file) ?? DEFAULT_NORECURSEDIRS,
        };
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  return { source: null, pythonFiles: DEFAULT_PYTHON_FILES, norecursedirs: DEFAULT_NORECURSEDIRS };
}

/** The pytest settings a file holds, or null when it holds none (pytest then keeps searching). */
function loadSettings(file: string): RawSettings | null {
  const name = path.basename(file);
  const text = fs.readFileSync(file, "utf8");
  if (name.endsWith(".toml")) {
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`${file}: not valid TOML: ${(error as Error).message.split("\n")[0]}`);
    }
    if (name === "pytest.toml" || name === ".pytest.toml") return asTable(doc["pytest"]) ?? {};
    const tool = asTable(asTable(doc["tool"])?.["pytest"]);
    if (tool === null) return null;
    const { ini_options: iniOptions, ...native } = tool;
    if (Object.keys(native).length > 0) return native;
    return asTable(iniOptions);
  }
  const sections = parseIni(text);
  if (name.endsWith(".ini")) {
    return sections.get("pytest") ?? (name === "pytest.ini" || name === ".pytest.ini" ? {} : null);
  }
  return sections.get("tool:pytest") ?? null;
}

/**
 * The subset of Python's configparser that pytest's ini files use:
 * `[section]`, `key = value` or `key: value`, indented continuation lines,
 * and whole-line `#`/`;` comments.
 */
export function parseIni(text: string): Map<string, RawSettings> {
  const sections = new Map<string, RawSettings>();
  let current: RawSettings | null = null;
  let lastKey: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(trimmed);
    if (section?.[1] !== undefined && !/^\s/.test(line)) {
      current = {};
      sections.set(section[1].trim(), current);
      lastKey = null;
      continue;
    }
    if (current === null) continue;
    if (/^\s/.test(line) && lastKey !== null) {
      current[lastKey] = `${String(current[lastKey])}\n${trimmed}`;
      continue;
    }
    const pair = /^([^=:]+)[=:](.*)$/.exec(trimmed);
    if (pair?.[1] !== undefined && pair[2] !== undefined) {
      lastKey = pair[1].trim();
      current[lastKey] = pair[2].trim();
    }
  }
  return sections;
}

/** pytest's "args" type: a TOML list, or a string split like a shell would. */
function listSetting(value: unknown, file: string): string[] | null {
  if (value === undefined) return null;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  if (typeof value === "string") return splitArgs(value);
  throw new UsageError(`${file}: pytest setting must be a string or a list of strings, got ${JSON.stringify(value)}`);
}

/** Splits a command line the way Python's shlex.split does for the common cases (quotes, backslashes). */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new UsageError(`unterminated quote in: ${text}`);
  if (inWord) words.push(word);
  return words;
}

function asTable(value: unknown): RawSettings | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as RawSettings) : null;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
