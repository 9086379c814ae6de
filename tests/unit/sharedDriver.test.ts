/**
 * The slot's shared Playwright driver, its pure parts: the frames of
 * Playwright's pipe, cut anywhere by the socket, and the environment a
 * browser launched through it gets (the pytest process's, as its own driver
 * would have given). The sessions themselves run against real Playwright in
 * tests/integration/browserServers.test.ts.
 */
import { describe, expect, it, vi } from "vitest";
import { frame, FrameReader, withSessionEnv } from "../../src/browsers/sharedDriver.js";

describe("Playwright's pipe frames", () => {
  it("come out whole however the socket cuts them", () => {
    const messages = ['{"id":1}', "", '{"text":"é ☃"}', "x".repeat(70_000)];
    const stream = Buffer.concat(messages.map(frame));
    for (const size of [1, 3, 4, 5, 1000, stream.length]) {
      const reader = new FrameReader();
      const out: string[] = [];
      for (let at = 0; at < stream.length; at += size) out.push(...reader.push(stream.subarray(at, at + size)).map((b) => b.toString()));
      expect(out, `chunks of ${size}`).toEqual(messages);
    }
  });

  it("join a large frame once, whatever the number of chunks it arrives in", () => {
    const big = "y".repeat(5_000_000);
    const stream = frame(big);
    const reader = new FrameReader();
    const out: Buffer[] = [];
    const concat = vi.spyOn(Buffer, "concat");
    try {
      for (let at = 0; at < stream.length; at += 1024) out.push(...reader.push(stream.subarray(at, at + 1024)));
      // Once for the header, once for the body: joined at each of its 4,883 chunks, it would copy about 12 GB.
      expect(concat.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      concat.mockRestore();
    }
    expect(out.map((b) => b.length)).toEqual([big.length]);
  });

  it("carry their length in bytes, little-endian, before the body", () => {
    expect([...frame("é")]).toEqual([2, 0, 0, 0, 0xc3, 0xa9]);
  });
});

describe("a launch through the slot's driver", () => {
  const env = { GRIMOIRE_TREE_ID: "run.7", HOME: "/home/me" };

  it("gets the pytest process's environment when it names none", () => {
    const message = { guid: "browser-type@1", method: "launch", params: { headless: true } as Record<string, unknown> };
    withSessionEnv(message, env);
    expect(message.params["env"]).toEqual([
      { name: "GRIMOIRE_TREE_ID", value: "run.7" },
      { name: "HOME", value: "/home/me" },
    ]);
    const persistent = { method: "launchPersistentContext", params: {} as Record<string, unknown> };
    withSessionEnv(persistent, env);
    expect(persistent.params["env"]).toHaveLength(2);
  });

  it("keeps an environment of its own, and leaves every other message alone", () => {
    const own = { method: "launch", params: { env: [{ name: "A", value: "1" }] } as Record<string, unknown> };
    withSessionEnv(own, env);
    expect(own.params["env"]).toEqual([{ name: "A", value: "1" }]);
    const other = { method: "newContext", params: {} as Record<string, unknown> };
    withSessionEnv(other, env);
    expect(other.params).toEqual({});
  });
});
