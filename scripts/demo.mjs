#!/usr/bin/env node
/**
 * `npm run demo`: what a user of the example project would do by hand.
 * Start the Bookshop server in the background, run grimoire-run --parallel
 * against it, stop the server, and exit with grimoire-run's exit code.
 *
 * Extra arguments go to grimoire-run: `npm run demo -- --fail-fast -n 4`;
 * `--no-parallel` runs the suite serially instead.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const example = path.join(repo, "examples", "bookshop");
const cli = path.join(repo, "dist", "cli.js");
const SERVER_START_TIMEOUT_MS = 15_000;

function say(text) {
  process.stderr.write(`demo: ${text}\n`);
}

function canImport(python, modules) {
  const probe = spawnSync(python, ["-c", `import ${modules.join(", ")}`], { cwd: example, stdio: "ignore" });
  return probe.status === 0;
}

/** The system Python when it has what the example needs; otherwise the example's own virtualenv, made once. */
function choosePython() {
  const venvPython = path.join(example, ".venv", "bin", "python");
  if (fs.existsSync(venvPython) && canImport(venvPython, ["pytest", "playwright"])) return venvPython;
  if (canImport("python3", ["pytest", "playwright"])) return "python3";
  say("installing the example's Python packages into examples/bookshop/.venv (once)…");
  const steps = [
    ["python3", ["-m", "venv", ".venv"]],
    [venvPython, ["-m", "pip", "install", "--quiet", "-r", "requirements.txt"]],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { cwd: example, stdio: "inherit" });
    if (result.status !== 0) {
      say(`"${command} ${args.join(" ")}" failed; install the packages of examples/bookshop/requirements.txt and try again`);
      process.exit(2);
    }
  }
  return venvPython;
}

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  return candidates.find((candidate) => candidate !== undefined && candidate !== "" && fs.existsSync(candidate)) ?? null;
}

/** Starts the app on a free port, in its own process group, and resolves with its address once it listens. */
function startServer(python) {
  const server = spawn(python, ["app.py", "--port", "0"], { cwd: example, detached: true, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`the Bookshop server did not start within ${SERVER_START_TIMEOUT_MS / 1000}s`)), SERVER_START_TIMEOUT_MS);
    server.stdout.on("data", (chunk) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ server, url: match[1] });
      }
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the Bookshop server exited (code ${code}) before it listened`));
    });
  });
}

async function stopServer(server) {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  process.kill(-server.pid, "SIGTERM");
  const timer = setTimeout(() => process.kill(-server.pid, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

const python = choosePython();
const chromium = findChromium();
const userArgs = process.argv.slice(2);
const args = [...(userArgs.includes("--no-parallel") ? [] : ["--parallel"]), ...userArgs.filter((a) => a !== "--no-parallel" && a !== "--no-browser-server")];
if (chromium === null) {
  say("no Chromium found (apt-get install chromium, or set CHROMIUM_PATH): running the http suite only");
  args.push("--scope", "http");
} else if (!userArgs.includes("--no-browser-server") && !userArgs.some((a) => a.startsWith("--browser-server"))) {
  // One Chromium per worker slot, shared by the slot's browser files (docs/playwright.md).
  args.push("--browser-server", "chromium", "--browser-executable", chromium);
}

const { server, url } = await startServer(python);
say(`Bookshop is listening on ${url}; running: grimoire-run ${args.join(" ")}`);
// Ctrl-C reaches grimoire-run directly (same terminal); the demo only waits for it and then stops the server.
const ignore = () => undefined;
process.on("SIGINT", ignore);
process.on("SIGTERM", ignore);
const env = { ...process.env, E2E_BASE_URL: url };
if (python !== "python3") delete env.VIRTUAL_ENV;
const run = spawn(process.execPath, [cli, ...args], { cwd: example, env, stdio: "inherit" });
const code = await new Promise((resolve) => run.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal === "SIGINT" ? 130 : 1))));
await stopServer(server);
say(`grimoire-run exited with ${code}; the server is stopped`);
process.exit(code);
