/**
 * The files of grimoire-run's own package that it reads or starts by path:
 * its Python folder and its Node.js programs. They are found from the
 * package's root, the first folder above this module with a package.json,
 * wherever the module runs from: bundled into dist/ (scripts/build.mjs puts
 * shared code in chunks there) or from src/ (the unit tests).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`grimoire-run's package.json was not found in any folder above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const PACKAGE_JSON = path.join(PACKAGE_ROOT, "package.json");
/**
 * grimoire-run's pytest plugin and fork server: python/'s modules, which scripts/build.mjs copies into a folder named
 * site-packages, as a library's are (see there why).
 */
export const PYTHON_DIR = path.join(PACKAGE_ROOT, "dist", "site-packages");
/** A PYTHONPATH with PYTHON_DIR first: every Python grimoire-run starts imports its modules from there. */
export function withPluginPath(pythonPath: string | undefined): string {
  return pythonPath === undefined || pythonPath === "" ? PYTHON_DIR : `${PYTHON_DIR}${path.delimiter}${pythonPath}`;
}
/** The programs it starts with Node.js, as scripts/build.mjs writes them. */
export const WATCHDOG_PROGRAM = path.join(PACKAGE_ROOT, "dist", "process", "watchdogProcess.js");
export const BROWSER_SERVER_PROGRAM = path.join(PACKAGE_ROOT, "dist", "browsers", "browserServerProcess.js");
