/**
 * What the project's files say before pytest is asked: which files `--split`
 * must run whole, and their xdist groups. Cheap textual looks, never an import.
 */
import path from "node:path";
import picomatch from "picomatch";
import { readOrEmpty } from "./coverageAsked.js";

/**
 * Files --split must run whole: marked grimoire_serial in their source, matching a --no-split glob, or checked
 * against snapshots (below).
 */
export function unsplittable(root: string, noSplit: readonly string[], files: readonly string[]): Set<string> {
  const matches = noSplitMatcher(noSplit);
  return new Set(
    files.filter((file) => {
      if (matches(file)) return true;
      const source = readOrEmpty(path.join(root, file));
      return source.includes("grimoire_serial") || usesSnapshots(source);
    }),
  );
}

/** A test function that takes a fixture named `snapshot` (syrupy's, pytest-snapshot's), or inline-snapshot's import. */
const SNAPSHOT_FIXTURE = /\bdef\s+test\w*\s*\([^)]*\bsnapshot\b[^)]*\)/;
const INLINE_SNAPSHOT = /\bfrom\s+inline_snapshot\s+import\b|\bimport\s+inline_snapshot\b/;

/**
 * Whether a file's tests compare with snapshots a plugin keeps per file: such a plugin judges the snapshots no test
 * used by the whole file's tests, and a part of the file, which deselects the others, sees only some. syrupy then
 * reports no unused snapshot (a helper's trial: plain pytest fails, with 1 snapshot unused; the split run passed)
 * and its --snapshot-update deletes none; inline-snapshot's fix would have two parts rewrite one source file.
 */
function usesSnapshots(source: string): boolean {
  return SNAPSHOT_FIXTURE.test(source) || INLINE_SNAPSHOT.test(source);
}

/**
 * The --no-split globs as fast-glob read them from the project root (a `!`
 * pattern takes files back out), matched against the chosen files' paths
 * instead of walking the project for them. picomatch is fast-glob's own matcher.
 */
function noSplitMatcher(noSplit: readonly string[]): (file: string) => boolean {
  const strip = (pattern: string): string => pattern.replace(/^\.\//, "");
  const kept = noSplit.filter((pattern) => !pattern.startsWith("!")).map(strip);
  const dropped = noSplit.filter((pattern) => pattern.startsWith("!")).map((pattern) => strip(pattern.slice(1)));
  if (kept.length === 0) return () => false;
  const keep = picomatch(kept, { dot: true });
  const drop = dropped.length === 0 ? () => false : picomatch(dropped, { dot: true });
  return (file) => keep(file) && !drop(file);
}


/** `xdist_group("db")`, `xdist_group(name='db')`, `xdist_group(name=DB_GROUP)`: the literal, or the name of what holds it. */
const XDIST_GROUP = /xdist_group\(\s*(?:name\s*=\s*)?(?:"([^"\n]*)"|'([^'\n]*)'|([A-Za-z_][\w.]*))/g;

/**
 * The groups each file's tests are put in by pytest-xdist's `xdist_group` marks, read from its source (a mark a
 * conftest adds while collecting is not seen): files of one group never run at the same time, as `--dist loadgroup`
 * keeps a group's tests in one worker, one after another. Files with no mark are left out.
 */
export function xdistGroups(root: string, files: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const source = readOrEmpty(path.join(root, file));
    if (!source.includes("xdist_group")) continue;
    const names = new Set([...source.matchAll(XDIST_GROUP)].map((match) => match[1] ?? match[2] ?? match[3] ?? ""));
    if (names.size > 0) groups.set(file, [...names].sort());
  }
  return groups;
}
