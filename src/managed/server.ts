/**
 * One managed app server: started on a free port in its own process group,
 * its output in its own log file, polled until it answers, and stopped as a
 * whole tree. A server that exits, or is not ready in time, is an
 * environment failure carrying its exit code and the tail of its log.
 */
import http from "node:http";
import https from "node:https";
import { EnvironmentFailure, StartCancelled } from "../errors.js";
import { launch as defaultLaunch, type Exit, type Launcher } from "../process/launch.js";
import { OutputCapture } from "../process/outputCapture.js";
import { killTrees } from "../process/processTree.js";
import { isWithin, toProjectPath } from "../projectPaths.js";
import { PortClaims, portAnswers } from "./ports.js";
import { sleep } from "../process/sleep.js";
import { SERVER_BIND_RACE_ATTEMPTS, SERVER_READY_POLL_MS, SERVER_READY_PROBE_TIMEOUT_MS } from "../defaults.js";
import { whenAborted } from "../process/aborted.js";

export interface ServerRequest {
  /** For messages: the file or slot the server is for. */
  label: string;
  /** `--server`, with `{port}` and `{slot}` still in it; run by /bin/sh. */
  command: string;
  /** `--server-ready`, placeholders included. */
  readyUrl: string;
  /** The address the tests get, placeholders included; null for the ready URL's origin. */
  baseUrl: string | null;
  slot: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `NAME=VALUE` put in the server's environment, inherited by all it starts. */
  marker: string;
  logFile: string;
  readyTimeoutMs: number;
  killGraceMs: number;
  cancel: AbortSignal;
  hurry: AbortSignal;
  /** Told when the chosen port was taken before the server could bind it, and another is tried. */
  onRetry: (message: string) => void;
}

export interface RunningServer {
  pid: number;
  port: number;
  /** Where the tests reach it: E2E_BASE_URL. */
  baseUrl: string;
  logFile: string;
  stop: () => Promise<void>;
  /** False once the server process has exited. */
  alive: () => boolean;
}

const BIND_FAILURE = /address already in use|EADDRINUSE|errno 98\b|port is already (allocated|in use)/i;

/** A port a server's message names: `('127.0.0.1', 8000)`, `127.0.0.1:8000`, `:::8000`, `Port 8000`, `port=8000`. */
const NAMED_PORT = /(?:\(\s*['"][^'"]*['"]\s*,\s*|(?:\d|\]|localhost|\*):|::|\bport\s*[:=]?\s*)(\d{3,5})\b/gi;

/**
 * The port a server that failed to bind names, where it is not the one grimoire-run gave it: it listens on a port of
 * its own (its command has no `{port}` and it does not read PORT), and what holds that port is not a race to retry.
 */
export function otherPortNamed(log: string, port: number): number | null {
  // The lines that say so, else the line after one (werkzeug's "Address already in use" / "Port 8000 is in use by …").
  const lines = log.split("\n");
  const portsIn = (text: string): number[] => [...text.matchAll(NAMED_PORT)].map((match) => Number(match[1]));
  const failing = lines.flatMap((line, i) => (BIND_FAILURE.test(line) ? [i] : []));
  const onTheLine = failing.flatMap((i) => portsIn(lines[i] ?? ""));
  const named = onTheLine.length > 0 ? onTheLine : failing.flatMap((i) => portsIn(lines[i + 1] ?? ""));
  if (named.length === 0 || named.includes(port)) return null;
  return named[0] ?? null;
}

export function fillPlaceholders(template: string, values: { port: number; slot: number }): string {
  return template.replaceAll("{port}", String(values.port)).replaceAll("{slot}", String(values.slot));
}

/** The ports of the servers this process has started and not stopped: no two of them get one port. */
const runPorts = new PortClaims();

export async function startServer(request: ServerRequest, launcher: Launcher = defaultLaunch, ports: PortClaims = runPorts): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await ports.claim();
    let outcome: StartOutcome;
    try {
      outcome = await startOnPort(request, port, launcher);
    } catch (error) {
      ports.release(port);
      throw error;
    }
    if (outcome.kind === "ready") {
      const { stop } = outcome.server;
      return { ...outcome.server, stop: () => stop().finally(() => ports.release(port)) };
    }
    ports.release(port);
    if (outcome.kind === "bind-race" && attempt < SERVER_BIND_RACE_ATTEMPTS) {
      request.onRetry(`port ${port} was taken before the server for ${request.label} could bind it; trying another port`);
      continue;
    }
    throw outcome.failure;
  }
}

type StartOutcome = { kind: "ready"; server: RunningServer } | { kind: "bind-race" | "failed"; failure: EnvironmentFailure };

