/**
 * The command line: one table of options (the single place their names,
 * types and help live), parsed with yargs.
 */
import fs from "node:fs";
import yargs from "yargs";
import { DEFAULT_AUTO_PRELOAD, DEFAULT_SPLIT, DEFAULT_DELAY_SECONDS, DEFAULT_ISOLATION, DEFAULT_ORDER, DEFAULT_RETRIES, DEFAULT_SCOPE, DEFAULT_WORKERS, STATE_DIR, DEFAULT_DATABASE_ENV, DEFAULT_KILL_GRACE_SECONDS, DEFAULT_SLOW_NOTICE_SECONDS, DEFAULT_PACK_UNDER_SECONDS, DEFAULT_SERVER_READY_URL, DEFAULT_SERVER_TIMEOUT_SECONDS } from "../defaults.js";
import { UsageError } from "../errors.js";
import { shellQuote } from "../format.js";
import { EXIT, SIGNAL_EXIT } from "../exitCode.js";
import { splitList } from "../changes/globs.js";
import { PYTEST_FLAGS, SHORT_WITH_VALUE } from "../config/pytestArgs.js";

/**
 * `flag-or-string`: on by itself, or given a value (`--changed`,
 * `--changed=REF`); `list`: several values, an array in pyproject.toml,
 * comma-separated elsewhere.
 */
export type OptionType = "string" | "boolean" | "flag-or-string" | "list";

export interface OptionSpec {
  type: OptionType;
  alias?: string;
  describe: string;
  group: string;
  choices?: readonly string[];
  /** Shown in --help; applied by `resolveConfig`, not by yargs, so that a value's origin stays known. */
  defaultText?: string;
}

const SELECTION = "Selection:";
const MODES = "Modes:";
const SCHEDULING = "Order, history and CI shards:";
const LOAD = "Load and retries:";
const TARGET = "Target:";
const MANAGED = "Managed servers and databases:";
const OUTPUT = "Output:";

