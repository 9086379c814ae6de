/**
 * The console: the `Found N test files` line, each pytest line behind its
 * file's tag, a result line per finished file, warnings, and the summary.
 * It only listens to run events.
 */
import type { RunEvent, RunListener, ShardStart } from "../events.js";
import { emptyCounts, isFailure, type FileResult } from "../model.js";
import { formatSummary } from "./summary.js";
import { formatSeconds, paintStatus, plural, type Palette } from "./style.js";
import { assignTags } from "./tags.js";
import type { Terminal } from "./terminal.js";

/** Result lines align their durations up to this path length; longer paths push theirs right. */
const MAX_PATH_COLUMN = 60;

export interface ConsoleOptions {
  terminal: Terminal;
  colours: Palette;
  quiet: boolean;
  verbose: boolean;
  /** How the summary should explain an early stop, given the reason. */
  describeStop: () => string | null;
}

export function consoleReporter(options: ConsoleOptions): RunListener {
  const { terminal, colours } = options;
  let tags = new Map<string, string>();
  let tagWidth = 0;
  let pathWidth = 0;
  let mode: "parallel" | "serial" = "parallel";
  let total = 0;
  let done = 0;
  let failed = 0;
  const running = new Set<number>();
  const startedAt = Date.now();
  let ticker: NodeJS.Timeout | undefined;

  const showStatus = (): void => {
    const elapsed = formatSeconds((Date.now() - startedAt) / 1000);
    const failedText = failed > 0 ? ` · ${failed} failed` : "";
    terminal.status(`${done}/${total} files · ${running.size} running${failedText} · ${elapsed}`);
  };

  const tagged = (shard: ShardStart, text: string[]): string => {
    const path = shard.paths[0] as string;
    const tag = options.colours.tag(path)(`${(tags.get(path) ?? path).padEnd(tagWidth)} |`);
    return text.map((line) => `${tag} ${line}\n`).join("");
  };

  const resultLine = (result: FileResult, willRetry: boolean): string => {
    const counts = result.tests === null ? "" : `  ${describeCounts(result.tests)}`;
    const attempt = result.attempt > 1 ? `  (attempt ${result.attempt})` : "";
    const iteration = result.iteration > 1 ? `  [iteration ${result.iteration}]` : "";
    const retry = willRetry ? colours.yellow("  → retrying") : "";
    const why = result.status !== "cancelled" && result.exitCode !== 1 && result.reason !== null ? colours.dim(`  (${result.reason})`) : "";
    return `${paintStatus(result.status, colours)} ${result.path.padEnd(pathWidth)}  ${formatSeconds(result.durationSeconds).padStart(6)}${counts}${why}${attempt}${iteration}${retry}\n`;
  };

  return (event: RunEvent): void => {
    switch (event.type) {
      case "run-start": {
        mode = event.mode;
        total = event.files.length;
        tags = assignTags(event.files);
        tagWidth = Math.max(0, ...[...tags.values()].map((t) => t.length));
        pathWidth = Math.min(MAX_PATH_COLUMN, Math.max(0, ...event.files.map((f) => f.length)));
        const them = event.files.length === 1 ? "it" : "them";
        const how = event.mode === "parallel" ? `, running ${them} on ${plural(event.workers, "worker")}` : `, running ${them} in one pytest process`;
        terminal.out(`Found ${plural(event.files.length, "test file")}${how}\n`);
        if (options.verbose) terminal.out(colours.dim(`logs: ${event.logDir}\n`));
        ticker = setInterval(showStatus, 1000);
        ticker.unref();
        showStatus();
        break;
      }
      case "shard-start":
        running.add(event.shard.id);
        if (options.verbose) terminal.out(colours.dim(`${event.shard.paths.length === 1 ? event.shard.paths[0] : "serial"}: ${event.shard.command.join(" ")}\n`));
        showStatus();
        break;
      case "shard-output":
        if (options.quiet) break;
        terminal.out(mode === "parallel" ? tagged(event.shard, event.text) : event.text.join(""));
        break;
      case "file-finish":
        if (!event.willRetry) {
          done++;
          if (isFailure(event.result.status)) failed++;
        }
        if (event.result.slot >= 0) terminal.out(resultLine(event.result, event.willRetry));
        showStatus();
        break;
      case "shard-finish":
        running.delete(event.shard.id);
        break;
      case "stopping":
        terminal.out(`\n${colours.yellow(colours.bold(event.detail))}\n`);
        break;
      case "cancelled":
        done += event.paths.length;
        break;
      case "warning":
        terminal.err(`${colours.yellow("warning:")} ${event.message}\n`);
        break;
      case "run-finish": {
        clearInterval(ticker);
        terminal.close();
        const lines = formatSummary(event.report, { colours, stopped: options.describeStop() });
        terminal.out(`${lines.join("\n")}\n`);
        break;
      }
      default:
        break;
    }
  };
}

function describeCounts(tests: NonNullable<FileResult["tests"]>): string {
  const t = { ...emptyCounts(), ...tests };
  const parts = [`${t.passed} passed`];
  if (t.failed > 0) parts.push(`${t.failed} failed`);
  if (t.skipped > 0) parts.push(`${t.skipped} skipped`);
  if (t.errors > 0) parts.push(plural(t.errors, "error"));
  return `(${parts.join(", ")})`;
}
