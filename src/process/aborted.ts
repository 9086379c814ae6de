/**
 * Waiting on a stop signal that outlives the wait: the run's, which every file's process, browser connection, managed
 * server start and fork-server preload waits on. A listener left on it for each wait piles up (Node.js warned of a leak
 * past the tenth, between the files' lines: flask-security's trial), so each wait takes its listener off when done.
 */

/** Resolves once `signal` aborts (at once where it has); `stop()` takes the listener off, after which it never resolves. */
export function whenAborted(signal: AbortSignal): { aborted: Promise<void>; stop: () => void } {
  let stop = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const listener = (): void => resolve();
    signal.addEventListener("abort", listener, { once: true });
    stop = () => signal.removeEventListener("abort", listener);
  });
  return { aborted, stop };
}
