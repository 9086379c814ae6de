/**
 * The imports a Python module's source names, read without running Python:
 * `import a.b`, `import a.b as c`, `from a.b import c`, relative imports,
 * imports in functions, in `try`/`except` and after `if …:` on one line,
 * literal dynamic imports (`importlib.import_module("a.b")`,
 * `__import__("a.b")`, `pytest.importorskip("a.b")`, `runpy.run_module("a.b")`),
 * `pytest_plugins` lists, and a package's `__all__` (below). Pure: source text in,
 * plain data out. It never decides where a module lives (importGraph.ts
 * does): what it cannot see statically (a computed module name) it leaves
 * out rather than guessing.
 */

export interface ImportRef {
  /** The dotted module name as written, without leading dots; "" for `from . import x`. */
  module: string;
  /** How many leading dots: 0 for an absolute import. */
  level: number;
  /** For `from M import a, b`: a and b, each of which may be a submodule of M. Empty for `import M` and `from M import *`. */
  names: string[];
}

/** Calls whose first argument, a string literal, is a module imported (or run) at run time. */
const DYNAMIC_IMPORTS = new Set(["import_module", "__import__", "importorskip", "run_module"]);

/**
 * The code of a doctest text file's examples (an `.rst` or `.txt` pytest's doctest plugin collects): each `>>> ` line
 * and its `... ` continuations, prompts taken off, as Python source for parseImports. Other lines (prose, expected
 * output) become blank lines.
 */
export function doctestSource(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => /^\s*(?:>>>|\.\.\.)(?: |$)(.*)$/.exec(line)?.[1] ?? "")
    .join("\n");
}

/**
 * The imports of one module's source, each once, in the order they first appear.
 *
 * `packageInit`: the source is a package's `__init__.py`, whose `__all__`
 * names are read as `from . import name`: `from package import *` imports
 * each submodule `__all__` names (a helper's trial: a test star-importing a
 * package was never selected by a change to such a submodule, a false
 * green). Read for every importer of the package, which may select a test
 * that does not star-import it; never one too few.
 */
export function parseImports(source: string, packageInit = false): ImportRef[] {
  const found = new Map<string, ImportRef>();
  const add = (ref: ImportRef): void => {
    const key = `${ref.level}:${ref.module}:${ref.names.join(",")}`;
    if (!found.has(key)) found.set(key, ref);
  };
  for (const tokens of logicalLines(source)) importsOfLine(tokens, add, packageInit);
  return [...found.values()];
}

/**
 * A token is a name, a one-character operator, `"` followed by a plain
 * string literal's text, or `~` for any other string (f-strings, strings
 * with escapes or spread over lines: never a module name).
 */
type Token = string;

function importsOfLine(tokens: Token[], add: (ref: ImportRef) => void, packageInit: boolean): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    // After `:` (`try: import x`) or `;`, a keyword can only start a statement.
    const statementStart = i === 0 || tokens[i - 1] === ":" || tokens[i - 1] === ";";
    if (statementStart && token === "import") i = readImport(tokens, i + 1, add);
    else if (statementStart && token === "from") i = readFrom(tokens, i + 1, add);
    else if (statementStart && token === "pytest_plugins" && tokens[i + 1] === "=") i = readPlugins(tokens, i + 2, add);
    else if (statementStart && packageInit && token === "__all__" && (tokens[i + 1] === "=" || (tokens[i + 1] === "+" && tokens[i + 2] === "="))) i = readAll(tokens, i + (tokens[i + 1] === "=" ? 2 : 3), add);
    else if (DYNAMIC_IMPORTS.has(token) && tokens[i + 1] === "(") {
      const literal = tokens[i + 2];
      if (literal !== undefined && literal.startsWith('"') && isDotted(literal.slice(1))) add({ module: literal.slice(1), level: 0, names: [] });
    }
  }
}

/** `import a.b as c, d`: returns the index of the last token read. */
function readImport(tokens: Token[], start: number, add: (ref: ImportRef) => void): number {
  let i = start;
  for (;;) {
    const name = readDotted(tokens, i);
    if (name === null) return i - 1;
    add({ module: name.text, level: 0, names: [] });
    i = name.end;
    if (tokens[i] === "as") i += 2;
    if (tokens[i] !== ",") return i - 1;
    i++;
  }
}

/** `from ..a.b import (c as d, e)`: returns the index of the last token read. */
function readFrom(tokens: Token[], start: number, add: (ref: ImportRef) => void): number {
  let i = start;
  let level = 0;
  while (tokens[i] === ".") {
    level++;
    i++;
  }
  let module = "";
  const name = tokens[i] === "import" ? null : readDotted(tokens, i);
  if (name !== null) {
    module = name.text;
    i = name.end;
  }
  if (tokens[i] !== "import" || (level === 0 && module === "")) return i;
  i++;
  if (tokens[i] === "(") i++;
  const names: string[] = [];
  if (tokens[i] === "*") i++;
  else {
    while (tokens[i] !== undefined && isIdentifier(tokens[i] as string)) {
      names.push(tokens[i] as string);
      i++;
      if (tokens[i] === "as") i += 2;
      if (tokens[i] !== ",") break;
      i++;
    }
  }
  add({ module, level, names });
  return i - 1;
}

/** `pytest_plugins = "a.b"` or `["a.b", "c"]` (or a tuple): each is a module pytest imports. */
function readPlugins(tokens: Token[], start: number, add: (ref: ImportRef) => void): number {
  let i = start;
  if (tokens[i] === "[" || tokens[i] === "(") i++;
  while ((tokens[i] ?? "").startsWith('"')) {
    const module = (tokens[i] as string).slice(1);
    if (isDotted(module)) add({ module, level: 0, names: [] });
    i++;
    if (tokens[i] !== ",") break;
    i++;
  }
  return i - 1;
}

