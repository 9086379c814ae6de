/**
 * One run, as a story in numbered steps: refuse what can be refused before
 * anything is written, start (run/start.ts), ask pytest which files to run,
 * plan, start the reporters and what the tests run against
 * (run/environment.ts), run the batches, and finish once every process is
 * gone (run/finish.ts: coverage, the verdict, history and reports).
 * Everything that must be undone belongs to the session (session.ts); every
 * decision belongs to the planner (plan/) or the executor
 * (exec/executor.ts).
 */
import crypto from "node:crypto";
import os from "node:os";
import { unreachableWarning } from "./baseUrlCheck.js";
import { collectOnly } from "./collectOnly.js";
import { DEFAULT_PACK_UNDER_SECONDS } from "./defaults.js";
import { prepareOutputFile } from "./config/outputPaths.js";
import type { RunConfig } from "./config/runConfig.js";
import { refusedBeforeCollecting, type Answer, type Listing } from "./discovery/askPytest.js";
import { unsplittable, xdistGroups } from "./discovery/sourceHints.js";
import { PYTEST_ARGUMENTS_SEE, pytestExitedBeforeTests, UsageError } from "./errors.js";
import { RunEvents, type RunEvent } from "./events.js";
import { createBatchRunner } from "./exec/batchRunner.js";
import { Executor, type ExecutionResult, type IterationPolicy } from "./exec/executor.js";
import { DjangoDatabaseTally } from "./exec/djangoDatabases.js";
import { SessionFixtureTally } from "./exec/sessionFixtures.js";
import { LinkedTestTally } from "./exec/linkedTests.js";
import { OwnBrowserTally } from "./browsers/ownBrowsers.js";
import { DurationsTally } from "./report/durations.js";
import { sharedMypyResults } from "./run/mypyPlan.js";
import { fewMatchedNotice, outsideScopeNotice, testFilesOutsideScope, unmatchedTestModules, unmatchedTestModulesNotice } from "./discovery/outsideScope.js";
import { aloneFailuresHint, editedSince } from "./exec/aloneFailures.js";
import { byPackage, ImportTally, PreloadFollower, preloadHint } from "./exec/importTimes.js";
import { ForkServer, type PreloadOutcome } from "./exec/forkServer.js";
import { longFileHint } from "./exec/longFile.js";
import { failedBeforeATest } from "./exec/wholeFiles.js";
import { notPreloading, notPreloadingAll, preloadsBeforeConftests, readRefusedPreloads, rememberRefusedPreloads } from "./exec/preloadRefusals.js";
import { quickFilesHint, slowSessionsHint } from "./exec/quickFiles.js";
import { targetsOf } from "./exec/pytestCommand.js";
import { EXIT, exitCodeOf } from "./exitCode.js";
import { PYTEST_USAGE_ERROR, pytestRefused, runsNodeIdsOnly, type FileResult, type RunReport, type TestFile } from "./model.js";
import type { PackageImport, PytestExit, PytestIni } from "./exec/testRecords.js";
import { describeChanges, describeSelection } from "./plan/changed.js";
import { estimateFiles } from "./plan/estimate.js";
import { historyFile, latestRun, readHistoryChecked, updateHistory, type History } from "./plan/history.js";
import { planFiles } from "./plan/planFiles.js";
import { planSplits, whyNothingSplit } from "./plan/split.js";
import { acrossFileNotices, grimoireForwardedArgs, groupNotice, planRun, plainTargets, refusedInParallel, sessionWideWarnings, slotCount, type RunPlan } from "./plan/planRun.js";
import { readCachedFailures, readLastFailed, readNodeIds } from "./plan/pytestCache.js";
import { toProjectPath } from "./projectPaths.js";
import { launch } from "./process/launch.js";
import { showPytestInfo } from "./pytestInfo.js";
import { choosePython, type PythonCommand } from "./python.js";
import { checkPytest } from "./pytestCheck.js";
import { consoleReporter } from "./report/consoleReporter.js";
import { githubReporter } from "./report/githubReporter.js";
import { sharedAtOnce } from "./report/summary.js";
import { writeReportFiles } from "./report/reportFiles.js";
import { colourEnabled, palette } from "./report/style.js";
import { assignTags } from "./report/tags.js";
import { createTerminal, wantsSpinner, type Terminal, type TerminalStreams } from "./report/terminal.js";
import { cleanOnce } from "./run/cleanOnce.js";
import { openTestEnvironment } from "./run/environment.js";
import { finishRun, reportOutputs } from "./run/finish.js";
import { earlyRunId } from "./process/earlyPython.js";
import { newRunId } from "./run/runId.js";
import { listAfterCut, listedFiles, listFiles, shapeRun, startRun, type Listed, type RunShape, type Started } from "./run/start.js";
import { notReachedResults } from "./run/notReached.js";
import { RunSession } from "./session.js";
import { sourceState } from "./changes/sourceState.js";

export interface RunIO extends TerminalStreams {
  env: NodeJS.ProcessEnv;
}

