/**
 * The project's `.env` file, read the way dotenv tools read it. Its values
 * never override the environment grimoire-run was started with.
 */
import fs from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { UsageError } from "../errors.js";

export function readDotenv(root: string): Record<string, string> {
  const file = path.join(root, ".env");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return {};
  }
  try {
    return parseEnv(text) as Record<string, string>;
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
