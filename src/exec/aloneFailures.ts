/**
 * Files that failed in a process of their own after passing, the last time they ran, in one process with other files
 * (a serial run, a pack): a test that needs what another file did first (an import, a setting, a registry filled) passes
 * in one plain pytest session and fails alone. Helpers' trials met it in jsonschema's, click's and keyring's suites,
 * each time read as grimoire-run's failure, since nothing said the file had passed the run before. Pure, but for
 * editedSince, which asks the disk.
 */
import fs from "node:fs";
import path from "node:path";
import { filesByLog, type FileResult, type TestCase } from "../model.js";
import { failedToCollectOnly, type FileHistory, type History } from "../plan/history.js";
import { plural } from "../format.js";

/** Files named in the notice; the rest are counted. */
const NAMED = 3;

/**
 * The notice, or null when no file failed so. `history`: as it was before the run. `editedSince`: whether a test file
 * (or a conftest above it) was modified after a time (ISO); a file edited since its pass is left out, the edit being
 * the likelier cause (datasette's trial: a test broken on purpose after a serial run read as one needing another
 * file's set-up). Not the source's fingerprint of the flake rates: it holds how the processes ran (--pack, the
 * installed packages a listing reads), which differ between the shared run and this one.
 */
export function aloneFailuresHint(results: readonly FileResult[], history: History, editedSince: (path: string, iso: string) => boolean = () => false): string | null {
  const filesOfLog = filesByLog(results);
  const alone = (result: FileResult): boolean => result.log !== null && filesOfLog.get(result.log) === 1;
  // Judged by the executions that failed alone, not by a shared one of the same file (a pack's, a serial iteration's).
  const failedAlone = results.filter((r) => r.status === "failed" && (r.parts ?? null) === null && alone(r));
  const before = [...new Set(failedAlone.map((r) => r.path))].filter((path) => {
    const entry = history.files[path];
    if (entry?.outcome !== "passed" || entry.shared !== true) return false;
    return !editedSince(path, entry.lastRun) && failedAlone.some((r) => r.path === path && failedWhatPassed(r, entry));
  });
  if (before.length === 0) return null;
  const named = before.slice(0, NAMED).join(", ");
  const more = before.length > NAMED ? ` and ${before.length - NAMED} more` : "";
  // Ran beside other files: a file that passes alone may have met them in what they all use at once. Flask-Migrate's
  // tests make a migrations/ folder in one place; two files at once failed each other, and "alone" passed (a helper's trial).
  const beside = failedAlone.some((result) => before.includes(result.path) && results.some((other) => other !== result && other.log !== null && overlap(result, other)));
  return (
    `${plural(before.length, "file")} failed in a process of ${before.length === 1 ? "its" : "their"} own that passed the last time ${before.length === 1 ? "it" : "they"} ran in one process with other files (a serial run, or --pack): ${named}${more}. ` +
    "A test may need what another file did first (an import, a setting, a registry filled): `python -m pytest FILE` alone shows whether plain pytest fails it so too; a plain session hides that need, and --pack where the files land in one pack" +
    (beside
      ? ". If it passes alone, it failed beside the files running at the same time: a folder, a file, a port or a database they all use (--parallel -n 1 shows it; GRIMOIRE_SLOT gives each running file a name of its own, --database-url a PostgreSQL database of its own)"
      : "") +
    // A test that measures its own process (its memory) sees a forked one's: parsel's billion-laughs test failed in
    // every forked run, -n 1 too, and passed in every run started afresh (a helper's trial).
    ". A test that measures its own process (its memory, as psutil reads it) may fail forked from the fork server, which has imported packages before it: --no-fork-server shows it"
  );
}

/** Whether two executions ran at the same time, for any part of their run. */
function overlap(a: FileResult, b: FileResult): boolean {
  return a.startSeconds < b.startSeconds + b.durationSeconds && b.startSeconds < a.startSeconds + a.durationSeconds;
}

/**
 * Whether what failed alone had passed in the shared run: a test that failed now and passed then (not one that run's
 * -k or -m left out, which passes no verdict: a helper's trial of responses, whose tests needing a missing fixture had
 * been deselected), or the module's import, which a shared run's passing file had done whatever it selected.
 */
function failedWhatPassed(result: FileResult, entry: FileHistory): boolean {
  if (failedToCollectOnly(result)) return true;
  const passedThen = (nodeid: string): boolean => (entry.tests?.[nodeid] ?? "").endsWith("P");
  return result.cases.some((test) => (test.outcome === "failed" || test.outcome === "error") && passedThen(test.nodeid) && !overTimeLimit(test));
}

/**
 * A failure of a time limit in the test (Hypothesis' deadline, pytest-timeout's): a machine busier with several files
 * at once, not another file's set-up. h2's DeadlineExceeded under --parallel got the notice, which sent the reader
 * looking for an import, a folder or a port (a helper's trial).
 */
function overTimeLimit(test: TestCase): boolean {
  const failures = test.failures ?? [];
  return failures.length > 0 && failures.every((failure) => TIME_LIMIT_FAILURE.test(failure.message));
}

const TIME_LIMIT_FAILURE = /\bDeadlineExceeded\b|^Failed: Timeout >/;

/**
 * Whether a project's test file, or a conftest.py in its folder or one above it, was modified after an ISO time. Each
 * file is looked at once (the conftests a folder's test files share, asked of every one of them).
 */
export function editedSince(root: string): (file: string, iso: string) => boolean {
  const modified = new Map<string, number | null>();
  const modifiedAfter = (file: string, time: number): boolean => {
    let mtime = modified.get(file);
    if (mtime === undefined) {
      mtime = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? null;
      modified.set(file, mtime);
    }
    return mtime !== null && mtime > time;
  };
  return (file, iso) => {
    const time = Date.parse(iso);
    if (modifiedAfter(path.join(root, file), time)) return true;
    for (let folder = path.dirname(file); ; folder = path.dirname(folder)) {
      if (modifiedAfter(path.join(root, folder, "conftest.py"), time)) return true;
      if (folder === "." || folder === "/" || folder === path.dirname(folder)) return false;
    }
  };
}
