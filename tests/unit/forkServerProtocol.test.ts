/**
 * The fork server's protocol on grimoire-run's side: the requests it builds and
 * the events it accepts are exactly what python/grimoire_run_protocol.json
 * allows, and its types say what that file says. The examples are shared with
 * the server's own checker (tests/python/test_protocol.py), so that both sides
 * give the same answers.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  buildRunRequest,
  checkMessage,
  encodeRequest,
  type ForkServerEvent,
  type ForkServerRequest,
  parseEvent,
  PROTOCOL,
  PROTOCOL_FILE,
  ProtocolError,
  readDescription,
} from "../../src/exec/forkServerProtocol.js";

interface Invalid {
  line?: string;
  message?: unknown;
  mentions: string;
}
interface Examples {
  requests: { valid: unknown[]; invalid: Invalid[] };
  events: { valid: unknown[]; invalid: Invalid[] };
}
const EXAMPLES = JSON.parse(fs.readFileSync(fileURLToPath(new URL("../python/protocol_examples.json", import.meta.url)), "utf8")) as Examples;

const label = (example: Invalid): string => (example.line ?? JSON.stringify(example.message) ?? "undefined").slice(0, 60);

/** What `fn` throws, which must be a ProtocolError. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as Error).message;
  }
  throw new Error("expected a ProtocolError, nothing was thrown");
}

/**
 * One message of every op, each with every field its type has: the compiler
 * requires an entry for every op of the types, and each entry to be of its op's
 * type; the tests then hold both to the description.
 */
const EVERY_EVENT: { [Op in ForkServerEvent["op"]]: Extract<ForkServerEvent, { op: Op }>[] } = {
  ready: [{ op: "ready", pid: 10, preloaded: ["hypothesis"], refused: [{ module: "settings", reason: "its import reads GRIMOIRE_SLOT" }], keptOut: ["respx"], environReads: { hypothesis: ["HYPOTHESIS_PROFILE"] }, plain: "TypeError: an unexpected keyword" }],
  unusable: [{ op: "unusable", reason: "a plugin started a thread at import" }],
  started: [{ op: "started", id: 1, pid: 11 }],
  exited: [
    { op: "exited", id: 1, code: 1 },
    { op: "exited", id: 1, signal: "SIGTERM" },
  ],
  error: [{ op: "error", reason: "malformed request: run: socket is missing", id: 2 }],
  preloaded: [
    {
      op: "preloaded",
      preloaded: ["numpy"],
      refused: [
        { module: "settings", reason: "its import reads GRIMOIRE_SLOT" },
        { module: "settings.local", reason: "not tried: settings, of the same package, failed to import", untried: true },
      ],
      unsafe: "a module it preloaded (numpy) started a thread",
    },
  ],
};
const EVERY_REQUEST: { [Op in ForkServerRequest["op"]]: Extract<ForkServerRequest, { op: Op }>[] } = {
  run: [{ op: "run", id: 1, args: ["-q"], set: { A: "1" }, unset: ["B"], cwd: "/project", socket: "/tmp/s.sock", stdin: "inherit" }],
  preload: [{ op: "preload", modules: ["numpy", "scipy.sparse"], perFileEnv: ["GRIMOIRE_*", "E2E_BASE_URL"] }],
};

