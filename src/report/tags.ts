/**
 * Short, unique tags for output lines: `tests/e2e/test_login.py` is `login`,
 * unless another file is also `login`, in which case the parent folders that
 * tell them apart are added (`e2e/login`, `http/login`); a tag longer than
 * the width loses its middle. A package's `__init__.py` starts with its
 * package's folder (`pkg/__init__`): every package has one, and its doctests
 * are the package's.
 */
import { MAX_TAG_WIDTH } from "../defaults.js";

export function assignTags(paths: readonly string[], maxWidth = MAX_TAG_WIDTH): Map<string, string> {
  const parts = new Map(paths.map((p) => [p, p.split("/")]));
  const depth = new Map(paths.map((p) => [p, /(^|\/)__init__\.py$/.test(p) ? 2 : 1]));
  const tagOf = (p: string): string => {
    const segments = parts.get(p) as string[];
    const d = Math.min(depth.get(p) as number, segments.length);
    const head = segments.slice(segments.length - d, -1);
    return [...head, shortName(segments[segments.length - 1] as string)].join("/");
  };

  for (let changed = true; changed; ) {
    changed = false;
    const holders = new Map<string, string[]>();
    for (const p of paths) {
      const tag = tagOf(p);
      holders.set(tag, [...(holders.get(tag) ?? []), p]);
    }
    for (const group of holders.values()) {
      if (group.length < 2) continue;
      for (const p of group) {
        if ((depth.get(p) as number) < (parts.get(p) as string[]).length) {
          depth.set(p, (depth.get(p) as number) + 1);
          changed = true;
        }
      }
    }
  }

  const tags = new Map<string, string>();
  const used = new Set<string>();
  for (const p of paths) {
    let tag = tagOf(p);
    if (tag.length > maxWidth) tag = cutMiddle(tag, maxWidth);
    for (let n = 2; used.has(tag); n++) tag = `${tag.slice(0, maxWidth - String(n).length - 1)}~${n}`;
    used.add(tag);
    tags.set(p, tag);
  }
  return tags;
}

/**
 * A pack's tag: its first file's, and how many others share the process (`cart+3`), within the width the single
 * files' tags take (where that leaves room for the count and a letter): a pack's `add_opti…backtrace+15 |` stood out
 * of the column of `|`s (a helper's trial of loguru). The tag loses its middle, as a long one does.
 */
export function packTag(tag: string, others: number, width: number): string {
  return withSuffix(tag, `+${others}`, width);
}

/**
 * A split file's part's tag: the file's, and the part's number (`switch_mode#2`), within the width as a pack's is: the
 * parts run side by side, and their lines under one tag could not be told apart (a helper's trial of pytest-aiohttp).
 */
export function partTag(tag: string, index: number, width: number): string {
  return withSuffix(tag, `#${index + 1}`, width);
}

function withSuffix(tag: string, suffix: string, width: number): string {
  if (tag.length + suffix.length <= width || width < suffix.length + 2) return `${tag}${suffix}`;
  return `${cutMiddle(tag, width - suffix.length)}${suffix}`;
}

/**
 * A tag too long for the width loses its middle: its start is the folder that
 * tells it from a file of the same name (`postgresql/connection_pool` and
 * `mysql/connection_pool` cut from the left were both `…l/connection_pool`),
 * its end the end of the file's name.
 */
function cutMiddle(tag: string, width: number): string {
  const front = Math.floor((width - 1) / 2);
  return `${tag.slice(0, front)}…${tag.slice(tag.length - (width - 1 - front))}`;
}

/** `test_login.py` and `login_test.py` are both `login`; other names lose only `.py`. */
function shortName(file: string): string {
  const stem = file.replace(/\.py$/, "");
  const short = stem.replace(/^test_/, "").replace(/_test$/, "");
  return short === "" ? stem : short;
}