export async function run(config: RunConfig, io: RunIO): Promise<number> {
  const started = performance.now();
  const clock = (): number => (performance.now() - started) / 1000;
  const session = new RunSession(earlyRunId() ?? newRunId(), config.killGraceSeconds);
  const interrupted = (): number => exitCodeOf({ results: [], stopReason: "interrupt", interruptedBy: session.interruptedBy, flakyPasses: config.flakyPasses });
  try {
    // 1. What can be refused is refused before anything is written: a typo leaves no trace. With --changed, git is
    //    asked first: when nothing changed there is nothing to start.
    for (const [flag, file] of [["--report-json", config.reportJson], ["--junit-xml", config.junitXml], ["--report-html", config.reportHtml]] as const) {
      if (file !== null) prepareOutputFile(flag, file);
    }
    const shape = await shapeRun(config, io.env);
    if (shape.given.info !== null) return (await pytestInfo(config, io, session, shape)) ?? interrupted();
    if (shape.changes !== null && shape.changes.files.length === 0) {
      session.useTerminal(await createTerminal(io, false)).out(`${describeChanges(shape.changes)}\n`);
      return EXIT.passed;
    }

    // 2. The fork server, the log folder, the Python, and the test environment starting to come up.
    const start = await startRun(config, io.env, session, shape);
    const { logDir, python, server } = start;

    // 3. pytest says which files a plain run of the selection collects (a direct serial run's own process says it later).
    const listed = await listFiles(config, session, shape, start);
    if (listed === "cancelled") {
      // Nothing has been said yet: say why the run ends without a test, as pytest says it was interrupted.
      const signal = session.interruptedBy;
      const code = interrupted();
      if (signal !== null) session.useTerminal(await createTerminal(io, false)).out(`Interrupted by ${signal} while pytest was listing the test files: no test ran\n\nINTERRUPTED (exit code ${code})\n`);
      return code;
    }
    const { listing, selection, changed } = listed;
    if (typeof listing?.basetemp === "string") session.unlockOnClose(listing.basetemp);
    const colour = colourEnabled(io.stdout, io.env);
    if (listing !== null && (shape.given.collectOnly || listing.options.collectOnly)) {
      const code = await listOnly(config, io, session, { shape, start, listed, listing, colour });
      return session.interruptedBy !== null ? interrupted() : code;
    }

    if (listing?.options.stepwise === true && config.mode === "parallel") {
      // Each file's process would stop at its own first failure, and all of them would write pytest's one stepwise memory.
      throw new UsageError(
        "pytest's --stepwise (--sw) resumes one session's run of the tests at its last failure: it does not work across one process per file. Run it without --parallel (one pytest process, as plain pytest), or use --fail-fast and --last-failed (-- --lf) in a parallel run",
      );
    }

    const refused = listing === null ? null : refusedInParallel(config, listing);
    if (refused !== null) throw new UsageError(refused, PYTEST_ARGUMENTS_SEE);

    // 4. The plan: which files, in which batches, on how many workers (pure, but for the history read first).
    const { history, historyRead, chosenFiles, plan, groups, notSplit } = planTheRun(config, shape, listed);
    const files = chosenFiles.files;

    // 5. The reporters, which only listen from here on, and what they are told before the first file.
    const events = new RunEvents((error) => session.fail(error));
    // A serial run shows its one pytest process as it prints, progress lines half-written included: a status line
    // redrawn between them would wipe them.
    const terminal = session.useTerminal(await createTerminal(io, plan.parallel && wantsSpinner(io, io.env)));
    // A terminal that tells no width says 0 columns (`script -qc`): no width, not the narrowest (paths were cut to 20).
    const width = io.stdout.isTTY === true && io.stdout.columns !== undefined && io.stdout.columns > 0 ? io.stdout.columns : null;
    attachReporters(events, terminal, { config, colour, width, env: io.env });
    // Where the files came from (no tests/e2e or tests/http: pytest's own testpaths) and how --changed, --last-failed or
    // --shard narrowed them come before the "Found" line that counts what is left: after it, "Found no test file to
    // run" read as pytest's finding, the lines saying why coming later (a --changed that nothing depends on).
    const passedOver = start.python.passedOver?.notice;
    for (const message of [...(passedOver === undefined ? [] : [passedOver]), ...selection.notices, ...chosenFiles.notices]) events.emit({ type: "notice", message });
    events.emit({
      type: "run-start",
      runId: session.runId,
      mode: plan.parallel ? "parallel" : "serial",
      files: shape.direct ? null : files.map((f) => f.path),
      doctestModules: files.filter((f) => f.kind === "doctests").map((f) => f.path),
      workers: plan.workers,
      logDir: toProjectPath(config.root, logDir),
      load: config.load === null ? null : { iterations: config.load.loop, durationSeconds: config.load.durationSeconds, sustained: plan.iterations.sustained },
      ...packedShares(plan.batches, new Set(files.filter((f) => f.kind === "doctests").map((f) => f.path))),
      ...splitFiles(plan.batches),
    });
    const apart = groupNotice(config, groups);
    const unpacked = packedNothing(config, plan);
    for (const message of [...acrossFileNotices(config, shape.given, listing, plan.maxFailedTests), ...(apart === null ? [] : [apart]), ...(unpacked === null ? [] : [unpacked]), ...(notSplit === null ? [] : [notSplit])]) events.emit({ type: "notice", message });
    for (const message of [...(listing === null ? [] : sessionWideWarnings(config, listing)), ...(await startWarnings(config, start, historyRead))]) events.emit({ type: "warning", message });
    const reportOf = (exitCode: number, results: RunReport["files"]): RunReport => ({
      version: 1,
      runId: session.runId,
      exitCode,
      wallSeconds: clock(),
      workers: plan.workers,
      files: results,
      ...(chosenFiles.shard === null ? {} : { shard: chosenFiles.shard }),
    });
    if (files.length === 0 && !shape.direct) {
      // A CI shard with nothing to do (more shards than files) is a passing, empty part of the whole, as is a change no test depends on;
      // a selection with nothing in it is exit 5, unless pytest's own session over it passed: a plugin's verdict (pytest-testmon
      // passes a session in which no change affects a test), which plain pytest's exit code would be.
      const nothingAffected = changed !== null && selection.files.length > 0;
      const pytestPassed = selection.files.length === 0 && (await listed.listingExitCode) === EXIT.passed;
      if (pytestPassed) events.emit({ type: "notice", message: "pytest collected no test file and ended its session with exit code 0, a plugin's verdict (pytest-testmon's when no change affects a test): so does this run, as plain pytest would" });
      else if (selection.files.length === 0 && listing !== null) {
        const unmatched = noTestModuleNotice(config.root, listing.args.length > 0 ? listing.args : [listing.rootdir], listing.pythonFiles ?? []);
        if (unmatched !== null) events.emit({ type: "notice", message: unmatched });
      }
      // The environment started with the run: what --setup said is shown before it is torn down.
      start.environmentEvents.release(events);
      const report = reportOf(chosenFiles.shard === null && !nothingAffected && !pytestPassed ? EXIT.noTests : EXIT.passed, []);
      writeReportFiles(report, await reportOutputs(config, logDir, report));
      events.emit({ type: "run-finish", report, stopped: null, haltedAfterIteration: null });
      return report.exitCode;
    }
    if (typeof server === "string") events.emit({ type: "fork-server-unavailable", reason: server });
    if (config.verbose && server instanceof ForkServer && server.keptOut.length > 0) {
      events.emit({ type: "notice", message: `the fork server did not load these pytest plugins, the project's own code or turned off by its arguments: each file loads them as its session says: ${server.keptOut.join(", ")}` });
    }
    if (config.verbose && server instanceof ForkServer && server.withoutMemories !== null) {
      events.emit({ type: "notice", message: `the fork server's warm-up failed with its memories of a session (${server.withoutMemories}): each file makes them itself` });
    }
    for (const message of autoPreloadNotices(config, listed)) events.emit({ type: "notice", message });
    for (const message of preloadWarnings(config, server, listing)) events.emit(message);
    // A direct serial run is one pytest process, which keeps its own cache whole.
    const lastFailed = listing === null || listing.cacheDir === null ? null : { cacheDir: listing.cacheDir, before: readLastFailed(listing.cacheDir), nodeIds: readNodeIds(listing.cacheDir) };

    // 6. What the tests run against, started with the run: managed servers and clones (leased per batch), --setup, browser servers per slot.
    const environment = await openTestEnvironment(config, session, events, { workers: plan.workers, files: plan.batches.length, held: start.environmentEvents });
    if (environment === "cancelled") return interrupted();

    // 7. The batches run; whatever happens, every process of the run is gone afterwards. The source they test, as it
    //    is when they start, is what their outcomes are remembered under (flake rates): asked once the first batch is
    //    on its way, not before it, which git's three processes would delay.
    const record = start.logsMoved === null;
    const source = record && config.shard === null ? sourceOnceStarted(events, async () => sourceState(config.root, testConditions(config, shape, io.env, await start.baseUrlProblem, listing?.distributions))) : null;
    const coverage = listing?.coverage ?? null;
    // Not while pytest-cov measures: a package imported before coverage starts would have its module-level lines missed.
    // What the fork server imports already (--preload, and auto-preload's for the conftests) is never the hint's: a
    // file that still imports some of it imports what the server refused or has not followed yet.
    const preloaded = [...config.preload, ...(listed.autoPreloaded?.modules ?? [])];
    // Nor what the server refused: auto-preload's now, or a --preload's, in this run or an earlier one (the user was told
    // why; a --preload of a package's module that was refused says nothing of the package).
    const refusedPreloads = record && server instanceof ForkServer ? rememberRefusedPreloads(config.root, server.preloaded.modules, server.preloaded.refused) : readRefusedPreloads(config.root);
    // A package refused only for bringing in the project's code stays nameable: a --preload of it may take it.
    const refusedByAutoPreload = (listed.autoPreloaded?.refused ?? []).filter((refusal) => refusal.ownCode !== true).map(({ module }) => module);
    const importTally = config.mode === "parallel" && coverage === null && server instanceof ForkServer ? new ImportTally([...preloaded, ...refusedByAutoPreload, ...Object.keys(refusedPreloads).filter((name) => !name.includes("."))]) : null;
    // Said during the run only where packing is not asked for already.
    const djangoDatabases = new DjangoDatabaseTally(config.pack === null ? plan.batches.length : 0, environment.workers, config.pack !== null);
    const sessionFixtures = new SessionFixtureTally(environment.workers, config.browserServer !== null, config.pack !== null, plan.batches.length);
    let emptyPassed = false;
    let pytestExited: PytestExit | null = null;
    let serialIni: PytestIni | null = null;
    // A direct serial run whose pytest cut its collection short: the listing of what a plain run collects, asked then.
    let cutListing: Promise<Answer | "cancelled"> | null = null;
    const linkedTests = new LinkedTestTally();
    const ownBrowsers = new OwnBrowserTally();
    const durations = new DurationsTally();
    // What a plain run's one session empties at its start is emptied once: by the listing's session (pytest's log_file,
    // allure-pytest's results), or here before the first file (pytest-playwright's --output); no file's session again.
    const cleanedOnce = config.mode === "parallel" && listing !== null;
    if (cleanedOnce) cleanOnce(config.root, listing.cleanOnce ?? []);
    const mypy = config.mode === "parallel" ? sharedMypyResults(logDir, listing?.mypy ?? null) : null;
    const runBatch = createBatchRunner({
      root: config.root,
      python,
      runId: session.runId,
      logDir,
      workers: environment.workers,
      mode: config.mode,
      rootdir: listing?.rootdir ?? null,
      // pytest-randomly's one seed for the run, as pytest-xdist's workers get their controller's: each file would draw its own.
      forwardedArgs: typeof listing?.randomlySeed === "number" && config.mode === "parallel" ? [...plan.forwardedArgs, `--randomly-seed=${listing.randomlySeed}`] : plan.forwardedArgs,
      plainTargets: plan.plainTargets,
      sessionConftests: listing?.sessionConftests ?? [],
      baseUrl: config.baseUrl,
      baseEnv: io.env,
      importFirst: listing?.conflicts ?? {},
      runBasetemp: listing?.basetemp ?? null,
      cleanedOnce,
      mypy,
      mergedJunit: config.junitXml !== null,
      pytestCacheKept: lastFailed !== null,
      colour,
      columns: width === null ? null : Math.max(40, width - (plan.parallel ? tagColumnWidth(files.map((f) => f.path)) : 0)),
      timeoutSeconds: config.timeoutSeconds,
      killGraceSeconds: config.killGraceSeconds,
      slowNoticeSeconds: config.slowNoticeSeconds,
      events,
      clock,
      environment: environment.environment,
      browsers: environment.browsers,
      launcher: start.launcher,
      forked: () => server instanceof ForkServer && server.usable,
      coverage: coverage !== null,
      importTally,
      djangoDatabases,
      sessionFixtures,
      onEmptyPass: () => (emptyPassed = true),
      onPytestExit: (exited) => (pytestExited = exited),
      onIni: (ini) => (serialIni = ini),
      onCollectionCut: shape.direct ? () => (cutListing ??= listAfterCut(config, session, shape, start)) : null,
      linkedTests,
      ownBrowsers,
      durations,
      listening: session.listening,
      onImports: importTally === null ? null : followPreloads(config, server, listed.autoPreloaded, session, events, importTally),
    });
    const executor = new Executor({ ...executorPlan(plan, clock()), workers: environment.workers }, runBatch, events, clock);
    session.onStop((cause) => executor.stop(cause));
    session.hurrying.addEventListener(
      "abort",
      () => {
        // The second Ctrl-C, said: what SIGTERM has not ended by now gets SIGKILL, the rest of --kill-grace skipped.
        if (session.interruptedBy !== null) events.emit({ type: "notice", message: "Interrupted again: killing what is still running at once" });
        executor.hurry();
      },
      { once: true },
    );
    let outcome: ExecutionResult;
    let teardownFailed = false;
    try {
      outcome = await executor.execute();
    } finally {
      ({ teardownFailed } = await session.finish(events, config.killGraceSeconds, { stoppedEarly: executor.stoppedBy !== null }));
    }
    const cut = cutListing as Promise<Answer | "cancelled"> | null;
    if (cut !== null) {
      const listed = await cut.then((answer) => (answer === "cancelled" ? [] : listedFiles(config, shape, answer.listing))).catch(() => []);
      outcome = { ...outcome, results: [...outcome.results, ...notReachedResults(outcome.results, listed)] };
    }
    // A serial run's one process that a conftest's pytest.exit() ended before any test: plain pytest's verdict, as the
    // listing's is in a parallel run, with the run's reports written all the same (plain pytest writes its JUnit).
    const exited = pytestExited as PytestExit | null;
    if (exited !== null) events.emit(exited.returncode === 0 ? { type: "notice", message: pytestExitedBeforeTests(exited) } : { type: "warning", message: pytestExitedBeforeTests(exited) });
    const slowest = durations.lines(width);
    if (slowest.length > 0) events.emit({ type: "durations", lines: slowest });
    // Hints drawn from a run's times speak of the whole run: not of one whose selection left tests out (`-k`, `-m`,
    // `--deselect`), whose files ran few or none of theirs (loguru's -k run, 47 of 50 files running no test, was told to
    // --pack and --preload; its whole run was not: a helper's trial).
    // Nor of one --changed or --last-failed chose some files of (a --changed run of 2 files of 54 was told to --split
    // auto the one that held most of its 10 s: a helper's trial); a shard is a whole job's run.
    const partOfTheSuite = outcome.results.some((r) => (r.tests?.deselected ?? 0) > 0) || chosenFiles.narrowedBy.some((by) => by === "--changed" || by === "--last-failed");
    const hint = importTally === null || partOfTheSuite ? null : preloadHint(importTally.costly(), config.pack !== null);
    if (hint !== null) events.emit({ type: "notice", message: hint });
    for (const message of linkedTests.messages()) events.emit(message);
    const ownBrowser = ownBrowsers.message();
    if (ownBrowser !== null) events.emit({ type: "notice", message: ownBrowser });
    const ini = listing === null ? serialIni : { rootdir: listing.rootdir, testpaths: listing.testpaths ?? [], pythonFiles: listing.pythonFiles ?? [], textFiles: listing.textFiles ?? [] };
    const leftOut = ini === null ? null : leftOutOfScope(config, shape, ini);
    if (leftOut !== null) events.emit({ type: "notice", message: leftOut });
    // A direct serial run's pytest that collected nothing (exit 5): what pytest's python_files left out, as a listing's would.
    // Not where it collected modules and a selection (-k) left no test in them: that is no naming matter.
    if (shape.direct && ini !== null && outcome.stopped === null && session.interruptedBy === null && outcome.results.length === 0) {
      const unmatched = noTestModuleNotice(config.root, shape.request.args.length > 0 ? shape.request.args : [ini.rootdir], ini.pythonFiles);
      if (unmatched !== null) events.emit({ type: "notice", message: unmatched });
    }
    // A few modules collected where the test folders hold more that define tests under other names: a green run of
    // what pytest's python_files matched (peewee's 2 of 47). Only where few ran (the walk reads the test folders), and
    // folders were given or none, not files.
    const ranModules = new Set(outcome.results.map((r) => r.path)).size;
    if (ini !== null && ranModules > 0 && ranModules <= FEW_MODULES && shape.request.named.size === 0 && outcome.stopped === null && session.interruptedBy === null) {
      const folders = listing !== null && listing.args.length > 0 ? listing.args : shape.request.args.length > 0 ? shape.request.args : [ini.rootdir];
      const few = fewMatchedNotice(unmatchedTestModules(config.root, folders, ini.pythonFiles, { inTestFolders: true }), ranModules, ini.pythonFiles);
      if (few !== null) events.emit({ type: "notice", message: few });
    }
    const databaseHint = djangoDatabases.hint();
    if (databaseHint !== null) events.emit({ type: "notice", message: databaseHint });
    // Hints drawn from how long files took: not from a run a stop cut short (Ctrl-C, fail-fast), whose files did not, nor
    // from one whose selection left no test to run (`-k` matching nothing: exit 5), which has nothing to speed up.
    // Nor from one where files failed before their first test (an internal error at a session's start): their seconds say
    // nothing of a working run's (psycopg's ten files crashed on a marker in the shared cache, and the one left got the
    // --split auto hint, a helper's trial).
    const hinting = config.mode === "parallel" && outcome.stopped === null && session.interruptedBy === null && !partOfTheSuite && outcome.results.some((r) => r.status !== "no-tests") && !outcome.results.some(failedBeforeATest);
    // One --pack said once: the in-memory database's hint names it with the --pack-under its files need, or else the
    // session fixtures' hint does.
    const databaseNamesPack = djangoDatabases.namesPack();
    const fixtureHints = hinting ? sessionFixtures.hints(databaseNamesPack) : [];
    for (const message of fixtureHints) events.emit({ type: "notice", message });
    // A --pack run whose files were all too long to pack under its --pack-under: the one that would pack them.
    const quickHint =
      !hinting || databaseNamesPack || sessionFixtures.namesPack()
        ? null
        : config.pack === null
          ? (quickFilesHint(outcome.results, DEFAULT_PACK_UNDER_SECONDS) ?? slowSessionsHint(outcome.results, environment.workers, DEFAULT_PACK_UNDER_SECONDS))
          : slowSessionsHint(outcome.results, environment.workers, config.pack.underSeconds, true);
    if (quickHint !== null) events.emit({ type: "notice", message: quickHint });
    const partial = partlyRun(config, shape, files, outcome.results);
    // What the next run's --split auto reads: the history as this run leaves it (a shard's, or a run that cannot write in the project, leaves it as it was).
    const historyAfter = () => (config.shard === null && record ? updateHistory(history, outcome.results, new Date(), null, partial) : history);
    // Not where files running at once met in what they cannot share (a SQLite file): a file's parts would meet there
    // too (databases' suite, a helper's trial: the hint's --split auto took a 12 s run to 10 minutes of locked databases).
    // The workers a run with --split auto would have: those asked for, not only as many as this run had files for (one
    // file at -n 2 ran on one worker, and lark's one test file, 12 s, went without the hint that halved it).
    const splitWorkers = environment.workers < plan.workers ? environment.workers : slotCount(config, os.availableParallelism());
    const longHint = hinting && !config.split && !sharedAtOnce(outcome.results) ? longFileHint(outcome.results, splitWorkers, (path) => splitsNextRun(config, files, historyAfter(), splitWorkers, path), environment.workers) : null;
    if (longHint !== null) events.emit({ type: "notice", message: longHint });
    const alone = config.mode === "parallel" ? aloneFailuresHint(outcome.results, history, editedSince(config.root)) : null;
    if (alone !== null) events.emit({ type: "notice", message: alone });
    // A process that never got to pytest, in a run whose Python was not checked beforehand: the check says why (exit 2).
    if (start.pytestUnchecked && outcome.results.every((r) => r.tests === null && r.status !== "passed")) await checkPytest(python, config.root, start.runEnv);
    // A serial run's one pytest refused its arguments (or a conftest it loads first), no test run: as a run whose listing does.
    const refusedByPytest = config.mode !== "parallel" ? startRefused(outcome.results, config.root, python) : null;
    if (refusedByPytest !== null) throw refusedByPytest;

    // 8. Coverage, the verdict, what is remembered for next time, and the reports.
    return await finishRun({ config, session, events, python, env: io.env, logDir, record, source: source?.asked ?? Promise.resolve(null), columns: width, history, partial, narrowedBy: chosenFiles.narrowedBy, coverage, lastFailed, outcome, teardownFailed, emptyPassed, pytestExited: exited, reportOf });
  } finally {
    await session.close();
  }
}

