/**
 * Shared pieces of the benchmark harness: suites written to disk, commands
 * timed (and checked: a failed run is never reported as a time), contenders
 * alternated, medians and ratios, and the machine the numbers were taken on.
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
 * With `watch`, also the time at which an output line first matched it
 * (`watchedSeconds`, null if none did).
 */
export function timeCommand(command, args, { cwd, env = process.env, watch = null }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let watchedSeconds = null;
    const collect = (chunk) => {
      output = (output + chunk.toString()).slice(-20_000);
      if (watch !== null && watchedSeconds === null && watch.test(output)) watchedSeconds = (performance.now() - started) / 1000;
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
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
      resolve({ seconds: (performance.now() - started) / 1000, code, peakMiB: peakKb / 1024, output, watchedSeconds });
    });
  });
}

/** timeCommand, throwing (with the output) unless the command exited 0. */
export async function timeChecked(command, args, options) {
  const run = await timeCommand(command, args, options);
  if (run.code !== 0) throw new Error(`${[command, ...args].join(" ")} (in ${options.cwd}) exited ${run.code}:\n${run.output}`);
  return run;
}

/**
 * `python3 -m pytest ARGS` in the suite's root; throws unless it passed with
 * exactly `tests` passing tests (a contender that skipped half the suite
 * would otherwise look fast). Returns the wall seconds.
 */
export async function timePytest(root, args, tests, env = benchEnv()) {
  const run = await timeChecked("python3", ["-m", "pytest", ...args], { cwd: root, env });
  const passed = Number(/(\d+) passed/.exec(run.output)?.[1] ?? 0);
  if (passed !== tests) throw new Error(`pytest ${args.join(" ")} in ${root}: ${passed} tests passed, expected ${tests}:\n${run.output}`);
  return run.seconds;
}

/** Seconds of `python3 -c CODE` in `cwd`, which must exit 0. */
export async function timePython(code, cwd) {
  return (await timeChecked("python3", ["-c", code], { cwd, env: benchEnv() })).seconds;
}

/** The single-process and pytest-xdist command lines every scenario compares against. */
export const SERIAL_ARGS = ["tests", "-q"];
export const xdistArgs = (workers, dist) => ["tests", "-q", "-p", "xdist", "-n", String(workers), "--dist", dist];

/**
 * `grimoire-run --parallel -n WORKERS -q` in the suite's root (`output`
 * replaces `-q`; `extra` options follow). Throws unless it exited 0 and its JSON report shows every
 * one of `files` files passed. `fresh` deletes `.grimoire/` first: no
 * history, so files start longest-looking first (src/plan/estimate.ts).
 */
export async function timeGrimoire(root, { workers, files, fresh = false, output = "-q", watch = null, extra = [], env = benchEnv() }) {
  if (fresh) fs.rmSync(path.join(root, ".grimoire"), { recursive: true, force: true });
  // In the benchmark's own folder, whatever the suite's: the Bookshop's root is in the repository.
  fs.mkdirSync(WORK, { recursive: true });
  const reportFile = path.join(WORK, `${path.basename(root)}.report.json`);
  fs.rmSync(reportFile, { force: true });
  const args = [CLI, "--parallel", "-n", String(workers), "--report-json", reportFile, output, ...extra];
  const run = await timeChecked("node", args, { cwd: root, env, watch });
  const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
  const passed = report.files.filter((f) => f.status === "passed").length;
  if (report.exitCode !== 0 || report.files.length !== files || passed !== files) {
    throw new Error(`grimoire-run in ${root}: ${passed} of ${report.files.length} files passed, expected ${files}:\n${run.output}`);
  }
  return { ...run, report };
}

/**
 * grimoire-run's first run (no history: ordered by an estimate from the
 * source) and, right after it, its second (ordered by the history the first
 * one wrote).
 */
export async function timeFirstAndSecond(root, { workers, files, extra = [] }) {
  const first = await timeGrimoire(root, { workers, files, fresh: true, extra });
  const second = await timeGrimoire(root, { workers, files, extra });
  return { first, second };
}

/**
 * Measures contenders side by side: each repetition runs every contender
 * once, starting one further along the list each time, so that neither a
 * warm cache nor a busy neighbour favours the same one throughout. A
 * contender returns an object of named samples (a grimoire-run contender
 * gives its first and second run together, so that the second always follows
 * its own first). Returns { name: [sample per repetition] }.
 */
export async function sideBySide(contenders, repetitions) {
  const samples = {};
  for (let r = 0; r < repetitions; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const measured = await contenders[(r + i) % contenders.length]();
      for (const [name, value] of Object.entries(measured)) (samples[name] ??= []).push(value);
    }
  }
  return samples;
}

/**
 * The race most scenarios run: serial pytest, pytest-xdist in each of `dists`,
 * and grimoire-run's first and second run, side by side. `names` labels the
 * serial and grimoire-run rows; `fromFirst(first)` adds samples taken from
 * grimoire-run's first run. Returns the samples, their medians and the
 * fastest xdist distribution.
 */
