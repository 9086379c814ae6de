/**
 * Waits of any length: `--timeout 99999999` (three years) must not turn
 * into no time at all, as one Node.js timer past 24.8 days would.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { after, sleep } from "../../src/process/sleep.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("after and sleep", () => {
  it("wait the whole time, however long, and no longer", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const years = 99_999_999_000;
    let fired = false;
    after(years, () => (fired = true));
    let slept = false;
    void sleep(years).then(() => (slept = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect([fired, slept]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(years - 2_000);
    expect([fired, slept]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([fired, slept]).toEqual([true, true]);
  });

  it("can be cancelled, or cut short by an abort", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    let fired = false;
    after(5_000_000_000, () => (fired = true))();
    const abort = new AbortController();
    let slept = false;
    void sleep(5_000_000_000, abort.signal).then(() => (slept = true));
    abort.abort();
    await vi.advanceTimersByTimeAsync(10);
    expect([fired, slept]).toEqual([false, true]);
    await vi.advanceTimersByTimeAsync(5_000_000_000);
    expect(fired).toBe(false);
  });
});
