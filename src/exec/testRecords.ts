/**
 * Reads what grimoire-run's pytest plugin recorded while a pytest process ran
 * (GRIMOIRE_RESULTS_FILE, JSON lines): which files collection found tests in,
 * each test report with pytest's own category for it, collection errors, and
 * whether the session reached its end. Pure: text in, plain data out.
 */
import fs from "node:fs";
import path from "node:path";
import { toProjectPath } from "../projectPaths.js";
import { addCounts, emptyCounts, onlyDoctests, type TestCase, type TestCounts, type TestFailure, type TestOutcome } from "../model.js";

/** What one file's tests did in one process. */
/** The line the plugin prints once a serial run's process has collected (python/grimoire_run_pytest.py's COLLECTED_MARKER). */
export const COLLECTED_MARKER = "--grimoire-run:collected--";

/** Beside a process's JUnit report, the file a `--junitxml` of the user's names (python/grimoire_run_pytest.py's JUNIT_ASKED_NOTE). */
export const JUNIT_ASKED_NOTE = "junitxml-asked.txt";

export interface FileRecords {
  counts: TestCounts;
  cases: TestCase[];
  /** The file (or a folder above it) failed to collect. */
  collectError: boolean;
  /** Skipped while collecting (a module-level skip): counted and listed as one skipped test, as pytest's summary counts it. */
  collectSkips: number;
}

/** A warning pytest's summary counts: the file of the test that raised it (null: raised while collecting or configuring), where it was raised. */
export interface RecordedWarning {
  owner: string | null;
  message: string;
  file: string | null;
  line: number | null;
}

export interface ProcessRecords {
  /** Tests pytest collected, by absolute file path; null when collection never finished. */
  collected: ReadonlyMap<string, number> | null;
  /** pytest cut its collection short (-x at a module that does not import): the files after that point were not reached. */
  collectionCut: boolean;
  /** What cut it short was an exception (an interrupt, a stop of the run's, while a module imported): no test ran after it. */
  collectionStopped: boolean;
  /** The files pytest's --lf skipped whole (none of their tests failed last time): not run, as a plain `pytest --lf` says. */
  lastFailedSkipped: readonly string[];
  /** --last-failed: files none of whose named failed tests are among their tests now (renamed or removed): run whole. */
  lastFailedGone: readonly string[];
  /** Of those, the modules collected only for their doctests (--doctest-modules). */
  doctestModules: readonly string[];
  /** By absolute file path. */
  files: ReadonlyMap<string, FileRecords>;
  /** Absolute paths of the files and folders whose collection failed (a module or a conftest that does not import). */
  collectErrors: string[];
  /** pytest's session reached its end (its exit status), or null when the process ended before it did. */
  exitStatus: number | null;
  /** Seconds from the end of the collection to the session's end (its "finish" record), or null when it did not say. */
  testsSeconds: number | null;
  /** The warnings pytest's summary counted, in its order (from the "finish" record); none when it did not say. */
  warnings: RecordedWarning[];
  /** The session ended before any stop of grimoire-run's reached the process: on its own, every test run. */
  endedBeforeStop: boolean;
  /** Seconds the process spent importing each top-level package (GRIMOIRE_IMPORT_TIMES); empty when not asked. */
  imports: ReadonlyMap<string, PackageImport>;
  /** Seconds pytest-django's `django_db_setup` took to create and migrate the test databases, in a parallel run without --reuse-db; null when it did not run. */
  djangoDatabaseSeconds: number | null;
  /** The same for test databases that were all SQLite in memory, which --reuse-db cannot keep (files that share a process share them). */
  djangoMemorySeconds: number | null;
  /** The session-scoped fixtures the process's first test set up (a parallel run's), pytest-django's aside; empty when none. */
  sessionFixtures: readonly SessionFixture[];
  /** Node ids of the tests a plugin ties to tests outside the process (pytest-dependency, pytest-order), by plugin. */
  linked: ReadonlyMap<string, readonly string[]>;
  /** A serial run's one process, in place of the listing: pytest's rootdir, `testpaths` and `python_files`; null otherwise. */
  ini: PytestIni | null;
  /** The test a stop of grimoire-run's (a timeout, fail-fast, an interrupt) interrupted, with its file; null when none was running. */
  stoppedIn: { nodeid: string; path: string } | null;
  /** Files with a failed test or a collection error recorded before any stop interrupted a test: failures of their own, not the stop's doing. */
  failedBeforeStop: ReadonlySet<string>;
  /** The file of the last test pytest reported on: where a session whose order a plugin changed ended; null before any test. */
  lastTestPath: string | null;
  /** `pytest.exit()` ended the session on purpose: its reason and exit code; null when nothing called it. */
  exited: PytestExit | null;
  /** pytest-playwright's launch options the served browser lacks (--browser-server), for which the session launched its own; null when it connected. */
  ownBrowser: string[] | null;
  /** Under --browser-server, a test or conftest launched a browser with Playwright's launch() itself, not through pytest-playwright. */
  ownLaunch: boolean;
  /** Under --browser-server, the project's `connect_options` (where it is defined) took the place of grimoire-run's and gave pytest-playwright no endpoint, and `keyword` is the one Playwright's connect() takes; null when none did. */
  ownConnectOptions: { where: string; keyword: string } | null;
  /**
   * Packages the fork server preloaded that an import hook the file's session installed changes as it imports them
   * (typeguard's), by the hook's class: the file took them out of sys.modules and imported them again itself.
   */
  preloadHooked: ReadonlyMap<string, string>;
  /** The folders pytest-playwright wrote the failed tests' screenshots, traces and videos to (its --output). */
  artifactFolders: string[];
  /** pytest-xdist's xdist_group names of the collected tests, by file (a conftest's marks included); null when none were recorded. */
  groups: ReadonlyMap<string, readonly string[]> | null;
  /** What the process's `--durations` list would have shown, left to the run to print once (GRIMOIRE_MERGED_DURATIONS); null when not asked. */
  durations: ProcessDurations | null;
}

