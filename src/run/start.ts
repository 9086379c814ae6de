/**
 * A run's first steps, up to pytest's answer: what kind of run it is (a
 * direct serial run, --changed), the fork server, the log folder, the
 * Python, and the listing session that says which files a plain run of the
 * selection collects. Everything started here belongs to the session.
 */
import fs from "node:fs";
import path from "node:path";
import { probeBaseUrl } from "../baseUrlCheck.js";
import { readChanges, type ChangeSet } from "../changes/git.js";
import type { ScannedImports } from "../changes/importScan.js";
import { readForwardedArgs, type ForwardedArgs } from "../config/pytestArgs.js";
import type { RunConfig } from "../config/runConfig.js";
import { askPytest, type Answer, type Listing, type ListingRequest } from "../discovery/askPytest.js";
import { collectionRequest, selectionFrom, type CollectionRequest, type Selection } from "../discovery/selection.js";
import { mayMeasureCoverage } from "../discovery/coverageAsked.js";
import { ForkServer, type ForkServerOptions, type PreloadOutcome } from "../exec/forkServer.js";
import { PLUGIN_MODULE } from "../exec/pytestCommand.js";
import { withPluginPath } from "../packageFiles.js";
import type { ChangedSelection } from "../plan/changed.js";
import { grimoireForwardedArgs } from "../plan/planRun.js";
import { launch, type Launcher } from "../process/launch.js";
import { choosePython, viaUv, type PythonCommand } from "../python.js";
import { checkPytest } from "../pytestCheck.js";
import type { RunSession } from "../session.js";
import { bytecodeCacheDir } from "../config/bytecodeCache.js";
import { HeldEvents } from "../events.js";
import { startTestEnvironment } from "./environment.js";
import { prepareLogDir } from "./logDir.js";

/** What kind of run this is, decided before anything starts. */
export interface RunShape {
  request: CollectionRequest;
  /** The arguments after `--`, as grimoire-run reads them (a direct run's own --lf/--ff added). */
  given: ForwardedArgs;
  /**
   * A serial run of the whole selection is one plain pytest process: pytest
   * itself collects, and says what it collected before its first test;
   * --last-failed and --failed-first are pytest's own there.
   */
  direct: boolean;
  /** --changed: what git says changed; null without --changed. */
  changes: ChangeSet | null;
}

export async function shapeRun(config: RunConfig, env: NodeJS.ProcessEnv): Promise<RunShape> {
  const request = collectionRequest({ root: config.root, paths: config.paths, scope: config.scope });
  const parsed = readForwardedArgs(config.pytestArgs);
  const changes = config.changed === null ? null : await readChanges(config.root, config.changed.ref);
  // Not direct when pytest-cov may measure (its report is grimoire-run's to print and judge: the listing reads its
  // options), nor with --changed (the listing says which files there are to choose from), nor with --last-failed: what
  // failed is grimoire-run's to choose, as in a parallel run, from its history (a file that timed out, crashed or was
  // cancelled, which pytest's --lf knows nothing of) and pytest's cache. Given pytest's --lf, a serial run read pytest's
  // cache alone, and called every file the --lf skipped "NO TESTS" (a helper's trial: six of whitenoise's files).
  const lastFailed = config.mode !== "debug" && (config.lastFailed || parsed.lastFailed);
  const direct = config.mode !== "parallel" && config.shard === null && changes === null && !lastFailed && !parsed.collectOnly && !mayMeasureCoverage(config.root, config.pytestArgs, env);
  const given = !direct ? parsed : { ...parsed, forwarded: [...(config.failedFirst || parsed.failedFirst ? ["--ff"] : []), ...parsed.forwarded] };
  return { request, given, direct, changes };
}

/** What the run has once it has started: where it logs, the Python that runs pytest, how processes are launched. */
export interface Started {
  logDir: string;
  junitDir: string;
  /** Why the logs are in the temp folder (a project that cannot be written in); null when they are not. */
  logsMoved: string | null;
  /** The environment every process of the run starts from: it carries the run's id, by which the watchdog finds them. */
  runEnv: NodeJS.ProcessEnv;
  /** The fork server, or why there is none (null when none was asked for). */
  server: ForkServer | string | null;
  python: PythonCommand;
  /** The Python was not asked for pytest yet (a direct serial run): asked if its process fails before pytest starts. */
  pytestUnchecked: boolean;
  launcher: Launcher;
  /** --changed: the project's imports, read (or taken from the cache) while the fork server warms up. */
  scanned: ScannedImports | null;
  /** Whether the tests' server answers, found out while pytest lists the files. */
  baseUrlProblem: Promise<string | null>;
  /** What the test environment (started here, coming up meanwhile) says before the run's reporters listen. */
  environmentEvents: HeldEvents;
  /** pytest's listing, started with the fork server rather than after it; null when it is asked once the run has started. */
  earlyListing: Promise<Answer | "cancelled"> | null;
}

/**
 * The fork server warms up while the log folder is made and the test
 * environment (managed servers, browser servers) starts coming up; once the
 * fork server is ready, pytest is known to be importable.
 */
