/**
 * What changed, according to git: the files that differ between a revision
 * and the working tree, committed or not, untracked ones included (ignored
 * ones not). Every git command goes through the one process layer
 * (process/capture.ts); every way git can say no (not a repository, an
 * unknown revision, no git at all) is a UsageError that says which. It
 * never decides what a change means for the tests (plan/changed.ts does).
 */
import fs from "node:fs";
import path from "node:path";
import { GIT_TIMEOUT_MS, PYTEST_CONFIG_FILES, STATE_DIR } from "../defaults.js";
import { UsageError } from "../errors.js";
import { capture } from "../process/capture.js";
import { toProjectPath } from "../projectPaths.js";
import { inVirtualenv } from "./virtualenvs.js";

export interface ChangedFile {
  /** Project path; `../` for a pytest configuration file in a folder above the project. */
  path: string;
  deleted: boolean;
}

export interface ChangeSet {
  /** What the files were compared with, as the user would name it: REF, the upstream (`origin/main`), the remote's default branch for a branch with no upstream, or `HEAD`. */
  ref: string;
  /** The commit compared with (abbreviated), or null when the repository has no commit yet. */
  commit: string | null;
  /** How `ref` was chosen. */
  chosen: "given" | "upstream" | "default-branch" | "head" | "no-commit";
  /** HEAD is a commit checked out on no branch (a CI checkout, a bisect): there is no branch to speak of. */
  detached?: boolean;
  /** Sorted by path. */
  files: ChangedFile[];
}

/**
 * The changes of the working tree under `root` since `ref`; with `ref`
 * null, since the point where the current branch left its upstream (what a
 * push would send, plus what is not committed); for a branch with no upstream
 * yet (its first push), since where it left origin's default branch
 * (`origin/HEAD`: what that push sends); else since HEAD.
 */
export async function readChanges(root: string, ref: string | null): Promise<ChangeSet> {
  const top = await git(root, ["rev-parse", "--show-toplevel"], (stderr) =>
    /not a git repository/i.test(stderr) ? `--changed needs a git repository, and ${root} is not inside one` : `--changed could not ask git about ${root}: ${firstLine(stderr)}`,
  );
  const base = ref === null ? await defaultBase(root) : { ref, commit: await commitOf(root, ref), chosen: "given" as const };
  const compared = base.commit ?? (await emptyTree(root));
  const diff = await git(root, ["diff", "--name-status", "--no-renames", "--no-ext-diff", "-z", compared, "--"], (stderr) => `--changed: git diff ${base.ref} failed: ${firstLine(stderr)}`);
  const untracked = await git(root, ["ls-files", "--others", "--exclude-standard", "--full-name", "-z"], (stderr) => `--changed: git ls-files failed: ${firstLine(stderr)}`);
  const realRoot = fs.realpathSync(root);
  const files = new Map<string, ChangedFile>();
  const add = (fromTop: string, deleted: boolean): void => {
    const file = toProjectPath(realRoot, path.join(top, fromTop));
    if (isNoise(file) || !(inProject(file) || isConfigAbove(file))) return;
    files.set(file, { path: file, deleted });
  };
  const fields = diff.split("\0");
  for (let i = 0; i + 1 < fields.length; i += 2) add(fields[i + 1] as string, (fields[i] as string).startsWith("D"));
  const installed = inVirtualenv(top);
  for (const file of untracked.split("\0")) if (file !== "" && !installed(file)) add(file, false);
  return { ref: base.ref, commit: base.commit === null ? null : base.commit.slice(0, 10), chosen: base.chosen, ...(base.detached === true ? { detached: true } : {}), files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

async function defaultBase(root: string): Promise<Omit<ChangeSet, "files">> {
  const upstream = await gitOrNull(root, ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"]);
  if (upstream !== null && upstream !== "") {
    // Where the branch left its upstream: what others pushed since then is not a change of this working tree.
    const meeting = (await gitOrNull(root, ["merge-base", "HEAD", "@{upstream}"])) ?? (await commitOf(root, "@{upstream}"));
    return { ref: upstream, commit: meeting, chosen: "upstream" };
  }
  // A commit checked out on no branch has no upstream: said so, not "this branch" (a helper's trial of a detached checkout).
  const detached = (await gitOrNull(root, ["symbolic-ref", "--quiet", "HEAD"])) === null ? { detached: true } : {};
  // A new branch's first push sends its commits since it left the remote's default branch: compared with HEAD, a
  // pre-push hook tested none of them (a helper's trial: a broken commit went out with "nothing changed").
  const remoteDefault = await gitOrNull(root, ["rev-parse", "--abbrev-ref", "origin/HEAD"]);
  if (remoteDefault !== null && remoteDefault !== "" && remoteDefault !== "origin/HEAD") {
    const meeting = await gitOrNull(root, ["merge-base", "HEAD", remoteDefault]);
    if (meeting !== null && meeting !== "") return { ref: remoteDefault, commit: meeting, chosen: "default-branch", ...detached };
  }
  const head = await gitOrNull(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  return head === null ? { ref: "HEAD", commit: null, chosen: "no-commit" } : { ref: "HEAD", commit: head, chosen: "head", ...detached };
}

async function commitOf(root: string, ref: string): Promise<string> {
  if (ref.startsWith("-") || ref.trim() === "") throw new UsageError(`--changed: "${ref}" is not a git revision`);
  const commit = await gitOrNull(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  if (commit === null) throw new UsageError(`--changed: git knows no commit named "${ref}" (a branch, tag or commit, e.g. origin/main, HEAD~3)`);
  return commit;
}

/** The tree of no files: what a repository without a commit is compared with. */
async function emptyTree(root: string): Promise<string> {
  return git(root, ["hash-object", "-t", "tree", "/dev/null"], (stderr) => `--changed: git hash-object failed: ${firstLine(stderr)}`);
}

/** Files no one edits: Python's byte code, grimoire-run's own state. */
function isNoise(file: string): boolean {
  return file.endsWith(".pyc") || file.split("/").includes("__pycache__") || file.startsWith(`${STATE_DIR}/`);
}

function inProject(file: string): boolean {
  return file !== ".." && !file.startsWith("../");
}

/** pytest looks for its configuration in the folders above the project too. */
function isConfigAbove(file: string): boolean {
  return /^(\.\.\/)+[^/]+$/.test(file) && PYTEST_CONFIG_FILES.includes(path.posix.basename(file));
}

/** git's output, trimmed at the end; a failure is a UsageError with `message(stderr)`. */
async function git(cwd: string, args: string[], message: (stderr: string) => string): Promise<string> {
  const result = await capture("git", args, { cwd, env: process.env, timeoutMs: GIT_TIMEOUT_MS });
  if (result.error === "command not found") throw new UsageError("--changed needs git, which is not installed (or not on PATH)");
  if (result.error !== null) throw new UsageError(`--changed: git ${args[0] ?? ""} ${result.error}`);
  if (result.code !== 0) throw new UsageError(message(result.stderr));
  return result.stdout.replace(/\n$/, "");
}

/** git's answer, or null when git says no. */
async function gitOrNull(cwd: string, args: string[]): Promise<string | null> {
  const result = await capture("git", args, { cwd, env: process.env, timeoutMs: GIT_TIMEOUT_MS });
  if (result.error === "command not found") throw new UsageError("--changed needs git, which is not installed (or not on PATH)");
  return result.error !== null || result.code !== 0 ? null : result.stdout.trim();
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
