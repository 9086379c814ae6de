/**
 * The console: the `Found N test files` line, each pytest line behind its
 * file's tag, a result line per finished file, a line per iteration in load
 * mode, warnings, and the summary. It only listens to run events.
 */
import type { BatchStart, LoadPlan, Progress, RunEvent, RunListener, StopCause } from "../events.js";
import { addCounts, COUNT_KEYS, emptyCounts, NOT_COLLECTED, pytestRefused, STOPPED_COLLECTING, type FileResult, type FileStatus } from "../model.js";
import { CUT_SHORT, formatSummary, heldNoDoctest, KILLED_AFTER_GRACE } from "./summary.js";
import { paintStatus, STATUS_LABEL, type Palette } from "./style.js";
import { describePack, formatCounts, formatSeconds, plural, testFilesAndModules } from "../format.js";
import { assignTags, packTag, partTag } from "./tags.js";
import type { Terminal } from "./terminal.js";
import type { Leftover } from "../process/processTree.js";
import { LEFTOVER_COMMAND_CHARS, LISTENING_LEFTOVERS_KEPT, MAX_TAG_WIDTH, SERIAL_HOLD_MS } from "../defaults.js";

/** Result lines align their durations up to this path length; longer paths push theirs right. */
const MAX_PATH_COLUMN = 60;
/** What a result line holds besides the path: the status word, the duration and short test counts. */
const RESULT_LINE_REST = 40;

export interface ConsoleOptions {
  terminal: Terminal;
  colours: Palette;
  quiet: boolean;
  verbose: boolean;
  /** The terminal's width, or null without a terminal (CI logs are as wide as they need). */
  width: number | null;
}

