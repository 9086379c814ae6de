/**
 * The state of the project's source a run tested, as one short fingerprint:
 * the commit checked out, what differs from it in the tracked files, and the
 * content of untracked Python files (a new test file not yet added), and the
 * run's conditions besides. Two
 * runs with the same fingerprint ran the same code; a test that passed in one
 * and failed in the other is flaky, where a test that failed before a change
 * and passes after it was fixed (history.ts keeps the two apart). Outside a
 * git repository, or when git cannot answer, every run counts as the same
 * code: the fingerprint is then the conditions' alone (none being conditions
 * too: a run without `-W error` is not the run with it).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { GIT_TIMEOUT_MS } from "../defaults.js";
import { capture } from "../process/capture.js";
import { inVirtualenv } from "./virtualenvs.js";

/** Untracked Python files read for the fingerprint; past this many, their names and sizes stand for their content. */
const UNTRACKED_READ = 500;

/**
 * `conditions`: what else the tests ran under that can change their outcome
 * (pytest's arguments after `--`, PYTEST_ADDOPTS, --timeout, the base URL and
 * whether it answered): a test that failed under `-W error` and passes
 * without it was not flaky either. None: the fingerprint of the source alone.
 */
export async function sourceState(root: string, conditions: readonly string[] = []): Promise<string> {
  try {
    const ask = (args: string[]) => capture("git", args, { cwd: root, env: process.env, timeoutMs: GIT_TIMEOUT_MS });
    const [head, diff, untracked] = await Promise.all([
      ask(["rev-parse", "--verify", "--quiet", "HEAD"]),
      ask(["diff", "HEAD", "--no-ext-diff", "--no-textconv", "--binary", "--", "."]),
      ask(["ls-files", "--others", "--exclude-standard", "-z", "--", "*.py"]),
    ]);
    if (head.code !== 0 || diff.code !== 0 || untracked.code !== 0) return conditionsAlone(conditions);
    const hash = crypto.createHash("sha1").update(head.stdout).update("\0").update(diff.stdout).update("\0");
    const installed = inVirtualenv(root);
    const names = untracked.stdout.split("\0").filter((name) => name !== "" && !installed(name)).sort();
    for (const name of names) {
      const file = path.join(root, name);
      hash.update(name).update("\0");
      if (names.length <= UNTRACKED_READ) hash.update(fs.readFileSync(file));
      else hash.update(String(fs.statSync(file).size));
      hash.update("\0");
    }
    return fingerprint(hash, conditions);
  } catch {
    // A file removed while it was read, git missing: as outside a repository.
    return conditionsAlone(conditions);
  }
}

/**
 * Outside a repository (or where git cannot answer) the source is unknown and
 * counts as the same in every run; the conditions still tell runs apart: a
 * failure against a server that was down, or under `-- -W error`, is no flake.
 */
function conditionsAlone(conditions: readonly string[]): string {
  return fingerprint(crypto.createHash("sha1").update("no source\0"), conditions);
}

/** What `hash` holds so far, and the conditions, as the short fingerprint history keeps. */
function fingerprint(hash: crypto.Hash, conditions: readonly string[]): string {
  if (conditions.length > 0) hash.update("conditions\0").update(conditions.join("\0"));
  return hash.digest("hex").slice(0, 12);
}
