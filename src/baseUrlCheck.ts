/**
 * Whether the server the tests are pointed at (--base-url, E2E_BASE_URL)
 * answers at all: one TCP connection to its host and port, made while
 * pytest lists the files, so that it costs the run nothing. A server that is
 * not there is worth one clear line before the tests start, rather than a
 * connection error in every test. It never starts, stops or fails anything:
 * a fixture may yet start that server.
 */
import net from "node:net";
import { BASE_URL_PROBE_TIMEOUT_MS } from "./defaults.js";

/** Why nothing answers at the URL's host and port (ECONNREFUSED, a timeout), or null when something does. */
export function probeBaseUrl(url: string, timeoutMs = BASE_URL_PROBE_TIMEOUT_MS): Promise<string | null> {
  const parsed = new URL(url);
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
  // URL keeps an IPv6 host in brackets; connect wants it without them.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (problem: string | null): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000}s`));
    socket.once("connect", () => done(null));
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

export function unreachableWarning(url: string, from: string, problem: string): string {
  return `${from} ${url} does not answer (${problem}): tests that use it will fail unless something starts it. Start the server first, or let grimoire-run start one per file with --server.`;
}
