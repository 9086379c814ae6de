/**
 * Every default grimoire-run uses, named, with the reason it is what it is.
 * The docs (docs/options.md) quote these; change both together.
 */

/** Both suites unless told otherwise: a pre-push hook or CI job wants the whole picture. */
export const DEFAULT_SCOPE = "all";

/** One worker per CPU (never more than files): pytest processes are CPU-bound while they start, and the machine is the limit. */
export const DEFAULT_WORKERS = "auto";

/** Failed files first, then new ones, then the longest: fails fast, and keeps the pool busy to the end. */
export const DEFAULT_ORDER = "history";

/** No retries unless asked: a retry hides a failure, so it must be a decision. */
export const DEFAULT_RETRIES = 0;

/** No pause between iterations: sustained load is what a repeated run is for. */
export const DEFAULT_DELAY_SECONDS = 0;

/**
 * The installed packages the conftests import (numpy, a web framework, an ORM)
 * are imported once in the fork server, for every file to inherit: each forked
 * file is still a copy of its own, so nothing one file does to them reaches
 * another, and a package whose import reads what differs between files, or
 * starts a thread, is left to each file. The project's own code never is.
 */
export const DEFAULT_AUTO_PRELOAD = true;

/**
 * Files run whole unless asked: splitting a file across processes runs its
 * module- and session-scoped fixtures once per part, which some suites cannot
 * afford (a browser login per part, a database per part).
 */
export const DEFAULT_SPLIT = "off";

/** A server and a clone per file: full isolation; per slot is the cheaper opt-in. */
export const DEFAULT_ISOLATION = "file";

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

/**
 * Seconds after which a file still running is named on the console (again
 * at twice and four times as long, and so on). A minute is longer than most
 * files take and short enough that a file waiting forever (for a port
 * another file holds, for input) is pointed out long before a CI job's own
 * time limit ends the run without a word. As cargo-nextest's slow-timeout.
 */
export const DEFAULT_SLOW_NOTICE_SECONDS = 60;

/**
 * How long output may keep flowing after a process is gone, before its pipes
 * are closed by force: a grandchild that inherited them (a server a test
 * forgot) must not hold the run up.
 */
export const DRAIN_AFTER_EXIT_MS = 2_000;

/**
 * How long what a pytest process leaves in its group may take to end by itself once pytest has
 * exited, before it counts as left behind and is killed: multiprocessing's resource tracker, which
 * ignores SIGTERM, ends when the last process using it exits, a few milliseconds after pytest.
 */
export const LEFTOVER_SETTLE_MS = 300;

/**
 * How long a run whose files are done waits for pytest's listing session to end before it says what it waits for
 * (pytest removing older numbered temporary folders as the session ends: 37 s, without a word, in a helper's trial).
 */
export const LISTING_END_NOTICE_MS = 2_000;
/**
 * How long a managed run's end waits for its app servers to stop and its database clones to be dropped before it says
 * so: PostgreSQL drops one database at a time, each after a checkpoint, and a Ctrl-C took 2 to 8.8 s, without a word,
 * on a loaded machine (a helper's trial), long enough for a second Ctrl-C that leaves the clones behind.
 */
export const MANAGED_CLOSE_NOTICE_MS = 2_000;

/**
 * How long a serial run holds pytest's first lines for the "Found N test files" line its process says once it has
 * collected (the first line, by the interface contract) before it says on stderr that pytest is still collecting (a
 * collection of 10 s said nothing for 10 s in a helper's trial on python-multipart).
 */
export const SERIAL_HOLD_MS = 1_000;

/** Servers that finished files left listening, kept running for the other files until the run ends: those of at most this many files (a server with its workers counts once), the oldest file's killed beyond it (process/listeningLeftovers.ts). */
export const LISTENING_LEFTOVERS_KEPT = 8;

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

/**
 * Characters of a failed test's report (its traceback) and of each section
 * of its captured output kept for the JSON and HTML reports: longer than
 * pytest's default tracebacks almost always are, and the end is kept (where
 * the error is). The log has every character.
 */
export const FAILURE_TEXT_CHARS = 8_000;

/**
 * Failures per pytest process whose report and output are kept; later ones
 * keep their one-line message only. A parametrized test failing a thousand
 * times must not make a report of tens of megabytes, and the first fifty
 * failures of a file show what went wrong.
 */
export const FAILURE_DETAILS_PER_PROCESS = 50;

/**
 * Screenshots, traces and other files a process's tests wrote that the HTML
 * report links one by one; past it, the report links their folder.
 */
export const ARTIFACT_FILES_LISTED = 50;

/**
 * How long combining the run's coverage data and writing pytest-cov's
 * reports may take: an HTML report of a large project takes a minute or two;
 * past ten, something hangs.
 */
export const COVERAGE_TIMEOUT_SECONDS = 600;

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

/** How long a git command (install-hook) may take: git answers in milliseconds; a hang is a broken setup. */
export const GIT_TIMEOUT_MS = 30_000;

