/**
 * The fork server's Node side: one Python process per run that has imported
 * pytest and its plugins, and forks a fresh child for each test file. Each
 * child is still a process of its own (own session, group, environment,
 * memory); what it saves is the interpreter start and the imports, most of a
 * pytest process's start-up. See python/grimoire_run_forkserver.py.
 *
 * If the server cannot start, cannot warm up, or dies, files go back to being
 * started afresh: it is only ever an optimisation.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import type { PythonCommand } from "../python.js";
import { launch as defaultLaunch, type Exit, type LaunchedProcess, type Launcher, type LaunchSpec } from "../process/launch.js";
import { envChanges } from "../process/earlyPython.js";
import { killTrees } from "../process/processTree.js";
import { withBytecodeCache } from "../config/bytecodeCache.js";
import { DRAIN_AFTER_EXIT_MS, FORK_SERVER_READY_TIMEOUT_MS } from "../defaults.js";
import { buildRunRequest, encodeRequest, parseEvent, type ForkServerEvent, type PreloadedEvent, type PreloadRefusal } from "./forkServerProtocol.js";
import { whenAborted } from "../process/aborted.js";


interface Pending {
  /** What was asked: started afresh instead should the server die before it forked it. */
  spec: LaunchSpec;
  pid: number | null;
  output: net.Socket | null;
  resolveLaunch: ((process: LaunchedProcess) => void) | null;
  resolveExit: (exit: Exit) => void;
  exited: Promise<Exit>;
  exit: Exit | null;
  /** After its exit, how long the launch still waits for the output connection the server made before forking it. */
  outputWait: NodeJS.Timeout | null;
}


export interface ForkServerOptions {
  python: PythonCommand;
  root: string;
  env: NodeJS.ProcessEnv;
  runId: string;
  killGraceMs: number;
  /** What a child asking for `stdin: "inherit"` gets as its stdin (grimoire-run's own, fd 0); none when left out. */
  stdin?: number;
  /** Modules to import once, for every file to inherit (--preload). */
  preload?: string[];
  /** Environment variables (or `PREFIX*`) that differ between files: a preload that reads one at import is refused. */
  perFileEnv?: string[];
  /**
   * The run sends its first request (its listing of the files) at once, before the server is ready: the server forks
   * it as soon as pytest is imported and warms up while it runs. The server waits for that request before its warm-up.
   */
  firstBeforeWarmUp?: boolean;
  /** Where forked files keep the bytecode they compile when the environment says not to write it (config/bytecodeCache.ts); null: nowhere. */
  bytecodeCache?: string | null;
  launcher?: Launcher;
}

/** What a preload after the start did: the modules imported, those refused and why, and why forking stopped, if an import made it unsafe. */
export interface PreloadOutcome {
  modules: string[];
  refused: PreloadRefusal[];
  unsafe: string | null;
}

/** A child's output that has not arrived this long after its exit is not coming (its server lost it). */
const OUTPUT_AFTER_EXIT_MS = DRAIN_AFTER_EXIT_MS;

const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A preload that did nothing: cancelled, a server gone, or nothing to ask for. */
const nothingPreloaded = (): PreloadOutcome => ({ modules: [], refused: [], unsafe: null });

/** How the server's own message begins when the Python is too old for it (python/grimoire_run_forkserver.py). */
const NEEDS_PYTHON = "the fork server needs Python";

export class ForkServer {
  /** What became of the modules it was asked to preload. */
  preloaded: { modules: string[]; refused: PreloadRefusal[] } = { modules: [], refused: [] };
  /** What each of them read of the environment as it was imported, where it read any ("*": the whole environment). */
  environReads: Readonly<Record<string, readonly string[]>> = {};
  /** Why the server runs without its session memories (its warm-up failed with them), or null. */
  withoutMemories: string | null = null;
  /** The installed pytest plugins its warm-up left for each file to load (the project turns them off, or they are its own code). */
  keptOut: string[] = [];
  private nextId = 1;
  /** Answers the preload in flight (one at a time), or null when none is; given null if the server dies first. */
  private preloadAnswer: ((event: PreloadedEvent | null) => void) | null = null;
  private readonly pending = new Map<number, Pending>();
  private dead: string | null = null;

  /** Why the server forks no more files while the files it runs go on (a preload started a thread); null while it forks. */
  private closed: string | null = null;

