/**
 * The fork server's protocol as grimoire-run speaks it: requests written to the
 * server's stdin, events read from its stdout, one JSON object per line.
 *
 * Its one job is that grimoire-run sends no request, and acts on no event, that
 * python/grimoire_run_protocol.json does not allow. That file is the protocol's
 * only description, and the server checks against it too
 * (python/grimoire_run_protocol.py), so a message that one side changes and the
 * other does not expect fails at once, by name, instead of hanging a run or
 * losing a file. It never spawns, never reads a stream, and never decides what
 * an event means for a file: exec/forkServer.ts does.
 *
 * The types below are the description's, written out for the compiler;
 * tests/unit/forkServerProtocol.test.ts checks that they say the same.
 */
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { PYTHON_DIR } from "../packageFiles.js";

/** The protocol's description, in the Python folder (the fork server reads it too). */
export const PROTOCOL_FILE = path.join(PYTHON_DIR, "grimoire_run_protocol.json");

/** Fork a child that becomes `python -m pytest ARGS` in `cwd`, its output sent to `socket` after a first line with its id. */
export interface RunRequest {
  op: "run";
  id: number;
  args: string[];
  /** The file's changes to the environment the server was started with. */
  set: Record<string, string>;
  unset: string[];
  cwd: string;
  socket: string;
  /** `inherit`: grimoire-run's own stdin (the server's fd 3), for pdb in a serial run. Left out: /dev/null. */
  stdin?: "inherit" | "ignore";
}

/** Import these modules in the server, for every file forked after to inherit (auto-preload); answered by `preloaded`. */
export interface PreloadRequest {
  op: "preload";
  modules: string[];
  /** Environment variables (or `PREFIX*`) that differ between files: a module whose import asks for one is refused. */
  perFileEnv: string[];
}

export type ForkServerRequest = RunRequest | PreloadRequest;

/**
 * A module the server would not keep, and why; `untried` when it was not tried because another module of its package
 * was refused first; `ownCode` when refused only for bringing in the project's own code (auto-preload's rule, not a
 * --preload's).
 */
export interface PreloadRefusal {
  module: string;
  reason: string;
  untried?: boolean;
  ownCode?: boolean;
}

export interface ReadyEvent {
  op: "ready";
  pid: number;
  /** The modules it imported for every file to inherit (--preload). */
  preloaded?: string[];
  /** The modules it would not keep, and why. */
  refused?: PreloadRefusal[];
  /** The installed pytest plugins its warm-up did not load (the project turns them off, or they are its own code). */
  keptOut?: string[];
  /** For each --preload module that read environment variables as it was imported, their names ("*": the whole environment). */
  environReads?: Record<string, string[]>;
  /** The warm-up failed with the session memories and passed without them: the error's last line. */
  plain?: string;
}

export interface UnusableEvent {
  op: "unusable";
  reason: string;
}

export interface StartedEvent {
  op: "started";
  id: number;
  pid: number;
}

/** A child exited with a code, or was killed by a signal (named, such as "SIGKILL"): one or the other. */
export type ExitedEvent = { op: "exited"; id: number; code: number; signal?: never } | { op: "exited"; id: number; signal: string; code?: never };

/** The server is ending (a request it could not accept, `id` its id if usable, or a failure of its own): its running files end with it. */
export interface ErrorEvent {
  op: "error";
  reason: string;
  id?: number;
}

/** The answer to a `preload` request: what it imported (not what it had already), what it refused, and `unsafe` when an import started a thread. */
export interface PreloadedEvent {
  op: "preloaded";
  preloaded: string[];
  refused: PreloadRefusal[];
  unsafe?: string;
}

export type ForkServerEvent = ReadyEvent | UnusableEvent | StartedEvent | ExitedEvent | ErrorEvent | PreloadedEvent;

/** The part of JSON Schema the description uses; any other keyword is rejected when it is read, never ignored. */
export interface Schema {
  type?: "object" | "array" | "string" | "integer" | "boolean";
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minimum?: number;
  pattern?: string;
  oneOf?: Schema[];
  description?: string;
}

export interface ProtocolDescription {
  requests: Record<string, Schema>;
  events: Record<string, Schema>;
}

/** A message the description does not allow. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

const KEYWORDS = new Set(["type", "const", "enum", "properties", "required", "additionalProperties", "items", "minimum", "pattern", "oneOf", "description"]);

const TYPES: Record<NonNullable<Schema["type"]>, (value: unknown) => boolean> = {
  object: (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  array: (value) => Array.isArray(value),
  string: (value) => typeof value === "string",
  integer: (value) => typeof value === "number" && Number.isInteger(value),
  boolean: (value) => typeof value === "boolean",
};

/** A message quoted in an error: enough to recognise it. */
const QUOTED_CHARS = 200;

export const PROTOCOL: ProtocolDescription = readDescription(PROTOCOL_FILE);