/** A package's `__all__ = ["a", "b"]` (or `+=`, a tuple): read as `from . import a, b`, each maybe a submodule. */
function readAll(tokens: Token[], start: number, add: (ref: ImportRef) => void): number {
  let i = start;
  if (tokens[i] !== "[" && tokens[i] !== "(") return i - 1;
  i++;
  const names: string[] = [];
  while ((tokens[i] ?? "").startsWith('"')) {
    const name = (tokens[i] as string).slice(1);
    if (isIdentifier(name)) names.push(name);
    i++;
    if (tokens[i] !== ",") break;
    i++;
  }
  if (names.length > 0) add({ module: "", level: 1, names });
  return i - 1;
}

function readDotted(tokens: Token[], start: number): { text: string; end: number } | null {
  const first = tokens[start];
  if (first === undefined || !isIdentifier(first)) return null;
  let text = first;
  let i = start + 1;
  while (tokens[i] === "." && tokens[i + 1] !== undefined && isIdentifier(tokens[i + 1] as string)) {
    text += `.${tokens[i + 1] as string}`;
    i += 2;
  }
  return { text, end: i };
}

const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;
const DOTTED = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;

function isIdentifier(token: string): boolean {
  return IDENTIFIER.test(token);
}

function isDotted(text: string): boolean {
  return DOTTED.test(text);
}

const NEWLINE = 10;
const HASH = 35;
const BACKSLASH = 92;
const QUOTE = 34;
const APOSTROPHE = 39;

function isNameStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code > 127;
}

function isNamePart(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

/**
 * The source as logical lines of tokens: a statement spread over lines by
 * brackets or a backslash is one line; comments are gone; strings are single
 * tokens, so that "import" inside one is never read as a statement.
 */
function* logicalLines(source: string): Generator<Token[]> {
  let tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const length = source.length;
  while (i < length) {
    const code = source.charCodeAt(i);
    if (code === NEWLINE) {
      if (depth === 0 && tokens.length > 0) {
        yield tokens;
        tokens = [];
      }
      i++;
    } else if (code === 32 || code === 9 || code === 13 || code === 12) {
      i++;
    } else if (code === HASH) {
      const end = source.indexOf("\n", i);
      i = end < 0 ? length : end;
    } else if (code === BACKSLASH) {
      // A line continuation (or a stray backslash): either way, not the end of a statement.
      i += source.charCodeAt(i + 1) === 13 ? 3 : 2;
    } else if (code === QUOTE || code === APOSTROPHE) {
      const string = readString(source, i, "");
      tokens.push(string.token);
      i = string.end;
    } else if (isNameStart(code)) {
      let end = i + 1;
      while (end < length && isNamePart(source.charCodeAt(end))) end++;
      const quote = source.charCodeAt(end);
      const prefix = source.slice(i, end);
      if ((quote === QUOTE || quote === APOSTROPHE) && /^(?:[rRbBuUfFtT]|[rR][bBfFtT]|[bBfFtT][rR])$/.test(prefix)) {
        const string = readString(source, end, prefix.toLowerCase());
        tokens.push(string.token);
        i = string.end;
      } else {
        tokens.push(prefix);
        i = end;
      }
    } else if (code >= 48 && code <= 57) {
      let end = i + 1;
      while (end < length && (isNamePart(source.charCodeAt(end)) || source.charCodeAt(end) === 46)) end++;
      tokens.push("0");
      i = end;
    } else {
      const char = source[i] as string;
      if (char === "(" || char === "[" || char === "{") depth++;
      else if ((char === ")" || char === "]" || char === "}") && depth > 0) depth--;
      tokens.push(char);
      i++;
    }
  }
  if (tokens.length > 0) yield tokens;
}

/**
 * The string literal opening at `start` (its quote), with its prefix in
 * lower case. f-strings (and 3.14's t-strings) may hold nested strings and
 * brackets in their replacement fields, which are skipped whole.
 */
function readString(source: string, start: number, prefix: string): { token: Token; end: number } {
  const quote = source[start] as string;
  const triple = source.startsWith(quote.repeat(3), start);
  const closing = triple ? quote.repeat(3) : quote;
  const formatted = prefix.includes("f") || prefix.includes("t");
  const raw = prefix.includes("r");
  let i = start + closing.length;
  let plain = !formatted && !prefix.includes("b");
  while (i < source.length) {
    const char = source[i] as string;
    if (char === "\\" && !raw) {
      plain = false;
      i += 2;
    } else if (char === "\\") {
      i += 2;
    } else if (!triple && char === "\n") {
      // An unterminated string ends at the line's end, as Python's tokenizer gives up there.
      return { token: "~", end: i };
    } else if (source.startsWith(closing, i)) {
      const end = i + closing.length;
      if (!plain || triple) return { token: "~", end };
      return { token: `"${source.slice(start + 1, i)}`, end };
    } else if (formatted && char === "{") {
      if (source[i + 1] === "{") i += 2;
      else i = skipField(source, i + 1);
    } else {
      i++;
    }
  }
  return { token: "~", end: source.length };
}

/** An f-string's replacement field, from just after its `{` to just after its `}`. */
function skipField(source: string, start: number): number {
  let depth = 1;
  let i = start;
  while (i < source.length) {
    const code = source.charCodeAt(i);
    if (code === QUOTE || code === APOSTROPHE) {
      i = readString(source, i, "").end;
      continue;
    }
    const char = source[i] as string;
    if (char === "{" || char === "(" || char === "[") depth++;
    else if (char === "}" || char === ")" || char === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}