  private constructor(
    private readonly child: LaunchedProcess,
    private readonly socketServer: net.Server,
    private readonly socketPath: string,
    private readonly killGraceMs: number,
    /** The environment the server was started with; each child gets its file's differences from it. */
    private readonly baseEnv: NodeJS.ProcessEnv,
    /** Starts afresh what the server could not fork. */
    private readonly fallback: Launcher,
    /** Environment variables (or `PREFIX*`) that differ between files, for preloads after the start. */
    private readonly perFileEnv: string[],
    /** The bytecode cache folder forked files get, or null. */
    private readonly bytecodeCache: string | null,
  ) {}

  /**
   * A ready server, or the reason there is none (and files start afresh).
   * `spawned` is given the server as soon as its process is started, before it
   * is ready: with `firstBeforeWarmUp`, the run's first launch goes to it then.
   */
  static async start(options: ForkServerOptions, spawned?: (server: ForkServer) => void): Promise<ForkServer | string> {
    const socketPath = forkServerSocket(options.runId);
    const socketServer = net.createServer();
    await new Promise<void>((resolve, reject) => {
      socketServer.once("error", reject);
      socketServer.listen(socketPath, resolve);
    });
    const env = { ...options.env, GRIMOIRE_RUN_ID: options.runId, GRIMOIRE_TREE_ID: `${options.runId}.forkserver` };
    // grimoire-run's own stdin goes to the server as its fd 3, for a serial run's child to take as its stdin (pdb, breakpoint()).
    const launcher = options.launcher ?? defaultLaunch;
    const child = await launcher({
      command: options.python.command,
      args: [...options.python.args, ...forkServerArgs(options, env)],
      cwd: options.root,
      env,
      stdin: "pipe",
      ...(options.stdin === undefined ? {} : { fd3: options.stdin }),
    });
    const server = new ForkServer(child, socketServer, socketPath, options.killGraceMs, env, launcher, options.perFileEnv ?? [], options.bytecodeCache ?? null);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    socketServer.on("connection", (socket) => server.accept(socket));
    spawned?.(server);

    const ready = new Promise<string | null>((resolve) => {
      const settle = (problem: string | null): void => {
        clearTimeout(timer);
        resolve(problem);
      };
      const timer = setTimeout(() => settle(`it was not ready within ${FORK_SERVER_READY_TIMEOUT_MS / 1000}s`), FORK_SERVER_READY_TIMEOUT_MS);
      void child.exited.then((exit) => {
        const said = stderr.trim().split("\n");
        // Its own reason, where it gave one (a Python too old for it), said as it is.
        if (exit.spawnError === null && said.length === 1 && (said[0] ?? "").startsWith(NEEDS_PYTHON)) settle(`it ${(said[0] ?? "").slice("the fork server ".length)}`);
        else settle(exit.spawnError !== null ? exit.spawnError.message : `it exited (code ${String(exit.code)}) ${said.slice(-3).join(" ")}`.trim());
      });
      server.onEvents(child, (event) => {
        if (event.op === "ready") {
          server.preloaded = { modules: event.preloaded ?? [], refused: event.refused ?? [] };
          server.withoutMemories = event.plain ?? null;
          server.keptOut = event.keptOut ?? [];
          server.environReads = event.environReads ?? {};
          settle(null);
        }
        if (event.op === "unusable") settle(event.reason.trim().split("\n").slice(-2).join(" "));
      });
    });
    const problem = await ready;
    if (problem === null) {
      void child.exited.then(() => server.died(`the fork server exited ${stderr.trim().split("\n").slice(-1).join("")}`.trim()));
      return server;
    }
    // A launch sent before it was ready and not forked yet starts afresh.
    server.died(problem);
    await server.close();
    return problem;
  }

  /** False once the server has died, or forks no more files; files are then started afresh. */
  get usable(): boolean {
    return this.dead === null && this.closed === null;
  }

