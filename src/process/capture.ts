/**
 * A short command run to its end with its whole output kept: the Python
 * check, git. Through the same launcher as every other process, with a time
 * limit past which its tree is killed.
 */
import { launch as defaultLaunch, type Launcher } from "./launch.js";
import { killTrees } from "./processTree.js";
import { sleep } from "./sleep.js";
import { DRAIN_AFTER_EXIT_MS } from "../defaults.js";

export interface Captured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why there is no exit code: "command not found", or "timed out". */
  error: string | null;
}

export interface CaptureOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  launcher?: Launcher;
}

export async function capture(command: string, args: string[], options: CaptureOptions): Promise<Captured> {
  const child = await (options.launcher ?? defaultLaunch)({ command, args, cwd: options.cwd, env: options.env, stdin: "ignore" });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const drained = Promise.all([new Promise((resolve) => child.stdout.once("close", resolve)), new Promise((resolve) => child.stderr.once("close", resolve))]);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== null) void killTrees([{ pid: child.pid, marker: null }], { graceMs: 0 });
  }, options.timeoutMs);
  const exit = await child.exited;
  clearTimeout(timer);
  if (exit.spawnError !== null) {
    const code = (exit.spawnError as NodeJS.ErrnoException).code;
    return { code: null, stdout, stderr, error: code === "ENOENT" ? "command not found" : exit.spawnError.message };
  }
  // Output still coming from something the command left running is not waited for long.
  await Promise.race([drained, sleep(DRAIN_AFTER_EXIT_MS)]);
  if (timedOut) return { code: null, stdout, stderr, error: `timed out after ${options.timeoutMs / 1000}s` };
  return { code: exit.code, stdout, stderr, error: exit.signal === null ? null : `killed (${exit.signal})` };
}