/**
 * The usage error of a serial run's one pytest process that ran no test (pytest's exit code 4: arguments it refused, a
 * `-k` it could not read, a node id not found, a conftest it could not load), or its internal error before any test (exit
 * code 3: a conftest's hook pytest does not know, strawberry's trial), said as a parallel run's listing says it; null
 * otherwise. Neither is the first file's failure.
 */
function startRefused(results: readonly FileResult[], root: string, python: PythonCommand): UsageError | null {
  const refused = results.find(pytestRefused);
  if (refused === undefined || results.some((result) => result.cases.length > 0)) return null;
  return refusedBeforeCollecting(root, `exit code ${String(refused.exitCode)}`, refused.tail, refused.exitCode === PYTEST_USAGE_ERROR, python);
}

/** Modules under `folders` that define tests under names pytest's python_files does not match, said; null where none do. */
/** At most this many test modules run, the test folders are walked for those python_files left out (fewMatchedNotice). */
const FEW_MODULES = 10;

function noTestModuleNotice(root: string, folders: readonly string[], pythonFiles: readonly string[]): string | null {
  return unmatchedTestModulesNotice(unmatchedTestModules(root, folders, pythonFiles), pythonFiles);
}

/**
 * A run of the default folders (no paths, `--scope all`) says which test files plain `pytest` would also have run:
 * its testpaths' (else tests/'s) files outside tests/e2e and tests/http. Not in a run told where to look, nor in one
 * that runs some of the suite on purpose (--debug, --last-failed, --changed).
 */
