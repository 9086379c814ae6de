/**
 * The pool's decisions, checked with a fake batch runner: which batch runs
 * when, in which slot, and what stopping, retrying and iterating do.
 */
import { describe, expect, it } from "vitest";
import { RunEvents, type RunEvent } from "../../src/events.js";
import { Executor, SINGLE_ITERATION, unreached, type ExecutorPlan, type Placement, type BatchSignals } from "../../src/exec/executor.js";
import type { Batch } from "../../src/model.js";
import type { FileResult, FileStatus } from "../../src/model.js";
import { fileResult } from "../helpers/results.js";

type Script = (batch: Batch, placement: Placement, signals: BatchSignals) => Promise<FileStatus>;

function batches(count: number): Batch[] {
  return Array.from({ length: count }, (_, i) => ({ paths: [`t${i}.py`], files: [{ path: `t${i}.py`, named: null, folder: ".", kind: "tests" as const }] }));
}

function harness(plan: Partial<ExecutorPlan> & { batches: Batch[] }, script: Script, clock: () => number = () => 0) {
  const events: RunEvent[] = [];
  const bus = new RunEvents();
  bus.on((e) => events.push(e));
  const runner = async (batch: Batch, placement: Placement, signals: BatchSignals): Promise<FileResult[]> => {
    const status = await script(batch, placement, signals);
    return batch.paths.map((path) => fileResult({ path, status, iteration: placement.iteration, attempt: placement.attempt, slot: placement.slot, startSeconds: clock(), durationSeconds: 0 }));
  };
  const executor = new Executor({ workers: 2, failFast: false, maxFailedTests: null, retries: 0, iterations: SINGLE_ITERATION, ...plan }, runner, bus, clock);
  return { executor, events };
}

