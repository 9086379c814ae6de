/** How numbers read in messages, wherever they are written. */
import type { TestCounts } from "./model.js";

export function formatSeconds(seconds: number): string {
  // Rounded to what is shown before it is split: 59.96 s reads 1m 00s (not 60.0s), 119.6 s 2m 00s (not 1m 60s).
  const tenths = Math.round(seconds * 10) / 10;
  if (tenths < 60) return `${tenths.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, "0")}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/**
 * Test counts in pytest's words and order ("3 passed, 1 failed, 2 skipped,
 * 1 xfailed, 1 error"): only the non-zero ones, and "no tests" for none.
 * `always` names counts shown even at zero.
 */
export function formatCounts(counts: TestCounts, always: readonly (keyof TestCounts)[] = []): string {
  const parts = COUNT_WORDING.filter(([key]) => (counts[key] ?? 0) > 0 || always.includes(key)).map(([key, word, many]) => (key === "errors" || key === "warnings" ? plural(counts[key] ?? 0, word, many) : `${counts[key] ?? 0} ${word}`));
  return parts.length > 0 ? parts.join(", ") : "no tests";
}

const COUNT_WORDING: [keyof TestCounts, string, string][] = [
  ["passed", "passed", "passed"],
  ["failed", "failed", "failed"],
  ["skipped", "skipped", "skipped"],
  ["xfailed", "xfailed", "xfailed"],
  ["xpassed", "xpassed", "xpassed"],
  ["errors", "error", "errors"],
  ["deselected", "deselected", "deselected"],
  ["warnings", "warning", "warnings"],
];

/**
 * The first `limit` of `items`, comma-separated, then "and N more" for the rest; one more is named, which takes no
 * more room than "and 1 more" (a helper's trial: three files named of four, the fourth hidden).
 */
export function nameSome(items: readonly string[], limit: number): string {
  if (items.length === limit + 1) return `${items.slice(0, limit).join(", ")} and ${items[limit] as string}`;
  const named = items.slice(0, limit).join(", ");
  return items.length > limit ? `${named} and ${items.length - limit} more` : named;
}

/**
 * A pack as a notice names it: its first files, and how many more (html5lib's SLOW line named 40 files, 3,000
 * characters, a helper's trial); its log's name says the rest.
 */
export function describePack(paths: readonly string[]): string {
  return `the pack of ${nameSome(paths, 2)}`;
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** A word a POSIX shell reads back as exactly `text`, for commands printed to be copied. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `text` matched literally inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Test files and the modules collected only for their doctests (--doctest-modules), said apart as the Found line says
 * them: `3 test files and 2 modules to check for doctests`, `2 modules to check for doctests` where no test file is.
 */
export function testFilesAndModules(testFiles: number, modules: number, modulesFor = " to check for doctests"): string {
  const said = `${plural(modules, "module")}${modulesFor}`;
  return testFiles === 0 ? said : `${plural(testFiles, "test file")} and ${said}`;
}
