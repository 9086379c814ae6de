/** `--print-config`: every option's value and where it came from. */
import { OPTIONS, type OptionName } from "../cli/options.js";
import { choosePython, describePython, pythonOrigin } from "../python.js";
import { withDotenv } from "./dotenv.js";
import { nonEmpty } from "./runConfig.js";
import type { MergedSettings } from "./settings.js";

/** A value an option takes from a variable of its own when unset (`E2E_BASE_URL` for --base-url), and where that came from. */
export interface VariableFallback {
  value: string;
  from: string;
}

/**
 * `fallbacks`: what an unset option takes from another variable, shown as its value: a run with `E2E_BASE_URL` in the
 * environment showed `base-url (not set)` where its tests got the URL (a helper's trial).
 */
export function formatConfig(settings: MergedSettings, fallbacks: Partial<Record<OptionName, VariableFallback>> = {}): string {
  const names = (Object.keys(OPTIONS) as OptionName[]).filter((name) => name !== "print-config" && name !== "list-flaky");
  const width = Math.max(...names.map((name) => name.length));
  const rows = names.map((name): [string, string, string] => {
    const fallback = settings.values[name] === undefined ? fallbacks[name] : undefined;
    if (fallback !== undefined) return [name, fallback.value, fallback.from];
    const value = settings.values[name];
    const origin = settings.origins.get(name) ?? "default";
    const type = OPTIONS[name].type;
    const shown = value === undefined ? (OPTIONS[name] as { defaultText?: string }).defaultText ?? (type === "boolean" || type === "flag-or-string" ? "false" : "(not set)") : Array.isArray(value) ? value.join(", ") : String(value);
    return [name, shown, origin];
  });
  // The "from" column lines up whatever the longest value (a path, a default's sentence).
  const valueWidth = Math.max(28, ...rows.map(([, value]) => value.length));
  const line = (name: string, value: string, from: string): string => `  ${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${from}`;
  return ["Settings, highest first: command line, environment GRIMOIRE_*, .env GRIMOIRE_*, pyproject.toml [tool.grimoire-run], default.", "", line("option", "value", "from"), ...rows.map((row) => line(...row)), ""].join("\n");
}

/**
 * What --base-url and --browser-executable take when unset: `E2E_BASE_URL`, and `CHROMIUM_PATH` for chromium, as the
 * run reads them (the environment over .env, withDotenv; an empty value unset, nonEmpty), and where each came from.
 */
export function variableFallbacks(env: NodeJS.ProcessEnv, dotenv: Record<string, string>): Partial<Record<OptionName, VariableFallback>> {
  const merged = withDotenv(env, dotenv);
  const fallbacks: Partial<Record<OptionName, VariableFallback>> = {};
  for (const [option, variable, also] of [["base-url", "E2E_BASE_URL", ""], ["browser-executable", "CHROMIUM_PATH", " (for chromium)"]] as const) {
    const value = nonEmpty(merged[variable]);
    if (value !== undefined) fallbacks[option] = { value, from: `${env[variable] === undefined ? ".env" : "environment"} ${variable}${also}` };
  }
  return fallbacks;
}

/**
 * The Python an unset --python stands for, as the run chooses it in `root` (the project's .venv or venv, `uv run
 * python` for a uv.lock, else python3), and why: `python (not set)` left a user with a uv.lock wondering whether uv
 * would be used (a helper's trial).
 */
export function pythonFallback(root: string, env: NodeJS.ProcessEnv, dotenv: Record<string, string>): Partial<Record<OptionName, VariableFallback>> {
  const python = choosePython(root, undefined, withDotenv(env, dotenv));
  return { python: { value: describePython(python), from: `default (${pythonOrigin(python)})` } };
}