/** Every option, by its long name. Numbers are read as strings and checked in `resolveConfig`, for clear messages. */
export const OPTIONS = {
  scope: { type: "string", describe: "Which suites to run: tests/e2e, tests/http, or both", group: SELECTION, choices: ["e2e", "http", "all"], defaultText: DEFAULT_SCOPE },
  k: { type: "string", describe: "Only tests matching this expression (forwarded to pytest -k)", group: SELECTION },
  m: { type: "string", describe: "Only tests with these markers (forwarded to pytest -m)", group: SELECTION },
  changed: {
    type: "flag-or-string",
    describe: "[REF] Only the test files a change can affect: the files that differ from REF (default: the branch's upstream, else HEAD), committed or not, and the test files importing them",
    group: SELECTION,
  },
  "changed-always": { type: "list", describe: "With --changed: globs of files (data, templates, SQL) whose change runs every test file; comma-separated", group: SELECTION },
  parallel: { type: "boolean", describe: "One pytest process per test file, --workers at a time (without it: one pytest process over the whole selection, stopping at the first failure, -x)", group: MODES },
  workers: { type: "string", alias: "n", describe: "Pool size: a number, or auto (the machine's CPUs, at most one per file)", group: MODES, defaultText: DEFAULT_WORKERS },
  debug: { type: "boolean", describe: "Serial debugging run: pytest --lf -x --tb=long -v", group: MODES },
  "fork-server": { type: "boolean", describe: "Fork each file's pytest from a process that has imported pytest and its plugins once (Linux, --parallel); --no-fork-server starts each afresh", group: MODES, defaultText: "on" },
  preload: {
    type: "string",
    describe: "Modules the fork server imports once for every file (comma-separated; a list in pyproject.toml): third-party ones that are slow to import",
    group: MODES,
  },
  "auto-preload": {
    type: "boolean",
    describe: "Import once in the fork server the installed packages the conftests import, and those the files import at a cost, for the files to inherit; --no-auto-preload leaves each file to import them",
    group: MODES,
    defaultText: DEFAULT_AUTO_PRELOAD ? "on" : "off",
  },
  "bytecode-cache": {
    type: "boolean",
    describe: "When PYTHONDONTWRITEBYTECODE is set, a parallel run's forked processes keep the bytecode they compile in .grimoire/pycache rather than compile every module again in every file (the tests' environment stays as it is); --no-bytecode-cache leaves the files' bytecode as the environment says",
    group: MODES,
    defaultText: "on",
  },
  pack: { type: "boolean", describe: "Share pytest processes among files that history shows to be quick (and new files): faster, but files in a pack share module state", group: MODES },
  "pack-under": { type: "string", describe: "With --pack: files whose recorded duration is below this many seconds are packed", group: MODES, defaultText: String(DEFAULT_PACK_UNDER_SECONDS) },
  split: {
    type: "string",
    describe: "auto: run a file that history shows to be longer than its share of the run as several processes over its tests",
    group: MODES,
    choices: ["auto", "off"],
    defaultText: DEFAULT_SPLIT,
  },
  "no-split": { type: "list", describe: "Files --split never splits (comma-separated globs; a list in pyproject.toml), beside those marked grimoire_serial", group: MODES },
  "fail-fast": { type: "boolean", describe: "On the first failing file, start nothing new and kill every running test process tree; each file's pytest stops at its first failing test (-x)", group: MODES },
  "kill-grace": { type: "string", describe: "Seconds between SIGTERM and SIGKILL when a process tree is killed", group: MODES, defaultText: String(DEFAULT_KILL_GRACE_SECONDS) },
  timeout: { type: "string", describe: "Per-file limit in seconds; past it the file's whole process tree is killed", group: MODES },
  "slow-notice": { type: "string", describe: "With --parallel: name a file still running after this many seconds (and after twice, four times as long…)", group: MODES, defaultText: String(DEFAULT_SLOW_NOTICE_SECONDS) },
  order: { type: "string", describe: "Start order: history (failed last time, then new, then longest first), name, or random", group: SCHEDULING, choices: ["history", "name", "random"], defaultText: DEFAULT_ORDER },
  seed: { type: "string", describe: "Seed for --order random (printed when not given)", group: SCHEDULING },
  "last-failed": { type: "boolean", describe: "Run only what failed last time: each file's failed tests (by node id), and all of each file that timed out, crashed or was cancelled with no failed test remembered (everything if nothing failed), as pytest --lf", group: SCHEDULING },
  "failed-first": { type: "boolean", describe: "Run the files that failed last time first, then the rest", group: SCHEDULING },
  "list-flaky": { type: "boolean", describe: "List the files and tests that both passed and failed within their recent runs (.grimoire/history.json), with how often they failed; then exit", group: SCHEDULING },
  shard: { type: "string", describe: "Run part I/N of the selection, balanced by recorded duration (CI matrices); auto reads the part from the CI service (GitLab parallel:, CircleCI, Buildkite, …)", group: SCHEDULING },
  retries: { type: "string", describe: "Re-run a failed file up to N times in a fresh process, at once; a pass after a failure is flaky", group: LOAD, defaultText: String(DEFAULT_RETRIES) },
  "flaky-result": { type: "string", describe: "Whether a flaky file counts as a pass or a failure", group: LOAD, choices: ["pass", "fail"], defaultText: "pass; fail when CI is set" },
  loop: { type: "string", describe: "Run the whole selection N times", group: LOAD },
  duration: { type: "string", describe: "Keep running the selection until this many seconds have passed; with --parallel the pool stays full", group: LOAD },
  delay: { type: "string", describe: "Seconds to pause between iterations", group: LOAD, defaultText: String(DEFAULT_DELAY_SECONDS) },
  "keep-going": { type: "boolean", describe: "Do not stop after an iteration that had failures", group: LOAD },
  "base-url": { type: "string", describe: "Exported to every pytest process as E2E_BASE_URL (default: E2E_BASE_URL from the environment or .env)", group: TARGET },
  python: { type: "string", describe: "How to run Python (default: .venv/bin/python, venv/bin/python, uv run python, python3)", group: TARGET },
  headed: { type: "boolean", describe: "Forward --headed to pytest (show the browser); with --browser-server, the servers' browsers are headed", group: TARGET },
  "browser-server": {
    type: "string",
    describe: "Start one Playwright browser server per pair of worker slots; each file connects to it (GRIMOIRE_BROWSER_WS_ENDPOINT) instead of launching a browser",
    group: TARGET,
    choices: ["chromium", "firefox", "webkit"],
  },
  "browser-executable": { type: "string", describe: "The browser --browser-server launches", group: TARGET, defaultText: "$CHROMIUM_PATH for chromium, else Playwright's own" },
  server: { type: "string", describe: "Start this app server for each file (or slot), on a free port: {port} and {slot} are replaced, PORT is set", group: MANAGED },
  isolation: { type: "string", describe: "One server and database clone per test file, or per worker slot", group: MANAGED, choices: ["file", "slot"], defaultText: DEFAULT_ISOLATION },
  "server-ready": { type: "string", describe: "URL polled until the server answers", group: MANAGED, defaultText: DEFAULT_SERVER_READY_URL },
  "server-timeout": { type: "string", describe: "Seconds a server has to become ready", group: MANAGED, defaultText: String(DEFAULT_SERVER_TIMEOUT_SECONDS) },
  "database-url": { type: "string", describe: "postgresql://…/NAME: NAME is a template; each server/file pair gets its own clone", group: MANAGED },
  "database-env": { type: "string", describe: "The variable that passes the clone's URL to the server and to pytest", group: MANAGED, defaultText: DEFAULT_DATABASE_ENV },
  setup: { type: "string", describe: "Command run once before anything starts (with the template's URL)", group: MANAGED },
  teardown: { type: "string", describe: "Command run once at the very end, whatever happened", group: MANAGED },
  "keep-failed": { type: "boolean", describe: "Keep the database clone of a failed file for inspection", group: MANAGED },
  "report-json": { type: "string", describe: "Write the JSON report of the run to this file", group: OUTPUT },
  "junit-xml": { type: "string", describe: "Write one JUnit XML of every file's own report to this file", group: OUTPUT },
  "report-html": { type: "string", describe: "Write a self-contained HTML report with a timeline of the workers to this file", group: OUTPUT },
  "log-dir": { type: "string", describe: "Folder for each file's full output", group: OUTPUT, defaultText: `${STATE_DIR}/logs/<run>` },
  "print-config": { type: "boolean", describe: "Show every setting, merged from pyproject.toml, .env, the environment and the command line, with where it came from; then exit", group: OUTPUT },
  quiet: { type: "boolean", alias: "q", describe: "Only result lines and the summary, no test output", group: OUTPUT },
  verbose: { type: "boolean", alias: "v", describe: "Also print the pytest command of each file", group: OUTPUT },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

type ValueOf<S extends OptionSpec> = S["type"] extends "boolean" ? boolean : S["type"] extends "flag-or-string" ? boolean | string : S["type"] extends "list" ? string[] : string;

/** What the command line said: only the options it named are present. */
export type CliValues = { -readonly [K in OptionName]?: ValueOf<(typeof OPTIONS)[K]> };

export interface CliInput {
  values: CliValues;
  paths: string[];
  /** Everything after `--`, for pytest. */
  pytestArgs: string[];
}

export interface MergeInput {
  inputs: string[];
  python: string | null;
  reportJson: string | null;
  reportHtml: string | null;
  junitXml: string | null;
  history: boolean;
}

export type CliCommand =
  | { kind: "run"; input: CliInput }
  | { kind: "merge-reports"; input: MergeInput }
  | { kind: "install-hook"; command: string | null; changed: boolean }
  | { kind: "help"; text: string }
  | { kind: "version" };

function strictParser(argv: string[]) {
  return yargs(argv)
    .scriptName("grimoire-run")
    // No camel-case spellings: an option has the one name the docs give it.
    .parserConfiguration({ "populate--": true, "strip-aliased": true, "strip-dashed": false, "camel-case-expansion": false })
    .strict()
    .exitProcess(false)
    .version(false)
    .help(false)
    .option("help", { type: "boolean", alias: "h", describe: "Show this help" })
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, error) => {
      throw new UsageError(plainChoices(message ?? error?.message ?? "invalid command line"));
    });
}

