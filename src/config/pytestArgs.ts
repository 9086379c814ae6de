/**
 * pytest options whose meaning crosses files. Given to each per-file process
 * as they are, they would mean something else: `--lf` would look at one
 * file's failures, `-n 4` would start four xdist workers per file. Those are
 * taken out of what is forwarded and acted on across the run; `-x` and
 * `--maxfail` stay (they mean the same inside a process) and also act across
 * it. Pure.
 */

export interface ForwardedArgs {
  /** What every pytest process gets. */
  forwarded: string[];
  /** -x / --exitfirst / --maxfail N: the run stops once this many tests have failed. */
  maxFail: number | null;
  /** --lf / --last-failed: the tests that failed last time. */
  lastFailed: boolean;
  /** --ff / --failed-first: those first, then the rest. */
  failedFirst: boolean;
  /** -k, -m or --deselect: the run runs some of its files' tests, chosen on its command line. */
  selects: boolean;
  /** --co / --collect-only: list what would run. */
  collectOnly: boolean;
  /** pytest-xdist's options, dropped: grimoire-run runs files in parallel itself. */
  dropped: string[];
  /** The first of pytest's information options (--version, --help, --markers, --fixtures, --fixtures-per-test): pytest prints, and runs no test. */
  info: string | null;
}

/** pytest's options that print something and run no test. */
const INFO = new Set(["--version", "--help", "--markers", "--fixtures", "--funcargs", "--fixtures-per-test"]);
const SHORT_INFO = new Set(["h"]);

/**
 * pytest's short options that take a value (`-k EXPR`, `-m MARKEXPR`, `-p NAME`, `-c FILE`, `-o INI`, `-W WARNING`,
 * `-r CHARS`), and pytest-xdist's `-n`: the value is the rest of the word, or the next word.
 */
export const SHORT_WITH_VALUE: ReadonlySet<string> = new Set(["k", "m", "p", "c", "o", "W", "r", "n"]);

/** Long options that take a value (without `=`, the next word), so that a value is never read as an option. */
const LONG_WITH_VALUE = new Set([
  "--maxfail",
  "--deselect",
  "--ignore",
  "--ignore-glob",
  "--rootdir",
  "--basetemp",
  "--junitxml",
  "--junit-xml",
  "--confcutdir",
  "--tb",
  "--durations",
  "--durations-min",
  "--log-level",
  "--log-cli-level",
  "--log-file",
  "--log-format",
  "--import-mode",
  "--capture",
  "--config-file",
  "--override-ini",
  "--numprocesses",
  "--maxprocesses",
  "--dist",
  "--tx",
  "--rsyncdir",
  "--max-worker-restart",
]);

/**
 * pytest's own options that take no value (pytest 7 to 9, its `store_true`, `count` and `--strict…` options, written
 * without their dashes): the word after one is the run's (a path, a node id), never its value. Complete, so that no
 * flag of pytest's is taken for an option that may take the next word (`--doctest-modules src tests`).
 */
export const PYTEST_FLAGS: ReadonlySet<string> = new Set([
  "lf", "last-failed", "ff", "failed-first", "nf", "new-first", "sw", "stepwise", "stepwise-skip", "sw-skip", "stepwise-reset", "sw-reset",
  "x", "exitfirst", "pdb", "trace", "co", "collect-only", "collectonly", "setup-show", "setupshow", "setup-only", "setuponly", "setup-plan",
  "setupplan", "runxfail", "full-trace", "fulltrace", "showlocals", "no-showlocals", "strict-markers", "strict-config", "strict", "cache-clear",
  "no-header", "no-summary", "no-fold-skipped", "force-short-summary", "xfail-tb", "disable-warnings", "disable-pytest-warnings", "verbose",
  "quiet", "fixtures", "funcargs", "fixtures-per-test", "markers", "continue-on-collection-errors", "doctest-modules",
  "doctest-continue-on-failure", "doctest-ignore-import-errors", "pyargs", "noconftest", "keep-duplicates", "keepduplicates",
  "collect-in-virtualenv", "trace-config", "traceconfig", "disable-plugin-autoload", "version", "help",
]);

const XDIST = new Set(["--numprocesses", "--maxprocesses", "--dist", "--tx", "--max-worker-restart", "--rsyncdir"]);
const XDIST_FLAGS = new Set(["--looponfail", "-f", "--distload", "--boxed"]);

export function readForwardedArgs(args: readonly string[]): ForwardedArgs {
  const result: ForwardedArgs = { forwarded: [], maxFail: null, lastFailed: false, failedFirst: false, selects: false, collectOnly: false, dropped: [], info: null };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [name, inline] = arg.startsWith("--") ? splitLong(arg) : [arg, null];
    if (name === "--lf" || name === "--last-failed") result.lastFailed = true;
    else if (name === "--ff" || name === "--failed-first") result.failedFirst = true;
    else if (name === "--co" || name === "--collect-only" || name === "--collectonly") result.collectOnly = true;
    else if (XDIST_FLAGS.has(name)) result.dropped.push(arg);
    else if (XDIST.has(name)) {
      result.dropped.push(arg);
      if (inline === null && i + 1 < args.length) result.dropped.push(args[++i] as string);
    } else if (name.startsWith("--")) {
      result.forwarded.push(arg);
      if (INFO.has(name)) result.info ??= name;
      if (name === "--exitfirst") result.maxFail = 1;
      if (name === "--deselect") result.selects = true;
      if (inline === null && LONG_WITH_VALUE.has(name) && i + 1 < args.length) {
        const value = args[++i] as string;
        result.forwarded.push(value);
        if (name === "--maxfail") result.maxFail = wholeNumber(value) ?? result.maxFail;
      } else if (name === "--maxfail" && inline !== null) {
        result.maxFail = wholeNumber(inline) ?? result.maxFail;
      }
    } else if (/^-[A-Za-z]/.test(arg)) {
      i = readShortCluster(args, i, result);
    } else {
      result.forwarded.push(arg);
    }
  }
  // --maxfail=0 is pytest's "no limit".
  if (result.maxFail === 0) result.maxFail = null;
  return result;
}

