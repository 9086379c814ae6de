/**
 * A throw-away PostgreSQL cluster for one test file: initdb in a temp folder,
 * a server on a free port of 127.0.0.1 with durability off (nothing here has
 * to survive a crash), removed again by `stop()`.
 *
 * The server refuses to run as root; as root, the folder belongs to the
 * `postgres` user and initdb and pg_ctl run as that user through runuser.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../src/managed/ports.js";

const run = promisify(execFile);

/** Where Debian and Ubuntu put each installed major version's server binaries. */
const POSTGRES_LIB = "/usr/lib/postgresql";

/** Tries at starting the server, each on a newly found free port. */
const START_ATTEMPTS = 3;

/** The user the server runs as when the tests run as root. */
const SERVER_USER = "postgres";

export interface Postgres {
  /** A URL for a database of this cluster, as the `postgres` superuser (trust authentication: no password needed). */
  url: (database: string) => string;
  port: number;
  /** The folder of the server's Unix socket. */
  socketDir: string;
  /** Runs one statement on the `postgres` database, on a connection of its own, and returns the rows. */
  query: <Row = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<Row[]>;
  /** The same on another database, named as it is (any characters). */
  queryIn: <Row = Record<string, unknown>>(database: string, sql: string, params?: unknown[]) => Promise<Row[]>;
  /** Stops the server at once and removes its folder. Safe to call twice. */
  stop: () => Promise<void>;
  /** How long initdb and the server's start took, in milliseconds. */
  startMs: number;
}

/** The newest installed major version's bin folder (psql is there too). */
export function postgresBin(): string {
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(POSTGRES_LIB).filter((entry) => fs.existsSync(path.join(POSTGRES_LIB, entry, "bin", "pg_ctl")));
  } catch {
    // no folder: reported below
  }
  const newest = versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))[0];
  if (newest === undefined) {
    throw new Error(`no PostgreSQL server binaries in ${POSTGRES_LIB}/*/bin: install PostgreSQL (e.g. apt-get install postgresql) to run the database tests`);
  }
  return path.join(POSTGRES_LIB, newest, "bin");
}

export async function startPostgres(options: { maxConnections?: number } = {}): Promise<Postgres> {
  const started = performance.now();
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-pg-"));
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", SERVER_USER], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", SERVER_USER], { encoding: "utf8" }).trim());
    fs.chownSync(dir, uid, gid);
  }
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "log");
  // cwd is the temp folder: initdb fails when it cannot read the current folder (root's, as `postgres`).
  const tool = async (name: string, args: string[]): Promise<void> => {
    const [command, fullArgs] = asRoot ? ["runuser", ["-u", SERVER_USER, "--", path.join(bin, name), ...args]] : [path.join(bin, name), args];
    await run(command, fullArgs, { cwd: dir });
  };
  const stopServer = (): void => {
    const [command, args] = asRoot
      ? ["runuser", ["-u", SERVER_USER, "--", path.join(bin, "pg_ctl"), "-D", dataDir, "-m", "immediate", "stop"]]
      : [path.join(bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "stop"]];
    try {
      execFileSync(command, args, { cwd: dir, stdio: "ignore" });
    } catch {
      // not running
    }
  };
  // A test process that dies without its afterAll must still not leave a server behind.
  const onExit = (): void => {
    stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  let port = 0;
  try {
    // UTF8 so that names beyond ASCII are characters the server knows; C locale so that no locale needs to be installed.
    await tool("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
    process.once("exit", onExit);
    // Another process may take the free port before the server binds it: then another port.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // pg_ctl hands these to a shell: the folder is quoted.
      const limit = options.maxConnections === undefined ? "" : ` -c max_connections=${options.maxConnections}`;
      const serverOptions = `-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off${limit}`;
      try {
        await tool("pg_ctl", ["-w", "-D", dataDir, "-l", logFile, "-o", serverOptions, "start"]);
        break;
      } catch (error) {
        if (attempt >= START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
    onExit();
    process.removeListener("exit", onExit);
    throw new Error(`could not start a test PostgreSQL cluster: ${(error as Error).message}\n${log}`);
  }
  const startMs = performance.now() - started;

  const url = (database: string): string => `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  // By name, not by URL: node-postgres does not percent-decode every name the way libpq does.
  const queryIn = async <Row,>(database: string, sql: string, params?: unknown[]): Promise<Row[]> => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end();
    }
  };
  let stopped: Promise<void> | null = null;
  return {
    url,
    port,
    socketDir: dir,
    startMs,
    query: (sql, params) => queryIn("postgres", sql, params),
    queryIn,
    stop: () => {
      stopped ??= (async () => {
        process.removeListener("exit", onExit);
        await tool("pg_ctl", ["-D", dataDir, "-m", "immediate", "stop"]).catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