/** One process's share of a `--durations` list: pytest's settings for it, the phases it would show, longest first, and how many it would hide. */
export interface ProcessDurations {
  /** `--durations N`; 0 lists them all. */
  count: number;
  /** Phases shorter than this are hidden (--durations-min, else pytest's default for the verbosity). */
  min: number;
  /** --durations-min was given: pytest's line about hidden durations then leaves out its "-vv" advice. */
  minGiven: boolean;
  shown: PhaseDuration[];
  hidden: number;
}

export interface PhaseDuration {
  nodeid: string;
  when: string;
  seconds: number;
}

/** What `pytest.exit(reason, returncode)` said (pytest's exit code 2, "interrupted", when it gave none). */
export interface PytestExit {
  reason: string;
  returncode: number;
}

export interface PytestIni {
  rootdir: string;
  testpaths: string[];
  pythonFiles: string[];
  /** pytest's `--doctest-glob`s (its default `test*.txt`); empty with the doctest plugin off. */
  textFiles: string[];
}

/** Where a package lives: the project's folder, elsewhere but not installed (an editable install of another folder, PYTHONPATH), site-packages, Python's own library. */
export type PackageKind = "project" | "elsewhere" | "installed" | "stdlib";

export interface PackageImport {
  seconds: number;
  kind: PackageKind;
  /** The package's modules the process imported itself, by name (a preloaded package's submodules the files still import). */
  modules: readonly string[];
  /** A module of it was imported after the file changed os.environ or logging's configuration: that import may have read what the file set (or its logger escaped the configuration), so it is never learned as a preload. */
  afterChange: boolean;
  /** pytest rewrote the asserts of a module of it (register_assert_rewrite, -p): imported in the fork server it would not be, so it is never learned as a preload. */
  rewritten: boolean;
}