function leftOutOfScope(config: RunConfig, shape: RunShape, ini: PytestIni): string | null {
  if (config.paths.length > 0 || config.scope !== "all" || shape.request.args.length === 0) return null;
  if (config.mode === "debug" || config.lastFailed || shape.given.lastFailed || config.changed !== null) return null;
  const request = { root: config.root, scopeFolders: shape.request.args, ...ini };
  return outsideScopeNotice(testFilesOutsideScope(request), request);
}

/** The source's fingerprint, asked for when the run's first batch starts; `asked` stays null in a run that started none. */
function sourceOnceStarted(events: RunEvents, ask: () => Promise<string | null>): { asked: Promise<string | null> | null } {
  const source: { asked: Promise<string | null> | null } = { asked: null };
  events.on((event) => {
    if (event.type === "batch-start") source.asked ??= ask();
  });
  return source;
}

/**
 * The files of which the run ran only some tests: named by node ids (on the command line, or by --last-failed), or,
 * in a run whose command line picks tests (-k, -m, --deselect), any with tests deselected. Tests the project's own
 * configuration deselects in every run (addopts' `-m "not slow"`) do not make a file's run partial: they are the
 * file as the project runs it.
 */
function partlyRun(config: RunConfig, shape: RunShape, files: readonly TestFile[], results: readonly FileResult[]): Set<string> {
  const partial = new Set(files.filter(runsNodeIdsOnly).map((f) => f.path));
  // A direct serial run has no listing's files: the node ids the user named say it (a serial run of one test of a file
  // that had failed made the file's history "FP", flaky: aiosqlite's trial).
  for (const [path, named] of shape.request.named) if (runsNodeIdsOnly({ path, named })) partial.add(path);
  // Narrowed by --last-failed to tests it no longer has, it ran whole: a whole run, which forgets the renamed test.
  for (const result of results) if (result.ranWhole === true) partial.delete(result.path);
  if (config.keyword !== undefined || config.markers !== undefined || shape.given.selects) {
    for (const result of results) if ((result.tests?.deselected ?? 0) > 0) partial.add(result.path);
  }
  return partial;
}