export async function startRun(config: RunConfig, env: NodeJS.ProcessEnv, session: RunSession, shape: RunShape): Promise<Started> {
  const chosen = choosePython(config.root, config.python, env);
  // The listing does not wait for the fork server to warm up: the server forks it first, as soon as it has imported
  // pytest, and warms up while it runs. Without a fork server, pytest is asked for only if the listing fails.
  const listsEarly = !shape.direct && !viaUv(chosen);
  const firstLauncher = session.startForkServer(shape.direct ? null : forkServerOptions(config, chosen, session.runId, env, listsEarly));
  // --changed's modules (fast-glob among them) are loaded only by the runs that use them.
  const scanned = shape.changes === null ? null : (await import("../changes/importScan.js")).scanImports(config.root);
  const { dir: logDir, moved: logsMoved, prune } = prepareLogDir(config, session.runId);
  session.logIn(logDir);
  session.pruneOnClose(prune);
  const environmentEvents = new HeldEvents();
  // Not for a listing (--co): it runs no test.
  if (!shape.given.collectOnly) startTestEnvironment(config, session, { logDir, env, events: environmentEvents, python: chosen });
  const runEnv = { ...env, GRIMOIRE_RUN_ID: session.runId };
  const junitDir = path.join(logDir, "junit");
  fs.mkdirSync(junitDir, { recursive: true });
  const earlyListing = !listsEarly
    ? null
    : session.startListing((cancel) => askPytest(listingRequest(config, shape, { python: chosen, runEnv, logDir, junitDir, launcher: firstLauncher ?? launch }, cancel, session.hurrying)));
  const server = await session.forkServer();
  // A direct serial run is one pytest process: it is asked whether pytest is there only if that process never got to
  // pytest (pytestMissing in run.ts), which spares a Python start before the first test. uv's is resolved first.
  const pytestUnchecked = server === null && shape.direct && !viaUv(chosen);
  // The listing's success says pytest is there (listedEarly asks when it fails).
  const python = server instanceof ForkServer || pytestUnchecked || earlyListing !== null ? chosen : await checkPytest(chosen, config.root, runEnv);
  const launcher: Launcher = server instanceof ForkServer ? (spec) => (server.usable ? server.launch(spec) : launch(spec)) : launch;
  const baseUrlProblem = config.baseUrl === null ? Promise.resolve(null) : probeBaseUrl(config.baseUrl);
  return { logDir, junitDir, logsMoved, runEnv, server, python, pytestUnchecked, launcher, scanned, baseUrlProblem, environmentEvents, earlyListing };
}

/** pytest's answer: the files a plain run of the selection collects, and with --changed the ones a change can affect. */
export interface Listed {
  /** null for a direct serial run, whose own process says what it collected later. */
  listing: Listing | null;
  selection: Selection;
  changed: ChangedSelection | null;
  /** What every pytest process is given after grimoire-run's own arguments. */
  forwardedArgs: string[];
  /** Auto-preload: what the fork server imported of the packages the conftests import; null when it was not asked. */
  autoPreloaded: PreloadOutcome | null;
  /** The listing session's exit code once it has ended, as its plugins left it; null without a listing. */
  listingExitCode: Promise<number | null>;
}

export async function listFiles(config: RunConfig, session: RunSession, shape: RunShape, started: Started): Promise<Listed | "cancelled"> {
  const { request } = shape;
  const forwardedArgs = forwardedArgsOf(config, shape);
  const answer = shape.direct
    ? null
    : await (started.earlyListing === null
        ? session.startListing((cancel) => askPytest(listingRequest(config, shape, started, cancel, session.hurrying)))
        : listedEarly(config, started, started.earlyListing));
  if (answer === "cancelled" || session.interruptedBy !== null) return "cancelled";
  const listing = answer?.listing ?? null;
  const selection = listing === null ? { files: [], searched: request.args, notices: request.notices } : selectionFrom(request, listing, config.root);
  const changed =
    shape.changes === null || started.scanned === null || listing === null
      ? null
      : (await import("../changes/affected.js")).affectedFiles(selection.files, shape.changes, started.scanned, listing, config);
  const autoPreloaded = await autoPreload(config, started.server, listing, session.stopping);
  return { listing, selection, changed, forwardedArgs, autoPreloaded, listingExitCode: answer?.exitCode ?? Promise.resolve(null) };
}

/**
 * The listing a direct serial run asks for only when its one pytest cut its collection short (-x at a module that
 * does not import): which files a plain run of the selection collects, so that those the session never reached are
 * counted as not run rather than left out (a helper's trial read "2 files" of a selection of 3). It runs beside the
 * serial process's end; the run awaits its end as any listing's.
 */
export function listAfterCut(config: RunConfig, session: RunSession, shape: RunShape, started: Started): Promise<Answer | "cancelled"> {
  return session.startListing((cancel) => askPytest(listingRequest(config, shape, started, cancel, session.hurrying)));
}

/** The files of a selection the listing answered with, as the run names them. */
export function listedFiles(config: RunConfig, shape: RunShape, listing: Listing): string[] {
  return selectionFrom(shape.request, listing, config.root).files.map((file) => file.path);
}

