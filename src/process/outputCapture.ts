/**
 * Reads a process's stdout and stderr without ever blocking it, and without
 * growing: lines go to the log file and to a listener as they come, and only
 * a bounded tail stays in memory. When the log file's disk falls behind, the
 * pipes are paused until it drains, so memory stays flat however much the
 * process prints.
 */
import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";
import { MAX_LINE_BYTES, TAIL_LINES } from "../defaults.js";

export type OutputListener = (text: string[]) => void;

export interface CaptureOptions {
  logFile: string;
  /** Add to the log file instead of starting it afresh (a server's second attempt after a bind race). */
  append?: boolean;
  /**
   * "lines": the listener gets whole lines (for tagged, interleaved output).
   * "raw": it gets text as it arrives, partial lines included (a single serial
   * process, where a pdb prompt without a newline must show at once).
   */
  mode: "lines" | "raw";
  onOutput: OutputListener;
  /** Lines that are noise for the reader (pytest announcing grimoire-run's own JUnit file): dropped everywhere. */
  drop?: (line: string) => boolean;
  tailLines?: number;
  maxLineBytes?: number;
}

// Terminal escape sequences are control characters by definition.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripAnsi(text: string): string {
  return text.includes("\x1b") ? text.replace(ANSI, "") : text;
}

export class OutputCapture {
  private readonly log: fs.WriteStream;
  private readonly tailLines: number;
  private readonly maxLineBytes: number;
  private readonly tailBuffer: string[] = [];
  private readonly sources: Readable[] = [];
  private readonly ended: Promise<void>[] = [];
  private waitingForDrain = false;
  /** A partial raw line held back until it is known not to be a dropped one. */
  private heldRaw = "";

  constructor(private readonly options: CaptureOptions) {
    this.log = fs.createWriteStream(options.logFile, { flags: options.append === true ? "a" : "w" });
    this.log.on("error", () => {
      // A full disk or a removed log folder must not crash the run; the console still gets everything.
    });
    this.tailLines = options.tailLines ?? TAIL_LINES;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  }

  attach(stream: Readable): void {
    this.sources.push(stream);
    const decoder = new StringDecoder("utf8");
    let partial = "";
    const take = (text: string): void => {
      if (text === "") return;
      if (this.options.mode === "raw") this.raw(text);
      const pieces = (partial + text).split("\n");
      partial = pieces.pop() as string;
      if (partial.length > this.maxLineBytes) {
        pieces.push(partial);
        partial = "";
      }
      if (pieces.length > 0) this.lines(pieces.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line)));
    };
    stream.on("data", (chunk: Buffer) => take(decoder.write(chunk)));
    // A stream handed over paused (a fork server child's socket, held until it was matched to its file) flows from here.
    stream.resume();
    this.ended.push(
      new Promise<void>((resolve) => {
        const finish = (): void => {
          take(decoder.end());
          if (partial !== "") {
            const last = partial;
            partial = "";
            this.lines([last]);
          }
          if (this.heldRaw !== "") {
            const held = this.heldRaw;
            this.heldRaw = "";
            if (this.options.drop?.(held) !== true) this.options.onOutput([held]);
          }
          resolve();
        };
        stream.once("end", finish);
        stream.once("close", finish);
        stream.once("error", finish);
      }),
    );
  }

  /** The last lines printed, oldest first. */
  tail(): string[] {
    return this.tailBuffer.slice(-this.tailLines).map(stripAnsi);
  }

  /** Resolves once every attached stream has ended, or after `timeoutMs` (a leftover process holding the pipe open). */
  async drained(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = Promise.all(this.ended).then(() => true as const);
    const result = await Promise.race([all, timedOut]);
    clearTimeout(timer);
    if (!result) for (const source of this.sources) source.destroy();
    return result;
  }

  /** Flushes and closes the log file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.log.end(resolve));
  }

  private write(text: string): void {
    if (this.log.write(stripAnsi(text)) || this.waitingForDrain) return;
    this.waitingForDrain = true;
    for (const source of this.sources) source.pause();
    this.log.once("drain", () => {
      this.waitingForDrain = false;
      for (const source of this.sources) source.resume();
    });
  }

  /**
   * Raw text shows partial lines at once (a pdb prompt), except one that
   * starts like a line to drop: that is held until it is whole.
   */
  private raw(text: string): void {
    const drop = this.options.drop;
    if (drop === undefined) {
      this.options.onOutput([text]);
      return;
    }
    const pieces = (this.heldRaw + text).split("\n");
    const last = pieces.pop() as string;
    this.heldRaw = last.startsWith("-") ? last : "";
    const shown = [...pieces.filter((line) => !drop(line)).map((line) => `${line}\n`), this.heldRaw === "" ? last : ""].join("");
    if (shown !== "") this.options.onOutput([shown]);
  }

  private lines(all: string[]): void {
    const drop = this.options.drop;
    const lines = drop === undefined ? all : all.filter((line) => !drop(line));
    if (lines.length === 0) return;
    this.write(`${lines.join("\n")}\n`);
    if (this.options.mode === "lines") this.options.onOutput(lines);
    for (const line of lines) {
      if (line.trim() !== "") this.tailBuffer.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    }
    if (this.tailBuffer.length > this.tailLines * 2) this.tailBuffer.splice(0, this.tailBuffer.length - this.tailLines);
  }
}
