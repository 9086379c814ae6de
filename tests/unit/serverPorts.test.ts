/** Telling a managed server's bind race (retry on another port) from a server that listens on a port of its own. */
import { describe, expect, it } from "vitest";
import { otherPortNamed } from "../../src/managed/server.js";

describe("otherPortNamed", () => {
  it("finds the port a server's bind failure names, where it is not the one it was given", () => {
    expect(otherPortNamed("ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use", 41973)).toBe(8000);
    expect(otherPortNamed("Address already in use\nPort 5000 is in use by another program. Either identify and stop that program, or start the server with a different port.", 41973)).toBe(5000);
    expect(otherPortNamed("Error: listen EADDRINUSE: address already in use 127.0.0.1:3000", 41973)).toBe(3000);
    expect(otherPortNamed("Error: listen EADDRINUSE: address already in use :::3000", 41973)).toBe(3000);
  });

  it("says nothing where the failure names the port it was given, names none, or is no bind failure", () => {
    expect(otherPortNamed("Error: listen EADDRINUSE: address already in use 127.0.0.1:41973", 41973)).toBeNull();
    // Python's own socket error and Django's runserver name no port: a race, as before.
    expect(otherPortNamed("OSError: [Errno 98] Address already in use", 41973)).toBeNull();
    expect(otherPortNamed("Error: That port is already in use.", 41973)).toBeNull();
    expect(otherPortNamed("Listening on 127.0.0.1:8000\nTraceback: KeyError: 'SECRET_KEY'", 41973)).toBeNull();
    // A timestamp's minutes and seconds are not ports.
    expect(otherPortNamed("2026-12-07 03:37:34.386 UTC [4037] LOG:  could not bind: Address already in use", 41973)).toBeNull();
  });
});

describe("otherPortNamed, in a whole log", () => {
  it("takes the port of the failing line, not a line number of the stack below it", () => {
    const node = ["Error: listen EADDRINUSE: address already in use 127.0.0.1:34901", "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)", "    at listenInCluster (node:net:1965:12)"].join("\n");
    expect(otherPortNamed(node, 41973)).toBe(34901);
  });
});