/** What every pytest process is given after grimoire-run's own arguments. */
function forwardedArgsOf(config: RunConfig, shape: RunShape): string[] {
  return [...grimoireForwardedArgs(config), ...shape.given.forwarded];
}

function listingRequest(
  config: RunConfig,
  shape: RunShape,
  started: Pick<Started, "python" | "runEnv" | "logDir" | "junitDir" | "launcher">,
  cancel: AbortSignal,
  hurry: AbortSignal,
): ListingRequest {
  return {
    root: config.root,
    python: started.python,
    args: shape.request.args,
    pytestArgs: [...forwardedArgsOf(config, shape), "-p", PLUGIN_MODULE],
    // A --junitxml of the user's is not overwritten by a listing: its report goes to the log folder.
    env: {
      ...started.runEnv,
      PYTHONPATH: withPluginPath(started.runEnv["PYTHONPATH"]),
      GRIMOIRE_JUNIT_XML: path.join(started.junitDir, "collect.xml"),
      // A parallel run's processes make their temporary folders in one numbered folder of the run's, as one plain session would.
      ...(config.mode === "parallel" ? { GRIMOIRE_LIST_BASETEMP: "1" } : {}),
    },
    launcher: started.launcher,
    logFile: path.join(started.logDir, "collect.log"),
    cancel,
    hurry,
    killGraceMs: config.killGraceSeconds * 1000,
  };
}

/**
 * The listing started with the run. Its Python was not asked for pytest
 * first: when the listing fails, it is asked now, so that a Python without
 * pytest is told as such (exit 2) rather than as a listing that failed.
 */
async function listedEarly(config: RunConfig, started: Started, listing: Promise<Answer | "cancelled">): Promise<Answer | "cancelled"> {
  try {
    return await listing;
  } catch (error) {
    await checkPytest(started.python, config.root, started.runEnv);
    throw error;
  }
}

/**
 * The installed packages the listing saw the conftests import, imported once
 * in the fork server before the first file is forked. Not when coverage
 * measures: a package imported before pytest-cov starts has its module-level
 * lines missed, and the package under test may be installed too.
 */
async function autoPreload(config: RunConfig, server: Started["server"], listing: Listing | null, cancel: AbortSignal): Promise<PreloadOutcome | null> {
  if (!config.autoPreload || !(server instanceof ForkServer) || listing === null || (listing.coverage ?? null) !== null) return null;
  const wanted = (listing.imported ?? []).filter((name) => !server.preloaded.modules.includes(name));
  if (wanted.length === 0) return null;
  const packages = await server.preloadMore(wanted, cancel);
  // Then what the conftests imported of them (a package's __init__ seldom imports all of it): each file would import
  // those again with its conftests. Said by package; a module refused is said by name.
  const taken = new Set([...server.preloaded.modules, ...packages.modules]);
  const deeper = (listing.importedModules ?? []).filter((name) => taken.has(name.split(".")[0] ?? name));
  if (deeper.length === 0 || packages.unsafe !== null) return packages;
  const modules = await server.preloadMore(deeper, cancel);
  return { modules: packages.modules, refused: [...packages.refused, ...modules.refused], unsafe: modules.unsafe };
}

/**
 * The fork server where it can serve (Linux), or null. Every mode asks
 * pytest for its files through it, and runs its pytest processes from it.
 */
function forkServerOptions(config: RunConfig, python: PythonCommand, runId: string, baseEnv: NodeJS.ProcessEnv, firstBeforeWarmUp: boolean): ForkServerOptions | null {
  if (!config.forkServer || process.platform !== "linux") return null;
  // What every file's environment has alike is the server's too, for a preload to see as the files do: an E2E_BASE_URL of the user's.
  const env = { ...baseEnv, PYTHONPATH: withPluginPath(baseEnv["PYTHONPATH"]), PYTHONUNBUFFERED: "1", ...(config.baseUrl === null ? {} : { E2E_BASE_URL: config.baseUrl }) };
  // A serial run's one process takes grimoire-run's stdin, for pdb; parallel processes never read it.
  return {
    python,
    root: config.root,
    env,
    runId,
    killGraceMs: config.killGraceSeconds * 1000,
    ...(config.mode === "parallel" ? {} : { stdin: 0 }),
    preload: config.preload,
    perFileEnv: perFileEnv(config),
    firstBeforeWarmUp,
    // A parallel run's forked files; a serial run is one plain pytest process, in the environment as it is.
    bytecodeCache: config.mode === "parallel" && config.bytecodeCache ? bytecodeCacheDir(config.root) : null,
  };
}

/**
 * What each file's process is given differently from the fork server's environment: no preload may read it at import,
 * nor copy the whole environment where one of them is not grimoire-run's own (a managed server's URL, a clone's).
 */
function perFileEnv(config: RunConfig): string[] {
  const managed = config.managed;
  return ["GRIMOIRE_*", ...(managed?.server == null ? [] : ["E2E_BASE_URL"]), ...(managed?.database == null ? [] : [managed.database.envName])];
}
