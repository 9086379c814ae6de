/**
 * The project's `.env` file, read as python-dotenv reads it (the Python web team's `.env` is python-dotenv's: its
 * tests, its app and grimoire-run should agree on every value). Its values never override the environment
 * grimoire-run was started with.
 */
import fs from "node:fs";
import path from "node:path";

/**
 * The `.env` file's variables; none where there is no `.env`, or it is not a regular file: a named pipe (python-dotenv
 * reads one, and its suite tests it) hung the run before its first line, and what a writer sends it once is the tests'.
 */
export function readDotenv(root: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = path.join(root, ".env");
  try {
    if (fs.statSync(file, { throwIfNoEntry: false })?.isFile() !== true) return {};
    return parseDotenv(fs.readFileSync(file, "utf8"), env);
  } catch {
    return {};
  }
}

/** The environment, with `.env` filling only the gaps. */
export function withDotenv(env: NodeJS.ProcessEnv, dotenv: Record<string, string>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...dotenv };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return merged;
}

// python-dotenv's grammar (its parser.py), each matched where the reading is.
const MULTILINE_WHITESPACE = /\s*/y;
const WHITESPACE = /[^\S\r\n]*/y;
const EXPORT = /(?:export[^\S\r\n]+)?/y;
const SINGLE_QUOTED_KEY = /'([^']+)'/y;
const UNQUOTED_KEY = /([^=#\s]+)/y;
const EQUAL_SIGN = /=[^\S\r\n]*/y;
const SINGLE_QUOTED_VALUE = /'((?:\\'|[^'])*)'/y;
const DOUBLE_QUOTED_VALUE = /"((?:\\"|[^"])*)"/y;
const UNQUOTED_VALUE = /([^\r\n]*)/y;
const COMMENT = /(?:[^\S\r\n]*#[^\r\n]*)?/y;
const END_OF_LINE = /[^\S\r\n]*(?:\r\n|\n|\r|$)/y;
const REST_OF_LINE = /[^\r\n]*(?:\r\n|\r|\n)?/y;
const DOUBLE_QUOTE_ESCAPES = /\\[\\'"abfnrtv]/g;
const SINGLE_QUOTE_ESCAPES = /\\[\\']/g;
const ESCAPED: Readonly<Record<string, string>> = { "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
/** `${NAME}` and `${NAME:-default}`, which python-dotenv expands in every value. */
const VARIABLE = /\$\{([^}:]*)(?::-([^}]*))?\}/g;

/**
 * A `.env` text's variables as python-dotenv's `load_dotenv` gives them: `export` and quotes taken off, escapes in
 * quoted values decoded (`\"`, `\n`), a comment after an unquoted value only where whitespace comes before its `#`
 * (`http://a/#frag` keeps its fragment), `${NAME}` and `${NAME:-default}` expanded from the environment first, then the
 * file's own values before it, a byte-order mark read past, a line it cannot read skipped. Node.js's `util.parseEnv`
 * cut `sh -c "echo a#b"` at its `#` and left `${HOST}` as it was (a helper's trial of python-dotenv). Pure.
 */
export function parseDotenv(text: string, env: NodeJS.ProcessEnv = {}): Record<string, string> {
  const source = text.replace(/^\uFEFF/, "");
  const values: Record<string, string> = {};
  let at = 0;
  const read = (regex: RegExp): RegExpExecArray => {
    regex.lastIndex = at;
    const match = regex.exec(source);
    if (match === null) throw new SyntaxError("not a binding");
    at = regex.lastIndex;
    return match;
  };
  while (at < source.length) {
    const start = at;
    try {
      read(MULTILINE_WHITESPACE);
      if (at >= source.length) break;
      read(EXPORT);
      if (source[at] === "#") {
        read(COMMENT);
        read(END_OF_LINE);
        continue;
      }
      const key = (source[at] === "'" ? read(SINGLE_QUOTED_KEY) : read(UNQUOTED_KEY))[1] as string;
      read(WHITESPACE);
      let value: string | null = null;
      if (source[at] === "=") {
        read(EQUAL_SIGN);
        value = readValue(source[at], read);
      }
      read(COMMENT);
      read(END_OF_LINE);
      // A key without `=` has no value: python-dotenv's load_dotenv sets nothing for it.
      if (value !== null) values[key] = expand(value, env, values);
    } catch {
      // The rest of the line from where the reading stopped, as python-dotenv skips it.
      read(REST_OF_LINE);
      if (at === start) break;
    }
  }
  return values;
}

function readValue(first: string | undefined, read: (regex: RegExp) => RegExpExecArray): string {
  if (first === "'") return (read(SINGLE_QUOTED_VALUE)[1] as string).replace(SINGLE_QUOTE_ESCAPES, (escape) => ESCAPED[escape[1] as string] as string);
  if (first === '"') return (read(DOUBLE_QUOTED_VALUE)[1] as string).replace(DOUBLE_QUOTE_ESCAPES, (escape) => ESCAPED[escape[1] as string] as string);
  if (first === undefined || first === "\n" || first === "\r") return "";
  return (read(UNQUOTED_VALUE)[1] as string).replace(/\s+#.*/, "").trimEnd();
}

/** `${NAME}` from the environment (which `.env` never overrides), else the file's values so far, else its default or "". */
function expand(value: string, env: NodeJS.ProcessEnv, values: Readonly<Record<string, string>>): string {
  return value.replace(VARIABLE, (_, name: string, fallback: string | undefined) => env[name] ?? values[name] ?? fallback ?? "");
}