/**
 * Whether the next run with --split auto would split this file of the run, judged as it will judge it: by `history`
 * (the files' remembered seconds, not this run's alone: a --pack run's are shorter), grimoire_serial read from the
 * file's source, --no-split matched.
 */
function splitsNextRun(config: RunConfig, files: readonly TestFile[], history: History, workers: number, path: string): boolean {
  return planSplits(files, history, { workers, unsplittable: (candidate) => unsplittable(config.root, config.noSplit, [candidate]).has(candidate) }).has(path);
}

/** Each file's xdist_group names: from its source, and from its last run's collected tests (a conftest's marks). */
function knownGroups(root: string, files: readonly string[], history: History): Map<string, string[]> {
  const groups = xdistGroups(root, files);
  for (const file of files) {
    const learned = history.files[file]?.groups ?? [];
    if (learned.length > 0) groups.set(file, [...new Set([...(groups.get(file) ?? []), ...learned])].sort());
  }
  return groups;
}

/**
 * The files split in parts (--split auto), for the Found line: a run that split one said nothing of it until the file's
 * result line (pydantic's, a helper's trial: "--split auto printed nothing about what it split").
 */
function splitFiles(batches: readonly { paths: readonly string[]; part?: { count: number } }[]): { split?: { path: string; parts: number }[] } {
  const split = new Map<string, number>();
  for (const batch of batches) if (batch.part !== undefined && batch.paths[0] !== undefined) split.set(batch.paths[0], batch.part.count);
  return split.size === 0 ? {} : { split: [...split].map(([path, parts]) => ({ path, parts })) };
}