/** Seconds the pytest import check may take before the Python command is reported as hanging. */
export const PYTHON_CHECK_TIMEOUT_SECONDS = 60;

/**
 * Managed servers: polled at the root of their port, and given 15 seconds,
 * enough for a framework's cold start (Django, Rails) without leaving a
 * server that hangs at start-up unnoticed for long.
 */
export const DEFAULT_SERVER_READY_URL = "http://127.0.0.1:{port}/";
export const DEFAULT_SERVER_TIMEOUT_SECONDS = 15;

/**
 * How often a managed server's ready URL is polled: a tenth of a second is
 * far below a framework's start-up and costs the server nothing.
 */
export const SERVER_READY_POLL_MS = 100;

/**
 * How long the check that --base-url answers may take. It runs while pytest
 * lists the files, which takes about as long, so it delays nothing unless
 * packets to the server vanish without an answer; a refused connection or an
 * unknown host is known at once, and a server on another continent accepts
 * a TCP connection in a fraction of this.
 */
export const BASE_URL_PROBE_TIMEOUT_MS = 1_000;

/** How long one readiness probe may take before it counts as "not yet": a server still booting may accept and not answer. */
export const SERVER_READY_PROBE_TIMEOUT_MS = 1_000;

/**
 * Ports tried for one server when the free port chosen was taken before the
 * server could bind it (another process, or another server of this run, won
 * the race): three misses in a row mean something else is wrong.
 */
export const SERVER_BIND_RACE_ATTEMPTS = 3;

/**
 * Database connections counted for each file's clone (its app server's pool
 * and its tests'): SQLAlchemy's default pool holds five, Django one per
 * thread. With max_connections, it bounds how many files run at once.
 */
export const DB_CONNECTIONS_PER_LEASE = 5;

/**
 * How many leases (a server and a clone) a slot may prepare ahead of its
 * running file: as many as it takes for a server's start to be hidden behind
 * the files before it, up to three, since each holds memory and database
 * connections while it waits.
 */
export const MAX_LEASES_AHEAD_PER_SLOT = 3;

/** The variable most frameworks read their database from (Django via dj-database-url, Rails, SQLAlchemy setups, Heroku). */
export const DEFAULT_DATABASE_ENV = "DATABASE_URL";

/**
 * How long the fork server may take to import pytest and its plugins and run
 * its empty warm-up session: a minute covers a slow disk and heavy plugins;
 * past it, files are started afresh instead.
 */
export const FORK_SERVER_READY_TIMEOUT_MS = 60_000;

/** How long a history lock held by a live run is waited for before this run gives up recording (it is only a hint). */
export const HISTORY_LOCK_WAIT_MS = 5_000;

/** How often a held history lock is looked at again: a write under it takes about a millisecond. */
export const HISTORY_LOCK_POLL_MS = 10;

/**
 * --pack and doctest modules: one pack per worker. Each pack pays one pytest
 * start-up, and the packs are balanced by recorded duration, so the workers
 * finish together.
 */
export const PACKS_PER_WORKER = 1;

/**
 * What a file costs a pack beyond its tests' recorded time (the seconds a
 * packed file's history keeps): collecting the module and reporting on it.
 * Measured: a pack of 108 one-test files took pytest 0.25 s, one of 12 files
 * 0.03 s (about 2.3 ms a file); plain pytest over 120 such files takes 0.11 s
 * more than over one.
 */
export const PACKED_FILE_SECONDS = 0.002;

/** The duration assumed for a file with no history when no file has any: only the relative sizes matter. */
export const UNKNOWN_FILE_SECONDS = 1;

/**
 * How long a browser server may take to launch its browser: a cold Chromium
 * starts in well under a second; thirty leave room for a loaded CI machine.
 */
export const BROWSER_SERVER_START_TIMEOUT_MS = 30_000;

/**
 * How many worker slots share one browser server (each file still gets its
 * own connection and a fresh context per test). Two slots on one Chromium
 * spare a second browser and a second server process: on 8 quick Playwright
 * files at -n 2, about 1.1 s of the run's 12.6 s of CPU (docs/playwright.md).
 * More slots than that would queue their pages behind one browser process's
 * main thread, which a 2-core machine cannot measure, so larger runs get one
 * browser per pair.
 */
export const BROWSER_SLOTS_PER_SERVER = 2;

/**
 * Chromium's flags for a browser server: quiet and offline-friendly.
 * Without them Chromium phones home (updates, sync, field trials) and, on a
 * closed network, logs refused connections; in a container /dev/shm is small.
 */
export const CHROMIUM_QUIET_ARGS = [
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
] as const;

/**
 * How far a file's remembered duration moves towards its latest run: an
 * exponential moving average that follows a file that got slower within a
 * few runs, without letting one slow run on a busy machine reorder the suite.
 */
export const HISTORY_SMOOTHING = 0.5;

/**
 * Outcomes remembered per file and per test, for flake rates: twenty runs
 * show a test that fails one run in ten within a couple of weeks of daily
 * pushes, and forget a flake that was fixed within as many runs. Twenty
 * letters per test keep history.json small on suites of thousands of tests.
 */