/** A session-scoped fixture a process set up for itself (its "session-fixtures" record). */
export interface SessionFixture {
  name: string;
  /** The project file that defines it, or a plugin's module. */
  where: string;
  /** Its set-up's and its teardown's (at the session's end), summed. */
  seconds: number;
  /** Of those, its teardown's (a "session-fixture-teardown" record); 0 when it took no time worth a record. */
  teardownSeconds: number;
  /** It made a Playwright object: the driver, a browser type, a browser or a context. */
  playwright: boolean;
  /** The engine of the browser it launched (chromium, firefox, webkit); null when it made none or did not say. */
  browser: string | null;
  /** The browser it launched with launch(executable_path=...), one installed apart from Playwright's; null for Playwright's own. */
  executable: string | null;
}

interface RawRecord {
  t?: string;
  nodeid?: string;
  path?: string;
  when?: string;
  category?: string;
  seconds?: number;
  /** A django-db record: the test databases made were all SQLite in memory. */
  memory?: boolean;
  files?: Record<string, number>;
  fixtures?: unknown;
  kinds?: unknown;
  cut?: unknown;
  stopped?: unknown;
  warnings?: unknown;
  lfSkipped?: unknown;
  exitstatus?: number;
  testsSeconds?: unknown;
  message?: string;
  longrepr?: string;
  sections?: { title?: unknown; text?: unknown }[];
  packages?: Record<string, { seconds?: unknown; kind?: unknown; modules?: unknown; afterChange?: unknown; rewritten?: unknown }>;
  plugin?: unknown;
  tests?: unknown;
  rootdir?: unknown;
  testpaths?: unknown;
  pythonFiles?: unknown;
  textFiles?: unknown;
  reason?: unknown;
  returncode?: unknown;
  options?: unknown;
  where?: unknown;
  name?: unknown;
  keyword?: unknown;
  paths?: unknown;
  count?: unknown;
  min?: unknown;
  minGiven?: unknown;
  shown?: unknown;
  hidden?: unknown;
}

/** The strings of a record's list; none when it is not a list. */
function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string") : [];
}

/** The well-formed entries of a "session-fixtures" record. */
function sessionFixturesOf(entries: readonly unknown[]): SessionFixture[] {
  const fixtures: SessionFixture[] = [];
  for (const entry of entries) {
    if (typeof entry !== "object" || entry === null) continue;
    const { name, where, seconds, playwright, browser, executable } = entry as Record<string, unknown>;
    if (typeof name !== "string" || typeof seconds !== "number" || !(seconds >= 0)) continue;
    fixtures.push({
      name,
      where: typeof where === "string" ? where : "",
      seconds,
      teardownSeconds: 0,
      playwright: playwright === true,
      browser: typeof browser === "string" ? browser : null,
      executable: typeof executable === "string" && executable !== "" ? executable : null,
    });
  }
  return fixtures;
}

/** The session fixtures with their teardowns' times added: a fixture whose set-up was quick is there by its teardown alone. */
function withTeardowns(fixtures: readonly SessionFixture[], teardowns: readonly RawRecord[]): SessionFixture[] {
  const all = fixtures.map((fixture) => ({ ...fixture }));
  for (const { name, where, seconds } of teardowns) {
    if (typeof name !== "string" || typeof seconds !== "number" || !(seconds >= 0)) continue;
    const place = typeof where === "string" ? where : "";
    const fixture = all.find((f) => f.name === name && f.where === place);
    if (fixture === undefined) all.push({ name, where: place, seconds, teardownSeconds: seconds, playwright: false, browser: null, executable: null });
    else {
      fixture.seconds += seconds;
      fixture.teardownSeconds += seconds;
    }
  }
  return all;
}

