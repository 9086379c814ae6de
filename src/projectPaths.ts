/**
 * How files are named everywhere past discovery: relative to the project
 * root, with `/`, compared by code unit so that every machine orders them
 * the same way.
 */
import path from "node:path";

export function toProjectPath(root: string, absolute: string): string {
  const relative = path.relative(root, absolute).split(path.sep).join("/");
  return relative === "" ? "." : relative;
}

/** Locale-independent, so the order is the same on every machine. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `file` is `dir` or lies below it (both absolute, or both project paths). */
export function isWithin(file: string, dir: string): boolean {
  if (dir === ".") return !file.startsWith("../") && file !== "..";
  const relative = path.relative(dir, file);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}
