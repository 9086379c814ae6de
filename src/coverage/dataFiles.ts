/**
 * Which coverage data a run combines, and how its total reads. Each pytest
 * process measures into a data file of its own, in a folder of its own (so
 * that pytest-cov's own combining inside the process, and the parallel files
 * of subprocesses measured with coverage's `patch = subprocess`, see no other
 * process's files). The run combines the files of the processes whose results
 * stand: the last attempt of each file in each iteration. Pure.
 */
import path from "node:path";
import { failedTests, finalResults, isFailure, type FileResult } from "../model.js";

/** A process's data file, named after its log: `<log folder>/coverage/<log name>/.coverage`. */
export function processDataFile(logDir: string, logName: string): string {
  return path.join(logDir, "coverage", logName, ".coverage");
}

/** The folder of every process's data file, removed once they are combined. */
export function processDataFolder(logDir: string): string {
  return path.join(logDir, "coverage");
}

/**
 * The data files of the processes whose results decide the run: a retried
 * file's last attempt counts, its failed attempts do not. A process of several
 * files (--pack, serial mode) counts when any of its files' results does: its
 * data cannot be told apart by file. A file split across processes (--split)
 * counts with each of its parts' data.
 */
export function dataFilesToCombine(results: readonly FileResult[]): string[] {
  const dataOf = (r: FileResult): (string | null)[] => (r.parts == null ? [r.coverageData] : r.parts.map((p) => p.coverageData));
  return [...new Set(finalResults(results).flatMap(dataOf).filter((file): file is string => file !== null))];
}

/** Whether tests failed, as pytest-cov's --no-cov-on-fail asks: a failing final result, or a failed test in one. */
export function testsFailedIn(results: readonly FileResult[]): boolean {
  return finalResults(results).some((r) => isFailure(r.status) || (r.tests !== null && failedTests(r.tests) > 0));
}

/**
 * A total as coverage shows it at a precision: rounded, except that a total
 * short of 100 never shows as 100 and one above 0 never as 0
 * (coverage.results.display_covered).
 */
export function displayCovered(total: number, precision: number): string {
  const near = 1 / 10 ** precision;
  const shown = total > 0 && total < near ? near : total > 100 - near && total < 100 ? 100 - near : total;
  return shown.toFixed(precision);
}