/** The batches that run several files in one process (--pack's shares; a split file's parts are not), for the Found line. */
function packedShares(batches: readonly { paths: readonly string[]; part?: unknown }[], doctestModules: ReadonlySet<string>): { packed?: { files: number; processes: number; doctestsOnly: boolean } } {
  const shared = batches.filter((batch) => batch.paths.length > 1 && batch.part === undefined);
  if (shared.length === 0) return {};
  const doctestsOnly = shared.every((batch) => batch.paths.every((file) => doctestModules.has(file)));
  return { packed: { files: shared.reduce((sum, batch) => sum + batch.paths.length, 0), processes: shared.length, doctestsOnly } };
}

/** Which files run, in which order, in which batches: --changed, --last-failed, --shard and --order, then the run's plan. */
function planTheRun(config: RunConfig, shape: RunShape, listed: Listed) {
  const { listing, selection, changed } = listed;
  const { history, problem, unreadable } = readHistoryChecked(config.root);
  const lastFailed = !shape.direct && config.mode !== "debug" && (config.lastFailed || shape.given.lastFailed || listing?.options.lastFailed === true);
  const chosenFiles = planFiles(selection.files, history, {
    order: config.order,
    seed: config.seed ?? crypto.randomInt(2 ** 31),
    lastFailed,
    ...(lastFailed && listing != null && listing.cacheDir !== null ? { cached: readCachedFailures(listing.cacheDir, config.root, listing.rootdir, latestRun(history)) } : {}),
    noneWhenNothingFailed: listing?.options.lastFailedNoFailures === "none",
    failedFirst: !shape.direct && (config.failedFirst || shape.given.failedFirst || listing?.options.failedFirst === true),
    shard: config.shard,
    estimates: estimateFiles(config.root, selection.files.filter((f) => history.files[f.path]?.seconds == null).map((f) => f.path)),
    editedSince: editedSince(config.root),
    changed,
  });
  // Files of one xdist_group never run at the same time: read from their sources, in a parallel run.
  const groups = config.mode === "parallel" ? knownGroups(config.root, chosenFiles.files.map((f) => f.path), history) : new Map<string, string[]>();
  const unsplittableFiles = config.split ? unsplittable(config.root, config.noSplit, chosenFiles.files.map((f) => f.path)) : new Set<string>();
  const plan = planRun({
    config,
    files: chosenFiles.files,
    narrowed: chosenFiles.narrowed,
    request: shape.request,
    given: shape.given,
    listing,
    history,
    cpus: os.availableParallelism(),
    unsplittable: unsplittableFiles,
    groups,
  });
  // --split auto that splits nothing says why, with --verbose (split = "auto" in pyproject.toml makes it every run's).
  const notSplit =
    config.split && config.verbose && plan.parallel && !plan.batches.some((batch) => batch.part !== undefined)
      ? whyNothingSplit(chosenFiles.files, history, { workers: slotCount(config, os.availableParallelism()), unsplittable: (path) => unsplittableFiles.has(path) })
      : null;
  return { history, historyRead: { problem, unreadable }, chosenFiles, plan, groups, notSplit };
}