/** `-xvs`, `-k expr`, `-n4`, `-rA`: letters are flags until one that takes a value, which takes the rest (or the next word). */
function readShortCluster(args: readonly string[], index: number, result: ForwardedArgs): number {
  const arg = args[index] as string;
  let kept = "-";
  for (let at = 1; at < arg.length; at++) {
    const letter = arg[at] as string;
    if (!SHORT_WITH_VALUE.has(letter)) {
      if (letter === "x") result.maxFail = 1;
      if (SHORT_INFO.has(letter)) result.info ??= `-${letter}`;
      kept += letter;
      continue;
    }
    const inline = arg.slice(at + 1);
    const takesNext = inline === "" && index + 1 < args.length;
    const value = takesNext ? (args[index + 1] as string) : inline;
    if (letter === "k" || letter === "m") result.selects = true;
    if (letter === "n") {
      if (kept !== "-") result.forwarded.push(kept);
      result.dropped.push(takesNext ? `-n ${value}` : `-n${inline}`);
    } else {
      result.forwarded.push(`${kept}${letter}${inline}`);
      if (takesNext) result.forwarded.push(value);
    }
    return takesNext ? index + 1 : index;
  }
  if (kept !== "-") result.forwarded.push(kept);
  return index;
}

function splitLong(arg: string): [string, string | null] {
  const equals = arg.indexOf("=");
  return equals < 0 ? [arg, null] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

function wholeNumber(value: string): number | null {
  return /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * The words after `--` that name what pytest collects (a file, a folder, a node id), taken out to be the run's paths:
 * `grimoire-run tests/a -- tests/b/test_b.py::test_x` selects what `pytest tests/a tests/b/test_b.py::test_x` does.
 * Forwarded, every file's process would be asked for the others' tests, which it leaves out (pytest: "not found"; a
 * helper's trial on pylint). A word is one where its path exists (the part before `::`) and no option takes it: pytest's
 * options that take a value take the next word, and so may an option it does not know here (a plugin's: `--cov src`),
 * unless the word is a node id.
 */
export function takeTargets(args: readonly string[], exists: (path: string) => boolean): { targets: string[]; rest: string[] } {
  const targets: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith("-") && arg !== "-") {
      rest.push(arg);
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith("-") && (takesNextWord(arg) || (mayTakeNextWord(arg) && !next.includes("::")))) rest.push(args[++i] as string);
      continue;
    }
    (exists(arg.split("::", 1)[0] as string) ? targets : rest).push(arg);
  }
  return { targets, rest };
}

/** One of pytest's (or xdist's) options given without its value, which is then the next word. */
function takesNextWord(arg: string): boolean {
  if (arg.startsWith("--")) return !arg.includes("=") && LONG_WITH_VALUE.has(arg);
  const letters = arg.slice(1);
  const at = [...letters].findIndex((letter) => SHORT_WITH_VALUE.has(letter));
  return at === letters.length - 1;
}

/**
 * Well-known plugins' options that take no value (pytest-django's, pytest-playwright's, pytest-cov's, hypothesis's,
 * pytest-benchmark's, syrupy's, pytest-socket's, pytest-recording's, pytest-randomly's, pytest-doctestplus's and the
 * linters'): the word after one is the run's.
 */
const PLUGIN_FLAGS = new Set([
  "--reuse-db", "--create-db", "--nomigrations", "--no-migrations", "--migrations", "--headed", "--full-page-screenshot", "--no-cov",
  "--no-cov-on-fail", "--cov-append", "--cov-branch", "--cov-reset", "--hypothesis-show-statistics", "--hypothesis-explain",
  "--benchmark-skip", "--benchmark-only", "--benchmark-disable", "--benchmark-enable", "--benchmark-autosave", "--snapshot-update",
  "--snapshot-warn-unused", "--disable-socket", "--allow-unix-socket", "--block-network", "--disable-recording",
  "--randomly-dont-reorganize", "--randomly-dont-reset-seed", "--doctest-plus", "--doctest-rst", "--mypy", "--ruff", "--ruff-format",
]);

/** A long option pytest does not have (a plugin's), given without `=`: its value, if it takes one, is the next word. */
function mayTakeNextWord(arg: string): boolean {
  if (!arg.startsWith("--") || arg.includes("=") || arg === "--") return false;
  return !LONG_WITH_VALUE.has(arg) && !PYTEST_FLAGS.has(arg.slice(2)) && !XDIST_FLAGS.has(arg) && !INFO.has(arg) && !PLUGIN_FLAGS.has(arg);
}
