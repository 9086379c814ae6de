/**
 * Runs a batch as one pytest process: its command (pytestCommand.ts), its
 * log, JUnit and records files, and the translation of the process's fate
 * into file results.
 */
import fs from "node:fs";
import path from "node:path";
import type { RunEvents, BatchStart } from "../events.js";
import { isFailure, PYTEST_USAGE_ERROR, type FileResult } from "../model.js";
import { toProjectPath } from "../projectPaths.js";
import type { PythonCommand } from "../python.js";
import type { Placement, BatchRunner, BatchSignals } from "./executor.js";
import type { Batch, TestFile } from "../model.js";
import type { Launcher } from "../process/launch.js";
import type { ManagedEnvironment } from "../managed/leases.js";
import type { BrowserConnection, BrowserServers } from "../browsers/browserServers.js";
import { BasetempNames, failedConftest, isOwnJunitNote, logName, pytestArgs, pytestEnv, targetsOf, writeOnlyFile, type CommandSettings, type EnvSettings } from "./pytestCommand.js";
import { goneBeforeItsTurn, resultOfFile, resultsOfSerialRun, statusOf, withWarnings } from "./results.js";
import { runProcess, type ProcessReport } from "../process/runProcess.js";
import { after } from "../process/sleep.js";
import { treeCpuOf } from "../process/processTree.js";
import type { DjangoDatabaseTally } from "./djangoDatabases.js";
import type { SessionFixtureTally } from "./sessionFixtures.js";
import type { LinkedTestTally } from "./linkedTests.js";
import type { ImportTally } from "./importTimes.js";
import { COLLECTED_MARKER, readRecords, type PackageImport, type ProcessRecords, type PytestExit, type PytestIni } from "./testRecords.js";
import { describePack } from "../format.js";
import { ARTIFACT_FILES_LISTED } from "../defaults.js";
import { processDataFile } from "../coverage/dataFiles.js";
import type { OwnBrowserTally } from "../browsers/ownBrowsers.js";
import type { DurationsTally } from "../report/durations.js";
import { killKept, type ListeningLeftovers } from "../process/listeningLeftovers.js";

export interface PytestSettings extends CommandSettings, EnvSettings {
  root: string;
  python: PythonCommand;
  /** Absolute. */
  logDir: string;
  /**
   * A serial run of the whole selection gets exactly a plain run's arguments
   * (these), with no limit; null when the selection was narrowed (a CI
   * batch, --last-failed), which limits it to its files.
   */
  plainTargets: string[] | null;
  timeoutSeconds: number | null;
  killGraceSeconds: number;
  /** --slow-notice, in parallel mode. */
  slowNoticeSeconds: number;
  events: RunEvents;
  clock: () => number;
  /** Managed servers and databases, leased for each batch; null when grimoire-run starts none. */
  environment: ManagedEnvironment | null;
  /** A browser server per slot (--browser-server), whose endpoint each process gets; null without. */
  browsers: BrowserServers | null;
  /** Starts each pytest process: forked from the fork server where there is one, else afresh. */
  launcher: Launcher;
  /** Whether the launcher forks now (shown in --verbose command lines): false once the fork server is gone. */
  forked: () => boolean;
  /** pytest-cov measures: each process writes its own data file, for the run to combine. */
  coverage: boolean;
  /** Adds up what each forked file imported for itself (what --preload could import once); null when nobody asks. */
  importTally: ImportTally | null;
  /** Told what each forked file imported for itself, once it has ended (--preload follows its packages there); null when nobody asks. */
  onImports: ((imports: ReadonlyMap<string, PackageImport>) => void) | null;
  /** Adds up what each file spent making pytest-django's test database (what --reuse-db makes once per slot); null when nobody asks. */
  djangoDatabases: DjangoDatabaseTally | null;
  /** Adds up the session-scoped fixtures each file's own process set up for itself (what --browser-server or --pack sets up once); null when nobody asks. */
  sessionFixtures?: SessionFixtureTally | null;
  /**
   * Told when a serial run's one pytest process collected no test and passed all the same: a plugin's verdict
   * (pytest-testmon's when no change affects a test), which is plain pytest's exit code; null when nobody asks.
   */
  onEmptyPass: (() => void) | null;
  /** Told when a serial run's one process was ended by `pytest.exit()` before any test ran (its conftest's "nothing to test here"); null when nobody asks. */
  onPytestExit?: ((exited: PytestExit) => void) | null;
  /** Told what a serial run's one process read of pytest's configuration (its rootdir, testpaths, python_files); null when nobody asks. */
  onIni: ((ini: PytestIni) => void) | null;
  /** A serial run's one process stopped collecting before the end (-x at a module that does not import): its other files are to be found. */
  onCollectionCut?: (() => void) | null;
  /** Adds up the tests a plugin ties to other files' (pytest-dependency, pytest-order), in a parallel run; null when nobody asks. */
  linkedTests: LinkedTestTally | null;
  /** Files that launched a browser of their own under --browser-server (their launch options); null when nobody asks. */
  ownBrowsers?: OwnBrowserTally | null;
  /** Merges the processes' `--durations` lists into the run's one, in a parallel run; null when nobody asks. */
  durations?: DurationsTally | null;
  /** Keeps the servers a parallel run's files leave listening until the run ends (the run's session); null: killed as each file ends. */
  listening?: ListeningLeftovers | null;
}