/** The description, with every schema in it checked to use only what `problem` checks. */
export function readDescription(file: string): ProtocolDescription {
  const description = JSON.parse(fs.readFileSync(file, "utf8")) as ProtocolDescription;
  for (const kind of ["requests", "events"] as const) {
    for (const [op, message] of Object.entries(description[kind])) {
      for (const schema of schemasIn(message)) {
        const unknown = Object.keys(schema).filter((keyword) => !KEYWORDS.has(keyword));
        if (unknown.length > 0 || !((schema.type ?? "object") in TYPES)) {
          throw new Error(`${file}: ${kind} ${op} uses what this checker does not know: ${unknown.length > 0 ? unknown.join(", ") : String(schema.type)}`);
        }
      }
    }
  }
  return description;
}

function* schemasIn(schema: Schema): Generator<Schema> {
  yield schema;
  const inner = [...Object.values(schema.properties ?? {}), ...(schema.oneOf ?? [])];
  if (schema.items !== undefined) inner.push(schema.items);
  if (typeof schema.additionalProperties === "object") inner.push(schema.additionalProperties);
  for (const child of inner) yield* schemasIn(child);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= QUOTED_CHARS ? text : `${text.slice(0, QUOTED_CHARS)}...`;
}

function join(where: string | null, name: string): string {
  return where === null ? name : `${where}.${name}`;
}

/** The first way `value` breaks `schema`, in words, or null. `where` names the value (null: the whole message). */
function problem(value: unknown, schema: Schema, where: string | null = null): string | null {
  const subject = where ?? "the message";
  if (schema.type !== undefined && !TYPES[schema.type](value)) return `${subject} must be a JSON ${schema.type}, not ${show(value)}`;
  if ("const" in schema && !isDeepStrictEqual(value, schema.const)) return `${subject} must be ${show(schema.const)}, not ${show(value)}`;
  if (schema.enum !== undefined && !schema.enum.some((choice) => isDeepStrictEqual(value, choice))) {
    return `${subject} must be one of ${schema.enum.map(show).join(", ")}, not ${show(value)}`;
  }
  // As in JSON Schema, each of these applies only to values of its own type.
  if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) return `${subject} must be at least ${schema.minimum}, not ${show(value)}`;
  if (schema.pattern !== undefined && typeof value === "string" && !new RegExp(schema.pattern, "u").test(value)) return `${subject} must match ${schema.pattern}, not ${show(value)}`;
  if (schema.items !== undefined && Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = problem(item, schema.items, `${subject}[${index}]`);
      if (found !== null) return found;
    }
  }
  if (TYPES.object(value)) {
    const fields = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in fields)) return `${join(where, name)} is missing`;
    const properties = schema.properties ?? {};
    const extra = schema.additionalProperties ?? true;
    for (const [name, field] of Object.entries(fields)) {
      const known = properties[name];
      let found: string | null = null;
      if (known !== undefined) found = problem(field, known, join(where, name));
      else if (extra === false) found = `${join(where, name)} is not a field of this message`;
      else if (typeof extra === "object") found = problem(field, extra, join(where, name));
      if (found !== null) return found;
    }
  }
  if (schema.oneOf !== undefined) {
    const matching = schema.oneOf.filter((branch) => problem(value, branch, where) === null);
    if (matching.length !== 1) {
      const onlyRequired = schema.oneOf.every((branch) => branch.required !== undefined && Object.keys(branch).length === 1);
      if (onlyRequired) return `${subject} must have exactly one of: ${schema.oneOf.flatMap((branch) => branch.required ?? []).join(", ")}`;
      return `${subject} must match exactly one of its ${schema.oneOf.length} forms`;
    }
  }
  return null;
}

/** Throws ProtocolError unless `message` is one of the description's `kind`. */
export function checkMessage(kind: keyof ProtocolDescription, message: unknown): void {
  const schemas = PROTOCOL[kind];
  if (!TYPES.object(message)) throw new ProtocolError(`the message must be a JSON object, not ${show(message)}`);
  const op = (message as { op?: unknown }).op;
  const schema = typeof op === "string" && Object.hasOwn(schemas, op) ? schemas[op] : undefined;
  if (schema === undefined) {
    throw new ProtocolError(`op must be one of ${Object.keys(schemas).map(show).join(", ")}, not ${show(op)}`);
  }
  const found = problem(message, schema);
  if (found !== null) throw new ProtocolError(`${String(op)}: ${found}`);
}

/** A `run` request, checked: a request the server would refuse fails here, in grimoire-run, where the mistake is. */
export function buildRunRequest(fields: Omit<RunRequest, "op">): RunRequest {
  const { id, args, set, unset, cwd, socket, stdin } = fields;
  const request: RunRequest = { op: "run", id, args, set, unset, cwd, socket, ...(stdin === undefined ? {} : { stdin }) };
  checkMessage("requests", request);
  return request;
}

/** The line to write on the server's stdin, newline included. */
export function encodeRequest(request: ForkServerRequest): string {
  checkMessage("requests", request);
  return `${JSON.stringify(request)}\n`;
}

/** One line of the server's stdout (its newline optional) as an event, or a ProtocolError saying what is wrong with it. */
export function parseEvent(line: string): ForkServerEvent {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch (error) {
    throw new ProtocolError(`not JSON (${(error as Error).message}): ${show(line)}`);
  }
  checkMessage("events", message);
  return message as ForkServerEvent;
}
