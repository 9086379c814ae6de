/**
 * Output files and folders are checked before any test runs: a report that
 * cannot be written is bad usage (exit 2), found at once, not after an hour
 * of tests.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";

export function prepareOutputFile(flag: string, file: string): void {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new UsageError(`${flag} ${file}: cannot write in ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: is a folder, not a file`);
}

export function prepareOutputDir(flag: string, dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new UsageError(`${flag} ${dir}: cannot create or write this folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
