/**
 * Database clones on a real, throw-away PostgreSQL cluster (one for the file).
 */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentFailure, UsageError } from "../../src/errors.js";
import { CloneManager } from "../../src/managed/database.js";
import { withDatabase } from "../../src/managed/databaseNames.js";
import { freePort } from "../../src/managed/ports.js";
import { postgresBin, startPostgres, type Postgres } from "../helpers/postgres.js";
import { until } from "../helpers/project.js";

const run = promisify(execFile);

let cluster: Postgres;
const managers: CloneManager[] = [];

const TEMPLATE = "app_template";
const ROWS = ["apple", "banana", "cherry"];

const newTag = (): string => crypto.randomBytes(4).toString("hex");

async function manager(template = TEMPLATE, tag = newTag()): Promise<CloneManager> {
  const made = await CloneManager.connect(cluster.url(template), tag);
  managers.push(made);
  return made;
}

/** A connection to one database by name (not by URL: node-postgres does not decode every percent-encoded name the way libpq does). */
async function inDatabase<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: "127.0.0.1", port: cluster.port, user: "postgres", database });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const items = (database: string): Promise<string[]> =>
  inDatabase(database, async (client) => (await client.query<{ name: string }>("SELECT name FROM items ORDER BY name")).rows.map((row) => row.name));

async function listDatabases(): Promise<string[]> {
  return (await cluster.query<{ datname: string }>("SELECT datname FROM pg_database")).map((row) => row.datname);
}

async function fillTemplate(database: string): Promise<void> {
  await inDatabase(database, async (client) => {
    await client.query("CREATE TABLE items (name text)");
    await client.query("INSERT INTO items SELECT unnest($1::text[])", [ROWS]);
  });
}

/** What a libpq client (psql here; psycopg in a Python app) sees at a URL. */
async function currentDatabaseAt(url: string): Promise<string> {
  const { stdout } = await run(path.join(postgresBin(), "psql"), ["-X", "-tA", "-d", url, "-c", "SELECT current_database()"]);
  return stdout.replace(/\n$/, "");
}

/** The pid of the session holding a run's lock, or null. */
async function lockHolder(tag: string): Promise<number | null> {
  const rows = await cluster.query<{ pid: number }>(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted",
    [0x6772696d, Number.parseInt(tag, 16)],
  );
  return rows[0]?.pid ?? null;
}

beforeAll(async () => {
  cluster = await startPostgres();
  await cluster.query(`CREATE DATABASE ${TEMPLATE}`);
  await fillTemplate(TEMPLATE);
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((made) => made.close()));
});

afterAll(async () => {
  await cluster?.stop();
});