describe("the protocol's description", () => {
  it("is the file the Python server reads: python/'s, as the build copies it beside the modules", () => {
    expect(PROTOCOL_FILE).toBe(fileURLToPath(new URL("../../dist/site-packages/grimoire_run_protocol.json", import.meta.url)));
    expect(fs.readFileSync(PROTOCOL_FILE, "utf8")).toBe(fs.readFileSync(new URL("../../python/grimoire_run_protocol.json", import.meta.url), "utf8"));
    expect(Object.keys(PROTOCOL.requests)).toEqual(["run", "preload"]);
  });

  it("has the ops and fields the TypeScript types have, no more, no fewer", () => {
    for (const [kind, table] of [
      ["events", EVERY_EVENT],
      ["requests", EVERY_REQUEST],
    ] as const) {
      expect(Object.keys(table).sort(), kind).toEqual(Object.keys(PROTOCOL[kind]).sort());
      for (const [op, samples] of Object.entries(table) as [string, object[]][]) {
        for (const sample of samples) expect(() => checkMessage(kind, sample), `${kind} ${op}`).not.toThrow();
        const fields = new Set(samples.flatMap((sample) => Object.keys(sample)));
        expect([...fields].sort(), `${kind} ${op}`).toEqual(Object.keys(PROTOCOL[kind][op]?.properties ?? {}).sort());
      }
    }
  });

  it("refuses to be read with a keyword the checkers do not know, rather than ignore a rule", () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-protocol-"));
    try {
      const description = JSON.parse(fs.readFileSync(PROTOCOL_FILE, "utf8")) as typeof PROTOCOL;
      const cwd = description.requests["run"]?.properties?.["cwd"];
      Object.assign(cwd ?? {}, { minLength: 1 });
      const file = path.join(folder, "protocol.json");
      fs.writeFileSync(file, JSON.stringify(description));
      expect(() => readDescription(file)).toThrow(/requests run .*minLength/);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("building a run request", () => {
  const fields = { id: 3, args: ["-q", "tests/http/test_a.py"], set: { GRIMOIRE_SLOT: "0" }, unset: ["PYTEST_ADDOPTS"], cwd: "/project", socket: "/tmp/grimoire-1.sock" };

  it("gives the server what it asks for, with stdin only when it is chosen", () => {
    expect(buildRunRequest(fields)).toEqual({ op: "run", ...fields });
    expect("stdin" in buildRunRequest({ ...fields, stdin: undefined })).toBe(false);
    expect(buildRunRequest({ ...fields, stdin: "inherit" }).stdin).toBe("inherit");
  });

  it("writes it as one JSON line the server reads back as sent", () => {
    const line = encodeRequest(buildRunRequest({ ...fields, stdin: "ignore" }));
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ op: "run", ...fields, stdin: "ignore" });
  });

  it("refuses, here and by name, a request the server would refuse", () => {
    expect(refusal(() => buildRunRequest({ ...fields, id: 0 }))).toMatch(/^run: id must be at least 1/);
    expect(refusal(() => buildRunRequest({ ...fields, id: 1.5 }))).toMatch(/id must be a JSON integer/);
    expect(refusal(() => buildRunRequest({ ...fields, args: ["-q", 2 as unknown as string] }))).toMatch(/args\[1\] must be a JSON string/);
    expect(refusal(() => buildRunRequest({ ...fields, set: { A: undefined as unknown as string } }))).toMatch(/set\.A must be a JSON string/);
    expect(refusal(() => buildRunRequest({ ...fields, stdin: "pipe" as "inherit" }))).toMatch(/stdin must be one of "inherit", "ignore"/);
    expect(refusal(() => encodeRequest({ ...buildRunRequest(fields), timeout: 5 } as ForkServerRequest))).toMatch(/timeout is not a field/);
  });

  it.each(EXAMPLES.requests.valid.map((message) => [JSON.stringify(message).slice(0, 60), message]))("accepts the shared example %s", (_, message) => {
    expect(() => checkMessage("requests", message)).not.toThrow();
  });

  it.each(EXAMPLES.requests.invalid.filter((example) => "message" in example).map((example) => [label(example), example]))("refuses the shared example %s", (_, example) => {
    expect(refusal(() => checkMessage("requests", example.message))).toContain(example.mentions);
  });
});

describe("reading an event line", () => {
  it("gives the event, its newline optional", () => {
    expect(parseEvent('{"op": "started", "id": 1, "pid": 42}\n')).toEqual({ op: "started", id: 1, pid: 42 });
    expect(parseEvent('{"op": "exited", "id": 1, "signal": "SIGKILL"}')).toEqual({ op: "exited", id: 1, signal: "SIGKILL" });
  });

  it("narrows to the op's type", () => {
    const event = parseEvent('{"op": "exited", "id": 4, "code": 5}');
    if (event.op !== "exited") throw new Error(`expected exited, got ${event.op}`);
    expect([event.id, event.code ?? null, event.signal ?? null]).toEqual([4, 5, null]);
  });

  it.each(EXAMPLES.events.valid.map((event) => [JSON.stringify(event).slice(0, 60), event]))("accepts the shared example %s", (_, event) => {
    expect(parseEvent(JSON.stringify(event))).toEqual(event);
  });

  it.each(EXAMPLES.events.invalid.map((example) => [label(example), example]))("refuses the shared example %s", (_, example) => {
    const line = example.line ?? JSON.stringify(example.message);
    expect(refusal(() => parseEvent(line))).toContain(example.mentions);
  });

  it("quotes a long malformed line only in part", () => {
    const message = refusal(() => parseEvent(`not json ${"x".repeat(10_000)}`));
    expect(message.length).toBeLessThan(400);
  });
});
