import { describe, expect, it } from "vitest";
import { PortClaims } from "../../src/managed/ports.js";

/** A kernel that hands out the given ports in turn, as bind(0) may hand out a port whose server has not bound it yet. */
function handsOut(...ports: number[]): () => Promise<number> {
  let next = 0;
  return () => Promise.resolve(ports[next++ % ports.length] as number);
}

describe("the ports the run's servers hold", () => {
  it("never gives a port to two servers, even when the kernel offers it twice", async () => {
    const claims = new PortClaims(handsOut(41001, 41001, 41003));
    expect(await claims.claim()).toBe(41001);
    expect(await claims.claim()).toBe(41003);
    expect(claims.size).toBe(2);
  });

  it("gives a port again once its server has let it go", async () => {
    const claims = new PortClaims(handsOut(41001));
    expect(await claims.claim()).toBe(41001);
    claims.release(41001);
    expect(await claims.claim()).toBe(41001);
  });

  it("says so rather than loop when every port offered is held", async () => {
    const claims = new PortClaims(handsOut(41001));
    await claims.claim();
    await expect(claims.claim()).rejects.toThrow(/no free TCP port/);
  });
});
