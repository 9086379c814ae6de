/**
 * Free TCP ports for managed servers. A port is found by binding port 0 and
 * letting the kernel choose; between closing that socket and the server
 * binding it, another process may take it (a bind race), which the server
 * launcher notices and retries with a new port.
 */
import net from "node:net";

export const LOOPBACK = "127.0.0.1";

export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on the port: after a server failed to start, this tells a bind race from a broken server. */
export function portAnswers(port: number, host = LOOPBACK, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * The ports this run's servers are starting on or serving. A server that
 * takes a while to bind (an app that loads for a second first) leaves its
 * port free meanwhile, and the kernel may hand it out again: two servers of
 * the run on one port, the first to bind answering both readiness checks,
 * and a file's tests reaching another file's server until that one stops.
 */
export class PortClaims {
  private readonly held = new Set<number>();

  constructor(private readonly find: () => Promise<number> = freePort) {}

  /** A free port no server of the run holds, held until released. */
  async claim(): Promise<number> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = await this.find();
      if (!this.held.has(port)) {
        this.held.add(port);
        return port;
      }
    }
    throw new Error(`no free TCP port on ${LOOPBACK} that this run's servers do not hold already`);
  }

  release(port: number): void {
    this.held.delete(port);
  }

  get size(): number {
    return this.held.size;
  }
}