/** A promise the test resolves when it chooses. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the pool", () => {
  it("never runs more batches than workers, and never two in one slot", async () => {
    let running = 0;
    let peak = 0;
    const busySlots = new Set<number>();
    const { executor } = harness({ batches: batches(9), workers: 3 }, async (_shard, { slot }) => {
      expect(busySlots.has(slot)).toBe(false);
      busySlots.add(slot);
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
      busySlots.delete(slot);
      return "passed";
    });
    const { results } = await executor.execute();
    expect(results).toHaveLength(9);
    expect(peak).toBe(3);
    expect(new Set(results.map((r) => r.slot))).toEqual(new Set([0, 1, 2]));
  });

  it("never runs two batches of one xdist_group at once, and runs the others beside them", async () => {
    const grouped = batches(5).map((batch, i) => (i < 3 ? { ...batch, groups: i === 2 ? ["db", "mail"] : ["db"] } : i === 3 ? { ...batch, groups: ["mail"] } : batch));
    const running = new Set<string>();
    const overlaps: string[][] = [];
    const { executor } = harness({ batches: grouped, workers: 3 }, async (batch) => {
      running.add(batch.paths[0] as string);
      overlaps.push([...running].sort());
      await tick();
      await tick();
      running.delete(batch.paths[0] as string);
      return "passed";
    });
    const { results } = await executor.execute();
    expect(results).toHaveLength(5);
    const groupOf = new Map(grouped.map((batch) => [batch.paths[0] as string, batch.groups ?? []]));
    for (const together of overlaps) {
      const names = together.flatMap((path) => groupOf.get(path) ?? []);
      expect(new Set(names).size, together.join(" ")).toBe(names.length);
    }
    // The ungrouped file ran beside a grouped one: a group holds back only its own files.
    expect(overlaps.some((together) => together.includes("t4.py") && together.length > 1)).toBe(true);
  });

  it("starts batches in plan order", async () => {
    const started: string[] = [];
    const { executor } = harness({ batches: batches(5), workers: 2 }, async (batch) => {
      started.push(batch.paths[0] as string);
      await tick();
      return "passed";
    });
    await executor.execute();
    expect(started).toEqual(["t0.py", "t1.py", "t2.py", "t3.py", "t4.py"]);
  });
});

describe("fail-fast", () => {
  it("cancels running batches, starts nothing new, and reports the queued ones cancelled", async () => {
    const failNow = deferred<void>();
    const { executor, events } = harness({ batches: batches(5), workers: 2, failFast: true }, async (batch, _p, { cancel }) => {
      if (batch.paths[0] === "t0.py") {
        await failNow.promise;
        return "failed";
      }
      failNow.resolve();
      await new Promise<void>((resolve) => cancel.addEventListener("abort", () => resolve()));
      return "cancelled";
    });
    const { results, stopped } = await executor.execute();
    expect(stopped?.reason).toBe("fail-fast");
    const byPath = Object.fromEntries(results.map((r) => [r.path, [r.status, r.slot >= 0 ? "ran" : "queued"]]));
    expect(byPath).toEqual({
      "t0.py": ["failed", "ran"],
      "t1.py": ["cancelled", "ran"],
      "t2.py": ["cancelled", "queued"],
      "t3.py": ["cancelled", "queued"],
      "t4.py": ["cancelled", "queued"],
    });
    const stopping = events.find((e) => e.type === "stopping");
    expect(stopping).toMatchObject({ cause: { reason: "fail-fast", pytestExitFirst: false, result: { path: "t0.py", status: "failed" } } });
    expect(events.find((e) => e.type === "cancelled")).toEqual({ type: "cancelled", paths: ["t2.py", "t3.py", "t4.py"] });
  });
});

describe("retries", () => {
  it("re-runs a failed file in the same slot; a pass after a failure is flaky", async () => {
    const attempts: number[] = [];
    const { executor, events } = harness({ batches: batches(1), retries: 2 }, async (_s, { attempt }) => {
      attempts.push(attempt);
      return attempt === 1 ? "failed" : "passed";
    });
    const { results } = await executor.execute();
    expect(attempts).toEqual([1, 2]);
    expect(results.map((r) => [r.attempt, r.status])).toEqual([
      [1, "failed"],
      [2, "flaky"],
    ]);
    expect(events.filter((e) => e.type === "file-finish").map((e) => e.type === "file-finish" && e.willRetry)).toEqual([true, false]);
  });

  it("gives up after the last retry, and only then fails fast", async () => {
    const { executor } = harness({ batches: batches(1), retries: 2, failFast: true }, async () => "failed");
    const { results, stopped } = await executor.execute();
    expect(results.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(stopped?.reason).toBe("fail-fast");
  });
});

describe("a pack that ends early", () => {
  const pack: Batch = { paths: ["a.py", "b.py", "c.py", "d.py"], files: ["a.py", "b.py", "c.py", "d.py"].map((path) => ({ path, named: null, folder: ".", kind: "tests" as const })) };
  /** A shared process that crashes in b.py: a.py done, b.py failed, the files after it never reached. */
  const crashingIn = (crash: string) => async (batch: Batch): Promise<FileResult[]> => {
    const at = batch.paths.indexOf(crash);
    return batch.paths.map((path, i) => (at < 0 || i < at ? fileResult({ path }) : i === at ? fileResult({ path, status: "failed", exitCode: null, signal: "SIGKILL" }) : fileResult({ path, status: "cancelled", log: null })));
  };

  /** The pack run by one worker, each process crashing in b.py; what each process was given, and the results. */
  async function runPack(failFast: boolean): Promise<{ ran: string[][]; results: FileResult[] }> {
    const ran: string[][] = [];
    const crash = crashingIn("b.py");
    const executor = new Executor({ workers: 1, failFast, maxFailedTests: null, retries: 0, iterations: SINGLE_ITERATION, batches: [pack] }, async (batch) => {
      ran.push([...batch.paths]);
      return crash(batch);
    }, new RunEvents(), () => 0);
    const { results } = await executor.execute();
    return { ran, results };
  }

  it("runs the files it never reached in a new process, once more for each process that ends early", async () => {
    const { ran, results } = await runPack(false);
    expect(ran).toEqual([["a.py", "b.py", "c.py", "d.py"], ["c.py", "d.py"]]);
    expect(Object.fromEntries(results.map((r) => [r.path, r.status]))).toEqual({ "a.py": "passed", "b.py": "failed", "c.py": "passed", "d.py": "passed" });
  });

  it("does not when the run stops at that failure (--fail-fast), nor when the process was timed out or reached no file", async () => {
    const { ran } = await runPack(true);
    expect(ran).toHaveLength(1);
    const timedOut = [fileResult({ path: "a.py" }), fileResult({ path: "b.py", status: "timeout" }), fileResult({ path: "c.py", status: "cancelled", log: null })];
    expect(unreached(pack, timedOut, false)).toBeNull();
    expect(unreached(pack, pack.paths.map((path) => fileResult({ path, status: "cancelled", log: null })), false)).toBeNull();
    expect(unreached(pack, [fileResult({ path: "a.py", status: "failed" }), ...["b.py", "c.py", "d.py"].map((path) => fileResult({ path, status: "cancelled", log: null }))], false)?.batch.paths).toEqual(["b.py", "c.py", "d.py"]);
    // Left by pytest's own stop (-x, --maxfail): a plain run would not have run them either.
    const leftByPytest = ["b.py", "c.py", "d.py"].map((path) => fileResult({ path, status: "cancelled", log: null, leftByPytest: true }));
    expect(unreached(pack, [fileResult({ path: "a.py", status: "failed" }), ...leftByPytest], false)).toBeNull();
  });
});

