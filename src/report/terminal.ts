/**
 * Where reporters write: stdout for the run, stderr for warnings, and on a
 * terminal (not in CI) an ora spinner with live progress kept below the
 * output. Without a terminal there is no spinner at all: CI logs stay plain.
 */
import ora, { type Ora } from "ora";

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

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env["CI"];
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}

export function createTerminal(streams: TerminalStreams, spinner: boolean): Terminal {
  let active: Ora | null = spinner
    ? ora({ stream: streams.stderr, discardStdin: false, hideCursor: false, isEnabled: true }).start()
    : null;
  const around = (write: () => void): void => {
    active?.clear();
    write();
  };
  return {
    out: (text) => around(() => streams.stdout.write(text)),
    err: (text) => around(() => streams.stderr.write(text)),
    status: (text) => {
      if (active !== null) active.text = text;
    },
    close: () => {
      active?.stop();
      active = null;
    },
  };
}