export function consoleReporter(options: ConsoleOptions): RunListener {
  const { terminal, colours } = options;
  let tags = new Map<string, string>();
  let tagWidth = 0;
  let pathWidth = 0;
  let mode: "parallel" | "serial" = "parallel";
  let load: LoadPlan | null = null;
  let doctestModules = new Set<string>();
  // A serial run's own output, passed on as it came, ended mid-line.
  let rawLineOpen = false;
  /** A serial run's output, as pytest wrote it: where it stops mid-line (a process that died half-way through pytest's progress dots), noted. */
  const passOn = (text: string): void => {
    terminal.out(text);
    if (text.length > 0) rawLineOpen = !text.endsWith("\n");
  };
  /** Before a line of the run's own: a line of its own, after output that stopped mid-line. */
  const ownLine = (): void => {
    if (rawLineOpen) terminal.out("\n");
    rawLineOpen = false;
  };
  let workers = 1;
  let packed: { files: number; processes: number; doctestsOnly: boolean } | null = null;
  let split: { path: string; parts: number }[] = [];
  /** A serial run whose pytest collects for itself, no listing before it: its refusals end the run as a listing's do. */
  let oneProcess = false;
  let logDir: string | null = null;
  /** The report the run always writes in its log folder: where every file is listed. */
  let reportFile: string | null = null;
  /** A serial run's output, held until its process says what it collected (the "Found" line comes first). */
  let holding: string[] | null = null;
  /** The notices said while the output was held, said after the Found line (in --quiet too, as notices are). */
  const heldNotices: string[] = [];
  /** Says on stderr, once the hold has lasted SERIAL_HOLD_MS, that pytest is still collecting. */
  let holdTimer: NodeJS.Timeout | undefined;
  /** The results that came while output was held: the serial process's, under what it was given. */
  const heldResults: Extract<RunEvent, { type: "file-finish" }>[] = [];
  let progress: Progress = { done: 0, perIteration: 0, running: 0, failed: 0, iteration: 1 };
  let stopped: StopCause | null = null;
  const startedAt = Date.now();
  let ticker: NodeJS.Timeout | undefined;
  let slowHintShown = false;
  let atExitHintShown = false;

  const showStatus = (): void => {
    const elapsed = formatSeconds((Date.now() - startedAt) / 1000);
    const failedText = progress.failed > 0 ? ` · ${progress.failed} failed` : "";
    const where =
      load === null
        ? `${progress.done}/${progress.perIteration} files`
        : `iteration ${progress.iteration}${load.iterations === null ? "" : `/${load.iterations}`} · ${progress.done} files done`;
    terminal.status(`${where} · ${progress.running} running${failedText} · ${elapsed}`);
  };

  /** The tags and the path column for these paths. */
  const layOut = (files: readonly string[]): void => {
    tags = assignTags(files);
    // A split file's parts' tags carry their numbers (`flow#2`): room for them, up to the widest a tag may be.
    const suffixes = new Map(split.map((file) => [file.path, `#${file.parts}`.length]));
    tagWidth = Math.max(0, ...[...tags].map(([path, tag]) => Math.max(tag.length, Math.min(MAX_TAG_WIDTH, tag.length + (suffixes.get(path) ?? 0)))));
    // On a narrow terminal the path column shrinks so that a result line still fits: status, path, duration, counts.
    const room = options.width === null ? MAX_PATH_COLUMN : Math.max(20, options.width - RESULT_LINE_REST);
    pathWidth = Math.min(MAX_PATH_COLUMN, room, Math.max(0, ...files.map((f) => f.length)));
  };

  const announce = (files: readonly string[], cut = false, stopped = false): void => {
    layOut(files);
    progress = { ...progress, perIteration: files.length };
    const them = files.length === 1 ? "it" : "them";
    // --pack's shares said up front: the result lines of packed files come in bursts, at their process's end. Modules
    // checked for doctests share processes without --pack: said as theirs (a helper read "(--pack)" as an option it never gave).
    const processes = plural(packed?.processes ?? 0, "shared process", "shared processes");
    const shared = packed === null ? "" : packed.doctestsOnly ? `, ${packed.files} of the modules in ${processes}` : `, ${packed.files} of ${them} in ${processes} (--pack)`;
    const parts = split.length === 0 ? "" : split.length === 1 ? `, ${split[0]?.path} in ${split[0]?.parts} parts (--split auto)` : `, ${split.length} of ${them} split in parts (--split auto)`;
    const how = mode === "parallel" ? `, running ${them} on ${plural(workers, "worker")}${shared}${parts}` : `, running ${them} in one pytest process`;
    const testFiles = files.length - doctestModules.size;
    const found = doctestModules.size === 0 ? plural(testFiles, "test file") : testFilesAndModules(testFiles, doctestModules.size);
    // Nothing to run (pytest collected no file; --changed, --last-failed or a shard left none): the lines before say why.
    // A serial run's pytest that stopped collecting at an error (-x) names only what it reached: the rest is found for the summary.
    // "Found 1 test file" of a selection of 21 read as a wrong count (a helper's trial of hypercorn): said as what pytest reached.
    const before = cut ? " before pytest stopped collecting at an error" : "";
    const reached = cut ? "; the files after it are counted at the end" : "";
    // Stopped while it collected (an interrupt): nothing runs, and what it found is only what it had reached.
    const line = stopped ? `pytest was stopped while collecting the tests, with ${found} collected so far: no test ran` : `Found ${found}${before}${how}${describeLoad(load)}${reached}`;
    terminal.out(files.length === 0 ? "Found no test file to run\n" : `${line}\n`);
    if (logDir !== null) terminal.out(colours.dim(`logs: ${logDir}\n`));
    ticker = setInterval(showStatus, 1000);
    ticker.unref();
    showStatus();
  };

  const tagged = (batch: BatchStart, text: string[]): string => {
    const path = batch.paths[0] as string;
    // A pack's lines carry its first file's tag and how many others share the process; a split file's part, its number.
    const own = tags.get(path) ?? path;
    const name = batch.paths.length > 1 ? packTag(own, batch.paths.length - 1, tagWidth) : batch.part !== undefined ? partTag(own, batch.part.index, tagWidth) : own;
    const tag = colours.tag(path)(`${name.padEnd(tagWidth)} |`);
    return text.map((line) => `${tag} ${line}\n`).join("");
  };

  /**
   * A serial run's one pytest that refused what it was given (a usage or internal error) and ran no test: the run's end
   * says it as a parallel run's listing does (exit 2), not as a file that failed (a node id that names no test read
   * `FAIL tests/x.py::test_nope … (pytest usage error …)` before it, a helper's trial of unidecode; and where the run
   * listed its files first, pytest-cov in the addopts, the other file named read `FAIL`: janus').
   */
  const refusedSerial = (result: FileResult): boolean =>
    oneProcess && result.cases.length === 0 && pytestRefused(result);

  const resultLine = (result: FileResult, willRetry: boolean): string => {
    // Nothing to count (a file stopped before any test of it ended, one whose module holds no test): no "(0 passed)"
    // after its CANCEL or NO TESTS.
    const nothingRan = result.tests !== null && COUNT_KEYS.every((key) => (result.tests?.[key] ?? 0) === 0);
    const why = result.status !== "cancelled" && result.exitCode !== 1 && result.reason !== null ? colours.dim(`  (${result.reason})`) : "";
    // A stop before its last test (pytest's -x or --maxfail, the run's): its counts are not the whole file's (a helper
    // read "(1 failed)" as the file's result where three of its four doctests never ran). Where the reason says the run
    // stopped it, that says it already.
    // A module that skipped itself as it was imported (pytest.importorskip, a module-level skip): pytest collected
    // it and found no test, which its NO TESTS says; the skip is the module's, not a test's (black's test_ipynb.py
    // read as a misnamed file beside a file whose tests were all skipped, a PASS: a helper's trial).
    const skippedWhole = result.status === "no-tests" && result.cases.length > 0 && result.cases.every((test) => test.outcome === "skipped" && !test.nodeid.includes("::"));
    // With pytest's reason, as its -rs line gives it (sphinx's "Requires annotationlib (Python 3.14+)" was left out: a helper's trial).
    const skipReason = skippedWhole ? result.cases.find((test) => test.reason !== undefined)?.reason : undefined;
    const whole = !skippedWhole ? null : `${result.path.endsWith(".py") ? "the module itself, skipped while it was imported" : "the folder itself, skipped by its conftest"}${skipReason === undefined ? "" : `: ${skipReason}`}`;
    const counts = result.tests === null || nothingRan ? "" : `  ${describeCounts(result, result.cutShort === true && why === "", whole)}`;
    const attempt = result.attempt > 1 ? `  (attempt ${result.attempt})` : "";
    const parts = result.parts === undefined || result.parts === null ? "" : colours.dim(`  [${result.parts.length} parts, their times summed]`);
    const inIteration = load !== null ? `  [iteration ${result.iteration}]` : "";
    const retry = willRetry ? colours.yellow("  → retrying") : "";
    // A file whose teardown ignored the stop (a fixture that catches KeyboardInterrupt) read as any cancelled file,
    // its cleanup never done and not said (a helper's trial).
    const killed = result.killedAfterGraceSeconds === undefined ? "" : colours.dim(`  (${KILLED_AFTER_GRACE(result.killedAfterGraceSeconds)})`);
    return `${paintStatus(result.status, colours)} ${fitPath(result.path).padEnd(pathWidth)}  ${formatSeconds(result.durationSeconds).padStart(6)}${counts}${why}${killed}${parts}${attempt}${inIteration}${retry}\n`;
  };

  /** On a terminal too narrow for a path, its middle gives way: the folder and the file name stay. */
  const fitPath = (path: string): string => {
    if (options.width === null || path.length <= pathWidth) return path;
    const keep = pathWidth - 1;
    const tail = Math.ceil(keep * 0.6);
    return `${path.slice(0, keep - tail)}…${path.slice(path.length - tail)}`;
  };

  const iterationLine = (number: number, results: readonly FileResult[], seconds: number): string => {
    const counts = new Map<FileStatus, number>();
    for (const result of results) counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
    const parts = [...counts.entries()].map(([status, count]) => `${count} ${STATUS_LABEL[status]}`);
    const of = load?.iterations === null || load === null ? "" : `/${load.iterations}`;
    const text = `iteration ${number}${of}: ${plural(results.length, "file")}, ${parts.join(", ")}, ${formatSeconds(seconds)}`;
    return `${counts.has("failed") || counts.has("timeout") ? colours.red(text) : colours.bold(text)}\n`;
  };

  return (event: RunEvent): void => {
    switch (event.type) {
      case "run-start": {
        mode = event.mode;
        load = event.load;
        workers = event.workers;
        packed = event.packed ?? null;
        split = event.split ?? [];
        oneProcess = mode !== "parallel";
        if (options.verbose) logDir = event.logDir;
        reportFile = `${event.logDir}/report.json`;
        if (event.files === null) {
          // pytest's own process says which files it collected; its output waits for that line (the contract's first
          // line). A long collection is said on stderr meanwhile: python-multipart's 10 s said nothing (a helper's trial).
          holding = [];
          holdTimer = setTimeout(() => {
            // --quiet passes none of pytest's output on: the line promised what never came (a helper's trial).
            const follows = options.quiet ? "the Found line follows" : "the Found line and pytest's output follow";
            if (holding !== null) terminal.err(colours.dim(`pytest is still collecting the tests; ${follows} once it is done\n`));
          }, SERIAL_HOLD_MS);
          holdTimer.unref();
          break;
        }
        doctestModules = new Set(event.doctestModules);
        announce(event.files);
        break;
      }
      case "files-collected": {
        if (holding === null) break;
        clearTimeout(holdTimer);
        const held = holding;
        holding = null;
        // A process that collected nothing (pytest rejected its arguments, or found no test) has no files to announce.
        doctestModules = new Set(event.doctestModules);
        if (event.files.length > 0) announce(event.files, event.cut, event.stopped);
        terminal.out(heldNotices.splice(0).join(""));
        if (!options.quiet) passOn(held.join(""));
        break;
      }
      case "progress":
        progress = event.progress;
        showStatus();
        break;
      case "batch-start":
        if (options.verbose) {
          // The folder arguments a plain run gets, limited to the batch's files by grimoire-run's plugin: said, or the line reads as a run of the folder.
          const only = event.batch.onlyFile === null ? "" : `  (only ${event.batch.paths.length === 1 ? "this file" : "these files"}: GRIMOIRE_ONLY_FILES=${event.batch.onlyFile})`;
          terminal.out(colours.dim(`${event.batch.paths.length === 1 ? event.batch.paths[0] : "serial"}: ${event.batch.command.join(" ")}${only}\n`));
        }
        break;
      case "batch-output":
        if (options.quiet) break;
        if (holding !== null) holding.push(event.text.join(""));
        else if (mode === "parallel") terminal.out(tagged(event.batch, event.text));
        else passOn(event.text.join(""));
        break;
      case "file-finish": {
        // A serial process that ends before it collected: its line follows what it printed (run-finish).
        if (holding !== null) {
          heldResults.push(event);
          break;
        }
        const quietModule = heldNoDoctest(event.result, doctestModules);
        if (event.result.log !== null && !quietModule && !refusedSerial(event.result)) {
          ownLine();
          terminal.out(resultLine(event.result, event.willRetry));
        }
        break;
      }
      case "slow": {
        // A split file's parts run side by side: the notice names the part (black's test_format.py in 2 parts read as one).
        const part = event.batch.part === undefined ? "" : ` (part ${event.batch.part.index + 1} of ${event.batch.part.count})`;
        const what = event.batch.paths.length === 1 ? `${fitPath(event.batch.paths[0] as string)}${part}` : describePack(event.batch.paths);
        // A file that has used the CPU for most of its time is working, not waiting: no advice about waiting forever. Nor
        // is one that computes on a machine with no CPU to spare: its share is small, but it is running, not waiting
        // (packaging's requirements tests at a load of 13 on 2 cores: 11.4 s of CPU in a minute, a helper's trial).
        const working = event.cpuSeconds !== null && event.cpuSeconds >= BUSY_SHARE * event.seconds;
        const starved = !working && event.cpuSeconds !== null && event.running === true;
        const busy = working || starved;
        const state = working ? ": busy, not waiting" : starved ? ": running, on a machine short of CPU, not waiting" : "";
        const cpu = event.cpuSeconds === null ? "" : colours.dim(`  (${formatSeconds(event.cpuSeconds)} of CPU${state})`);
        if (event.atExit === true) {
          // Every test ran: no advice about ports; what keeps the process is its own leftovers. One using the CPU there is
          // working, not waiting: "waits at its exit (37.6s of CPU: busy, not waiting)" said both (tox's trial).
          const exitState = working ? ": busy" : starved ? ": running, on a machine short of CPU" : "";
          const exitCpu = event.cpuSeconds === null ? "" : colours.dim(`  (${formatSeconds(event.cpuSeconds)} of CPU${exitState})`);
          const doing = busy ? "is still working at its exit (a thread, a child process or an exit handler)" : "waits at its exit";
          terminal.out(`${colours.yellow("SLOW".padEnd(8))} ${what.padEnd(pathWidth)}  ${formatSeconds(event.seconds).padStart(6)}  pytest's session ended, and the process ${doing}${exitCpu}\n`);
          // One that is running there is finishing, not waiting for what its tests left (a starved process's exit).
          if (!atExitHintShown && !busy) {
            atExitHintShown = true;
            terminal.out(`${colours.dim(`         It waits for what its tests left: a child process (multiprocessing joins non-daemonic ones at exit), a thread that is not a daemon, or an exit handler. ${timeoutAdvice(event.timeoutSeconds)}`)}\n`);
          }
          break;
        }
        terminal.out(`${colours.yellow("SLOW".padEnd(8))} ${what.padEnd(pathWidth)}  ${formatSeconds(event.seconds).padStart(6)}  still running${cpu}\n`);
        if (!slowHintShown && !busy) {
          slowHintShown = true;
          terminal.out(`${colours.dim(slowHint(event.timeoutSeconds, workers))}\n`);
        }
        break;
      }
      case "iteration-finish":
        if (load !== null && event.results.length > 0) terminal.out(iterationLine(event.iteration, event.results, event.seconds));
        break;
      case "stopping":
        stopped = event.cause;
        terminal.out(`\n${colours.yellow(colours.bold(stopping(event.cause)))}\n`);
        break;
      case "leftovers-killed": {
        const count = event.processes.length;
        const them = plural(count, "process", "processes");
        const which = event.processes.map(describeLeftover).join("; ");
        const it = count === 1 ? "it" : "them";
        const message =
          event.label === null
            ? `killed ${count === 1 ? "1 leftover process" : `${count} leftover processes`} started by the tests (${which})`
            : event.kept === undefined
              ? `${event.label} left ${them} running after pytest exited (${which}); grimoire-run killed ${it}`
              : `${event.label} left ${them} listening on a port after pytest exited (${which}); grimoire-run let ${it} serve the files running after it and killed ${it} ${event.kept === "run" ? "at the end of the run" : `once more than ${LISTENING_LEFTOVERS_KEPT} files had left servers so`}`;
        terminal.err(`${colours.yellow("warning:")} ${message}\n`);
        break;
      }
      case "kill-failed":
        terminal.err(`${colours.yellow("warning:")} could not kill processes of ${event.label}: ${event.pids.join(", ")}\n`);
        break;
      case "fork-server-unavailable":
        terminal.out(`${colours.dim(`starting each pytest afresh: the fork server is not available (${event.reason})`)}\n`);
        break;
      case "warning":
        terminal.err(`${colours.yellow("warning:")} ${event.message}\n`);
        break;
      case "notice":
        // While a serial run's output waits for its Found line, so do its notices: that line stays the first.
        if (holding !== null) heldNotices.push(`${colours.dim(event.message)}\n`);
        else terminal.out(`${colours.dim(event.message)}\n`);
        break;
      case "durations":
        terminal.out(`${event.lines.join("\n")}\n`);
        break;
      case "coverage":
        if (event.output.length > 0) terminal.out(`${event.output.join("\n")}\n`);
        break;
      case "environment-output":
        if (!options.quiet) terminal.out(event.text.map((line) => `${colours.dim(`${event.source} |`)} ${line}\n`).join(""));
        break;
      case "run-finish": {
        // A serial process that ended before it collected anything (pytest refused its arguments, or it was stopped):
        // no file was found, and what it printed is all there is, then its line under the name of what it was given.
        clearTimeout(holdTimer);
        if (holding !== null) {
          layOut(event.report.files.map((f) => f.path));
          terminal.out(heldNotices.splice(0).join(""));
          passOn(holding.join(""));
          holding = null;
          for (const held of heldResults) {
            if (held.result.log === null || refusedSerial(held.result)) continue;
            ownLine();
            terminal.out(resultLine(held.result, held.willRetry));
          }
        }
        ownLine();
        clearInterval(ticker);
        terminal.close();
        const halted =
          event.haltedAfterIteration === null ? null : `Stopped after iteration ${event.haltedAfterIteration}, which had failures (--keep-going runs on).`;
        const cause = event.stopped ?? stopped;
        const said = cause === null ? (halted ?? (mode === "serial" ? serialStop(event.report.files) : null)) : `Stopped early: ${stopping(cause, { over: true })}`;
        const lines = formatSummary(event.report, { colours, stopped: said, load: load !== null, width: options.width, reportFile, oneProcess: mode === "serial", doctestModules });
        terminal.out(`${lines.join("\n")}\n`);
        break;
      }
      default:
        break;
    }
  };
}

