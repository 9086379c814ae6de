/**
 * Shared pieces of the benchmark harness: suites written to disk, commands
 * timed, medians, and the machine the numbers were taken on.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(REPO, "dist", "cli.js");
export const WORK = path.join(REPO, "bench", ".work");

/** Writes a suite of files into a fresh folder under bench/.work and returns its path. */
export function writeSuite(name, files) {
  const root = path.join(WORK, name);
  fs.rmSync(root, { recursive: true, force: true });
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(root, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  return root;
}

/**
 * Runs a command to its end and returns its wall time in seconds, its exit
 * code, and its peak resident memory in MiB (sampled from /proc every 10 ms).
 */
export function timeCommand(command, args, { cwd, env = process.env, input = "ignore" }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: [input, "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output = (output + chunk.toString()).slice(-20_000)));
    child.stderr.on("data", (chunk) => (output = (output + chunk.toString()).slice(-20_000)));
    let peakKb = 0;
    const sampler = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      } catch {
        // exited
      }
    }, 10);
    child.on("close", (code) => {
      clearInterval(sampler);
      resolve({ seconds: (performance.now() - started) / 1000, code, peakMiB: peakKb / 1024, output });
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(seconds) {
  return `${seconds.toFixed(2)} s`;
}

export function ratio(a, b) {
  return `${(a / b).toFixed(2)}×`;
}

/**
 * The environment every measured command runs in: no colour, no spinner, and
 * no auto-loaded third-party pytest plugins. A machine's stray plugins (here
 * hypothesis and pytest-benchmark) would add most of a second to every
 * pytest start and to every interrupted session, for every contender alike;
 * xdist is loaded explicitly (`-p xdist`) where it is measured.
 */
export function benchEnv(extra = {}) {
  const env = { ...process.env, CI: "1", NO_COLOR: "1", PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1", ...extra };
  for (const key of Object.keys(env)) if (key.startsWith("GRIMOIRE_")) delete env[key];
  return env;
}

export function machine() {
  const version = (command, args) => {
    const result = spawnSync(command, args, { encoding: "utf8" });
    return result.status === 0 ? (result.stdout || result.stderr).trim().split("\n")[0] : "not found";
  };
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return {
    cpu: `${cpu}, ${os.availableParallelism()} available CPUs`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    python: version("python3", ["--version"]),
    pytest: version("python3", ["-m", "pytest", "--version"]),
    xdist: version("python3", ["-c", "import xdist; print('pytest-xdist', xdist.__version__)"]),
    date: new Date().toISOString().slice(0, 10),
  };
}