describe("iterations", () => {
  const loop = (count: number, keepGoing = false) => ({ count, deadlineSeconds: null, delaySeconds: 0, keepGoing, sustained: false });

  it("runs the selection --loop times", async () => {
    const { executor, events } = harness({ batches: batches(3), iterations: loop(4) }, async () => "passed");
    const { results } = await executor.execute();
    expect(results).toHaveLength(12);
    expect(events.filter((e) => e.type === "iteration-finish")).toHaveLength(4);
  });

  it("stops after an iteration with a failure, unless told to keep going", async () => {
    const script: Script = async (batch, { iteration }) => (iteration === 2 && batch.paths[0] === "t1.py" ? "failed" : "passed");
    expect((await harness({ batches: batches(3), iterations: loop(5) }, script).executor.execute()).iterationsStarted).toBe(2);
    expect((await harness({ batches: batches(3), iterations: loop(5, true) }, script).executor.execute()).iterationsStarted).toBe(5);
  });

  it("keeps the pool full across iterations when sustained, and starts nothing after the deadline", async () => {
    let now = 0;
    let running = 0;
    const startsWhileOthersRan: number[] = [];
    const gates: Array<() => void> = [];
    const { executor } = harness(
      { batches: batches(3), workers: 2, iterations: { count: null, deadlineSeconds: 10, delaySeconds: 0, keepGoing: false, sustained: true } },
      async () => {
        startsWhileOthersRan.push(running);
        running++;
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        now += 1;
        return "passed";
      },
      () => now,
    );
    const done = executor.execute();
    while (now < 12) {
      await tick();
      const gate = gates.shift();
      if (gate === undefined) break;
      gate();
    }
    const { results, iterationsStarted } = await done;
    // With 3 files on 2 workers and no barrier, every start after the first finds the other slot busy.
    expect(startsWhileOthersRan.slice(1).every((n) => n === 1)).toBe(true);
    // Each finish moves the clock one second; a start is allowed while the clock is below 10:
    // the 2 first starts plus one after each of the first 9 finishes, and nothing after.
    expect(results.length).toBe(11);
    expect(iterationsStarted).toBe(4);
  });
});

describe("a file split into parts (--split)", () => {
  /** flow.py as `count` parts, then t0.py… as whole files. */
  function split(count: number, others = 0): Batch[] {
    const file = { path: "flow.py", named: null, folder: ".", kind: "tests" as const };
    return [...Array.from({ length: count }, (_, index) => ({ paths: ["flow.py"], files: [file], part: { index, count } })), ...batches(others)];
  }
  const finished = (events: RunEvent[]) => events.flatMap((e) => (e.type === "file-finish" ? [[e.result.path, e.result.status, e.willRetry]] : []));

  it("reports the file once, when its last part is in, with its parts in order", async () => {
    const order = [deferred<void>(), deferred<void>(), deferred<void>()];
    const { executor, events } = harness({ batches: split(3), workers: 3 }, async (batch) => {
      const index = batch.part?.index ?? 0;
      await order[index]?.promise;
      return index === 1 ? "failed" : "passed";
    });
    const done = executor.execute();
    for (const index of [2, 0, 1]) {
      order[index]?.resolve();
      await tick();
    }
    const { results } = await done;
    expect(finished(events)).toEqual([["flow.py", "failed", false]]);
    expect(results).toHaveLength(1);
    expect(results[0]?.parts?.map((p) => p.status)).toEqual(["passed", "failed", "passed"]);
  });

  it("retries a failed part on its own", async () => {
    const ran: string[] = [];
    const { executor, events } = harness({ batches: split(2), workers: 2, retries: 1 }, async (batch, { attempt }) => {
      ran.push(`${batch.part?.index}/${attempt}`);
      return batch.part?.index === 1 && attempt === 1 ? "failed" : "passed";
    });
    const { results } = await executor.execute();
    expect(ran.sort()).toEqual(["0/1", "1/1", "1/2"]);
    expect(finished(events)).toEqual([
      ["flow.py", "failed", true],
      ["flow.py", "flaky", false],
    ]);
    expect(results.at(-1)?.parts?.map((p) => p.status)).toEqual(["passed", "flaky"]);
  });

  it("with fail-fast, a failing part stops its sibling parts and the run", async () => {
    const { executor, events } = harness({ batches: split(3, 2), workers: 2, failFast: true }, async (batch, _p, { cancel }) => {
      if (batch.part?.index === 0) return "failed";
      await new Promise<void>((resolve) => cancel.addEventListener("abort", () => resolve(), { once: true }));
      return "cancelled";
    });
    const { results, stopped } = await executor.execute();
    expect(stopped?.reason).toBe("fail-fast");
    const flow = results.filter((r) => r.path === "flow.py");
    expect(flow).toHaveLength(1);
    expect(flow[0]?.status).toBe("failed");
    expect(flow[0]?.parts?.map((p) => p.status)).toEqual(["failed", "cancelled", "cancelled"]);
    expect(finished(events).filter(([path]) => path !== "flow.py").every(([, status]) => status === "cancelled")).toBe(true);
  });

  it("reports a file whose parts a deadline cut short from the parts that ran", async () => {
    let now = 0;
    const { executor } = harness(
      { batches: split(3), workers: 1, iterations: { count: null, deadlineSeconds: 1, delaySeconds: 0, keepGoing: false, sustained: false } },
      async () => {
        now += 1;
        return "passed";
      },
      () => now,
    );
    const { results } = await executor.execute();
    expect(results).toHaveLength(1);
    expect(results[0]?.parts).toHaveLength(1);
  });
});