describe("database clones", () => {
  it("gives a clone the template's rows, at a URL that leads to it", async () => {
    const databases = await manager();
    const clone = await databases.createClone();
    expect(clone.name).toMatch(/^app_template_grimoire_[0-9a-f]{8}_1$/);
    expect(clone.url).toBe(cluster.url(clone.name));
    expect(await items(clone.name)).toEqual(ROWS);
    expect(await currentDatabaseAt(clone.url)).toBe(clone.name);
  });

  it("keeps writes to a clone out of the template and out of other clones", async () => {
    const databases = await manager();
    const [first, second] = [await databases.createClone(), await databases.createClone()];
    await inDatabase(first.name, (client) => client.query("INSERT INTO items VALUES ('durian')"));
    await inDatabase(second.name, (client) => client.query("DELETE FROM items WHERE name = 'apple'"));
    expect(await items(first.name)).toEqual([...ROWS, "durian"]);
    expect(await items(second.name)).toEqual(["banana", "cherry"]);
    expect(await items(TEMPLATE)).toEqual(ROWS);
  });

  it("drops a clone, sessions and all, and does not mind dropping it again", async () => {
    const databases = await manager();
    const clone = await databases.createClone();
    const session = new pg.Client({ host: "127.0.0.1", port: cluster.port, user: "postgres", database: clone.name });
    session.on("error", () => undefined);
    await session.connect();
    await databases.dropClone(clone);
    expect(await listDatabases()).not.toContain(clone.name);
    await databases.dropClone(clone);
    await expect(session.query("SELECT 1")).rejects.toThrow();
    await session.end().catch(() => undefined);
  });

  it("drops the test databases pytest-django named after the clone with it, and no other", async () => {
    const databases = await manager();
    const [clone, neighbour] = [await databases.createClone(), await databases.createClone()];
    // What pytest-django leaves under --reuse-db, or when its file is killed: its own name, and a worker slot's.
    const derived = [`test_${clone.name}`, `test_${clone.name}_gw1`];
    const others = [`test_${neighbour.name}`, `test_${clone.name}0`, `test_${clone.name}_backup`];
    for (const name of [...derived, ...others]) await cluster.query(`CREATE DATABASE "${name}"`);
    await databases.dropClone(clone);
    const existing = await listDatabases();
    for (const name of [clone.name, ...derived]) expect(existing).not.toContain(name);
    expect(existing).toEqual(expect.arrayContaining([neighbour.name, ...others]));
    // A kept clone's test databases go too: no one could find them by the kept name.
    await cluster.query(`CREATE DATABASE "test_${neighbour.name}_gw0"`);
    const kept = await databases.keepClone(neighbour);
    const after = await listDatabases();
    expect(after).toContain(kept.name);
    expect(after).not.toEqual(expect.arrayContaining([`test_${neighbour.name}`]));
    expect(after).not.toEqual(expect.arrayContaining([`test_${neighbour.name}_gw0`]));
    for (const name of [kept.name, `test_${clone.name}0`, `test_${clone.name}_backup`]) await cluster.query(`DROP DATABASE "${name}"`);
  });

  it("refuses to drop a database that is not one of its clones", async () => {
    const databases = await manager();
    await expect(databases.dropClone({ name: TEMPLATE, url: cluster.url(TEMPLATE) })).rejects.toThrow(/not a database clone of this run/);
    const other = await (await manager()).createClone();
    await expect(databases.dropClone(other)).rejects.toThrow(/not a database clone of this run/);
    expect(await listDatabases()).toEqual(expect.arrayContaining([TEMPLATE, other.name]));
  });

  it("creates six clones asked for at once, one after the other", async () => {
    const databases = await manager();
    const clones = await Promise.all(Array.from({ length: 6 }, () => databases.createClone()));
    expect(clones.map((clone) => Number(clone.name.split("_").at(-1)))).toEqual([1, 2, 3, 4, 5, 6]);
    const existing = await listDatabases();
    for (const clone of clones) {
      expect(existing).toContain(clone.name);
      expect(await items(clone.name)).toEqual(ROWS);
    }
    await Promise.all(clones.map((clone) => databases.dropClone(clone)));
    expect(await listDatabases()).not.toEqual(expect.arrayContaining([clones[0]?.name]));
  });

  it("ends other sessions on the template, which CREATE DATABASE would refuse", async () => {
    const session = new pg.Client({ host: "127.0.0.1", port: cluster.port, user: "postgres", database: TEMPLATE });
    let lost: Error | null = null;
    session.on("error", (error) => (lost = error));
    await session.connect();
    const databases = await manager();
    const clone = await databases.createClone();
    expect(await items(clone.name)).toEqual(ROWS);
    await expect(session.query("SELECT 1")).rejects.toThrow();
    expect(lost).not.toBeNull();
    await session.end().catch(() => undefined);
  });

  it("fails a clone of a template that does not exist with PostgreSQL's message", async () => {
    const databases = await manager("no_such_template");
    expect(await databases.templateExists()).toBe(false);
    const failure = await databases.createClone().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EnvironmentFailure);
    expect((failure as Error).message).toMatch(/template database "no_such_template" does not exist/);
    // A failed creation does not block the ones after it.
    await databases.createTemplate();
    expect(await databases.createClone()).toMatchObject({ name: expect.stringMatching(/_2$/) });
  });

  it("creates the template when asked, and says so when it exists already", async () => {
    const databases = await manager("fresh_template");
    expect(await databases.templateExists()).toBe(false);
    await databases.createTemplate();
    expect(await databases.templateExists()).toBe(true);
    await expect(databases.createTemplate()).rejects.toThrow(UsageError);
    await expect(databases.createTemplate()).rejects.toThrow(/already exists/);
  });

  it("keeps a clone under a name stale-clone cleanup leaves alone", async () => {
    const databases = await manager();
    const clone = await databases.createClone();
    await inDatabase(clone.name, (client) => client.query("INSERT INTO items VALUES ('evidence')"));
    const session = new pg.Client({ host: "127.0.0.1", port: cluster.port, user: "postgres", database: clone.name });
    session.on("error", () => undefined);
    await session.connect();
    const kept = await databases.keepClone(clone);
    expect(kept.name).toBe(clone.name.replace("_grimoire_", "_grimoire_kept_"));
    expect(kept.url).toBe(cluster.url(kept.name));
    const existing = await listDatabases();
    expect(existing).toContain(kept.name);
    expect(existing).not.toContain(clone.name);
    expect(await items(kept.name)).toEqual([...ROWS, "evidence"]);
    await expect(session.query("SELECT 1")).rejects.toThrow();
    await session.end().catch(() => undefined);
    await cluster.query(`DROP DATABASE "${kept.name}"`);
  });

  it("closes twice without complaint, dropping nothing", async () => {
    const databases = await manager();
    const clone = await databases.createClone();
    await databases.close();
    await databases.close();
    expect(await listDatabases()).toContain(clone.name);
    await cluster.query(`DROP DATABASE "${clone.name}"`);
  });
});