/** What a run's tests ran under, besides the source, that can change their outcome: outcomes under other conditions are no flake (history). */
function testConditions(config: RunConfig, shape: RunShape, env: NodeJS.ProcessEnv, baseUrlProblem: string | null, distributions: string | undefined): string[] {
  const addopts = env["PYTEST_ADDOPTS"] ?? "";
  // The server the tests were pointed at, and whether it answered when the run started (a run against one that was down is no flake).
  const baseUrl = config.baseUrl === null ? [] : [`base URL ${config.baseUrl}${baseUrlProblem === null ? "" : " (it did not answer)"}`];
  // Servers and databases of their own, or shared: a test that failed on a database the files shared and passes on clones is no flake.
  const managed = config.managed;
  const environment =
    managed === null
      ? []
      : [`managed ${managed.isolation}`, ...(managed.server === null ? [] : [`--server ${managed.server.command}`]), ...(managed.database === null ? [] : [`--database-url ${managed.database.templateUrl}`]), ...(managed.setup === null ? [] : [`--setup ${managed.setup}`])];
  // What is installed: a test that failed until a package it needs was installed is no flake either.
  const installed = distributions === undefined ? [] : [`installed ${distributions}`];
  // How the processes started: a test that fails only forked (or only packed, or preloaded) does so every time.
  const processes = [
    ...(config.mode === "parallel" && !config.forkServer ? ["--no-fork-server"] : []),
    ...(config.pack === null ? [] : ["--pack"]),
    ...(config.preload.length === 0 ? [] : [`--preload=${config.preload.join(",")}`]),
    ...(config.autoPreload ? [] : ["--no-auto-preload"]),
    ...(config.mode === "parallel" && config.forkServer && !config.bytecodeCache ? ["--no-bytecode-cache"] : []),
  ];
  return [
    ...shape.given.forwarded,
    ...(addopts.trim() === "" ? [] : [`PYTEST_ADDOPTS=${addopts}`]),
    ...(config.timeoutSeconds === null ? [] : [`--timeout=${config.timeoutSeconds}`]),
    ...baseUrl,
    ...environment,
    ...installed,
    ...processes,
  ];
}

/**
 * --pack that shares no process: too few files quick enough (one pack per worker, and a pack of one file is a file's
 * own process), said rather than left for the user to wonder why nothing changed.
 */
function packedNothing(config: RunConfig, plan: RunPlan): string | null {
  if (config.pack === null || !plan.parallel || plan.batches.some((batch) => batch.paths.length > 1 && batch.part === undefined)) return null;
  return `--pack: no files share a process: a pack is a worker's share of the files history shows under ${config.pack.underSeconds} s (--pack-under), and ${plan.workers === 1 ? "the one worker has" : `the ${plan.workers} workers have`} one such file at most each`;
}

/** What auto-preload did: said with --verbose, and always when an import made forking unsafe. */
function autoPreloadNotices(config: RunConfig, listed: Listed): string[] {
  const outcome = listed.autoPreloaded;
  if (outcome === null) return [];
  const notices: string[] = [];
  if (outcome.unsafe !== null) notices.push(`${forkingEnded(outcome.unsafe)}; --no-auto-preload keeps the fork server`);
  if (config.verbose && outcome.modules.length > 0) notices.push(`imported once for every file (auto-preload, the conftests import them): ${outcome.modules.join(", ")}`);
  if (config.verbose) notices.push(...notPreloadingAll(outcome.refused));
  return notices;
}

/**
 * A preloaded package is followed into the submodules its files still import
 * (a package named in --preload, or one auto-preload imported for the
 * conftests): once a file has ended, the fork server imports those it had
 * not, one request at a time, for the files forked after it (--verbose names
 * them). Null without a package the server preloaded.
 */
function followPreloads(config: RunConfig, server: Started["server"], autoPreloaded: PreloadOutcome | null, session: RunSession, events: RunEvents, tally: ImportTally): ((imports: ReadonlyMap<string, PackageImport>) => void) | null {
  if (!(server instanceof ForkServer)) return null;
  const roots = [...config.preload.filter((name) => server.preloaded.modules.includes(name)), ...(autoPreloaded?.modules ?? [])];
  if (roots.length === 0 && !config.autoPreload) return null;
  const refusedBefore = [...server.preloaded.refused, ...(autoPreloaded?.refused ?? [])].map((refusal) => refusal.module);
  const follower = new PreloadFollower(roots, config.autoPreload, refusedBefore);
  let previous: Promise<void> = Promise.resolve();
  return (imports) => {
    const wanted = follower.next(imports);
    if (wanted.length === 0) return;
    previous = previous.then(async () => {
      if (!server.usable) return;
      const outcome = await server.preloadMore(wanted, session.stopping);
      for (const name of outcome.modules) if (!name.includes(".")) tally.leaveOut(name);
      for (const { module, ownCode } of outcome.refused) if (ownCode !== true) tally.leaveOut(module);
      follower.refused(outcome.refused.map((refusal) => refusal.module));
      if (outcome.unsafe !== null) events.emit({ type: "notice", message: forkingEnded(outcome.unsafe) });
      if (!config.verbose) return;
      if (outcome.modules.length > 0) events.emit({ type: "notice", message: `imported once for the files forked from now on (preloaded packages' modules, and installed packages, as the files import them): ${byPackage(outcome.modules)}` });
      for (const message of notPreloadingAll(outcome.refused)) events.emit({ type: "notice", message });
    });
    // A follow-up that failed spares the files nothing, and costs them nothing either: each imports what it needs.
    previous = previous.catch((error: unknown) => {
      if (config.verbose) events.emit({ type: "notice", message: notPreloading({ module: wanted.join(", "), reason: error instanceof Error ? error.message : String(error) }) });
    });
  };
}

