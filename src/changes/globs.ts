/**
 * The `changed-always` globs, matched against project paths. Pure.
 *
 * - `*` and `?` stay within one folder name; `**` as a whole name spans any
 *   number of folders; `[abc]`, `[!abc]` and `{sql,json}` as in a shell.
 * - A pattern without a `/` matches at any depth (`*.sql`); one with a `/`
 *   is anchored at the project root (`tests/fixtures/**`, `/setup.py`).
 * - A pattern that names a folder covers everything below it
 *   (`tests/fixtures` or `tests/fixtures/`).
 */

/** The first pattern a project path matches, or null. */
export function matchingGlob(patterns: readonly string[], file: string): string | null {
  for (const pattern of patterns) if (globToRegExp(pattern).test(file)) return pattern;
  return null;
}

const compiled = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  let regexp = compiled.get(pattern);
  if (regexp === undefined) {
    regexp = compile(pattern);
    compiled.set(pattern, regexp);
  }
  return regexp;
}

function compile(pattern: string): RegExp {
  let body = pattern.trim().replace(/^\.\//, "");
  const anchored = body.replace(/\/+$/, "").includes("/");
  body = body.replace(/^\/+/, "").replace(/\/+$/, "");
  const source = translate(body);
  return new RegExp(`^${anchored ? "" : "(?:.*/)?"}${source}(?:/.*)?$`, "s");
}

function translate(glob: string): string {
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === "*") {
      const atStart = i === 0 || glob[i - 1] === "/";
      let end = i;
      while (glob[end + 1] === "*") end++;
      const wholeName = end > i && atStart && (end + 1 === glob.length || glob[end + 1] === "/");
      if (wholeName && glob[end + 1] === "/") {
        out += "(?:.*/)?";
        i = end + 1;
      } else if (wholeName) {
        out += ".*";
        i = end;
      } else {
        out += "[^/]*";
        i = end;
      }
    } else if (char === "?") {
      out += "[^/]";
    } else if (char === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) {
        out += "\\[";
        continue;
      }
      let inside = glob.slice(i + 1, close);
      const negated = inside.startsWith("!") || inside.startsWith("^");
      if (negated) inside = inside.slice(1);
      out += `[${negated ? "^/" : ""}${inside.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else if (char === "{") {
      braces++;
      out += "(?:";
    } else if (char === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (char === "," && braces > 0) {
      out += "|";
    } else if (char === "\\" && i + 1 < glob.length) {
      out += escapeChar(glob[i + 1] as string);
      i++;
    } else {
      out += escapeChar(char);
    }
  }
  return out + ")".repeat(braces);
}

function escapeChar(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}

/** A list written as one string (an option's value, a variable): split at commas, except those inside `{…}`. */
export function splitList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "{") depth++;
    else if (char === "}" && depth > 0) depth--;
    if (char === "," && depth === 0) {
      items.push(current);
      current = "";
    } else current += char;
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item !== "");
}
