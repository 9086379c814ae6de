/**
 * Cloned PostgreSQL databases for managed isolation.
 *
 * Each test file gets `CREATE DATABASE clone TEMPLATE template`, and the clone
 * is dropped afterwards. One admin connection per run does the work, on the
 * server's maintenance database. It holds a session-level advisory lock for
 * the run's whole life: the lock is what tells another run, starting later on
 * the same server, that this run's clones are in use. A run that crashed lost
 * its lock with its connection, so its clones can be told apart and dropped.
 *
 * Identifiers always go through `escapeIdentifier` (template names may hold
 * quotes, spaces and uppercase); values always go as query parameters.
 */
import pg, { type QueryResult } from "pg";
import { EnvironmentFailure, UsageError } from "../errors.js";
import { cloneName, cloneOfTestDatabase, DATABASE_SEE, databaseName, keptName, parseCloneName, MAX_IDENTIFIER_BYTES, redactPassword, RUN_TAG, splitUrl, TEST_DATABASE_PREFIX, withDatabase } from "./databaseNames.js";

const { Client, escapeIdentifier } = pg;
type PgClient = InstanceType<typeof Client>;

/**
 * The admin connection's database: the one every server has for tools to
 * connect to. It is never the template (CREATE DATABASE refuses a template
 * anyone is connected to), and cannot be one: cloning it would end other
 * tools' sessions on it, and other runs' admin connections with their locks.
 */
const MAINTENANCE_DATABASE = "postgres";

/** Tried when `postgres` has been dropped (or is the template): `template1` always exists. */
const FALLBACK_MAINTENANCE_DATABASE = "template1";

/**
 * First key of every advisory lock grimoire-run takes: "grim" in ASCII.
 * Advisory locks are shared by every application on the server; two-key
 * locks live apart from one-key (bigint) ones, and a fixed first key keeps
 * ours apart from an application's own two-key locks.
 */
const LOCK_CLASS_ID = 0x6772696d;


/** How long to wait for the server to answer a connection before calling it unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/** `DROP DATABASE ... WITH (FORCE)` appeared in PostgreSQL 13. */
const MIN_SERVER_VERSION = 130000;

/**
 * Renaming a kept clone fails while anyone is connected; a client that
 * reconnects right after its session was terminated gets this many more tries.
 */
const RENAME_ATTEMPTS = 3;

/**
 * Added to the admin connection's URL. The URL is written for the app under
 * test, a libpq client most likely; without this, pg 8 reads
 * `sslmode=require` as verify-full (a self-signed certificate fails where
 * libpq connects) and prints a warning about it on stderr.
 */
const LIBPQ_COMPAT = "uselibpqcompat=true";

/** Where the URL came from, for messages that say what to change. */
const URL_HINT = "--database-url";

/** SQLSTATEs acted upon. */
const INVALID_CATALOG_NAME = "3D000";
const INVALID_PASSWORD = "28P01";
const INVALID_AUTHORIZATION = "28000";
const OBJECT_IN_USE = "55006";

export interface DatabaseClone {
  name: string;
  url: string;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a connection attempt failed, in words, with what to do about it. */
function connectFailure(error: unknown, where: string, url: string): UsageError {
  const code = errorCode(error);
  const message = messageOf(error);
  let reason: string;
  if (code === "ECONNREFUSED") reason = "connection refused. Is the server running?";
  else if (code === "ENOENT") reason = "no server socket there. Is the server running?";
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") reason = "unknown host. Is the host name right?";
  else if (code === INVALID_PASSWORD) reason = `${message}. Check the user and password`;
  else if (code === INVALID_AUTHORIZATION) reason = `${message}. Check the user, and the server's pg_hba.conf`;
  else if (code === "ETIMEDOUT" || /timeout/i.test(message)) reason = `no answer within ${CONNECT_TIMEOUT_MS / 1000}s. Are the host and port right, and the server reachable?`;
  else if (/SASL|password must be a string/i.test(message)) reason = "the server asks for a password and the URL gives none. Put it in the URL (postgresql://USER:PASSWORD@HOST/DATABASE) or in PGPASSWORD";
  else reason = message;
  return new UsageError(`cannot connect to PostgreSQL at ${where}: ${reason} (${URL_HINT} ${redactPassword(url)})`, DATABASE_SEE);
}

/** The URL with pg asked to read it as libpq does (see LIBPQ_COMPAT), unless it says otherwise. */
function libpqCompatible(url: string): string {
  const { head, path, tail } = splitUrl(url);
  const hash = tail.indexOf("#");
  const query = hash === -1 ? tail : tail.slice(0, hash);
  if (/[?&]uselibpqcompat=/i.test(query)) return url;
  return `${head}/${path ?? ""}${query === "" ? "?" : `${query}&`}${LIBPQ_COMPAT}`;
}

/** A client that does not crash the process if the server goes away: the error surfaces on the next query instead. */
function newClient(url: string): PgClient {
  let client: PgClient;
  try {
    client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: "grimoire-run" });
  } catch (error) {
    throw new UsageError(`the database URL ${redactPassword(url)} is not usable: ${messageOf(error)}`);
  }
  client.on("error", () => undefined);
  return client;
}

