/**
 * The run's one way of waiting: a timer that an abort signal (a stop, a
 * second Ctrl-C) cuts short. Nothing here ever sleeps where an event can be
 * awaited; this is for polls, pauses and time limits that have no event to
 * wait for. Any finite length is kept: Node's own timers fire at once past
 * 2^31 - 1 ms (24.8 days), which would turn `--timeout 99999999` into no
 * time at all.
 */

/** The longest delay one Node.js timer keeps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Calls `callback` after `ms`; returns what cancels it. */
export function after(ms: number, callback: () => void): () => void {
  const dueAt = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = dueAt - performance.now();
    timer = left > LONGEST_TIMER_MS ? setTimeout(arm, LONGEST_TIMER_MS) : setTimeout(callback, Math.max(0, left));
  };
  arm();
  return () => clearTimeout(timer);
}

/** Waits `ms`, or less if `abort` fires first. Never rejects. */
export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || abort?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      cancel();
      abort?.removeEventListener("abort", done);
      resolve();
    };
    const cancel = after(ms, done);
    abort?.addEventListener("abort", done, { once: true });
  });
}