/**
 * yargs' word for a value not among an option's choices, said as grimoire-run's other usage errors are: `--split must
 * be auto or off; got "yes"` (a helper's trial met "Invalid values:\n  Argument: split, Given: "yes", Choices: …").
 */
export function plainChoices(message: string): string {
  const said = message.split("\n").flatMap((line) => {
    const found = /^\s*Argument: (\S+), Given: (.*), Choices: (.*)$/.exec(line);
    if (found === null) return [];
    const [, name, given, choices] = found as unknown as [string, string, string, string];
    const names = choices.split(", ").map((choice) => choice.replace(/^"(.*)"$/, "$1"));
    const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} or ${names.at(-1) ?? ""}`;
    return [`--${name} must be ${listed}; got ${given}`];
  });
  return message.startsWith("Invalid values:") && said.length > 0 ? said.join("\n") : message;
}

async function parseMergeReports(argv: string[]): Promise<CliCommand> {
  const parser = strictParser(argv)
    .usage("$0 merge-reports DIR... [--report-json PATH] [--junit-xml PATH] [--report-html PATH] [--python CMD]\n\nCombine the JSON reports, JUnit files and coverage data of a CI run's shards into one, check that every shard is there, and exit with the combined exit code.")
    // Optional to yargs, so that --help is answered before the folders are asked for (it said "Not enough non-option
    // arguments" to `merge-reports --help`, a helper's trial); none given is refused below.
    .command("$0 [inputs..]", false as unknown as string, (y) => y.positional("inputs", { type: "string", array: true, describe: "Folders or files holding the shards' reports" }))
    .option("report-json", { type: "string", requiresArg: true, describe: "Write the merged JSON report here" })
    .option("junit-xml", { type: "string", requiresArg: true, describe: "Write the merged JUnit XML here" })
    .option("report-html", { type: "string", requiresArg: true, describe: "Write the merged HTML report here" })
    .option("python", { type: "string", requiresArg: true, describe: "The Python that combines the shards' coverage data, when they measured it [default: as a run chooses: .venv/bin/python, venv/bin/python, uv run python, python3]" })
    .option("history", { type: "boolean", default: true, describe: "Record the merged results in .grimoire/history.json (--no-history: don't)" });
  const parsed = (await parser.parse()) as Record<string, unknown>;
  if (parsed["help"] === true) return { kind: "help", text: await parser.getHelp() };
  const inputs = ((parsed["inputs"] as unknown[] | undefined) ?? []).map(String);
  if (inputs.length === 0) throw new UsageError("merge-reports needs the folders (or files) holding the shards' reports: grimoire-run merge-reports DIR...");
  return {
    kind: "merge-reports",
    input: {
      inputs,
      python: singleString(parsed, "python"),
      reportJson: singleString(parsed, "report-json"),
      reportHtml: singleString(parsed, "report-html"),
      junitXml: singleString(parsed, "junit-xml"),
      history: parsed["history"] !== false,
    },
  };
}

async function parseInstallHook(argv: string[]): Promise<CliCommand> {
  const parser = strictParser(argv)
    .usage("$0 install-hook [--command CMD] [--changed]\n\nWrite a git pre-push hook that runs the test suite (never overwriting a hook of yours).")
    .option("command", { type: "string", requiresArg: true, describe: "What the hook runs [default: npx grimoire-run --parallel --fail-fast -q]" })
    .option("changed", { type: "boolean", describe: "Run only the test files the pushed and uncommitted changes can affect (adds --changed to the command)" });
  const parsed = (await parser.parse()) as Record<string, unknown>;
  if (parsed["help"] === true) return { kind: "help", text: await parser.getHelp() };
  if ((parsed["_"] as unknown[]).length > 0) throw new UsageError(`install-hook takes no arguments; got ${(parsed["_"] as unknown[]).join(" ")}`);
  if (Array.isArray(parsed["changed"])) throw new UsageError("--changed was given more than once");
  return { kind: "install-hook", command: singleString(parsed, "command"), changed: parsed["changed"] === true };
}

/** How an option is written on the command line: `-k`, `--workers`. */
export function optionFlag(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** A subcommand's string option: its value, or null when not given; given twice is a usage error. */
function singleString(parsed: Record<string, unknown>, name: string): string | null {
  const value = parsed[name];
  if (Array.isArray(value)) throw new UsageError(`${optionFlag(name)} was given more than once`);
  return typeof value === "string" ? value : null;
}

/** The exit codes, at the end of --help (the whole table: docs/exit-codes.md). */
const EXIT_CODES_HELP = [
  "Exit codes:",
  `  ${EXIT.passed}  every file passed`,
  `  ${EXIT.failed}  a file failed, timed out or was cancelled (or was flaky, with --flaky-result fail)`,
  `  ${EXIT.usage}  bad usage, or an environment problem found before any test ran (the message says which)`,
  `  ${EXIT.environment}  the run's environment failed during the run (a managed server or database, --setup, --teardown)`,
  `  ${EXIT.internal}  an internal error in grimoire-run`,
  `  ${EXIT.noTests}  no test was collected anywhere`,
  `  ${SIGNAL_EXIT.SIGHUP}, ${SIGNAL_EXIT.SIGINT}, ${SIGNAL_EXIT.SIGTERM}  stopped by SIGHUP, SIGINT (Ctrl-C), SIGTERM, after stopping every process and printing the summary`,
  "Details: docs/exit-codes.md",
].join("\n");

/**
 * @param isPath whether a word names an existing file or folder: `--changed
 * WORD` takes WORD as its REF unless it is one (then it is a path to test).
 */
export async function parseCommandLine(given: string[], isPath: (word: string) => boolean = (word) => fs.existsSync(word.split("::")[0] as string)): Promise<CliCommand> {
  if (given[0] === "merge-reports") return parseMergeReports(given.slice(1));
  if (given[0] === "install-hook") return parseInstallHook(given.slice(1));
  const argv = attachOptionalValues(given, isPath);
  checkOptionWords(argv);
  let parser = strictParser(argv)
    .usage(
      "$0 [PATHS...] [OPTIONS] [-- PYTEST_ARGS...]\n$0 merge-reports DIR... [--report-json PATH] [--junit-xml PATH]\n$0 install-hook [--command CMD] [--changed]\n\nRun a Python project's pytest suites, one pytest process per test file.",
    )
    .option("version", { type: "boolean", describe: "Show the version" })
    .epilogue(EXIT_CODES_HELP);
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    parser = parser.option(name, {
      type: spec.type === "boolean" ? "boolean" : "string",
      describe: spec.defaultText === undefined ? spec.describe : `${spec.describe} [default: ${spec.defaultText}]`,
      group: spec.group,
      ...(spec.alias === undefined ? {} : { alias: spec.alias }),
      ...(spec.choices === undefined ? {} : { choices: spec.choices }),
      ...(spec.type === "string" || spec.type === "list" ? { requiresArg: true } : {}),
    });
  }
  parser = parser.command("$0 [paths..]", false as unknown as string, (y) =>
    y.positional("paths", { type: "string", array: true, describe: "Test files or folders (default: the scope's folders)" }),
  );

  const parsed = (await parser.parse()) as Record<string, unknown>;
  if (parsed["help"] === true) return { kind: "help", text: await parser.getHelp() };
  if (parsed["version"] === true) return { kind: "version" };

  const values: CliValues = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const value = parsed[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) throw new UsageError(`${optionFlag(name)} was given more than once`);
    (values as Record<string, unknown>)[name] = valueOf(OPTIONS[name], value as string | boolean);
  }
  const paths = ((parsed["paths"] as unknown[] | undefined) ?? []).map(String);
  const pytestArgs = ((parsed["--"] as unknown[] | undefined) ?? []).map(String);
  return { kind: "run", input: { values, paths, pytestArgs } };
}