/** `host:port as user`, as pg resolved them (environment variables and defaults included). */
function describeTarget(client: PgClient): string {
  return `${client.host}:${client.port} as ${client.user ?? "?"}`;
}

async function connectAdmin(templateUrl: string, template: string): Promise<PgClient> {
  const candidates = [MAINTENANCE_DATABASE, FALLBACK_MAINTENANCE_DATABASE].filter((name) => name !== template);
  for (const [index, database] of candidates.entries()) {
    const client = newClient(libpqCompatible(withDatabase(templateUrl, database)));
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (errorCode(error) === INVALID_CATALOG_NAME && index < candidates.length - 1) continue;
      throw connectFailure(error, describeTarget(client), templateUrl);
    }
  }
  throw new UsageError(`cannot connect to PostgreSQL: neither "${MAINTENANCE_DATABASE}" nor "${FALLBACK_MAINTENANCE_DATABASE}" (other than the template) exists to connect to (${URL_HINT} ${redactPassword(templateUrl)})`, DATABASE_SEE);
}

/** An int32 lock key from a run tag (8 hex characters = 32 bits). */
function lockKey(runTag: string): number {
  return Number.parseInt(runTag, 16) | 0;
}

export class CloneManager {
  private nextNumber = 1;
  /** The last clone creation queued: creations run one at a time. */
  private creating: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  /** The last query sent: queries go one at a time (pg 8 warns about queuing them itself, pg 9 will refuse). */
  private sending: Promise<unknown> = Promise.resolve();
  /**
   * A second connection for the drops, made at the first: a `DROP DATABASE … WITH (FORCE)` waits for a checkpoint
   * (0.7 to 5.7 s on a helper's shared disk), and queued on the one connection, every clone a coming file needed waited
   * behind every drop before it (7 to 9 s between files, a helper's Django project in managed mode).
   */
  private dropper: { client: Promise<PgClient | null>; sending: Promise<unknown> } | null = null;

  private constructor(
    private readonly client: PgClient,
    private readonly templateUrl: string,
    readonly template: string,
    private readonly runTag: string,
  ) {}

  /**
   * Connects to the server's maintenance database and takes the lock that
   * marks this run alive. Every connection problem is a UsageError saying
   * what to do; the password never appears in it.
   */
  static async connect(templateUrl: string, runTag: string): Promise<CloneManager> {
    if (!RUN_TAG.test(runTag)) throw new Error(`run tag "${runTag}" is not 8 lowercase hex characters`);
    const template = databaseName(templateUrl);
    if (Buffer.byteLength(template, "utf8") > MAX_IDENTIFIER_BYTES) {
      throw new UsageError(`the template database name "${template}" is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit`);
    }
    if (template === MAINTENANCE_DATABASE) {
      throw new UsageError(`the template database cannot be "${template}", the server's maintenance database: use a database of its own (${URL_HINT} ${redactPassword(templateUrl)})`);
    }
    const client = await connectAdmin(templateUrl, template);
    let locked: boolean;
    try {
      const version = await client.query<{ server_version_num: string }>("SHOW server_version_num");
      const number = Number(version.rows[0]?.server_version_num);
      if (number < MIN_SERVER_VERSION) {
        throw new UsageError(`managed databases need PostgreSQL 13 or newer; the server at ${describeTarget(client)} is version ${number}`, DATABASE_SEE);
      }
      const lock = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked", [LOCK_CLASS_ID, lockKey(runTag)]);
      locked = lock.rows[0]?.locked === true;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (error instanceof UsageError) throw error;
      throw new UsageError(`PostgreSQL at ${describeTarget(client)}: ${messageOf(error)}`, DATABASE_SEE);
    }
    if (!locked) {
      await client.end().catch(() => undefined);
      // Only a run with the same tag holds it. Tags must be unique, or stale-clone cleanup could not tell the runs apart.
      throw new Error(`another grimoire-run with run tag ${runTag} is using this server`);
    }
    return new CloneManager(client, templateUrl, template, runTag);
  }

