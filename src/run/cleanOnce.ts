/**
 * Folders a plugin empties at the start of every pytest session: a plain run
 * empties them once, before its first test, and one process per file would
 * empty them before every file, and with them what the files before it left
 * there (pytest-playwright's screenshots, traces and videos of failed tests).
 * A parallel run empties them once, before its first file, and tells every
 * process it did (GRIMOIRE_CLEANED_ONCE), as it tells them that the listing's
 * session emptied pytest's log_file and allure-pytest's results folder.
 */
import fs from "node:fs";
import path from "node:path";
import type { CleanOnce } from "../discovery/askPytest.js";

/** Empties each folder (as its plugin would, the folder itself removed). */
export function cleanOnce(root: string, folders: readonly CleanOnce[]): void {
  for (const folder of folders) {
    // A plugin told to write into the project's folder, or above it, would empty the project: that is never done.
    const holdsTheProject = !path.relative(folder.path, root).startsWith("..") && !path.isAbsolute(path.relative(folder.path, root));
    if (!holdsTheProject) fs.rmSync(folder.path, { recursive: true, force: true });
  }
}