export function createBatchRunner(settings: PytestSettings): BatchRunner {
  let nextBatchId = 1;
  const basetemps = new BasetempNames();
  /** The preloaded packages an import hook of the files' sessions changes, said once each. */
  const hookedPreloads = new Set<string>();
  const junitDir = path.join(settings.logDir, "junit");
  fs.mkdirSync(junitDir, { recursive: true });

  return async (batch: Batch, placement: Placement, signals: BatchSignals): Promise<FileResult[]> => {
    const id = nextBatchId++;
    const name = `${logName(batch.paths, placement.iteration, placement.attempt, settings.mode)}${batch.part === undefined ? "" : `.part${batch.part.index + 1}`}`;
    const parallel = settings.mode === "parallel";
    const pack = parallel && batch.paths.length > 1;
    // A retry runs only the files that failed: never a plain run's arguments, but the node ids among them of its files.
    const plain = !parallel && placement.attempt === 1 ? settings.plainTargets : null;
    const files = !parallel && placement.attempt > 1 && settings.plainTargets !== null ? namedIn(batch.files, settings.plainTargets) : batch.files;
    const targets = plain !== null ? { args: plain, subset: null, only: null } : targetsOf(files, settings.root, settings.sessionConftests);
    const onlyFile = targets.only === null ? null : path.join(settings.logDir, `${name}.files`);
    if (onlyFile !== null) writeOnlyFile(onlyFile, targets.only ?? [], settings);
    const subsetFile = targets.subset === null ? null : path.join(settings.logDir, `${name}.tests.json`);
    if (subsetFile !== null) fs.writeFileSync(subsetFile, JSON.stringify(targets.subset));
    const logFile = path.join(settings.logDir, `${name}.log`);
    const junitFile = path.join(junitDir, `${name}.xml`);
    const recordsFile = path.join(junitDir, `${name}.records`);
    // Written before grimoire-run stops the process: a SIGTERM without it is not grimoire-run's (GRIMOIRE_STOP_NOTE).
    const stopNote = path.join(junitDir, `${name}.stop`);
    fs.rmSync(junitFile, { force: true });
    fs.rmSync(recordsFile, { force: true });
    fs.rmSync(stopNote, { force: true });
    const treeId = `${settings.runId}.${id}`;
    const marker = `GRIMOIRE_TREE_ID=${treeId}`;
    const where = batch.paths.length === 1 ? (batch.paths[0] as string) : pack ? describePack(batch.paths) : "the serial run";
    const lease = settings.environment === null ? null : await settings.environment.lease({ label: where, slot: placement.slot, logName: name, upcoming: placement.upcoming, ...signals });
    let browser: BrowserConnection | null = null;
    try {
      if (settings.browsers !== null) browser = await settings.browsers.connection(placement.slot, signals.cancel);
    } catch (error) {
      await lease?.release(false);
      throw error;
    }
    // Why the file ended mid-test, if it did: a browser it was using may be left wedged.
    let killedWhile: string | null = null;
    const artifactsDir = path.join(settings.logDir, `${name}.artifacts`);
    const coverageFile = settings.coverage ? processDataFile(settings.logDir, name) : null;
    if (coverageFile !== null) fs.mkdirSync(path.dirname(coverageFile), { recursive: true });
    // A serial run of a plain run's arguments learns its files from pytest itself, once its process has collected them.
    const announce = !parallel && plain !== null && batch.paths.length === 0;
    // Only a file forked from the fork server could have been spared an import: its server could have done it.
    const importTimes = parallel && !pack && settings.importTally !== null && settings.forked();
    const env = { ...pytestEnv(settings, { ...placement, treeId, artifactsDir, logFile, recordsFile, stopNote, junitFile, onlyFile, subsetFile, coverageFile, announceCollected: announce, basetempName: parallel ? basetemps.name(name) : null, importTimes, mergedDurations: parallel && settings.durations != null }), ...lease?.env, ...browser?.env };
    const collected = (): void => {
      const records = readRecords(recordsFile, settings.root);
      // A file pytest could not collect (a module that does not import) is one of the run's files too; a folder whose conftest failed is not.
      const broken = [...(records?.files ?? [])].filter(([file, entry]) => entry.collectError && fs.statSync(path.resolve(settings.root, file), { throwIfNoEntry: false })?.isFile() === true);
      const files = [...new Set([...(records?.collected?.keys() ?? []), ...broken.map(([file]) => file)])];
      const cut = records?.collectionCut === true;
      const stopped = records?.collectionStopped === true;
      settings.events.emit({ type: "files-collected", files, doctestModules: [...(records?.doctestModules ?? [])], cut, stopped });
      // Stopped, nothing runs after it: no rest to find.
      if (cut && !stopped) settings.onCollectionCut?.();
    };
    const pytest = pytestArgs(settings, targets.args, { pack });
    const args = [...settings.python.args, "-m", "pytest", ...pytest];

    // Started afresh, not forked: its duration holds Python's and pytest's own start, which the history keeps apart.
    const fresh = !settings.forked();
    const started: BatchStart = {
      id,
      paths: batch.paths,
      iteration: placement.iteration,
      attempt: placement.attempt,
      slot: placement.slot,
      startSeconds: settings.clock(),
      log: toProjectPath(settings.root, logFile),
      pid: null,
      command: [...(fresh ? [] : ["(forked)"]), settings.python.command, ...args],
      onlyFile: onlyFile === null ? null : toProjectPath(settings.root, onlyFile),
      ...(batch.part === undefined ? {} : { part: batch.part }),
    };
    let failed = true;
    let keptDatabase: string | null = null;
    let report: ProcessReport;
    // A file that waits forever (a port another file holds, input that never comes) is named while it waits.
    // --timeout is per file: a pack of n files gets n times as long.
    const timeoutMs = settings.timeoutSeconds === null ? null : settings.timeoutSeconds * 1000 * (pack ? batch.paths.length : 1);
    let slowAfter = settings.slowNoticeSeconds;
    let stopSlowNotices = (): void => undefined;
    // None at or past the time limit: the file's TIMEOUT line says it then.
    const beforeTimeout = (): boolean => timeoutMs === null || slowAfter * 1000 < timeoutMs;
    const noticeSlow = (): void => {
      const cpu = started.pid === null ? null : treeCpuOf(started.pid);
      // Its session ended and its process has not: it waits at its exit (a child process, a thread, an exit handler).
      const atExit = readRecords(recordsFile, settings.root)?.endedBeforeStop === true;
      settings.events.emit({ type: "slow", batch: started, seconds: slowAfter, timeoutSeconds: settings.timeoutSeconds, cpuSeconds: cpu?.seconds ?? null, running: cpu?.running === true, atExit });
      // The next one when the file has run twice as long.
      const since = slowAfter;
      slowAfter *= 2;
      if (beforeTimeout()) stopSlowNotices = after(since * 1000, noticeSlow);
    };
    if (parallel && beforeTimeout()) stopSlowNotices = after(slowAfter * 1000, noticeSlow);
    try {
      report = await runProcess(
        {
          launch: { command: settings.python.command, args, pytestArgs: pytest, cwd: settings.root, env, stdin: parallel ? "ignore" : "inherit" },
          marker,
          logFile,
          stopNote,
          drop: (line) => {
            if (!line.startsWith("-")) return false;
            if (announce && line === COLLECTED_MARKER) {
              collected();
              return true;
            }
            return isOwnJunitNote(line, junitFile);
          },
          outputMode: parallel ? "lines" : "raw",
          timeoutMs,
          killGraceMs: settings.killGraceSeconds * 1000,
          cancel: signals.cancel,
          hurry: signals.hurry,
          onStart: (pid) => {
            started.pid = pid;
            settings.events.emit({ type: "batch-start", batch: started });
          },
          onOutput: (text) => settings.events.emit({ type: "batch-output", batch: started, text }),
          // Files running after it may be using a server it left (started unless it already answered).
          spareListening: parallel && settings.listening != null,
        },
        settings.launcher,
      );
      failed = isFailure(statusOf({ ...report, records: null }).status);
      // Not for a file the run stopped (fail-fast, Ctrl-C): no file comes after it.
      if (!report.cancelled && (report.timedOut || report.signal !== null)) killedWhile = `${where} was ${report.timedOut ? "timed out" : `killed by ${report.signal}`} while using it`;
    } finally {
      stopSlowNotices();
      await browser?.release(killedWhile);
      keptDatabase = (await lease?.release(failed)) ?? null;
    }

    settings.events.emit({ type: "batch-finish", batch: started, durationSeconds: report.durationSeconds });
    if (report.leftovers.length > 0) settings.events.emit({ type: "leftovers-killed", label: where, processes: report.leftovers });
    if (report.listening.length > 0 && settings.listening != null) {
      const tooMany = settings.listening.keep(where, report.listening);
      for (const kept of await killKept(tooMany, { graceMs: settings.killGraceSeconds * 1000 })) settings.events.emit({ type: "leftovers-killed", ...kept, kept: "limit" });
    }
    if (report.survivors.length > 0) settings.events.emit({ type: "kill-failed", label: where, pids: report.survivors });
    const run = {
      // A direct serial run is given no file: what it ran is named by what pytest was given.
      path: batch.paths[0] ?? (targets.args.join(" ") || "."),
      iteration: placement.iteration,
      attempt: placement.attempt,
      slot: placement.slot,
      startSeconds: started.startSeconds,
      log: started.log,
      junit: junitFile,
      artifacts: fs.existsSync(artifactsDir) ? toProjectPath(settings.root, artifactsDir) : null,
      artifactFiles: filesIn(artifactsDir, ARTIFACT_FILES_LISTED).map((file) => toProjectPath(settings.root, file)),
      serverLog: lease === null || lease.serverLog === null ? null : toProjectPath(settings.root, lease.serverLog),
      ...(keptDatabase === null ? {} : { keptDatabase }),
      coverageData: coverageFile,
      pid: started.pid,
    };
    // A timed-out file's last lines may be its shutdown's (a warning turned error at exit): where the test was stopped,
    // which the plugin printed first, is what the summary shows then.
    const stoppedAt = report.timedOut ? stoppedHere(logFile) : null;
    // pytest's exit code 4 names a conftest that did not import at the top of its output, which the last lines may not
    // reach (mealie's: a database error's long traceback after it).
    const conftestNotLoaded = report.exitCode === PYTEST_USAGE_ERROR ? failedConftest(logHead(logFile)) : undefined;
    const records = readRecords(recordsFile, settings.root);
    // Stopped at its exit, its session over (a --fail-fast of another file's): its verdict is its session's, and its last
    // lines are the session's end, not the stop's report of the exit's frames (grimoire-run's own, which a helper
    // read as grimoire-run crashing).
    const beforeExit = stoppedAt === null && report.cancelled && records?.endedBeforeStop === true ? linesBeforeStop(logFile) : null;
    const tail = stoppedAt ?? beforeExit;
    const outcome = { ...report, ...(tail === null ? {} : { tail }), ...(conftestNotLoaded === undefined ? {} : { conftestNotLoaded }), records };
    // Read, it is the run's reports' (report.json's cases hold each test): kept, a line for each phase of each test was
    // most of what 20 runs' logs took of the project's disk (jmespath's trial: 8.4 MB after 6 runs of 992 tests).
    fs.rmSync(recordsFile, { force: true });
    for (const [name, hook] of outcome.records?.preloadHooked ?? []) {
      if (hookedPreloads.has(name)) continue;
      hookedPreloads.add(name);
      settings.events.emit({ type: "warning", message: hookedPreload(name, hook) });
    }
    if (importTimes && outcome.records !== null) {
      settings.importTally?.add(outcome.records.imports, report.durationSeconds);
      settings.onImports?.(outcome.records.imports);
    }
    if (parallel) {
      settings.djangoDatabases?.add({ kept: outcome.records?.djangoDatabaseSeconds ?? null, memory: outcome.records?.djangoMemorySeconds ?? null }, report.durationSeconds);
      const early = settings.djangoDatabases?.early() ?? null;
      if (early !== null) settings.events.emit({ type: "notice", message: early });
    }
    if (parallel && outcome.records !== null) settings.linkedTests?.add(outcome.records.linked);
    // Each file once, whole, as the other closing hints count it (wholeFiles.ts): not a retry, a repeat or a split part.
    if (parallel && batch.paths.length === 1 && batch.part === undefined && placement.iteration === 1 && placement.attempt === 1) {
      settings.sessionFixtures?.add(outcome.records?.sessionFixtures ?? [], report.durationSeconds);
      const early = settings.sessionFixtures?.early() ?? null;
      if (early !== null) settings.events.emit({ type: "notice", message: early });
    }
    for (const gone of outcome.records?.lastFailedGone ?? []) settings.events.emit({ type: "notice", message: lastFailedGoneNotice(gone) });
    if (parallel) settings.durations?.add(outcome.records?.durations);
    if (browser !== null) settings.ownBrowsers?.add(batch.paths.join(", ") || run.path, outcome.records?.ownBrowser ?? null, outcome.records?.ownLaunch === true, outcome.records?.ownConnectOptions ?? null);
    if (plain !== null && outcome.records?.ini != null) settings.onIni?.(outcome.records.ini);
    if (plain !== null && outcome.exitCode === 0 && outcome.records !== null && (outcome.records.collected?.size ?? 0) === 0 && outcome.records.files.size === 0) settings.onEmptyPass?.();
    const exited = outcome.records?.exited ?? null;
    if (!parallel && exited !== null && exited.returncode === outcome.exitCode && [...(outcome.records?.files.values() ?? [])].every((file) => file.cases.length === 0)) settings.onPytestExit?.(exited);
    const shown = withPlaywrightArtifacts(run, outcome.records?.artifactFolders ?? [], settings.root);
    const own = batch.paths.length === 1 && parallel;
    const results = own ? [{ ...resultOfFile(shown, outcome), ...(fresh ? { fresh: true as const } : {}) }] : resultsOfSerialRun(shown, batch.paths, outcome);
    const whole = new Set(outcome.records?.lastFailedGone ?? []);
    const marked = whole.size === 0 ? results : results.map((result) => (whole.has(result.path) ? { ...result, ranWhole: true as const } : result));
    return withWarnings(withGroups(goneBeforeItsTurn(marked, (file) => fs.existsSync(path.resolve(settings.root, file)), shown.log), outcome.records), outcome.records, shown.log);
  };
}

