/**
 * The run's one way of waiting: a timer that an abort signal (a stop, a
 * second Ctrl-C) cuts short. Nothing here ever sleeps where an event can be
 * awaited; this is for polls and pauses that have no event to wait for.
 */

/** Waits `ms`, or less if `abort` fires first. Never rejects. */
export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || abort?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      abort?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort?.addEventListener("abort", done, { once: true });
  });
}
