/**
 * Command lines given as one string (--python, a pyproject setting) split
 * into words the way Python's shlex.split splits them.
 */
import { UsageError } from "../errors.js";

/** Splits a command line the way Python's shlex.split does for the common cases (quotes, backslashes). */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new UsageError(`unterminated quote in: ${text}`);
  if (inWord) words.push(word);
  return words;
}