/** yargs' value as the option's type has it: a flag-or-string given alone is on; a list is split. */
function valueOf(spec: OptionSpec, value: string | boolean): string | boolean | string[] {
  if (spec.type === "flag-or-string") return value === "" ? true : value;
  if (spec.type === "list") return typeof value === "string" ? splitList(value) : [];
  return value;
}

/**
 * Options that may take a value (`--changed [REF]`) are given it with `=`
 * before yargs reads the line: the next word is their value unless it is an
 * option, `--`, or an existing path (`--changed tests/http` tests that folder).
 */
export function attachOptionalValues(argv: readonly string[], isPath: (word: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const name = word.startsWith("--") && !word.includes("=") ? word.slice(2) : null;
    if (name === null || !Object.hasOwn(OPTIONS, name) || OPTIONS[name as OptionName].type !== "flag-or-string") {
      out.push(word);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("-") && !isPath(next)) {
      out.push(`${word}=${next}`);
      i++;
    } else out.push(`${word}=`);
  }
  return out;
}

/** Options of the main command besides the table's. */
const BUILT_IN: Record<string, OptionType> = { help: "boolean", version: "boolean" };
const SHORT: Record<string, OptionName | "help"> = { h: "help" };
for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
  if (spec.alias !== undefined) SHORT[spec.alias] = name;
  // -k and -m are names of their own, one letter long.
  if (name.length === 1) SHORT[name] = name;
}

