/**
 * Colour and number formatting shared by the terminal reporters.
 * Colour is decided once per stream: FORCE_COLOR and NO_COLOR win, then
 * whether the stream is a terminal that can show colour.
 */
import type { FileStatus } from "../model.js";

export interface ColourStream {
  isTTY?: boolean;
  hasColors?: () => boolean;
}

export function colourEnabled(stream: ColourStream, env: NodeJS.ProcessEnv): boolean {
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["TERM"] === "dumb") return false;
  return stream.isTTY === true && (stream.hasColors?.() ?? true);
}

export type Paint = (text: string) => string;

export interface Palette {
  red: Paint;
  green: Paint;
  yellow: Paint;
  dim: Paint;
  bold: Paint;
  /** Colours for tags, chosen per file from its path so that a file keeps its colour from run to run. */
  tag: (key: string) => Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const plain: Paint = (text) => text;

/** Red is left out: it means failure. */
const TAG_COLOURS = [36, 35, 33, 34, 32, 96, 95, 93, 94, 92];

export function palette(enabled: boolean): Palette {
  if (!enabled) return { red: plain, green: plain, yellow: plain, dim: plain, bold: plain, tag: () => plain };
  return {
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    tag: (key) => sgr(TAG_COLOURS[stableHash(key) % TAG_COLOURS.length] as number, 39),
  };
}

/** FNV-1a: small, stable across runs and machines. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export const STATUS_WORDS: Record<FileStatus, string> = {
  passed: "PASS",
  failed: "FAIL",
  timeout: "TIMEOUT",
  cancelled: "CANCEL",
  "no-tests": "NO TESTS",
  flaky: "FLAKY",
};

/** The order statuses are counted in, in the console summary and the HTML report: good news first. */
export const STATUS_ORDER: readonly FileStatus[] = ["passed", "flaky", "no-tests", "failed", "timeout", "cancelled"];

export const STATUS_LABEL: Record<FileStatus, string> = {
  passed: "passed",
  flaky: "flaky",
  "no-tests": "no tests",
  failed: "failed",
  timeout: "timed out",
  cancelled: "cancelled",
};

export function paintStatus(status: FileStatus, colours: Palette): string {
  const word = STATUS_WORDS[status].padEnd(8);
  switch (status) {
    case "passed":
      return colours.green(word);
    case "flaky":
    case "no-tests":
      return colours.yellow(word);
    case "cancelled":
      return colours.dim(word);
    default:
      return colours.red(word);
  }
}
