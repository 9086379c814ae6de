/** Files other programs (and concurrent runs) read: written whole or not at all. */
import fs from "node:fs";
import path from "node:path";

/**
 * Written to a temporary file and renamed over the target, so a reader never sees half a file. A link is written
 * through (the file it names is replaced, the link stays), and what is not a regular file (`/dev/null`, a pipe) is
 * written to, never replaced: `--report-json /dev/null` renamed a regular file over the device, as root, and every
 * `> /dev/null` on the machine wrote into a file after it (PostgreSQL's initdb then failed: a helper's trial).
 */
export function writeTextFile(file: string, text: string): void {
  const target = realTarget(file);
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat !== undefined && !stat.isFile()) {
    fs.writeFileSync(target, text);
    return;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, target);
}

/** The file a path names, links followed; the path itself where nothing is there yet. */
function realTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

export function writeJsonFile(file: string, value: unknown): void {
  writeTextFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