function typeOf(name: string): OptionType | null {
  if (Object.hasOwn(OPTIONS, name)) return OPTIONS[name as OptionName].type;
  return BUILT_IN[name] ?? null;
}

/** A word that names tests (a node id, a test module) rather than an option's value; a folder names them where it is one. */
function looksLikeTarget(word: string): boolean {
  return word.includes("::") || word.endsWith(".py");
}

/**
 * Every option word before `--` must be one of grimoire-run's, spelled as
 * the docs spell it. A pytest option put there by habit gets a hint to move
 * it after `--`; a flag given a value (`--fail-fast=3`) is refused rather
 * than read as on.
 */
export function checkOptionWords(argv: readonly string[], isPath: (word: string) => boolean = (word) => fs.existsSync(word)): void {
  // The positions of the words that are pytest's: its options, and the value one of them takes.
  const moving: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === "--") break;
    if (!word.startsWith("-") || word === "-" || /^-\d/.test(word)) continue;
    if (word.startsWith("--")) {
      const [name = "", value] = word.slice(2).split(/=(.*)/s, 2);
      const negated = name.startsWith("no-") && (typeOf(name.slice(3)) === "boolean" || typeOf(name.slice(3)) === "flag-or-string");
      const type = negated ? "boolean" : typeOf(name);
      if (type === null) {
        moving.push(i);
        // pytest's option and its value (`--browser firefox`) move together; a word that names a path or a node id, or
        // follows one of pytest's own flags, stays one of the run's.
        const next = argv[i + 1];
        if (value === undefined && next !== undefined && !PYTEST_FLAGS.has(name) && !next.startsWith("-") && !looksLikeTarget(next) && !isPath(next)) moving.push(++i);
        continue;
      }
      if (type === "boolean" && value !== undefined && value !== "true" && value !== "false") {
        throw new UsageError(`--${name} takes no value; got "${word}"`);
      }
      if ((type === "string" || type === "list") && value === undefined) i++;
      continue;
    }
    const first = SHORT[word[1] as string];
    if (first !== undefined && typeOf(first) === "string") {
      if (word.length === 2) i++;
      continue;
    }
    const letters = [...word.slice(1)];
    if (letters.every((letter) => SHORT[letter] !== undefined && typeOf(SHORT[letter] as string) === "boolean")) continue;
    moving.push(i);
    // pytest's own short options that take the next word (`-o addopts=…`, `-k "a or b"`): it moves with them.
    const next = argv[i + 1];
    if (word.length === 2 && SHORT_WITH_VALUE.has(word[1] as string) && next !== undefined && !next.startsWith("-")) moving.push(++i);
  }
  if (moving.length === 0) return;
  const unknown = moving.map((i) => argv[i] as string);
  const options = unknown.filter((word) => word.startsWith("-"));
  const they = options.length === 1 ? `${options[0]} is not a grimoire-run option` : `${options.join(", ")} are not grimoire-run options`;
  const typos = options.map((word) => (word.startsWith("--") ? didYouMean((word.split("=")[0] as string).slice(2), "--") : ""));
  if (typos.every((hint) => hint !== "")) throw new UsageError(`${they}${typos.join("")}`);
  // A flag-or-string given alone was given its empty value (`--changed=`) to be read: said as typed.
  const asTyped = (word: string): string => (/^--[^=]+=$/.test(word) && typeOf(word.slice(2, -1)) === "flag-or-string" ? word.slice(0, -1) : word);
  const kept = argv.filter((_, i) => !moving.includes(i)).map(asTyped);
  const dash = kept.indexOf("--");
  const moved = dash < 0 ? [...kept, "--", ...unknown] : [...kept.slice(0, dash + 1), ...unknown, ...kept.slice(dash + 1)];
  // Quoted as a shell reads it back: `-o addopts=-ra --strict-markers` is one word (pytest-benchmark's trial pasted three).
  throw new UsageError(`${they}. pytest's options go after "--", and grimoire-run gives them to every pytest process: grimoire-run ${moved.map(shellQuote).join(" ")}`);
}

