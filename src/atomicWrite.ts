/** Files other programs (and concurrent runs) read: written whole or not at all. */
import fs from "node:fs";
import path from "node:path";

/** Written to a temporary file and renamed over the target, so a reader never sees half a file. */
export function writeTextFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

export function writeJsonFile(file: string, value: unknown): void {
  writeTextFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