  /**
   * Imports these modules in the server, for every file forked after to
   * inherit (auto-preload); resolves with what it did. Call it while no file
   * is being forked. An import that started a thread leaves the server
   * unusable: the files then start afresh. Resolves early, with nothing done,
   * if `cancel` fires or the server dies.
   */
  async preloadMore(modules: readonly string[], cancel: AbortSignal): Promise<PreloadOutcome> {
    const wanted = modules.filter((name) => MODULE_NAME.test(name));
    if (!this.usable || wanted.length === 0 || cancel.aborted) return nothingPreloaded();
    const cancelled = whenAborted(cancel);
    const answered = new Promise<PreloadedEvent | null>((resolve) => {
      this.preloadAnswer = resolve;
      void cancelled.aborted.then(() => resolve(null));
    });
    this.child.stdin?.write(encodeRequest({ op: "preload", modules: wanted, perFileEnv: this.perFileEnv }));
    const event = await answered;
    this.preloadAnswer = null;
    cancelled.stop();
    if (event === null) return nothingPreloaded();
    // No more files are forked (a thread cannot be taken back); the files it runs are processes of their own, which
    // the thread never reached: they run to their end, and the server still says how they ended. Before, they were
    // killed and failed, one whose test had passed said FAIL (a helper's trial of --preload on asyncer's suite).
    if (event.unsafe !== undefined) this.closed = `the fork server could not go on: ${event.unsafe}`;
    return { modules: event.preloaded, refused: event.refused, unsafe: event.unsafe ?? null };
  }

  /**
   * Starts pytest with `spec.pytestArgs` in a forked child; resolves once it runs and its output is connected.
   * Before the server is ready, only with `firstBeforeWarmUp`: the first request is then forked before the warm-up,
   * any later one once the server is ready.
   */
  launch(spec: LaunchSpec): Promise<LaunchedProcess> {
    const id = this.nextId++;
    let resolveExit!: (exit: Exit) => void;
    const exited = new Promise<Exit>((resolve) => (resolveExit = resolve));
    const launched = new Promise<LaunchedProcess>((resolveLaunch) => {
      this.pending.set(id, { spec, pid: null, output: null, resolveLaunch, resolveExit, exited, exit: null, outputWait: null });
    });
    const request = buildRunRequest({
      id,
      args: spec.pytestArgs ?? [],
      ...envChanges(this.baseEnv, this.bytecodeCache === null ? spec.env : withBytecodeCache(spec.env, this.bytecodeCache)),
      cwd: spec.cwd,
      socket: this.socketPath,
      ...(spec.stdin === "inherit" ? { stdin: "inherit" as const } : {}),
    });
    this.child.stdin?.write(encodeRequest(request));
    return launched;
  }

