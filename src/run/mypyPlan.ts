/**
 * pytest-mypy in a parallel run: one mypy run over every file of the run,
 * shared by the files' processes. pytest-mypy checks a session's files in one
 * mypy run, and one process per file would check each file alone: errors
 * between files (a duplicate module name, a wrong call into another file)
 * vanished, and the run passed where plain pytest failed. The plugin
 * (python/grimoire_run_pytest.py's SharedMypyResults) reads this file.
 */
import fs from "node:fs";
import path from "node:path";

/** Writes the run's pytest-mypy plan in its log folder; returns the file's path, or null where the listing found no pytest-mypy file. */
export function sharedMypyResults(logDir: string, plan: { paths: string[]; status: string | null } | null): string | null {
  if (plan === null || (plan.paths.length === 0 && plan.status === null)) return null;
  const file = path.join(logDir, "mypy.json");
  fs.writeFileSync(file, JSON.stringify({ results: path.join(logDir, "mypy-results.json"), paths: plan.paths, status: plan.status }));
  return file;
}