/** Each collected file's xdist_group names (none: empty), for the history: files of one group never run at once. */
function withGroups(results: FileResult[], records: ProcessRecords | null): FileResult[] {
  const collected = records?.collected;
  if (collected == null) return results;
  return results.map((result) => (collected.has(result.path) ? { ...result, groups: [...(records?.groups?.get(result.path) ?? [])] } : result));
}

/**
 * pytest-playwright's folders of the failed tests' screenshots, traces and videos (under its --output), beside the
 * process's own artifacts folder: the summary names them (one folder, or the folder that holds them all) and the
 * reports list their files.
 */
function withPlaywrightArtifacts<T extends { artifacts: string | null; artifactFiles: string[] }>(run: T, folders: readonly string[], root: string): T {
  if (folders.length === 0) return run;
  const holder = folders.length === 1 ? (folders[0] as string) : path.dirname(folders[0] as string);
  const files = folders.flatMap((folder) => filesIn(folder, ARTIFACT_FILES_LISTED)).map((file) => toProjectPath(root, file));
  return { ...run, artifacts: run.artifacts ?? toProjectPath(root, holder), artifactFiles: [...run.artifactFiles, ...files].slice(0, ARTIFACT_FILES_LISTED) };
}

/** The first `limit` files under a folder, by path (absolute); none when it does not exist. */
function filesIn(folder: string, limit: number): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
    .slice(0, limit);
}