/** A failed report's details, when the record has them. */
function failureOf(record: RawRecord, when: string): TestFailure | null {
  if (typeof record.message !== "string") return null;
  const sections = Array.isArray(record.sections)
    ? record.sections.flatMap((section) => (typeof section?.title === "string" && typeof section.text === "string" ? [{ title: section.title, text: section.text }] : []))
    : [];
  return { when, message: record.message, text: typeof record.longrepr === "string" ? record.longrepr : null, sections };
}

/** pytest's report categories, as its summary line counts them. */
const COUNTED: Partial<Record<string, keyof TestCounts>> = {
  passed: "passed",
  failed: "failed",
  skipped: "skipped",
  error: "errors",
  xfailed: "xfailed",
  xpassed: "xpassed",
};

/** A test's phases combine to its worst outcome. */
const WEIGHT: Record<TestOutcome, number> = { passed: 0, skipped: 1, xfailed: 2, xpassed: 3, failed: 4, error: 5 };

export function parseRecords(text: string): ProcessRecords {
  let collected: Map<string, number> | null = null;
  let collectionCut = false;
  let collectionStopped = false;
  let lastFailedSkipped: string[] = [];
  const lastFailedGone: string[] = [];
  let doctestModules: string[] = [];
  const files = new Map<string, FileRecords>();
  const collectErrors: string[] = [];
  // Each test by its file and node id, as pytest reports it: `ended` once its teardown is recorded, `rerun` while a rerun of it
  // (pytest-rerunfailures) is under way.
  const tests = new Map<string, { file: FileRecords; test: TestCase; outcome: TestOutcome | null; ended: boolean; rerun: boolean }>();
  let exitStatus: number | null = null;
  let testsSeconds: number | null = null;
  let warnings: RecordedWarning[] = [];
  let stopSeen = false;
  let endedBeforeStop = false;
  const imports = new Map<string, PackageImport>();
  let djangoDatabaseSeconds: number | null = null;
  let djangoMemorySeconds: number | null = null;
  const sessionFixtures: SessionFixture[] = [];
  const teardowns: RawRecord[] = [];
  const linked = new Map<string, string[]>();
  let ini: PytestIni | null = null;
  let stoppedIn: { nodeid: string; path: string } | null = null;
  const failedBeforeStop = new Set<string>();
  let exited: PytestExit | null = null;
  let lastTestPath: string | null = null;
  let ownBrowser: string[] | null = null;
  let ownLaunch = false;
  let ownConnectOptions: { where: string; keyword: string } | null = null;
  const preloadHooked = new Map<string, string>();
  const artifactFolders: string[] = [];
  let groups: Map<string, string[]> | null = null;
  let durations: ProcessDurations | null = null;
  const fileOf = (file: string): FileRecords => {
    let entry = files.get(file);
    if (entry === undefined) {
      entry = { counts: emptyCounts(), cases: [], collectError: false, collectSkips: 0 };
      files.set(file, entry);
    }
    return entry;
  };

  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let record: RawRecord;
    try {
      record = JSON.parse(line) as RawRecord;
    } catch {
      // A line cut short by a kill: what came before it still stands.
      continue;
    }
    if (record.t === "collected" && record.files !== undefined) {
      collected = new Map(Object.entries(record.files));
      collectionCut = record.cut === true;
      collectionStopped = record.stopped === true;
      lastFailedSkipped = Array.isArray(record.lfSkipped) ? strings(record.lfSkipped) : [];
      const kinds = typeof record.kinds === "object" && record.kinds !== null ? Object.entries(record.kinds as Record<string, unknown>) : [];
      doctestModules = kinds.filter(([, names]) => Array.isArray(names) && onlyDoctests(strings(names))).map(([file]) => file);
    } else if (record.t === "lf-gone" && Array.isArray(record.files)) {
      lastFailedGone.push(...strings(record.files));
    } else if (record.t === "deselected" && record.files !== undefined) {
      for (const [path, count] of Object.entries(record.files)) if (typeof count === "number") fileOf(path).counts.deselected += count;
    } else if (record.t === "collect-error" && typeof record.path === "string") {
      const file = fileOf(record.path);
      file.collectError = true;
      if (!stopSeen) failedBeforeStop.add(record.path);
      file.counts.errors++;
      const failure = failureOf(record, "collect");
      file.cases.push({ nodeid: record.nodeid ?? "", outcome: "error", seconds: 0, ...(failure === null ? {} : { failures: [failure] }) });
      collectErrors.push(record.path);
    } else if (record.t === "collect-skip" && typeof record.path === "string") {
      const file = fileOf(record.path);
      file.collectSkips++;
      file.counts.skipped++;
      file.cases.push({ nodeid: record.nodeid ?? "", outcome: "skipped", seconds: 0, ...(typeof record.reason === "string" && record.reason !== "" ? { reason: record.reason } : {}) });
    } else if (record.t === "test" && typeof record.path === "string" && typeof record.nodeid === "string") {
      const category = record.category ?? "";
      // The test a stop interrupted that caught the KeyboardInterrupt it was stopped with (click's CliRunner does, and
      // its command then exits 1, "Aborted!") and failed for it: the stop's doing, as a test killed there, which has no
      // outcome. Counted, a file stopped by --fail-fast said "1 failed before it was stopped" of a test that failed
      // after, because of the stop (a helper's trial of sqlite-utils).
      if (stopSeen && (category === "failed" || category === "error") && stoppedIn?.nodeid === record.nodeid && stoppedIn.path === record.path) continue;
      const file = fileOf(record.path);
      lastTestPath = record.path;
      const counted = COUNTED[category];
      if (counted !== undefined) file.counts[counted]++;
      if ((category === "failed" || category === "error") && !stopSeen) failedBeforeStop.add(record.path);
      const outcome: TestOutcome | null = counted === undefined ? (record.when === "call" ? "passed" : null) : (category === "error" ? "error" : (category as TestOutcome));
      const key = `${record.path}\0${record.nodeid}`;
      let known = tests.get(key);
      // Another test of the same node id (a plugin's collector that names two items alike): pytest sets it up after the
      // first one's teardown, and counts and reports it on its own. A rerun's setup is the same test's next attempt.
      if (known !== undefined && record.when === "setup" && known.ended && !known.rerun) known = undefined;
      if (known === undefined) {
        known = { file, test: { nodeid: record.nodeid, outcome: "passed", seconds: 0 }, outcome: null, ended: false, rerun: false };
        tests.set(key, known);
      } else if (record.when === "setup") {
        known.ended = false;
        known.rerun = false;
      }
      if (category === "rerun") known.rerun = true;
      if (record.when === "teardown") known.ended = true;
      // pytest's own clock, which a test's frozen or travelling time (freezegun, time-machine) can make negative.
      known.test.seconds += typeof record.seconds === "number" && record.seconds > 0 ? record.seconds : 0;
      const failure = failureOf(record, record.when ?? "call");
      if (failure !== null) known.test.failures = [...(known.test.failures ?? []), failure];
      if (outcome !== null && (known.outcome === null || WEIGHT[outcome] >= WEIGHT[known.outcome])) {
        // A test becomes a case once a phase has an outcome: one whose setup alone ran (killed there) did not complete.
        if (known.outcome === null) known.file.cases.push(known.test);
        known.outcome = outcome;
        known.test.outcome = outcome;
      }
    } else if (record.t === "finish" && typeof record.exitstatus === "number") {
      exitStatus = record.exitstatus;
      endedBeforeStop = !stopSeen;
      if (typeof record.testsSeconds === "number" && record.testsSeconds >= 0) testsSeconds = record.testsSeconds;
      if (Array.isArray(record.warnings)) warnings = warningsOf(record.warnings);
    } else if (record.t === "django-db" && typeof record.seconds === "number" && record.seconds >= 0) {
      if (record.memory === true) djangoMemorySeconds = (djangoMemorySeconds ?? 0) + record.seconds;
      else djangoDatabaseSeconds = (djangoDatabaseSeconds ?? 0) + record.seconds;
    } else if (record.t === "session-fixtures" && Array.isArray(record.fixtures)) {
      sessionFixtures.push(...sessionFixturesOf(record.fixtures));
    } else if (record.t === "session-fixture-teardown") {
      teardowns.push(record);
    } else if (record.t === "groups" && typeof record.files === "object" && record.files !== null) {
      groups = new Map();
      for (const [file, names] of Object.entries(record.files as Record<string, unknown>)) {
        if (Array.isArray(names)) groups.set(file, strings(names));
      }
    } else if (record.t === "artifacts" && Array.isArray(record.paths)) {
      artifactFolders.push(...strings(record.paths));
    } else if (record.t === "durations" && typeof record.count === "number" && typeof record.min === "number" && typeof record.hidden === "number") {
      durations = { count: record.count, min: record.min, minGiven: record.minGiven === true, shown: phases(record.shown), hidden: record.hidden };
    } else if (record.t === "own-browser" && Array.isArray(record.options)) {
      ownBrowser = strings(record.options);
    } else if (record.t === "own-launch") {
      ownLaunch = true;
    } else if (record.t === "own-connect-options" && typeof record.where === "string" && typeof record.keyword === "string") {
      ownConnectOptions = { where: record.where, keyword: record.keyword };
    } else if (record.t === "preload-hooked" && typeof record.packages === "object" && record.packages !== null) {
      for (const [name, hook] of Object.entries(record.packages)) if (typeof hook === "string") preloadHooked.set(name, hook);
    } else if (record.t === "exit" && typeof record.reason === "string" && typeof record.returncode === "number") {
      exited = { reason: record.reason, returncode: record.returncode };
    } else if (record.t === "stopped") {
      stopSeen = true;
      if (typeof record.nodeid === "string" && typeof record.path === "string") stoppedIn = { nodeid: record.nodeid, path: record.path };
    } else if (record.t === "ini" && typeof record.rootdir === "string") {
      ini = { rootdir: record.rootdir, testpaths: strings(record.testpaths), pythonFiles: strings(record.pythonFiles), textFiles: strings(record.textFiles) };
    } else if (record.t === "linked" && typeof record.plugin === "string" && Array.isArray(record.tests)) {
      linked.set(record.plugin, [...(linked.get(record.plugin) ?? []), ...strings(record.tests)]);
    } else if (record.t === "imports" && typeof record.packages === "object" && record.packages !== null) {
      for (const [name, entry] of Object.entries(record.packages)) {
        const kind = entry?.kind;
        const modules = strings(entry?.modules);
        if (typeof entry?.seconds === "number" && (kind === "project" || kind === "elsewhere" || kind === "installed" || kind === "stdlib")) imports.set(name, { seconds: entry.seconds, kind, modules, afterChange: entry.afterChange === true, rewritten: entry.rewritten === true });
      }
    }
  }
  for (const file of files.values()) for (const test of file.cases) test.seconds = Math.round(test.seconds * 1e6) / 1e6;
  return { collected, collectionCut, collectionStopped, lastFailedSkipped, lastFailedGone, doctestModules, files, collectErrors, exitStatus, testsSeconds, warnings, endedBeforeStop, imports, djangoDatabaseSeconds, djangoMemorySeconds, linked, ini, stoppedIn, failedBeforeStop, lastTestPath, exited, ownBrowser, ownLaunch, ownConnectOptions, preloadHooked, artifactFolders, groups, durations, sessionFixtures: withTeardowns(sessionFixtures, teardowns) };
}

