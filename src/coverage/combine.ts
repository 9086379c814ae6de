/**
 * The run's coverage, combined and reported once: grimoire-run's Python
 * helper (python/grimoire_run_coverage.py) combines the processes' data files
 * into the project's data file, writes and prints the reports pytest-cov was
 * asked for, and judges the total against --cov-fail-under, as pytest-cov
 * does at the end of one pytest run. Started through the one process layer;
 * the exit code stays the run's to decide (exitCode.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { COVERAGE_TIMEOUT_SECONDS } from "../defaults.js";
import { withPluginPath } from "../packageFiles.js";
import type { CoverageResult, CoverageSettings } from "../model.js";
import { capture } from "../process/capture.js";
import { describePython, type PythonCommand } from "../python.js";

export interface CombineRequest {
  root: string;
  python: PythonCommand;
  /** The run's own environment: the project's COVERAGE_FILE, if it sets one, is where the combined data goes. */
  env: NodeJS.ProcessEnv;
  settings: CoverageSettings;
  /** Absolute; those that do not exist (a process killed before it saved) are left out. */
  dataFiles: string[];
  /** Keep the data files once combined (merge-reports: they are the shards'); a run's own go. */
  keep: boolean;
  /** For --no-cov-on-fail. */
  testsFailed: boolean;
  /** Judge the total against the threshold (not in a CI shard: merge-reports judges all shards). */
  judge: boolean;
  /** Where the request and the answer are written. */
  workDir: string;
  /** The terminal's width, for the report's separator lines; null for pytest-cov's default (80). */
  columns: number | null;
}

export interface Combined {
  result: CoverageResult;
  /** What pytest-cov would have printed at the end of the run: its section of the terminal summary. */
  output: string[];
  /** Why the coverage could not be combined or reported, if it could not. */
  problem: string | null;
}

/** The helper's answer (python/grimoire_run_coverage.py). */
interface HelperAnswer {
  total: number | null;
  precision: number;
  failUnder: number | null;
  failed: boolean;
  reported: boolean;
  dataFile: string | null;
  warning: string | null;
}

/** Exit code of the helper when the Python cannot import coverage. */
const NO_COVERAGE_EXIT = 3;

export async function combineCoverage(request: CombineRequest): Promise<Combined> {
  fs.mkdirSync(request.workDir, { recursive: true });
  const requestFile = path.join(request.workDir, "combine-request.json");
  const answerFile = path.join(request.workDir, "combine-result.json");
  fs.rmSync(answerFile, { force: true });
  fs.writeFileSync(requestFile, JSON.stringify({ settings: request.settings, dataFiles: request.dataFiles, keep: request.keep, testsFailed: request.testsFailed, judge: request.judge }));
  const env: NodeJS.ProcessEnv = { ...request.env, PYTHONPATH: withPluginPath(request.env["PYTHONPATH"]) };
  if (request.columns !== null) env["COLUMNS"] = String(request.columns);
  const captured = await capture(request.python.command, [...request.python.args, "-m", "grimoire_run_coverage", requestFile, answerFile], {
    cwd: request.root,
    env,
    timeoutMs: COVERAGE_TIMEOUT_SECONDS * 1000,
  });
  const printed = captured.stdout.replace(/\n$/, "");
  const output = printed === "" ? [] : printed.split("\n");
  const answer = captured.code === 0 ? readAnswer(answerFile) : null;
  if (answer === null) {
    const why =
      captured.error ??
      (captured.code === NO_COVERAGE_EXIT ? `coverage is not installed for ${describePython(request.python)}` : `exit code ${String(captured.code)}: ${lastLines(captured.stderr)}`);
    return { result: unreported(request), output, problem: `could not combine the coverage data (${why})` };
  }
  return {
    result: {
      settings: request.settings,
      totalPercent: answer.reported ? answer.total : null,
      precision: answer.precision,
      failUnder: answer.failUnder,
      judged: request.judge && answer.reported && answer.failUnder !== null,
      failed: answer.failed,
      dataFile: answer.dataFile,
    },
    output,
    problem: answer.warning,
  };
}

/**
 * No total: a threshold that was asked for is not met (pytest-cov counts a
 * report it could not make as a total of 0).
 */
function unreported(request: CombineRequest): CoverageResult {
  const failUnder = request.settings.failUnder !== null && request.settings.failUnder > 0 ? request.settings.failUnder : null;
  return { settings: request.settings, totalPercent: null, precision: request.settings.precision ?? 0, failUnder, judged: request.judge && failUnder !== null, failed: request.judge && failUnder !== null, dataFile: null };
}

function readAnswer(file: string): HelperAnswer | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<HelperAnswer>;
    if (typeof parsed.precision !== "number" || typeof parsed.failed !== "boolean" || typeof parsed.reported !== "boolean") return null;
    return {
      total: typeof parsed.total === "number" ? parsed.total : null,
      precision: parsed.precision,
      failUnder: typeof parsed.failUnder === "number" ? parsed.failUnder : null,
      failed: parsed.failed,
      reported: parsed.reported,
      dataFile: typeof parsed.dataFile === "string" ? parsed.dataFile : null,
      warning: typeof parsed.warning === "string" ? parsed.warning : null,
    };
  } catch {
    return null;
  }
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-5).join("\n") || "no output";
}
