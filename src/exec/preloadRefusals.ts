/**
 * The modules the fork server refused to preload: what the run says of them
 * (pure), and the memory of those a `--preload` named, in
 * `.grimoire/refused-preloads.json`, so that a later run's preload hint does
 * not name them again: the user tried one, and was told why it could not be.
 * A `--preload` of it that the server takes forgets it. The memory only
 * quietens the hint; it never decides what is preloaded.
 */
import fs from "node:fs";
import path from "node:path";
import { writeJsonFile } from "../atomicWrite.js";
import { STATE_DIR } from "../defaults.js";
import { stateDir } from "../stateDir.js";
import type { PreloadRefusal as Refusal } from "./forkServerProtocol.js";

/** Each refused module: why the server refused it, and when. */
export type RefusedPreloads = Record<string, { reason: string; at: string }>;

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

/** How many of the variables the conftests changed a message names before it only counts them. */
const CHANGED_NAMED = 5;

/**
 * A --preload module imported in the fork server before any conftest ran, that read as it was imported a variable the
 * conftests (or a plugin: pytest-env) then set, changed or removed: plain pytest imports it where a conftest does,
 * perhaps after the change (structlog reads FORCE_COLOR). Each file gets the server's reading. Said, not refused: only
 * the user can tell whether the module's import comes after the change in a plain run. `reads`: the server's
 * `environReads` ("*": it looked through the whole environment); `changed`: the listing's `environChanged`.
 */
export function preloadsBeforeConftests(reads: Readonly<Record<string, readonly string[]>>, changed: readonly string[]): string[] {
  if (changed.length === 0) return [];
  const set = new Set(changed);
  const messages: string[] = [];
  for (const module of Object.keys(reads).sort()) {
    const names = reads[module] ?? [];
    const both = names.filter((name) => set.has(name));
    if (both.length === 0 && !names.includes("*")) continue;
    const shown = (list: readonly string[]): string => list.slice(0, CHANGED_NAMED).join(", ") + (list.length > CHANGED_NAMED ? ` and ${list.length - CHANGED_NAMED} more` : "");
    const what = both.length > 0 ? `read ${shown(both)}` : "looked through the whole environment";
    messages.push(
      `--preload ${module}: its import in the fork server ${what} before any conftest ran, and the conftests or plugins then set or changed ${shown(both.length > 0 ? both : changed)}: each file gets ${module} as imported before that, where plain pytest imports it when a conftest does, perhaps after. If tests pass without --preload ${module} and fail with it, leave it out`,
    );
  }
  return messages;
}

const REFUSED_PRELOADS_FILE = "refused-preloads.json";

function refusedPreloadsFile(root: string): string {
  return path.join(root, STATE_DIR, REFUSED_PRELOADS_FILE);
}

/** What earlier runs remembered; nothing when there is no file, or one that is not what grimoire-run writes. */
export function readRefusedPreloads(root: string): RefusedPreloads {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(refusedPreloadsFile(root), "utf8"));
  } catch {
    return {};
  }
  const refused: RefusedPreloads = {};
  if (typeof parsed !== "object" || parsed === null) return refused;
  for (const [module, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const { reason, at } = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof reason === "string" && typeof at === "string") refused[module] = { reason, at };
  }
  return refused;
}

/** The memory after a run whose `--preload` the server took the `taken` modules of and refused the others: those refused are added, those taken forgotten. Pure. */
export function updateRefusedPreloads(before: RefusedPreloads, taken: readonly string[], refused: readonly Refusal[], now: Date): RefusedPreloads {
  const after: RefusedPreloads = { ...before };
  for (const module of taken) delete after[module];
  for (const { module, reason } of refused) after[module] = { reason, at: now.toISOString() };
  return after;
}

/** Records what this run's `--preload` came to (a run without one changes nothing), and returns the memory as it now is. */
export function rememberRefusedPreloads(root: string, taken: readonly string[], refused: readonly Refusal[], now = new Date()): RefusedPreloads {
  const before = readRefusedPreloads(root);
  const after = updateRefusedPreloads(before, taken, refused, now);
  if (JSON.stringify(after) !== JSON.stringify(before)) writeJsonFile(path.join(stateDir(root), REFUSED_PRELOADS_FILE), after);
  return after;
}
