/**
 * Every default grimoire-run uses, named, with the reason it is what it is.
 * The docs (docs/options.md) quote these; change both together.
 */

/** Folders searched under each scope, relative to the project root. */
export const SCOPE_FOLDERS = {
  e2e: ["tests/e2e"],
  http: ["tests/http"],
  all: ["tests/e2e", "tests/http"],
} as const;

/** pytest's own default for `python_files`. */
export const DEFAULT_PYTHON_FILES = ["test_*.py", "*_test.py"];

/**
 * pytest's own default for `norecursedirs`. Discovery skips the same folders
 * pytest would, so that a vendored package's tests never run.
 */
export const DEFAULT_NORECURSEDIRS = [
  "*.egg",
  ".*",
  "_darcs",
  "build",
  "CVS",
  "dist",
  "node_modules",
  "venv",
  "{arch}",
];

/**
 * Seconds between SIGTERM and SIGKILL. Two seconds lets a browser or a server
 * flush and close cleanly, and keeps a fail-fast stop well under the time it
 * takes a developer to switch windows.
 */
export const DEFAULT_KILL_GRACE_SECONDS = 2;

/** How often a dying tree is checked while waiting for it to go. */
export const KILL_POLL_MS = 25;

/** How often the tree is re-scanned during the grace period, to catch children spawned meanwhile. */
export const KILL_RESCAN_MS = 250;

/**
 * After SIGKILL, how long to keep re-scanning and re-killing before giving up
 * on a process (one stuck in uninterruptible sleep) and reporting it.
 */
export const KILL_GIVE_UP_MS = 5_000;

/**
 * Lines of each file's output kept in memory, for the summary of a failed or
 * timed-out file. Everything else goes straight to the log file.
 */
export const TAIL_LINES = 30;

/**
 * A line longer than this is cut into pieces: one file printing megabytes
 * without a newline must not grow grimoire-run's memory.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/** Where logs and state live, relative to the project root. Safe to delete. */
export const STATE_DIR = ".grimoire";

/** Log folders of older runs kept under `.grimoire/logs`; older ones are pruned at start. */
export const KEPT_LOG_RUNS = 20;

/** Longest tag printed before each output line; longer names are shortened. */
export const MAX_TAG_WIDTH = 18;

/** Python candidates tried in order when `--python` is not given (relative to the project root). */
export const VIRTUALENV_PYTHONS = [".venv/bin/python", "venv/bin/python"];

/** The Python used when no virtualenv or uv project is found. */
export const FALLBACK_PYTHON = "python3";

/** Seconds the pytest import check may take before the Python command is reported as hanging. */
export const PYTHON_CHECK_TIMEOUT_SECONDS = 60;

/**
 * Managed servers: polled at the root of their port, and given 15 seconds,
 * enough for a framework's cold start (Django, Rails) without leaving a
 * server that hangs at start-up unnoticed for long.
 */
export const DEFAULT_SERVER_READY_URL = "http://127.0.0.1:{port}/";
export const DEFAULT_SERVER_TIMEOUT_SECONDS = 15;

/** The variable most frameworks read their database from (Django via dj-database-url, Rails, SQLAlchemy setups, Heroku). */
export const DEFAULT_DATABASE_ENV = "DATABASE_URL";

/**
 * How far a file's remembered duration moves towards its latest run: an
 * exponential moving average that follows a file that got slower within a
 * few runs, without letting one slow run on a busy machine reorder the suite.
 */
export const HISTORY_SMOOTHING = 0.5;

/**
 * --pack: a file that took under a second is one whose pytest start-up
 * (0.05 to 0.7 s) is a large part of its cost, worth sharing; a longer file
 * gains little from sharing and keeps its isolation.
 */
export const DEFAULT_PACK_UNDER_SECONDS = 1;