describe("clones of runs that are gone", () => {
  it("drops the clones of dead runs only: not a live run's, not kept ones, not its own", async () => {
    const template = "stale_template";
    await cluster.query(`CREATE DATABASE ${template}`);
    // A run that ended without dropping its clones.
    const closed = await manager(template);
    const closedClones = [await closed.createClone(), await closed.createClone()];
    const keptClone = await closed.keepClone(await closed.createClone());
    await closed.close();
    // A run whose connection the server ended (a crash, as far as the server can tell).
    const crashedTag = newTag();
    const crashed = await manager(template, crashedTag);
    const crashedClone = await crashed.createClone();
    const holder = await lockHolder(crashedTag);
    expect(holder).not.toBeNull();
    await cluster.query("SELECT pg_terminate_backend($1)", [holder]);
    await until(async () => (await lockHolder(crashedTag)) === null, "the crashed run's lock is released");
    // A run still going.
    const liveTag = newTag();
    const live = await manager(template, liveTag);
    const liveClone = await live.createClone();
    // Look-alikes that are not clones of this template.
    const otherTemplateClone = `other_grimoire_${newTag()}_1`;
    await cluster.query(`CREATE DATABASE ${otherTemplateClone}`);
    // Test databases pytest-django named after clones: a dead run's go with its clones, a live run's stay.
    const staleTestDatabases = [`test_${closedClones[0]?.name}`, `test_${crashedClone.name}_gw1`];
    const liveTestDatabase = `test_${liveClone.name}_gw0`;
    for (const name of [...staleTestDatabases, liveTestDatabase]) await cluster.query(`CREATE DATABASE "${name}"`);

    const cleaner = await manager(template);
    const ownClone = await cleaner.createClone();
    const dropped = await cleaner.dropStaleClones();

    expect(dropped.sort()).toEqual([...closedClones.map((clone) => clone.name), crashedClone.name, ...staleTestDatabases].sort());
    const existing = await listDatabases();
    expect(existing).toEqual(expect.arrayContaining([keptClone.name, liveClone.name, liveTestDatabase, ownClone.name, otherTemplateClone, template]));
    for (const name of dropped) expect(existing).not.toContain(name);
    // The live run's lock was not disturbed, and the live run carries on.
    expect(await lockHolder(liveTag)).not.toBeNull();
    expect(await live.createClone()).toMatchObject({ name: expect.stringMatching(/_2$/) });
    expect(await cleaner.dropStaleClones()).toEqual([]);
    // The crashed run's manager closes quietly on its dead connection.
    await crashed.close();
  });

  it("refuses a second live run with the same tag, whose clones it could not tell apart", async () => {
    const tag = newTag();
    await manager(TEMPLATE, tag);
    await expect(CloneManager.connect(cluster.url(TEMPLATE), tag)).rejects.toThrow(/run tag/);
  });
});

