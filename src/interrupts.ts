/**
 * Ctrl-C, SIGTERM and SIGHUP to grimoire-run: the first stops the run (every
 * tree killed with the usual grace period, then the summary); a second one
 * skips what is left of the grace period.
 */
import type { SIGNAL_EXIT } from "./exitCode.js";

export type InterruptSignal = keyof typeof SIGNAL_EXIT;

const SIGNALS: InterruptSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export interface InterruptHandlers {
  stop: (signal: InterruptSignal) => void;
  hurry: () => void;
}

export interface InterruptWatch {
  /** The first signal received, if any. */
  readonly received: InterruptSignal | null;
  dispose: () => void;
}

export function watchInterrupts(handlers: InterruptHandlers): InterruptWatch {
  let received: InterruptSignal | null = null;
  const listeners = SIGNALS.map((signal) => {
    const listener = (): void => {
      if (received === null) {
        received = signal;
        handlers.stop(signal);
      } else {
        handlers.hurry();
      }
    };
    process.on(signal, listener);
    return { signal, listener };
  });
  return {
    get received() {
      return received;
    },
    dispose: () => {
      for (const { signal, listener } of listeners) process.off(signal, listener);
    },
  };
}
