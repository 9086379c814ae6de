/**
 * Where option values come from, lowest first: `[tool.grimoire-run]` in
 * pyproject.toml, `GRIMOIRE_*` in `.env`, `GRIMOIRE_*` in the environment,
 * the command line. Keys are the long option names (`fail-fast`,
 * `GRIMOIRE_FAIL_FAST`). Every value is checked against the option's type
 * and choices, and a bad one names its file (or variable) and key.
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { didYouMean, nearestOption, OPTIONS, optionFlag, type CliValues, type OptionName, type OptionSpec } from "../cli/options.js";
import { UsageError } from "../errors.js";
import { splitList } from "../changes/globs.js";

/** Where a value came from, for --print-config: "pyproject.toml", "environment GRIMOIRE_WORKERS", "command line"… */
export type Origin = string;

export interface SettingsSources {
  /** What the command line said (only the options it named). */
  cli: CliValues;
  /** `[tool.grimoire-run]` of pyproject.toml, raw; null when there is none. */
  pyproject: Record<string, unknown> | null;
  env: NodeJS.ProcessEnv;
  dotenv: Record<string, string>;
}

export interface MergedSettings {
  values: CliValues;
  origins: Map<OptionName, Origin>;
}

/** Options that make no sense as a standing setting. */
const COMMAND_LINE_ONLY: ReadonlySet<OptionName> = new Set(["print-config", "list-flaky"]);

/**
 * Variables grimoire-run itself sets for the tests it runs: inside such a
 * test (a grimoire-run started by a test) they describe the outer run, not
 * settings for this one.
 */
const SET_FOR_TESTS: ReadonlySet<string> = new Set(["GRIMOIRE_WORKERS"]);

export function envName(option: OptionName): string {
  return `GRIMOIRE_${option.toUpperCase().replaceAll("-", "_")}`;
}

export function mergeSettings(sources: SettingsSources): MergedSettings {
  const values: CliValues = {};
  const origins = new Map<OptionName, Origin>();
  const set = (name: OptionName, value: string | boolean | string[], origin: Origin): void => {
    (values as Record<string, unknown>)[name] = value;
    origins.set(name, origin);
  };

  for (const [key, raw] of Object.entries(sources.pyproject ?? {})) {
    const name = optionNamed(key);
    const where = `pyproject.toml [tool.grimoire-run] ${key}`;
    if (name === null || COMMAND_LINE_ONLY.has(name)) throw new UsageError(`${where}: no such option${didYouMean(key)}`);
    set(name, fromToml(OPTIONS[name], raw, where), "pyproject.toml");
  }
  const nested = sources.env["GRIMOIRE_RUN_ID"] !== undefined;
  for (const [variables, origin] of variableSources(sources)) {
    for (const name of Object.keys(OPTIONS) as OptionName[]) {
      if (COMMAND_LINE_ONLY.has(name)) continue;
      const variable = envName(name);
      if (nested && SET_FOR_TESTS.has(variable)) continue;
      const raw = variables[variable];
      if (raw === undefined || raw === "") continue;
      set(name, fromText(OPTIONS[name], raw, `${origin} ${variable}`), `${origin} ${variable}`);
    }
  }
  refuseMisspeltVariables(sources);
  for (const [name, value] of Object.entries(sources.cli) as [OptionName, string | boolean | string[]][]) set(name, value, "command line");
  return { values, origins };
}

/** Where `GRIMOIRE_*` variables are read, in the order they are layered: `.env`, then the environment. */
function variableSources(sources: SettingsSources): readonly (readonly [Readonly<Record<string, string | undefined>>, ".env" | "environment"])[] {
  return [
    [sources.dotenv, ".env"],
    [sources.env, "environment"],
  ];
}

/**
 * A `GRIMOIRE_*` variable that is no option's but is spelt nearly as one's (`GRIMOIRE_FAILFAST`), in `.env` or the
 * environment: refused as pyproject.toml's unknown keys are, with the name meant. It was ignored without a word (a
 * helper's trial). The run's own variables for its tests (`GRIMOIRE_SLOT`, `GRIMOIRE_LOG_FILE`…) are near no option's.
 */
function refuseMisspeltVariables(sources: SettingsSources): void {
  const known = new Set((Object.keys(OPTIONS) as OptionName[]).map(envName));
  for (const [variables, origin] of variableSources(sources)) {
    for (const variable of Object.keys(variables)) {
      if (!variable.startsWith("GRIMOIRE_") || known.has(variable)) continue;
      const option = nearestOption(variable.slice("GRIMOIRE_".length));
      if (option === null || COMMAND_LINE_ONLY.has(option)) continue;
      throw new UsageError(`${origin} ${variable}: no such setting; did you mean ${envName(option)} (${optionFlag(option)})?`);
    }
  }
}

/** The `[tool.grimoire-run]` table of the project's pyproject.toml, or null. */
export function readPyprojectSettings(root: string): Record<string, unknown> | null {
  const file = path.join(root, "pyproject.toml");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${file}: not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
  const table = (doc["tool"] as Record<string, unknown> | undefined)?.["grimoire-run"];
  if (table === undefined) return null;
  if (typeof table !== "object" || table === null || Array.isArray(table)) throw new UsageError(`${file}: [tool.grimoire-run] must be a table`);
  return table as Record<string, unknown>;
}

function optionNamed(key: string): OptionName | null {
  return Object.hasOwn(OPTIONS, key) ? (key as OptionName) : null;
}

function fromToml(spec: OptionSpec, raw: unknown, where: string): string | boolean | string[] {
  // A list (preload = ["hypothesis", "sqlalchemy"]) is the comma-separated value the command line takes.
  if (spec.type === "string" && Array.isArray(raw) && raw.every((item) => typeof item === "string")) return raw.join(",");
  if (spec.type === "boolean") {
    if (typeof raw !== "boolean") throw new UsageError(`${where}: expected true or false, got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (spec.type === "flag-or-string") {
    if (typeof raw === "boolean" || (typeof raw === "string" && raw.trim() !== "")) return raw;
    throw new UsageError(`${where}: expected true, false or a value (a string), got ${JSON.stringify(raw)}`);
  }
  if (spec.type === "list") {
    if (typeof raw === "string") return splitList(raw);
    if (Array.isArray(raw) && raw.every((item) => typeof item === "string")) return raw.map((item) => item.trim()).filter((item) => item !== "");
    throw new UsageError(`${where}: expected an array of strings, got ${JSON.stringify(raw)}`);
  }
  if (typeof raw === "number" && Number.isFinite(raw)) return checkChoice(spec, String(raw), where);
  if (typeof raw !== "string") throw new UsageError(`${where}: expected a string or a number, got ${JSON.stringify(raw)}`);
  return checkChoice(spec, raw, where);
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

function fromText(spec: OptionSpec, raw: string, where: string): string | boolean | string[] {
  const word = raw.trim().toLowerCase();
  if (spec.type === "boolean") {
    if (TRUE.has(word)) return true;
    if (FALSE.has(word)) return false;
    throw new UsageError(`${where}: expected 1/true/yes/on or 0/false/no/off, got "${raw}"`);
  }
  if (spec.type === "flag-or-string") return TRUE.has(word) ? true : FALSE.has(word) ? false : raw.trim();
  if (spec.type === "list") return splitList(raw);
  return checkChoice(spec, raw, where);
}

function checkChoice(spec: OptionSpec, value: string, where: string): string {
  if (spec.choices !== undefined && !spec.choices.includes(value)) {
    throw new UsageError(`${where}: must be one of ${spec.choices.join(", ")}; got "${value}"`);
  }
  return value;
}
