/**
 * The project's `.env` file, read the way dotenv tools read it. Its values
 * never override the environment grimoire-run was started with.
 */
import fs from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { UsageError } from "../errors.js";

/**
 * The `.env` file's variables; none where there is no `.env`, or it is not a regular file: a named pipe (python-dotenv
 * reads one, and its suite tests it) hung the run before its first line, and what a writer sends it once is the tests'.
 */
export function readDotenv(root: string): Record<string, string> {
  const file = path.join(root, ".env");
  let text: string;
  try {
    if (fs.statSync(file, { throwIfNoEntry: false })?.isFile() !== true) return {};
    text = fs.readFileSync(file, "utf8");
  } catch {
    return {};
  }
  try {
    // A byte-order mark (an editor's on Windows) is no part of the first key: python-dotenv reads past it too.
    return parseEnv(text.replace(/^\uFEFF/, "")) as Record<string, string>;
  } catch (error) {
    throw new UsageError(`${file}: cannot be read as a .env file: ${(error as Error).message}`);
  }
}

/** The environment, with `.env` filling only the gaps. */
export function withDotenv(env: NodeJS.ProcessEnv, dotenv: Record<string, string>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...dotenv };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return merged;
}