/** A durations record's phases, `[nodeid, when, seconds]` each. */
function phases(value: unknown): PhaseDuration[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (!Array.isArray(entry)) return [];
    const [nodeid, when, seconds] = entry as unknown[];
    return typeof nodeid === "string" && typeof when === "string" && typeof seconds === "number" ? [{ nodeid, when, seconds }] : [];
  });
}

/** The plugin's records of one process, with project paths, or null when it wrote none (pytest never got as far as configuring itself). */
export function readRecords(file: string, root: string): ProcessRecords | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  return relativeRecords(parseRecords(text), root);
}

/** The finish record's warnings, [owner, message, file, line] each; an entry not so is left out. */
function warningsOf(entries: readonly unknown[]): RecordedWarning[] {
  const text = (value: unknown): string | null => (typeof value === "string" ? value : null);
  return entries.flatMap((entry) => {
    if (!Array.isArray(entry) || typeof entry[1] !== "string") return [];
    const [owner, message, file, line] = entry as unknown[];
    return [{ owner: text(owner), message: message as string, file: text(file), line: typeof line === "number" ? line : null }];
  });
}

/** The same records with every path made relative to the project root (with `/`), as files are named everywhere else. */
export function relativeRecords(records: ProcessRecords, root: string): ProcessRecords {
  const relative = (file: string): string => toProjectPath(root, file);
  return {
    collected: records.collected === null ? null : new Map([...records.collected].map(([file, count]) => [relative(file), count])),
    collectionCut: records.collectionCut,
    collectionStopped: records.collectionStopped,
    lastFailedSkipped: records.lastFailedSkipped.map(relative),
    lastFailedGone: records.lastFailedGone.map(relative),
    doctestModules: records.doctestModules.map(relative),
    files: byProjectPath(records.files, relative),
    collectErrors: records.collectErrors.map(relative),
    exitStatus: records.exitStatus,
    testsSeconds: records.testsSeconds,
    warnings: records.warnings.map((warning) => ({ ...warning, owner: warning.owner === null ? null : relative(warning.owner), file: warning.file === null ? null : relative(warning.file) })),
    endedBeforeStop: records.endedBeforeStop,
    imports: records.imports,
    djangoDatabaseSeconds: records.djangoDatabaseSeconds,
    djangoMemorySeconds: records.djangoMemorySeconds,
    sessionFixtures: records.sessionFixtures,
    linked: records.linked,
    ini: records.ini,
    stoppedIn: records.stoppedIn === null ? null : { nodeid: records.stoppedIn.nodeid, path: relative(records.stoppedIn.path) },
    failedBeforeStop: new Set([...records.failedBeforeStop].map(relative)),
    lastTestPath: records.lastTestPath === null ? null : relative(records.lastTestPath),
    exited: records.exited,
    ownBrowser: records.ownBrowser,
    ownLaunch: records.ownLaunch,
    preloadHooked: records.preloadHooked,
    ownConnectOptions: records.ownConnectOptions === null ? null : { ...records.ownConnectOptions, where: path.isAbsolute(records.ownConnectOptions.where) ? relative(records.ownConnectOptions.where) : records.ownConnectOptions.where },
    artifactFolders: records.artifactFolders,
    groups: records.groups === null ? null : new Map([...records.groups].map(([file, names]) => [relative(file), names])),
    durations: records.durations,
  };
}

/**
 * The files' records under their project paths. Two spellings of one file's
 * path (a record written while a test had os.path patched) make one entry,
 * not the later in place of the earlier.
 */
function byProjectPath(files: ReadonlyMap<string, FileRecords>, relative: (file: string) => string): Map<string, FileRecords> {
  const merged = new Map<string, FileRecords>();
  for (const [file, entry] of files) {
    const key = relative(file);
    const known = merged.get(key);
    if (known === undefined) {
      merged.set(key, entry);
      continue;
    }
    merged.set(key, { counts: addCounts({ ...known.counts }, entry.counts), cases: [...known.cases, ...entry.cases], collectError: known.collectError || entry.collectError, collectSkips: known.collectSkips + entry.collectSkips });
  }
  return merged;
}
