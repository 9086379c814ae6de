/**
 * The checked settings of managed mode (--server, --database-url, --setup,
 * --teardown): plain data, read by managed/ and made by config/runConfig.ts.
 */

export interface ServerSettings {
  command: string;
  readyUrl: string;
  /** The tests' address with placeholders, or null for the ready URL's origin. */
  baseUrl: string | null;
  timeoutSeconds: number;
}

export interface DatabaseSettings {
  templateUrl: string;
  /** The variable the clone's URL is passed in, to the server and to pytest. */
  envName: string;
}

export interface ManagedSettings {
  server: ServerSettings | null;
  database: DatabaseSettings | null;
  /** One server and clone per file, or per worker slot (reused by the slot's files). */
  isolation: "file" | "slot";
  setup: string | null;
  teardown: string | null;
  keepFailed: boolean;
}
