/**
 * Virtualenvs inside a repository that git does not ignore (`.venv` missing
 * from a `.gitignore` that names `venv`): git lists every installed file in
 * them as untracked. They are installed packages, not the project's source:
 * `--changed` listed 3,257 changed files of flask-babel's `.venv` (a helper's
 * trial), and each `pip install` into one would make the next run's source
 * look changed to the flake history.
 */
import fs from "node:fs";
import path from "node:path";

/**
 * Whether a path (relative to `base`, with `/`) lies in a virtualenv: a folder
 * above it holds `pyvenv.cfg`, as every venv and virtualenv does. Each folder
 * is looked at once.
 */
export function inVirtualenv(base: string): (file: string) => boolean {
  const known = new Map<string, boolean>();
  const isVirtualenv = (folder: string): boolean => {
    let found = known.get(folder);
    if (found === undefined) {
      found = fs.existsSync(path.join(base, folder, "pyvenv.cfg"));
      known.set(folder, found);
    }
    return found;
  };
  return (file) => {
    const parts = file.split("/");
    for (let depth = 1; depth < parts.length; depth++) if (isVirtualenv(parts.slice(0, depth).join("/"))) return true;
    return false;
  };
}