/** What the plugin says where it stopped a test (python/grimoire_run_pytest.py's _interrupt), from the end of the log. */
const STOPPED_HERE = /^grimoire-run stopped (this test|this test, .*,|pytest, outside any test .*,|the process after its tests ended \(pytest's summary, or its exit\),) here:$/;
/** How much of a log's end is read for it: the block is printed as the process is stopped, its shutdown's output after it. */
const STOPPED_HERE_READ_BYTES = 256 * 1024;
const STOPPED_HERE_LINES = 15;

/** How much of the start of a file's log is read for the conftest pytest could not load. */
const LOG_HEAD_BYTES = 64 * 1024;

/** The first lines of a file's log (empty where it cannot be read). */
function logHead(logFile: string): string[] {
  return readLogPart(logFile, LOG_HEAD_BYTES, "start")?.split("\n") ?? [];
}

/** The log's last "stopped this test here" block (that line and those after it), or null when it has none. */
export function stoppedHere(logFile: string): string[] | null {
  const text = readLogPart(logFile, STOPPED_HERE_READ_BYTES, "end");
  if (text === null) return null;
  const lines = text.split("\n");
  const at = lines.findLastIndex((line) => STOPPED_HERE.test(line));
  return at < 0 ? null : lines.slice(at, at + STOPPED_HERE_LINES).filter((line) => line.trim() !== "");
}

/**
 * A file --last-failed narrowed to the tests that failed in it, none of which is among its tests now: it ran whole, as
 * pytest's --lf runs what it cannot narrow (the run had said "running the 1 test that failed", and ran 6).
 */
export function lastFailedGoneNotice(file: string): string {
  return `--last-failed: none of the tests that failed last time in ${file} is among its tests now (renamed or removed?): it ran whole, as pytest's --lf runs what it cannot narrow`;
}

/** The files with the node ids a plain run's arguments name in each (a serial retry of `tests/a.py::test_x` runs test_x). */
function namedIn(files: readonly TestFile[], targets: readonly string[]): TestFile[] {
  return files.map((file) => {
    const ids = targets.filter((target) => target.includes("::") && target.split("::")[0] === file.path);
    return ids.length === 0 ? file : { ...file, named: ids };
  });
}

/** The last lines before the log's stop report at the process's exit, or null when it has none. */
export function linesBeforeStop(logFile: string): string[] | null {
  const text = readLogPart(logFile, STOPPED_HERE_READ_BYTES, "end");
  if (text === null) return null;
  const lines = text.split("\n");
  const at = lines.findLastIndex((line) => STOPPED_HERE.test(line) && line.includes("after its tests ended"));
  return at < 0 ? null : lines.slice(0, at).filter((line) => line.trim() !== "").slice(-STOPPED_HERE_LINES);
}

/** At most `bytes` of a log, from its start or its end; null where it cannot be read. */
function readLogPart(logFile: string, bytes: number, from: "start" | "end"): string | null {
  try {
    const handle = fs.openSync(logFile, "r");
    try {
      const size = fs.fstatSync(handle).size;
      const length = Math.min(size, bytes);
      const buffer = Buffer.alloc(length);
      const read = fs.readSync(handle, buffer, 0, length, from === "start" ? 0 : size - length);
      return buffer.subarray(0, read).toString("utf8");
    } finally {
      fs.closeSync(handle);
    }
  } catch {
    return null;
  }
}

/**
 * A package the fork server preloaded that each file's session has an import hook change as it imports it (typeguard's
 * instruments the packages `--typeguard-packages` names): each file imports it again, through the hook, as plain
 * pytest does, so the preload only costs the server its import.
 */
export function hookedPreload(name: string, hook: string): string {
  return `${name} was preloaded, and an import hook each file's pytest session installs (${hook}) changes it as it is imported: each file imports it again itself, through the hook, as plain pytest does, so the preload saves nothing; take ${name} out of --preload (or of preload in [tool.grimoire-run])`;
}