  /** Ends the server (no child of it runs any more by then) and removes its socket. */
  async close(): Promise<void> {
    this.died("the run ended", { startAfresh: false });
    this.child.stdin?.end();
    const exited = this.child.exited;
    const timer = setTimeout(() => {
      if (this.child.pid !== null) void killTrees([{ pid: this.child.pid, marker: null }], { graceMs: this.killGraceMs });
    }, 2_000);
    await exited;
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.socketServer.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private onEvents(child: LaunchedProcess, listener: (event: ForkServerEvent) => void): void {
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let event: ForkServerEvent;
        try {
          event = parseEvent(line);
        } catch (error) {
          // A server that says what the protocol does not allow cannot be trusted with another file.
          this.died(`the fork server broke its protocol: ${(error as Error).message}`);
          if (child.pid !== null) void killTrees([{ pid: child.pid, marker: null }], { graceMs: this.killGraceMs });
          return;
        }
        listener(event);
        this.handle(event);
      }
    });
  }

  private handle(event: ForkServerEvent): void {
    if (event.op === "preloaded") {
      this.preloadAnswer?.(event);
    } else if (event.op === "error") {
      // The server is ending (a request it could not read, a fault in its loop): no file goes to it any more.
      this.died(`the fork server failed: ${event.reason.trim().split("\n").slice(-1).join("")}`);
    } else if (event.op === "started") {
      const entry = this.pending.get(event.id);
      if (entry === undefined) return;
      entry.pid = event.pid;
      this.settleLaunch(event.id, entry);
    } else if (event.op === "exited") {
      const entry = this.pending.get(event.id);
      if (entry === undefined) return;
      entry.exit = { code: event.code ?? null, signal: (event.signal ?? null) as NodeJS.Signals | null, spawnError: null };
      entry.resolveExit(entry.exit);
      this.settleLaunch(event.id, entry);
      if (entry.resolveLaunch === null) this.pending.delete(event.id);
    }
  }

  /** The first line a child sends on its socket is its request id; the rest is its output. */
  private accept(socket: net.Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) return;
      socket.off("data", onData);
      socket.pause();
      const rest = head.subarray(newline + 1);
      if (rest.length > 0) socket.unshift(rest);
      const id = Number(head.subarray(0, newline).toString());
      const entry = this.pending.get(id);
      if (entry === undefined) {
        socket.destroy();
        return;
      }
      entry.output = socket;
      this.settleLaunch(id, entry);
    };
    socket.on("data", onData);
  }

  /**
   * Hands the launcher its process once it has both its pid and its output.
   * The server connects a child's output before it forks it, so a child that
   * started has one on the way even when its exit is heard of first (the two
   * come by different paths): the launch waits for it, for a while.
   */
  private settleLaunch(id: number, entry: Pending): void {
    if (entry.resolveLaunch === null || entry.pid === null) return;
    if (entry.output === null) {
      if (entry.exit !== null && entry.outputWait === null) {
        entry.outputWait = setTimeout(() => {
          resolveLaunch(entry);
          this.pending.delete(id);
        }, OUTPUT_AFTER_EXIT_MS);
        entry.outputWait.unref();
      }
      return;
    }
    if (entry.outputWait !== null) clearTimeout(entry.outputWait);
    resolveLaunch(entry);
    if (entry.exit !== null) this.pending.delete(id);
    else void entry.exited.then(() => this.pending.delete(id));
  }

  /**
   * The server is gone (`reason` says how). A file it had forked is ended
   * with the usual grace period and fails, its fate unknown, with the
   * reason; a file it had not forked yet never started, and is started
   * afresh instead (the server is only an optimisation), unless the run
   * itself is ending.
   */
  private died(reason: string, { startAfresh }: { startAfresh: boolean } = { startAfresh: true }): void {
    if (this.dead !== null) return;
    this.dead = reason;
    this.preloadAnswer?.(null);
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      if (entry.pid === null && entry.resolveLaunch !== null && startAfresh) {
        const resolve = entry.resolveLaunch;
        entry.resolveLaunch = null;
        void Promise.resolve(this.fallback(entry.spec)).then(resolve);
        continue;
      }
      if (entry.pid !== null) void killTrees([{ pid: entry.pid, marker: null }], { graceMs: this.killGraceMs });
      const exit: Exit = entry.pid === null ? { code: null, signal: null, spawnError: new Error(reason) } : { code: null, signal: null, spawnError: null, lost: `stopped when ${reason}` };
      entry.resolveExit(exit);
      entry.exit = exit;
      resolveLaunch(entry);
    }
  }
}

/** `-m grimoire_run_forkserver` and its options, for a server started with `env`. */
export function forkServerArgs(options: Omit<ForkServerOptions, "python" | "root" | "env" | "runId">, env: NodeJS.ProcessEnv): string[] {
  const preload = options.preload ?? [];
  const cache = options.bytecodeCache ?? null;
  return [
    "-m",
    "grimoire_run_forkserver",
    "--grace-ms",
    String(options.killGraceMs),
    ...(preload.length === 0 ? [] : ["--preload", preload.join(","), "--per-file-env", (options.perFileEnv ?? []).join(",")]),
    ...(options.firstBeforeWarmUp === true ? ["--first-before-warm-up"] : []),
    // The server's own imports keep their bytecode where its files do (pytest rewrites every module of a plugin's
    // package as it imports it), when the environment gives them no place of their own.
    ...(cache !== null && withBytecodeCache(env, cache) !== env ? ["--bytecode-cache", cache] : []),
  ];
}

/** Where a run's fork server children send their output: a Unix socket in the temp folder, removed when the server is closed. */
export function forkServerSocket(runId: string): string {
  return path.join(os.tmpdir(), `grimoire-${runId}.sock`);
}

/**
 * Hands the launcher its process, once: the child's socket as its output (it
 * sends stdout and stderr together), or no output for a child that never
 * connected one.
 */
function resolveLaunch(entry: Pending): void {
  const resolve = entry.resolveLaunch;
  if (resolve === null) return;
  entry.resolveLaunch = null;
  const stderr = new PassThrough();
  stderr.end();
  resolve({ pid: entry.pid, stdout: entry.output ?? Readable.from([]), stderr, stdin: null, exited: entry.exited });
}
