/**
 * `-- --co` (or `--collect-only` in addopts): what a run would run, file by
 * file, and nothing run. One pytest process with `--collect-only` over what
 * a plain run would get, its own listing shown as it prints it, then the
 * count of tests in each file.
 */
import path from "node:path";
import { EXIT } from "./exitCode.js";
import type { Launcher } from "./process/launch.js";
import { isOwnJunitNote, pytestArgs, pytestEnv, writeOnlyFile, type CommandSettings, type EnvSettings, type ProcessTargets } from "./exec/pytestCommand.js";
import { runShownPytest } from "./exec/shownPytest.js";
import { readRecords } from "./exec/testRecords.js";
import { plural } from "./format.js";
import type { PythonCommand } from "./python.js";

export interface CollectOnlyRequest extends EnvSettings {
  root: string;
  python: PythonCommand;
  command: Omit<CommandSettings, "mode">;
  /** What pytest is given, and the only files it may collect there (--changed), if not all. */
  targets: ProcessTargets;
  logDir: string;
  runId: string;
  launcher: Launcher;
  killGraceMs: number;
  cancel: AbortSignal;
  hurry: AbortSignal;
  out: (text: string) => void;
}

/** Lists the tests; exit 0 when pytest collected some without errors, 5 when none, 1 on a collection error. */
export async function collectOnly(request: CollectOnlyRequest): Promise<number> {
  const logFile = path.join(request.logDir, "collect-only.log");
  const recordsFile = path.join(request.logDir, "junit", "collect-only.records");
  const junitFile = path.join(request.logDir, "junit", "collect-only.xml");
  const args = pytestArgs({ ...request.command, mode: "collect" }, request.targets.args);
  const only = request.targets.only;
  const onlyFile = only === null ? null : path.join(request.logDir, "collect-only.files");
  if (onlyFile !== null && only !== null) writeOnlyFile(onlyFile, only, request.command);
  const treeId = `${request.runId}.collect-only`;
  const env = pytestEnv(request, { slot: 0, iteration: 1, attempt: 1, treeId, artifactsDir: path.join(request.logDir, "collect-only.artifacts"), logFile, recordsFile, junitFile, onlyFile });
  const { root, python, launcher, killGraceMs, cancel, hurry, out } = request;
  const report = await runShownPytest({
    root,
    python,
    launcher,
    killGraceMs,
    cancel,
    hurry,
    out,
    args,
    env,
    treeId,
    logFile,
    drop: (line) => isOwnJunitNote(line, junitFile),
  });
  const records = readRecords(recordsFile, request.root);
  const collected = [...(records?.collected ?? new Map<string, number>())];
  const width = Math.max(0, ...collected.map(([file]) => file.length));
  const total = collected.reduce((sum, [, count]) => sum + count, 0);
  const lines = collected.map(([file, count]) => `${file.padEnd(width)}  ${plural(count, "test")}`);
  const errors = records?.collectErrors ?? [];
  request.out(`\n${[...lines, ...errors.map((place) => `${place}  could not be collected`), `${plural(total, "test")} in ${plural(collected.length, "file")}`].join("\n")}\n`);
  if (report.cancelled) return EXIT.failed;
  if (errors.length > 0 || (report.exitCode !== 0 && report.exitCode !== 5)) return EXIT.failed;
  return total === 0 ? EXIT.noTests : EXIT.passed;
}
