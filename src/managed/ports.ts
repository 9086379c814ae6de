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