async function startOnPort(request: ServerRequest, port: number, launcher: Launcher): Promise<StartOutcome> {
  const values = { port, slot: request.slot };
  const readyUrl = fillPlaceholders(request.readyUrl, values);
  const baseUrl = request.baseUrl === null ? new URL(readyUrl).origin : fillPlaceholders(request.baseUrl, values);
  const env: NodeJS.ProcessEnv = { ...request.env, PORT: String(port), PYTHONUNBUFFERED: "1" };
  const [markerName = "", ...markerValue] = request.marker.split("=");
  env[markerName] = markerValue.join("=");

  const capture = new OutputCapture({ logFile: request.logFile, mode: "lines", onOutput: () => undefined, append: true });
  const child = await launcher({ command: "/bin/sh", args: ["-c", fillPlaceholders(request.command, values)], cwd: request.cwd, env, stdin: "ignore" });
  capture.attach(child.stdout);
  capture.attach(child.stderr);

  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (pid !== null) await killTrees([{ pid, marker: request.marker }], { graceMs: request.killGraceMs, hurry: request.hurry });
    await child.exited;
    await capture.drained(1_000);
    await capture.close();
  };
  const failed = async (message: string, exit: Exit | null): Promise<EnvironmentFailure> => {
    await stop();
    const code = exit === null ? "" : exit.signal !== null ? ` (killed by ${exit.signal})` : exit.code !== null ? ` (exit code ${exit.code})` : "";
    const tail = logTail(capture.tail());
    const shown = tail === "" ? " (it printed nothing)" : `\n${tail}`;
    // As the run's other logs are named: from the project's root, when the log folder is in it.
    const log = isWithin(request.logFile, request.cwd) ? toProjectPath(request.cwd, request.logFile) : request.logFile;
    return new EnvironmentFailure(`the server for ${request.label} ${message}${code}; its log: ${log}${shown}`);
  };

  if (pid === null) return { kind: "failed", failure: await failed(`could not be started: ${String((await child.exited).spawnError?.message)}`, null) };

  const readyBy = Date.now() + request.readyTimeoutMs;
  const seen: { exit: Exit | null } = { exit: null };
  void child.exited.then((value) => (seen.exit = value));
  const cancelled = whenAborted(request.cancel);
  try {
    for (;;) {
      if (request.cancel.aborted) {
        await stop();
        throw new StartCancelled(`the run stopped while the server for ${request.label} was starting`);
      }
      if (seen.exit !== null) {
        // A process's exit is known before the last of its output is read: the "address already in use" may be in it.
        await capture.drained(1_000);
        const log = capture.tail().join("\n");
        const own = otherPortNamed(log, port);
        if (own !== null) return { kind: "failed", failure: await failed(`exited before it was ready at ${readyUrl}: port ${own}, where it tried to listen, is taken; ${ownPortAdvice(request.command, port)}`, seen.exit) };
        const raced = BIND_FAILURE.test(log) || (await portAnswers(port));
        // Said only if no other port helps either: a server that listens on a port of its own meets it taken each time.
        const why = raced && !request.command.includes("{port}") ? `: the port it tried to listen on is taken; if it is not the one grimoire-run gave it, ${ownPortAdvice(request.command, port)}` : "";
        return { kind: raced ? "bind-race" : "failed", failure: await failed(`exited before it was ready at ${readyUrl}${why}`, seen.exit) };
      }
      if (Date.now() >= readyBy) {
        const advice = request.command.includes("{port}") ? "" : ` (${ownPortAdvice(request.command, port)})`;
        return { kind: "failed", failure: await failed(`was not ready at ${readyUrl} within ${request.readyTimeoutMs / 1000}s (--server-timeout)${advice}`, null) };
      }
      if (await answers(readyUrl)) return { kind: "ready", server: { pid, port, baseUrl, logFile: request.logFile, stop, alive: () => seen.exit === null } };
      await Promise.race([sleep(SERVER_READY_POLL_MS), child.exited, cancelled.aborted]);
    }
  } finally {
    cancelled.stop();
  }
}

/** What a server must do with the port each file's server is given, for a command that may not. */
function ownPortAdvice(command: string, port: number): string {
  const given = command.includes("{port}") ? `{port} in --server, and PORT in its environment` : `PORT in its environment (--server has no {port})`;
  return `each file's server must listen on the port grimoire-run gives it, ${port} here: ${given}`;
}

/** The last lines a server or command printed, indented under the message that names its log. */
export function logTail(lines: readonly string[]): string {
  return lines
    .slice(-15)
    .map((line) => `  │ ${line}`)
    .join("\n");
}

/** Ready means any HTTP answer below 500: a 404 on `/` is a running server; a 502/503 is a proxy or framework still booting. */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.startsWith("https:") ? https.get : http.get;
    const req = get(url, { agent: false, timeout: SERVER_READY_PROBE_TIMEOUT_MS, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
  });
}