/** The share of a SLOW file's time its pytest process spent on the CPU from which it counts as busy rather than waiting. */
const BUSY_SHARE = 0.25;

/** Said once per run, under its first SLOW line of a file that waits: what keeps a file waiting forever, and what stops it. */
function slowHint(timeoutSeconds: number | null, workers: number): string {
  // With one worker no other file runs beside it, to hold a port it waits for.
  const ports = workers > 1 ? " If it waits for a fixed port another file holds, it never gets it: give files that run at once ports derived from GRIMOIRE_SLOT, which differs for each of them." : "";
  return `         ${timeoutAdvice(timeoutSeconds)}${ports}`;
}

function timeoutAdvice(timeoutSeconds: number | null): string {
  return timeoutSeconds === null ? "No --timeout is set (grimoire-run's limit per file; pytest-timeout's, after --, limits each test): a file that waits forever runs until the run is stopped; --timeout SECONDS ends it." : `--timeout stops it at ${formatSeconds(timeoutSeconds)}.`;
}

/** Said of a file the run cancelled (--fail-fast, Ctrl-C, --timeout of the run) before its last collected test: not at a failure of its own. */
const CANCELLED_SHORT = "stopped before its last test";

/**
 * A serial run's one pytest stopped at a failure (its -x), leaving files, or the rest of the file it stopped in, unrun:
 * said as the stop it is, not only as files cancelled (two helpers' trials read "Cancelled: 22 (0 stopped while
 * running, 22 not started)" as unexplained, and a third read a last file's "(1 failed)" as the whole file's).
 */
