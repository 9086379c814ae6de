/**
 * Where reporters write: stdout for the run, stderr for warnings, and on a
 * terminal (not in CI) an ora spinner with live progress kept below the
 * output. Without a terminal there is no spinner at all: CI logs stay plain.
 */
import type { Ora } from "ora";
import { isCI } from "../config/ci.js";

export interface TerminalStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  /** The spinner's text; ignored when there is no spinner. */
  status(text: string): void;
  /** Removes the spinner for good. */
  close(): void;
}

/**
 * Only on a real terminal, outside CI. A terminal that reports no width
 * (a pseudo-terminal nobody sized) is left alone: ora would take it for
 * infinitely many lines to clear.
 */
export function wantsSpinner(streams: TerminalStreams, env: NodeJS.ProcessEnv): boolean {
  return streams.stderr.isTTY === true && streams.stdout.isTTY === true && (streams.stderr.columns ?? 0) > 0 && !isCI(env);
}


/**
 * A write that never throws: once a reader goes away (`grimoire-run | head`),
 * output to that stream stops and the run goes on to its end, so that its
 * processes are stopped and its reports written as usual.
 */
export function writer(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    closed = true;
  });
  return (text) => {
    if (closed) return;
    try {
      stream.write(text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EPIPE") throw error;
      closed = true;
    }
  };
}

export async function createTerminal(streams: TerminalStreams, spinner: boolean): Promise<Terminal> {
  // ora is loaded only where a spinner is shown: CI runs do without it.
  const ora = spinner ? (await import("ora")).default : null;
  let active: Ora | null = ora === null ? null : ora({ stream: streams.stderr, discardStdin: false, hideCursor: false, isEnabled: true }).start();
  const writeOut = writer(streams.stdout);
  const writeErr = writer(streams.stderr);
  const around = (write: () => void): void => {
    active?.clear();
    write();
  };
  return {
    out: (text) => around(() => writeOut(text)),
    err: (text) => around(() => writeErr(text)),
    status: (text) => {
      if (active !== null) active.text = text;
    },
    close: () => {
      active?.stop();
      active = null;
    },
  };
}