/** pytest's names of what grimoire-run does for the whole run under a name of its own (`-- --lf` is read as --last-failed too). */
const PYTEST_EQUIVALENTS: Readonly<Record<string, OptionName>> = { lf: "last-failed", ff: "failed-first", exitfirst: "fail-fast" };

/** "; did you mean fail-fast?" for a name that is meant to be an option's (see nearestOption), or nothing. */
export function didYouMean(key: string, prefix = ""): string {
  const name = nearestOption(key);
  return name === null ? "" : `; did you mean ${prefix}${name}?`;
}

/**
 * The option a name is meant to be, or null: pytest's name of it (`lf`), its words in another order (`json-report`:
 * three helpers' trials took it for pytest's and were sent after `--`), the first words of one option's name only
 * (`junit`), or one or two edits from one (`fail-fsat`).
 */
export function nearestOption(key: string): OptionName | null {
  const typed = key.toLowerCase().replaceAll("_", "-");
  const equivalent = PYTEST_EQUIVALENTS[typed];
  if (equivalent !== undefined) return equivalent;
  const words = typed.split("-").filter((word) => word !== "");
  const names = (Object.keys(OPTIONS) as OptionName[]).filter((name) => name.length >= 3);
  const reordered = names.find((name) => name !== typed && [...name.split("-")].sort().join("-") === [...words].sort().join("-"));
  if (reordered !== undefined) return reordered;
  const startingSo = names.filter((name) => name.split("-").length > words.length && name.split("-").slice(0, words.length).join("-") === words.join("-"));
  if (startingSo.length === 1 && typed.length >= 3) return startingSo[0] as OptionName;
  let best: { name: OptionName; distance: number } | null = null;
  // Short names are a few edits from anything: only a near miss of a long name is a typo worth naming.
  const allowed = Math.min(2, Math.floor(typed.length / 4));
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance <= allowed && (best === null || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}