export const HISTORY_RECENT_RUNS = 20;

/**
 * The longest test node id the history remembers a test by (its letters, its seconds, a failure for --last-failed).
 * python-multipart's suite parametrizes tests with payloads of megabytes, which pytest puts in their ids: its history
 * held 40 MB of them, read and written again by every run (a helper's trial). Such a test is not remembered on its own:
 * --split leaves it to the part that runs the file's other tests, and --last-failed runs its file whole.
 */
export const HISTORY_NODEID_MAX_CHARS = 2_000;

/**
 * --pack: a file that took under a second is one whose pytest start-up
 * (0.05 to 0.7 s) is a large part of its cost, worth sharing; a longer file
 * gains little from sharing and keeps its isolation.
 */
export const DEFAULT_PACK_UNDER_SECONDS = 1;

/**
 * --changed: folders never searched for the project's Python modules, at any
 * depth, besides hidden ones (`.venv`, `.tox`, `.git`) and any folder holding
 * a `pyvenv.cfg` (a virtualenv by another name). They hold installed or
 * generated code, never a module the project's tests import from the project.
 */
export const IMPORT_SCAN_SKIPPED_FOLDERS = ["node_modules", "__pycache__", "site-packages", "venv", "*.egg-info"];

/** --changed: how many changed files a message names before it only counts the rest. */
export const CHANGED_FILES_NAMED = 10;

/**
 * pytest's configuration files, looked for in the project's folder and the
 * folders above it. --changed runs everything when one of them changes: an
 * ini setting (addopts, markers, filterwarnings) can change any test.
 */
export const PYTEST_CONFIG_FILES = ["pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"];

/**
 * A package the run's files imported each for itself is named, with
 * `--preload`, at the run's end when its imports added up to at least this
 * many seconds: below it, what a preload saves is lost in a run's noise.
 */
export const PRELOAD_HINT_MIN_SECONDS = 1;

/** …and to at least this share of the files' summed time: a package that costs a run little is not worth a preload's trade-offs. */
export const PRELOAD_HINT_MIN_SHARE = 0.05;

/**
 * Auto-preload learns from the files too: an installed package that one file
 * took at least this many seconds to import for itself is imported by the fork
 * server once that file has ended, for the files forked after. Below it, the
 * server's import (files are not forked meanwhile) costs about what it saves.
 */
export const LEARNED_PRELOAD_MIN_SECONDS = 0.05;

/** At most this many packages are named, the costliest first. */
export const PRELOAD_HINT_MAX_NAMED = 3;

/**
 * A parallel run without --pack suggests it at its end when at least this many
 * files, each under --pack-under, ran in processes of their own…
 */
export const QUICK_FILES_HINT_MIN_FILES = 20;

/**
 * …and they spent at least this many seconds beside their tests (their own pytest sessions, which a pack shares:
 * a run that loses less to them gains little)…
 */
export const QUICK_FILES_HINT_MIN_SECONDS = 8;

/** …which is at least this share of all the files' summed time: a run whose time is in its tests gains little from packing. */
export const QUICK_FILES_HINT_MIN_SHARE = 0.2;

/**
 * A small suite gets the hint for fewer seconds where the sessions are most of its time: simplejson's 44 files, about
 * 6 s at 2 workers, took 4 s with --pack, and got no hint (a helper's trial).
 */
export const QUICK_FILES_HINT_SMALL_MIN_SECONDS = 3;
export const QUICK_FILES_HINT_SMALL_MIN_SHARE = 0.5;

/**
 * An end-of-run hint that names --pack for what each file's session makes for itself (pytest-django's in-memory test
 * database, session-scoped fixtures) needs at least this many files that made it per worker: a pack makes it once per
 * worker's share, so the files beyond the workers are what it saves (three files of a browser suite at 2 workers
 * gained nothing; django-taggit's 8 at 2 took 17.7 s against 7.1 s packed).
 */
export const PACK_HINT_MIN_FILES_PER_WORKER = 3;

/**
 * A parallel run says during its course that each file makes for itself what a pack would make once (pytest-django's
 * in-memory test database, session-scoped fixtures) when, at the pace of its first files, the files left would spend
 * at least this many seconds more on it (workers at a time)…
 */
export const EARLY_PACK_HINT_MIN_SECONDS = 60;

/** …and it is at least this share of those first files' time. */
export const EARLY_PACK_HINT_MIN_SHARE = 0.25;

/**
 * A parallel run without --split suggests `--split auto` at its end when
 * splitting its longest file could have saved at least this many seconds…
 */
export const LONG_FILE_HINT_MIN_SECONDS = 2;

/** …and at least this share of that file's time: a few seconds off a long file are noise, not a reason to split it. */
export const LONG_FILE_HINT_MIN_SHARE = 0.15;

/** How much of a leftover process's command line its warning shows: enough to tell a server from a worker. */
export const LEFTOVER_COMMAND_CHARS = 120;
