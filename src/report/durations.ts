/**
 * pytest's `--durations` list, once for a parallel run. Every process of the
 * run ran a file (or a pack's few), and each would print a list of its own:
 * grimoire-run's plugin records instead what the process's list would show,
 * and this merges those into the one list a plain run's single session
 * prints, in its words: the N longest phases over the whole run, the ones
 * under --durations-min counted as hidden.
 */
import type { PhaseDuration, ProcessDurations } from "../exec/testRecords.js";

/** pytest's width when its output is not a terminal. */
const PLAIN_WIDTH = 80;

export class DurationsTally {
  private settings: Omit<ProcessDurations, "shown" | "hidden"> | null = null;
  private readonly shown: PhaseDuration[] = [];
  private hidden = 0;

  add(durations: ProcessDurations | null | undefined): void {
    if (durations == null) return;
    // Every process reads the same options; the first one's settings stand for the run.
    this.settings ??= { count: durations.count, min: durations.min, minGiven: durations.minGiven };
    this.shown.push(...durations.shown);
    this.hidden += durations.hidden;
    // Only the N longest can be listed: a long --loop or --duration run keeps no more than those.
    const count = this.settings.count;
    if (count > 0 && this.shown.length > 2 * count) {
      this.shown.sort((a, b) => b.seconds - a.seconds);
      this.shown.length = count;
    }
  }

  /** pytest's lines for the run, headed by a rule as wide as the terminal (pytest's 80 columns off one); none when no process was asked or none ran a test. */
  lines(width: number | null): string[] {
    const settings = this.settings;
    if (settings === null || this.shown.length + this.hidden === 0) return [];
    const longest = [...this.shown].sort((a, b) => b.seconds - a.seconds);
    const listed = settings.count > 0 ? longest.slice(0, settings.count) : longest;
    const lines = [rule(settings.count > 0 ? `slowest ${settings.count} durations` : "slowest durations", width ?? PLAIN_WIDTH)];
    for (const phase of listed) lines.push(`${phase.seconds.toFixed(2)}s ${phase.when.padEnd(8)} ${phase.nodeid}`);
    // pytest lists the N longest and stops at the first one under the minimum: those left of the N are "hidden".
    const hidden = settings.count > 0 ? Math.min(settings.count - listed.length, this.hidden) : this.hidden;
    if (hidden > 0) lines.push("", `(${hidden} durations < ${formatMin(settings.min)}s hidden.${settings.minGiven ? "" : "  Use -vv to show these durations."})`);
    return lines;
  }
}

/** pytest's `write_sep("=", title)`: the title between runs of `=` filling the width. */
function rule(title: string, width: number): string {
  const fill = "=".repeat(Math.max(1, Math.floor((width - title.length - 2) / 2)));
  const line = `${fill} ${title} ${fill}`;
  return line.length + 1 <= width ? `${line}=` : line;
}

/** Python's `{:g}`, as pytest writes --durations-min: 0.005, 0.5, 1, 1e-05. */
function formatMin(seconds: number): string {
  const exponent = seconds === 0 ? 0 : Math.floor(Math.log10(Math.abs(seconds)));
  if (exponent >= -4 && exponent < 6) return String(Number(seconds.toPrecision(6)));
  const [mantissa = "", power = "0"] = seconds.toExponential(5).split("e");
  const digits = mantissa.replace(/\.?0+$/, "");
  const sign = power.startsWith("-") ? "-" : "+";
  return `${digits}e${sign}${power.replace(/^[+-]/, "").padStart(2, "0")}`;
}
