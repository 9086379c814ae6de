/** `--print-config`: every option's value and where it came from. */
import { OPTIONS, type OptionName } from "../cli/options.js";
import type { MergedSettings } from "./settings.js";

export function formatConfig(settings: MergedSettings): string {
  const names = (Object.keys(OPTIONS) as OptionName[]).filter((name) => name !== "print-config" && name !== "list-flaky");
  const width = Math.max(...names.map((name) => name.length));
  const rows = names.map((name) => {
    const value = settings.values[name];
    const origin = settings.origins.get(name) ?? "default";
    const type = OPTIONS[name].type;
    const shown = value === undefined ? (OPTIONS[name] as { defaultText?: string }).defaultText ?? (type === "boolean" || type === "flag-or-string" ? "false" : "(not set)") : Array.isArray(value) ? value.join(", ") : String(value);
    return `  ${name.padEnd(width)}  ${shown.padEnd(28)}  ${origin}`;
  });
  return [
    "Settings, highest first: command line, environment GRIMOIRE_*, .env GRIMOIRE_*, pyproject.toml [tool.grimoire-run], default.",
    "",
    `  ${"option".padEnd(width)}  ${"value".padEnd(28)}  from`,
    ...rows,
    "",
  ].join("\n");
}
