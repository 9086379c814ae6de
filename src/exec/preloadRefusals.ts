/**
 * What the run says of the modules the fork server refused to preload. Pure.
 */
import type { PreloadRefusal as Refusal } from "./forkServerProtocol.js";

/** How many of a package's untried modules a message names before it only counts them. */
const UNTRIED_NAMED = 3;

/** One module refused. */
export function notPreloading({ module, reason }: Refusal): string {
  return `not preloading ${module}: ${reason}; each file imports it itself`;
}

/**
 * A message per module refused, but one per package for the modules not tried
 * after another of the package was refused: a hundred of IPython's modules are
 * one line, not a hundred.
 */
export function notPreloadingAll(refused: readonly Refusal[]): string[] {
  const messages: string[] = [];
  const untried = new Map<string, { reason: string; modules: string[] }>();
  for (const refusal of refused) {
    if (refusal.untried !== true) {
      messages.push(notPreloading(refusal));
      continue;
    }
    const packageName = refusal.module.split(".")[0] ?? refusal.module;
    const entry = untried.get(packageName) ?? { reason: refusal.reason, modules: [] };
    entry.modules.push(refusal.module);
    untried.set(packageName, entry);
  }
  for (const [packageName, { reason, modules }] of untried) {
    if (modules.length === 1) {
      messages.push(notPreloading({ module: modules[0] ?? packageName, reason }));
      continue;
    }
    const named = modules.slice(0, UNTRIED_NAMED).join(", ");
    const more = modules.length > UNTRIED_NAMED ? ` and ${modules.length - UNTRIED_NAMED} more` : "";
    messages.push(`not preloading ${modules.length} more modules of ${packageName} (${named}${more}): ${reason}; each file imports them itself`);
  }
  return messages;
}