function serialStop(files: readonly FileResult[]): string | null {
  const unrun = files.filter((file) => file.status === "cancelled" && file.log === null).length;
  const failed = files.some((file) => file.tests !== null && file.tests.failed + file.tests.errors > 0);
  const cut = files.find((file) => file.cutShort === true);
  if ((unrun === 0 && cut === undefined) || !failed) return null;
  const left = unrun > 0 ? `${plural(unrun, "file")} not reached` : `the rest of ${(cut as FileResult).path} not run`;
  // A collection error ends pytest's session before any test whatever its -x (a --maxfail after -- overrides that);
  // where it was the first module, -x stopped the collection there, and the files after it were never collected (said
  // "pytest stopped at a failure (a serial run gives pytest -x …)" before: a helper's trial of marshmallow).
  if (files.some((file) => file.reason === STOPPED_COLLECTING || file.reason === NOT_COLLECTED)) {
    return `Stopped early: pytest stopped on an error while collecting, before any test, as plain pytest does with or without -x (its --continue-on-collection-errors runs the rest; --parallel runs every other file), with ${left}`;
  }
  return `Stopped early: pytest stopped at a failure (a serial run gives pytest -x, to stop at the first one, as plain pytest -x does; --parallel runs every file), with ${left}`;
}

/** Why the run is stopping, in words; `over`: said in the summary, once everything has stopped. */
export function stopping(cause: StopCause, { over = false } = {}): string {
  // What a stop at a failure does now: kill the processes still running, or, with none, only start no other (a
  // one-file run read "stopping every running test process" where nothing else ran, a helper's trial of environs).
  const now = (cause.reason === "fail-fast" || cause.reason === "max-failures") && cause.othersRunning === 0 ? "stopping the run" : "stopping every running test process";
  switch (cause.reason) {
    case "fail-fast": {
      const what = `${cause.result.path} ${cause.result.status === "timeout" ? "timed out" : "failed"}`;
      const why = cause.pytestExitFirst ? "pytest's -x, or --maxfail=1, stops at the first failure" : "--fail-fast";
      // Said as it happens, between the files' lines: what it does now, not only what happened (a helper read a bare
      // "tests/test_form.py failed" there as a stray line).
      return over ? `${what} (${why})` : `${what} (${why}): ${now}`;
    }
    case "max-failures": {
      const what = `${cause.failedTests} tests failed or errored (pytest's --maxfail=${cause.limit} counts both)`;
      // The files running then report what they ran before the stop: the summary's count may be past this one (a
      // helper read alembic's "168 tests failed or errored" beside "218 errors" as a miscount).
      if (over) return cause.othersRunning === 0 ? what : `${what} in the files ended by then; the files still running were stopped, their failures counted above`;
      return `${what}: ${now}`;
    }
    case "interrupt":
      return cause.beforeFirstTest
        ? `Interrupted by ${cause.signal} before the first test started`
        : over
          ? `Interrupted by ${cause.signal}: every running test process was stopped`
          : `Interrupted by ${cause.signal}: stopping every running test process (${cause.signal === "SIGINT" ? "press Ctrl-C again" : `a second ${cause.signal}`} to kill at once)`;
    case "environment":
      return cause.message;
    case "error":
      return `grimoire-run hit an internal error; stopping every running test process: ${cause.message}`;
  }
}