describe("template names that need quoting", () => {
  for (const template of [`we"ird 'name`, `x"; DROP DATABASE postgres; --`, "Mixed Case-ünï😀"]) {
    it(`works end to end for ${JSON.stringify(template)}`, async () => {
      const databases = await manager(template);
      expect(databases.template).toBe(template);
      expect(await databases.templateExists()).toBe(false);
      await databases.createTemplate();
      expect(await databases.templateExists()).toBe(true);
      await fillTemplate(template);
      const clone = await databases.createClone();
      expect(clone.name.startsWith(template)).toBe(true);
      expect(await items(clone.name)).toEqual(ROWS);
      expect(await currentDatabaseAt(clone.url)).toBe(clone.name);
      const kept = await databases.keepClone(await databases.createClone());
      expect(await currentDatabaseAt(kept.url)).toBe(kept.name);
      await databases.dropClone(clone);
      expect(await databases.dropStaleClones()).toEqual([]);
      const existing = await listDatabases();
      expect(existing).toEqual(expect.arrayContaining(["postgres", template, kept.name]));
      expect(existing).not.toContain(clone.name);
    });
  }
});

describe("connecting", () => {
  it("says the server is not there, without the password", async () => {
    const closedPort = await freePort();
    const url = `postgresql://postgres:hunter2@127.0.0.1:${closedPort}/app_template`;
    const failure = await CloneManager.connect(url, newTag()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UsageError);
    const message = (failure as Error).message;
    expect(message).toContain(`cannot connect to PostgreSQL at 127.0.0.1:${closedPort} as postgres: connection refused. Is the server running?`);
    expect(message).toContain(`postgresql://postgres:***@127.0.0.1:${closedPort}/app_template`);
    expect(message).not.toContain("hunter2");
  });

  it("says which user the server refused", async () => {
    const url = withDatabase(cluster.url(TEMPLATE).replace("postgres@", "nobody:hunter2@"), TEMPLATE);
    const failure = await CloneManager.connect(url, newTag()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UsageError);
    expect((failure as Error).message).toMatch(/as nobody: role "nobody" does not exist\. Check the user/);
    expect((failure as Error).message).not.toContain("hunter2");
  });

  it("connects through a Unix socket given as ?host=, and says when there is none", async () => {
    const url = `postgresql://postgres@/${TEMPLATE}?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}`;
    const viaSocket = await CloneManager.connect(url, newTag());
    managers.push(viaSocket);
    expect(await viaSocket.templateExists()).toBe(true);
    const clone = await viaSocket.createClone();
    expect(clone.url).toBe(url.replace(`/${TEMPLATE}?`, `/${clone.name}?`));
    expect(await currentDatabaseAt(clone.url)).toBe(clone.name);
    const failure = await CloneManager.connect(`postgresql://postgres@/${TEMPLATE}?host=/nonexistent`, newTag()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UsageError);
    expect((failure as Error).message).toMatch(/at \/nonexistent:5432 as postgres: no server socket there\. Is the server running\?/);
  });

  it("keeps the URL's query in clone URLs, and reads sslmode as libpq does, without warnings", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on("warning", onWarning);
    try {
      const query = "?sslmode=disable&application_name=the_app";
      const withQuery = await CloneManager.connect(`${cluster.url(TEMPLATE)}${query}`, newTag());
      managers.push(withQuery);
      const clone = await withQuery.createClone();
      expect(clone.url).toBe(`${cluster.url(clone.name)}${query}`);
      expect(await currentDatabaseAt(clone.url)).toBe(clone.name);
      // libpq's sslmode=require: encryption wanted, certificate not checked. This server has no SSL at all.
      const failure = await CloneManager.connect(`${cluster.url(TEMPLATE)}?sslmode=require`, newTag()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(UsageError);
      expect((failure as Error).message).toMatch(/does not support SSL/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("refuses a bad URL, or the maintenance database as the template", async () => {
    await expect(CloneManager.connect("mysql://root@localhost/app", newTag())).rejects.toThrow(UsageError);
    await expect(CloneManager.connect(cluster.url("postgres"), newTag())).rejects.toThrow(/cannot be "postgres"/);
    await expect(CloneManager.connect(cluster.url("t".repeat(64)), newTag())).rejects.toThrow(/63-byte/);
  });

  it("falls back to template1 when the postgres database is gone", async () => {
    await inDatabase("template1", (client) => client.query("DROP DATABASE postgres WITH (FORCE)"));
    try {
      const databases = await CloneManager.connect(cluster.url(TEMPLATE), newTag());
      try {
        const clone = await databases.createClone();
        expect(await items(clone.name)).toEqual(ROWS);
        await databases.dropClone(clone);
      } finally {
        await databases.close();
      }
    } finally {
      await inDatabase("template1", (client) => client.query("CREATE DATABASE postgres TEMPLATE template0"));
    }
  });
});