/** A preload that started a thread in the fork server: the files from now on start afresh. */
function forkingEnded(unsafe: string): string {
  return `the fork server forks no more files (${unsafe}): each file starts afresh`;
}

/** What the run says about --preload: what it imported (--verbose), modules the fork server refused, one whose import read what the conftests then set, or a preload with no fork server to take it. */
function preloadWarnings(config: RunConfig, server: Started["server"], listing: Listing | null): RunEvent[] {
  if (server instanceof ForkServer) {
    const imported: RunEvent[] = config.verbose && server.preloaded.modules.length > 0 ? [{ type: "notice", message: `imported once for every file (--preload): ${server.preloaded.modules.join(", ")}` }] : [];
    const refused: RunEvent[] = notPreloadingAll(server.preloaded.refused).map((message) => ({ type: "warning", message }));
    const unseen: RunEvent[] = preloadsBeforeConftests(server.environReads, listing?.environChanged ?? []).map((message) => ({ type: "warning", message }));
    return [...imported, ...refused, ...unseen];
  }
  if (config.preload.length > 0) return [{ type: "notice", message: `--preload has no effect without the fork server: each file imports ${config.preload.join(", ")} itself` }];
  return [];
}

/** `-- --fixtures` and the like: pytest prints, once, and runs no test. pytest's exit code; null when interrupted. */
async function pytestInfo(config: RunConfig, io: RunIO, session: RunSession, shape: RunShape): Promise<number | null> {
  const out = session.useTerminal(await createTerminal(io, false));
  return showPytestInfo({
    root: config.root,
    python: choosePython(config.root, config.python, io.env),
    args: [...grimoireForwardedArgs(config), ...shape.given.forwarded, ...plainTargets(shape.request)],
    env: io.env,
    runId: session.runId,
    launcher: launch,
    killGraceMs: config.killGraceSeconds * 1000,
    cancel: session.stopping,
    hurry: session.hurrying,
    out: (text) => out.out(text),
  });
}

/** `-- --co`: pytest lists the tests (of the files --changed chose, when it did), in one process, and nothing runs. */
async function listOnly(config: RunConfig, io: RunIO, session: RunSession, run: { shape: RunShape; start: Started; listed: Listed; listing: Listing; colour: boolean }): Promise<number> {
  const { changed, selection, forwardedArgs } = run.listed;
  const out = session.useTerminal(await createTerminal(io, false));
  const affected = changed === null ? null : selection.files.filter((f) => changed.reasons.has(f.path));
  const sessionConftests = run.listing.sessionConftests ?? [];
  if (changed !== null) out.out(describeSelection(changed).map((line) => `${line}\n`).join(""));
  if (affected !== null && affected.length === 0) return EXIT.passed;
  return collectOnly({
    baseEnv: io.env,
    baseUrl: config.baseUrl,
    runId: session.runId,
    colour: run.colour,
    columns: null,
    workers: 1,
    root: config.root,
    python: run.start.python,
    command: { rootdir: run.listing.rootdir, forwardedArgs, sessionConftests },
    targets: affected !== null ? targetsOf(affected, config.root, sessionConftests) : config.shard === null ? { args: plainTargets(run.shape.request), subset: null, only: null } : targetsOf(selection.files, config.root, sessionConftests),
    logDir: run.start.logDir,
    launcher: run.start.launcher,
    killGraceMs: config.killGraceSeconds * 1000,
    cancel: session.stopping,
    hurry: session.hurrying,
    out: (text) => out.out(text),
  });
}

/** What the run warns of before the first file: logs moved to the temp folder, a base URL that does not answer, a damaged history. */
async function startWarnings(config: RunConfig, start: Started, history: { problem: string | null; unreadable: boolean }): Promise<string[]> {
  const warnings: string[] = [];
  if (start.logsMoved !== null) warnings.push(start.logsMoved);
  const unreachable = await start.baseUrlProblem;
  if (unreachable !== null && config.baseUrl !== null) warnings.push(unreachableWarning(config.baseUrl, config.baseUrlFrom, unreachable));
  if (history.problem !== null) {
    const file = toProjectPath(config.root, historyFile(config.root));
    const kept = history.unreadable && config.shard === null ? `; this run starts a new one and keeps the damaged file as ${file}.damaged` : "";
    warnings.push(`${file} could not be read: ${history.problem}${kept}`);
  }
  return warnings;
}

function attachReporters(events: RunEvents, terminal: Terminal, options: { config: RunConfig; colour: boolean; width: number | null; env: NodeJS.ProcessEnv }): void {
  events.on(consoleReporter({ terminal, colours: palette(options.colour), quiet: options.config.quiet, verbose: options.config.verbose, width: options.width }));
  if (options.env["GITHUB_ACTIONS"] === "true") events.on(githubReporter(options.env, (text) => terminal.out(text)));
}

function executorPlan(plan: RunPlan, startsAt: number): ConstructorParameters<typeof Executor>[0] {
  return { batches: plan.batches, workers: plan.workers, failFast: plan.failFast, maxFailedTests: plan.maxFailedTests, retries: plan.retries, iterations: withDeadlineFrom(plan.iterations, startsAt) };
}

/** --duration counts from the moment tests start, after discovery and --setup. */
function withDeadlineFrom(policy: IterationPolicy, startSeconds: number): IterationPolicy {
  return policy.deadlineSeconds === null ? policy : { ...policy, deadlineSeconds: startSeconds + policy.deadlineSeconds };
}

/** Room the tag column takes from the terminal's width (`tag | `), so that pytest's lines fit behind their tags. */
function tagColumnWidth(paths: readonly string[]): number {
  return Math.max(0, ...[...assignTags(paths).values()].map((tag) => tag.length)) + 3;
}