function describeLoad(load: LoadPlan | null): string {
  if (load === null) return "";
  const parts: string[] = [];
  if (load.iterations !== null) parts.push(load.iterations === 1 ? "once" : `${load.iterations} times`);
  if (load.durationSeconds !== null) parts.push(`for ${load.iterations === null ? "" : "at most "}${formatSeconds(load.durationSeconds)}`);
  return `, ${parts.join(", ")}${load.sustained ? ", keeping every worker busy" : ""}`;
}

/** `whole`: what skipped where no test of it did (a module skipped at import, a folder by its conftest), or null. */
function describeCounts(result: FileResult, cutShort: boolean, whole: string | null = null): string {
  // As the file's pytest says it: "1 skipped", "2 deselected", not "0 passed, 1 skipped". A cancelled file was stopped
  // by the run, not at a failure of its own (a helper's Ctrl-C read "stopped at a failure" of a file with none).
  const tests = result.tests ?? emptyCounts();
  return `(${formatCounts(addCounts(emptyCounts(), tests))}${whole === null ? "" : `: ${whole}`}${cutShort ? `; ${result.status === "cancelled" ? cancelledShort(result) : CUT_SHORT}` : ""})`;
}

/**
 * A file the run stopped before its last test, with how many of its tests did not finish where that is known: "stopped
 * before its last test" of a file stopped in its 2nd test of 7 read as one test short (three helpers' trials).
 */
function cancelledShort(result: FileResult): string {
  const unfinished = result.unfinished ?? 0;
  if (unfinished <= 0) return CANCELLED_SHORT;
  const total = result.cases.length + unfinished;
  return `stopped with ${unfinished} of its ${plural(total, "test")} unfinished`;
}

/** A leftover process as the warning names it: its pid, and its command line cut to a readable length. */
function describeLeftover(leftover: Leftover): string {
  if (leftover.command === null) return `pid ${leftover.pid}`;
  // A process the file's pytest forked without an exec shows the command line of the Python grimoire-run started (the
  // fork server's, or the early Python's that became the pytest: process/earlyPython.ts), which says nothing of it.
  if (/ -m grimoire_run_(forkserver|early)(\s|$)/.test(leftover.command)) return `pid ${leftover.pid}: a fork of the file's pytest process`;
  const command = leftover.command.length > LEFTOVER_COMMAND_CHARS ? `${leftover.command.slice(0, LEFTOVER_COMMAND_CHARS - 1)}…` : leftover.command;
  return `pid ${leftover.pid}: ${command}`;
}
