/**
 * The slot's Playwright driver, shared by the slot's files. Playwright for
 * Python drives a browser, a served one included, only through a driver: a
 * Node.js process of its own (`node cli.js run-driver`), speaking
 * length-prefixed JSON on its stdin and stdout, which every pytest process
 * starts and which costs about half a second of CPU to load. Inside a browser
 * server process, this serves the same protocol on a Unix socket, one
 * session per connection, each with a Playwright of its own, exactly as
 * `run-driver` builds it; grimoire-run's pytest plugin points Playwright's
 * pipe at the socket instead of starting a driver.
 *
 * A session's first frame is not Playwright's: it carries the pytest
 * process's environment, which a driver of its own would have inherited and
 * which a browser it launches without an `env` of its own gets. When a
 * session ends (Playwright stopped, or the pytest process is gone), its
 * browsers are closed and its connections to served browsers are cut, as the
 * end of a driver process would, and only then is the socket closed: the
 * client waits for that as it waits for a driver's exit. It serves only a Playwright whose internals it
 * knows; anything else gets no socket, and each file starts its own driver.
 */
import fs from "node:fs";
import net from "node:net";
import { createRequire } from "node:module";

/** The part of Playwright's server internals a session needs: `coreBundle.server` of a driver package that bundles its server (1.63 is the one tested). */
interface PlaywrightInternals {
  DispatcherConnection: new () => DispatcherConnection;
  RootDispatcher: new (connection: DispatcherConnection, create: (scope: unknown, params: { sdkLanguage: string }) => Promise<unknown>) => RootDispatcher;
  PlaywrightDispatcher: new (scope: unknown, playwright: ServerPlaywright) => unknown;
  createPlaywright: (options: { sdkLanguage: string; isClientCollocatedWithServer: boolean }) => ServerPlaywright;
  nullProgress: unknown;
}
interface DispatcherConnection {
  onmessage: (message: object) => void;
  dispatch(message: object): Promise<void>;
  _dispatcherByGuid: Map<string, { _type_JsonPipe?: boolean; emit(event: string): void }>;
}
interface RootDispatcher {
  stopPendingOperations(error: Error): Promise<void>;
  _dispose(): void;
}
interface ServerPlaywright {
  allBrowsers(): { close(progress: unknown, options: { reason: string }): Promise<void> }[];
}

/** ES2024, in Node.js since 20. */
interface WellFormed {
  toWellFormed(): string;
}

/** Playwright's methods that start a browser: the ones that take the process's environment when given none. */
const LAUNCHES = new Set(["launch", "launchPersistentContext"]);

/** Playwright's internals when they have the shape a session needs, else null. */
export function loadInternals(driverPackage: string): PlaywrightInternals | null {
  try {
    const bundle = createRequire(import.meta.url)(`${driverPackage}/lib/coreBundle.js`) as { server?: Partial<PlaywrightInternals> };
    const server = bundle.server;
    if (server === undefined) return null;
    const { DispatcherConnection, RootDispatcher, PlaywrightDispatcher, createPlaywright, nullProgress } = server;
    if (DispatcherConnection === undefined || RootDispatcher === undefined || PlaywrightDispatcher === undefined || createPlaywright === undefined || nullProgress === undefined) return null;
    const root = RootDispatcher.prototype as Partial<RootDispatcher>;
    if (typeof root.stopPendingOperations !== "function" || typeof root._dispose !== "function") return null;
    if (!(new DispatcherConnection()._dispatcherByGuid instanceof Map)) return null;
    return { DispatcherConnection, RootDispatcher, PlaywrightDispatcher, createPlaywright, nullProgress };
  } catch {
    return null;
  }
}

/**
 * Splits a stream into the 4-byte little-endian length-prefixed frames
 * Playwright's pipe carries. A frame can be megabytes (a screenshot) and
 * arrive in thousands of chunks: they are joined once it is whole, not as
 * each arrives.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** The length of the frame being read, once its header is in. */
  private need: number | null = null;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need === null) {
        if (this.size < 4) break;
        this.need = this.take(4).readUInt32LE(0);
      }
      if (this.size < this.need) break;
      frames.push(this.take(this.need));
      this.need = null;
    }
    return frames;
  }

  /** The first `length` bytes, removed. */
  private take(length: number): Buffer {
    const joined = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    const rest = joined.subarray(length);
    this.chunks = rest.length === 0 ? [] : [rest];
    this.size = rest.length;
    return joined.subarray(0, length);
  }
}

export function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

/**
 * A launch without an `env` of its own gets the session's environment, as it
 * would have got its own driver's: the file's markers included, so that the
 * browser is ended with the file's process tree.
 */
export function withSessionEnv(message: { method?: string; params?: Record<string, unknown> }, env: Record<string, string>): void {
  if (message.method === undefined || !LAUNCHES.has(message.method) || message.params === undefined || message.params["env"] !== undefined) return;
  message.params["env"] = Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** Serves driver sessions on the socket; resolves once it listens. */
export async function serveDrivers(internals: PlaywrightInternals, socketPath: string): Promise<net.Server> {
  fs.rmSync(socketPath, { force: true });
  // Half-open: a client's end of input asks for the session's end, and the client waits for the socket to close.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => session(internals, socket));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

function session(internals: PlaywrightInternals, socket: net.Socket): void {
  const connection = new internals.DispatcherConnection();
  let playwright: ServerPlaywright | null = null;
  const root = new internals.RootDispatcher(connection, async (scope, { sdkLanguage }) => {
    playwright = internals.createPlaywright({ sdkLanguage, isClientCollocatedWithServer: true });
    return new internals.PlaywrightDispatcher(scope, playwright);
  });
  // As run-driver does for every language but JavaScript: a lone surrogate would make the client's JSON parser fail.
  const replacer = (_key: string, value: unknown): unknown => (typeof value === "string" ? (value as unknown as WellFormed).toWellFormed() : value);
  connection.onmessage = (message) => {
    if (!socket.destroyed) socket.write(frame(JSON.stringify(message, replacer)));
  };
  let env: Record<string, string> | null = null;
  const reader = new FrameReader();
  socket.on("data", (chunk: Buffer) => {
    try {
      for (const body of reader.push(chunk)) {
        if (env === null) {
          env = (JSON.parse(body.toString()) as { env: Record<string, string> }).env;
          continue;
        }
        const message = JSON.parse(body.toString()) as { method?: string; params?: Record<string, unknown> };
        withSessionEnv(message, env);
        void connection.dispatch(message);
      }
    } catch {
      // Not Playwright's protocol: this session ends; the slot's browser and its other sessions do not.
      socket.destroy();
    }
  });
  let ended = false;
  const end = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    connection.onmessage = () => undefined;
    await root.stopPendingOperations(new Error("Disconnected")).catch(() => undefined);
    // A driver's exit would cut its connections to served browsers; the slot's browser lives on, so cut them here.
    for (const dispatcher of connection._dispatcherByGuid.values()) if (dispatcher._type_JsonPipe === true) dispatcher.emit("close");
    root._dispose();
    const launched: ServerPlaywright | null = playwright;
    if (launched !== null) await Promise.all(launched.allBrowsers().map((browser) => browser.close(internals.nullProgress, { reason: "The pytest process ended" }).catch(() => undefined)));
  };
  // The client is done (Playwright stopped): it waits for what it left open to be closed, as for a driver's exit.
  socket.on("end", () => void end().finally(() => socket.end()));
  // The client is gone: nobody waits, but the cleanup is the same.
  socket.on("close", () => void end());
  socket.on("error", () => socket.destroy());
}