  /**
   * Connections the server can still give: max_connections less the clients'
   * in use and those reserved for superusers (this manager's own included in
   * use). The server's own processes (checkpointer, WAL writer, autovacuum:
   * five rows of pg_stat_activity on PostgreSQL 15) take none of them: counted,
   * a helper's server of 15 connections read as room for one clone, not two.
   */
  async freeConnections(): Promise<number> {
    const result = await this.query(
      "read max_connections",
      UsageError,
      "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS free",
    );
    return Math.max(0, Number((result.rows[0] as { free?: number } | undefined)?.free ?? 0));
  }

  async templateExists(): Promise<boolean> {
    const result = await this.query("check that the template exists", UsageError, "SELECT 1 FROM pg_database WHERE datname = $1", [this.template]);
    return result.rowCount !== null && result.rowCount > 0;
  }

  /** An empty template, for a --setup command to fill. */
  async createTemplate(): Promise<void> {
    await this.query(`create the template database "${this.template}"`, UsageError, `CREATE DATABASE ${escapeIdentifier(this.template)}`);
  }

  /**
   * Drops clones of this template left by runs no longer alive, and the test
   * databases pytest-django named after them: a clone whose run's lock can be
   * taken has no run behind it. A database that cannot be dropped (another
   * role owns it) is left and not returned: cleanup is best effort and must
   * not stop the run.
   */
  async dropStaleClones(): Promise<string[]> {
    const listed = await this.query("list databases", UsageError, "SELECT datname FROM pg_database WHERE NOT datistemplate");
    const byRun = new Map<string, string[]>();
    for (const { datname } of listed.rows as { datname: string }[]) {
      const clone = parseCloneName(this.template, datname) ?? cloneOfTestDatabase(this.template, datname);
      // Our own lock is re-entrant: taking it would "prove" our own clones stale.
      if (clone === null || clone.runTag === this.runTag) continue;
      byRun.set(clone.runTag, [...(byRun.get(clone.runTag) ?? []), datname]);
    }
    const dropped: string[] = [];
    for (const [tag, names] of byRun) {
      const taken = await this.query("check a run's lock", UsageError, "SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked", [LOCK_CLASS_ID, lockKey(tag)]);
      if ((taken.rows[0] as { locked?: boolean } | undefined)?.locked !== true) continue;
      await this.query("release a run's lock", UsageError, "SELECT pg_advisory_unlock($1::int4, $2::int4)", [LOCK_CLASS_ID, lockKey(tag)]);
      for (const name of names) {
        try {
          await this.send(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
          dropped.push(name);
        } catch {
          // Left for whoever owns it; see above.
        }
      }
    }
    return dropped;
  }

  /** A new clone of the template. Creations run one at a time: two at once from the same template can fail. */
  createClone(): Promise<DatabaseClone> {
    const name = cloneName(this.template, this.runTag, this.nextNumber++);
    const created = this.creating.then(async () => {
      await this.terminateSessions(this.template);
      await this.query(`create the database clone "${name}" from "${this.template}"`, EnvironmentFailure, `CREATE DATABASE ${escapeIdentifier(name)} TEMPLATE ${escapeIdentifier(this.template)}`);
      return { name, url: withDatabase(this.templateUrl, name) };
    });
    this.creating = created.catch(() => undefined);
    return created;
  }

  /** Drops the clone and the test databases pytest-django named after it, forcing their sessions off. Nothing happens if they are gone already. */
  async dropClone(clone: DatabaseClone): Promise<void> {
    this.checkOwnClone(clone.name);
    await this.query(`drop the database clone "${clone.name}"`, EnvironmentFailure, `DROP DATABASE IF EXISTS ${escapeIdentifier(clone.name)} WITH (FORCE)`, undefined, "drops");
    await this.dropTestDatabasesOf(clone.name);
  }

  /** A drop, on the drops' own connection (see `dropper`), one at a time there; on the main one where a second cannot be had. */
  private sendDrop(sql: string, params?: unknown[]): Promise<QueryResult> {
    if (this.closing !== null) return this.send(sql, params);
    // A second connection that cannot be had (max_connections reached) leaves the drops on the main one, as before.
    this.dropper ??= { client: connectAdmin(this.templateUrl, this.template).catch(() => null), sending: Promise.resolve() };
    const dropper = this.dropper;
    const result = dropper.sending.then(async () => {
      const client = await dropper.client;
      return client === null ? this.send(sql, params) : client.query(sql, params);
    });
    dropper.sending = result.catch(() => undefined);
    return result;
  }

  /**
   * pytest-django makes its test database from the clone's name
   * (`test_<clone>`, `test_<clone>_gw0`) and drops it at the session's end,
   * but keeps it under `--reuse-db`, and a file stopped by force never gets
   * there: named after a clone of this run, no later run would use or drop it.
   */
  private async dropTestDatabasesOf(clone: string): Promise<void> {
    const listed = await this.query(`list the test databases of "${clone}"`, EnvironmentFailure, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [TEST_DATABASE_PREFIX + clone]);
    for (const { datname } of listed.rows as { datname: string }[]) {
      if (cloneOfTestDatabase(this.template, datname)?.clone !== clone) continue;
      await this.query(`drop the test database "${datname}"`, EnvironmentFailure, `DROP DATABASE IF EXISTS ${escapeIdentifier(datname)} WITH (FORCE)`, undefined, "drops");
    }
  }

  /** Renames the clone out of stale-clone cleanup's reach, for a person to inspect; drops the test databases pytest-django named after it, which no one could find by the new name. */
  async keepClone(clone: DatabaseClone): Promise<DatabaseClone> {
    const n = this.checkOwnClone(clone.name);
    const name = keptName(this.template, this.runTag, n);
    const sql = `ALTER DATABASE ${escapeIdentifier(clone.name)} RENAME TO ${escapeIdentifier(name)}`;
    for (let attempt = 1; ; attempt++) {
      await this.terminateSessions(clone.name);
      try {
        await this.send(sql);
        await this.dropTestDatabasesOf(clone.name);
        return { name, url: withDatabase(clone.url, name) };
      } catch (error) {
        if (errorCode(error) === OBJECT_IN_USE && attempt < RENAME_ATTEMPTS) continue;
        throw new EnvironmentFailure(`cannot keep the database clone "${clone.name}" (rename to "${name}"): ${messageOf(error)}`);
      }
    }
  }

  /** Releases the lock and ends the connections, once the drops sent are done; drops nothing more. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const dropper = this.dropper;
      if (dropper !== null) {
        await dropper.sending;
        await dropper.client.then((client) => client?.end()).catch(() => undefined);
      }
      try {
        await this.send("SELECT pg_advisory_unlock($1::int4, $2::int4)", [LOCK_CLASS_ID, lockKey(this.runTag)]);
      } catch {
        // The connection is gone, and the lock with it.
      }
      await this.client.end().catch(() => undefined);
    })();
    return this.closing;
  }

  /** The clone number of one of this manager's clones; anything else is a bug, and dropping it could drop the template. */
  private checkOwnClone(name: string): number {
    const clone = parseCloneName(this.template, name);
    if (clone === null || clone.runTag !== this.runTag) throw new Error(`"${name}" is not a database clone of this run`);
    return clone.n;
  }

  /**
   * Ends every other session on a database: CREATE DATABASE refuses a
   * template anyone is connected to, and a rename a database in use. One
   * query per session, so that a session we may not end (another role's)
   * leaves the others ended and the real error comes from the next statement.
   */
  private async terminateSessions(database: string): Promise<void> {
    const sessions = await this.query(`list sessions on "${database}"`, EnvironmentFailure, "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database]);
    for (const { pid } of sessions.rows as { pid: number }[]) {
      await this.send("SELECT pg_terminate_backend($1)", [pid]).catch(() => undefined);
    }
  }

  private send(sql: string, params?: unknown[]): Promise<QueryResult> {
    const result = this.sending.then(() => this.client.query(sql, params));
    this.sending = result.catch(() => undefined);
    return result;
  }

  /** `on`: the main connection, or the drops' own (see `dropper`). */
  private async query(action: string, failure: typeof UsageError | typeof EnvironmentFailure, sql: string, params?: unknown[], on: "main" | "drops" = "main"): Promise<QueryResult> {
    try {
      return await (on === "drops" ? this.sendDrop(sql, params) : this.send(sql, params));
    } catch (error) {
      throw new failure(`PostgreSQL: cannot ${action}: ${messageOf(error)}`);
    }
  }
}