export async function raceSerialXdistGrimoire(root, { tests, files, workers, dists, repetitions, names, extra = [], fromFirst = () => ({}), fromSecond = () => ({}) }) {
  const xdist = (dist) => xdistName(workers, dist);
  const samples = await sideBySide(
    [
      timed(names.serial, () => timePytest(root, SERIAL_ARGS, tests)),
      ...dists.map((dist) => timed(xdist(dist), () => timePytest(root, xdistArgs(workers, dist), tests))),
      async () => {
        const { first, second } = await timeFirstAndSecond(root, { workers, files, extra });
        return { [names.first]: first.seconds, [names.second]: second.seconds, ...fromFirst(first), ...fromSecond(second) };
      },
    ],
    repetitions,
  );
  const m = medians(samples);
  const bestDist = dists.reduce((best, dist) => (m[xdist(dist)] < m[xdist(best)] ? dist : best));
  return { samples, m, bestDist };
}

export const xdistName = (workers, dist) => `pytest-xdist -n ${workers} --dist ${dist}`;

export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A sideBySide contender of one named sample. */
export function timed(name, measure) {
  return async () => ({ [name]: await measure() });
}

/**
 * The machine's CPU time so far, in seconds summed over its CPUs: busy (every
 * process's and the kernel's) and idle (Linux's /proc/stat, in clock ticks of
 * 1/100 s); null where there is no /proc/stat.
 */
export function machineCpu() {
  try {
    const ticks = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = ticks[3] + ticks[4];
    return { busy: (ticks.reduce((sum, tick) => sum + tick, 0) - idle) / 100, idle: idle / 100 };
  } catch {
    return null;
  }
}

export const cpuName = (name) => `${name}, machine CPU busy`;
export const idleName = (name) => `${name}, cores idle`;

/**
 * `timed`, also noting what the whole machine's CPUs did during the run: the
 * seconds they were busy (the contender's processes, the app it tests, and
 * anything else running) and the share of their time they were idle.
 */
export function timedWithCpu(name, measure) {
  return async () => {
    const before = machineCpu();
    const seconds = await measure();
    const after = machineCpu();
    if (before === null || after === null) return { [name]: seconds };
    const busy = after.busy - before.busy;
    const idle = after.idle - before.idle;
    return { [name]: seconds, [cpuName(name)]: busy, [idleName(name)]: idle / (busy + idle) };
  };
}

/** A table of what the machine's CPUs did during each contender's runs (timedWithCpu), or null when nothing was noted. */
export function cpuTable(samples, names) {
  if (!names.every((name) => samples[cpuName(name)])) return null;
  return [
    ["command", "CPU busy, whole machine (median)", "cores idle (median)", "CPU busy, each run"],
    ...names.map((name) => [name, fmt(median(samples[cpuName(name)])), `${(median(samples[idleName(name)]) * 100).toFixed(0)}%`, samples[cpuName(name)].map((s) => s.toFixed(2)).join(", ")]),
  ];
}

/** { name: samples } to { name: median }. */
export function medians(samples) {
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

export function fmt(seconds) {
  return `${seconds.toFixed(2)} s`;
}

/** For start-up costs, where hundredths of a second are too coarse. */
export function ms(seconds) {
  return `${(seconds * 1000).toFixed(0)} ms`;
}

/** A table of timings: one row per named contender, its median and every sample. */
export function timingTable(samples, names) {
  return [["command", "median", "runs"], ...names.map((name) => [name, fmt(median(samples[name])), samples[name].map((s) => s.toFixed(2)).join(", ")])];
}

/** A row of a scenario's ratios table: the ratio of two medians, and whether it meets its target when it has one. */
export function ratioRow(label, a, b, target = null) {
  const value = a / b;
  return [label, `${value.toFixed(2)}×`, target === null ? "" : `≤ ${target.toFixed(2)}× ${value <= target ? "✔" : "✘"}`];
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
  if (!(NODE_CERTIFICATES in extra)) delete env[NODE_CERTIFICATES];
  return env;
}

/**
 * A certificate bundle Node.js reads as it starts, before any of grimoire-run's code: about 80 ms of CPU for each
 * Node.js process (grimoire-run and its watchdog) on the machine these figures come from, whose sandbox sets it, and
 * nothing for pytest. Most machines do not set it; the benchmark takes it off for every contender, and the first-test
 * scenario measures grimoire-run with it too where the machine sets it.
 */
export const NODE_CERTIFICATES = "NODE_EXTRA_CA_CERTS";

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
    // Other work on the machine makes every number noisier; this says how busy it was when the run began.
    // Set: every process compiles what it imports from source; grimoire-run's parallel runs then keep it in .grimoire/pycache.
    PYTHONDONTWRITEBYTECODE: process.env["PYTHONDONTWRITEBYTECODE"] || "unset",
    [NODE_CERTIFICATES]: process.env[NODE_CERTIFICATES] ? "set here, taken off for the contenders" : "unset",
    "load average at start": os.loadavg()[0].toFixed(2),
    date: new Date().toISOString().slice(0, 10),
  };
}

/**
 * A long-lived helper process for a scenario (a web app, a static site),
 * in its own process group; resolves once a line of its output matches
 * `ready` (its first group is returned), and `stop()` ends its whole group.
 */
export function startHelper(command, args, { cwd, env = process.env, ready }) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    const timer = setTimeout(() => process.kill(-child.pid, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let output = "";
    const look = (chunk) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) resolve({ match: match[1] ?? match[0], stop });
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.once("exit", (code) => reject(new Error(`${command} ${args.join(" ")} exited (code ${code}) before it was ready:\n${output}`)));
  });
}

/** Debian's Chromium, or CHROMIUM_PATH; null when there is none (browser scenarios are then skipped). */
export function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  return candidates.find((file) => file !== undefined && file !== "" && fs.existsSync(file)) ?? null;
}
