/** A wait on the run's stop signal takes its listener off once done: the signal outlives every wait. */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { whenAborted } from "../../src/process/aborted.js";

describe("waiting on a stop signal", () => {
  it("resolves when the signal aborts, or at once where it has", async () => {
    const controller = new AbortController();
    const wait = whenAborted(controller.signal);
    controller.abort();
    await expect(wait.aborted).resolves.toBeUndefined();
    await expect(whenAborted(controller.signal).aborted).resolves.toBeUndefined();
  });

  it("leaves no listener on the signal once stopped, however many waits came before", () => {
    const controller = new AbortController();
    for (let i = 0; i < 25; i++) whenAborted(controller.signal).stop();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    const pending = whenAborted(controller.signal);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    pending.stop();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});
