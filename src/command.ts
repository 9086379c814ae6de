/**
 * The `grimoire-run` command (loaded by cli.ts): parse, configure, run, exit with one code.
 */
import fs from "node:fs";
import path from "node:path";
import { optionFlag, parseCommandLine } from "./cli/options.js";
import { EnvironmentFailure, OPTIONS_SEE, PytestExited, pytestExitedBeforeTests, UsageError } from "./errors.js";
import { EXIT } from "./exitCode.js";
import { PACKAGE_JSON } from "./packageFiles.js";
import { discardEarlyPython } from "./process/earlyPython.js";
import type { OptionName } from "./cli/options.js";

/** What a refused merge-reports points at. */
const MERGE_REPORTS_SEE = "grimoire-run merge-reports --help says what it reads; grimoire-run's docs/scheduling.md (merge-reports) says how CI shards give it their reports.";

function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(PACKAGE_JSON, "utf8")) as { version: string };
  return manifest.version;
}

async function main(argv: string[]): Promise<number> {
  try {
    const command = await parseCommandLine(argv);
    if (command.kind === "help") {
      process.stdout.write(`${command.text}\n`);
      return EXIT.passed;
    }
    if (command.kind === "version") {
      process.stdout.write(`${packageVersion()}\n`);
      return EXIT.passed;
    }
    const root = process.cwd();
    if (command.kind === "install-hook") {
      const { installHook, describeHook, hookCommand, npxFindsNothing } = await import("./installHook.js");
      const runs = hookCommand(command.command, command.changed);
      process.stdout.write(`${describeHook(await installHook(root, runs), runs)}\n`);
      const unfound = npxFindsNothing(root, runs, process.env);
      if (unfound !== null) process.stderr.write(`grimoire-run: warning: ${unfound}\n`);
      return EXIT.passed;
    }
    // Loaded once there is work to do: --help and --version start faster without them, and a run without merge-reports' modules.
    if (command.kind === "merge-reports") {
      const [{ mergeReports }, { colourEnabled }, { writer }] = await Promise.all([import("./mergeReports.js"), import("./report/style.js"), import("./report/terminal.js")]);
      const input = command.input;
      // What merge-reports refuses is of the shards' files, not of a run's options (a helper read "Run grimoire-run
      // --help for the options" under "the reports of shard 2/3 are missing").
      return await mergeReports(
        {
          root,
          inputs: input.inputs,
          python: input.python,
          env: process.env,
          history: input.history,
          reportJson: input.reportJson === null ? null : path.resolve(root, input.reportJson),
          reportHtml: input.reportHtml === null ? null : path.resolve(root, input.reportHtml),
          junitXml: input.junitXml === null ? null : path.resolve(root, input.junitXml),
        },
        // `merge-reports … | head` ends with the verdict's exit code, not an error of its own.
        { out: writer(process.stdout), colour: colourEnabled(process.stdout, process.env) },
      ).catch((error: unknown) => {
        throw error instanceof UsageError && error.see === OPTIONS_SEE ? new UsageError(error.message, MERGE_REPORTS_SEE) : error;
      });
    }
    const [{ readDotenv, withDotenv }, { resolveConfig }, { mergeSettings, readPyprojectSettings }, { formatConfig, pythonFallback, variableFallbacks }, { colourEnabled }, runModule] = await Promise.all([
      import("./config/dotenv.js"),
      import("./config/runConfig.js"),
      import("./config/settings.js"),
      import("./config/printConfig.js"),
      import("./report/style.js"),
      import("./run.js"),
    ]);
    if (command.input.values["list-flaky"] === true) {
      const { listFlaky } = await import("./listFlaky.js");
      process.stdout.write(listFlaky(root, colourEnabled(process.stdout, process.env)));
      return EXIT.passed;
    }
    const dotenv = readDotenv(root);
    const settings = mergeSettings({ cli: command.input.values, pyproject: readPyprojectSettings(root), env: process.env, dotenv });
    if (settings.values["print-config"] === true) {
      process.stdout.write(formatConfig(settings, { ...variableFallbacks(process.env, dotenv), ...pythonFallback(root, process.env, dotenv) }));
      return EXIT.passed;
    }
    const describe = (name: OptionName): string => {
      const origin = settings.origins.get(name);
      return origin === undefined || origin === "command line" ? optionFlag(name) : origin === "pyproject.toml" ? `pyproject.toml [tool.grimoire-run] ${name}` : origin;
    };
    const fromDotenv = (name: string): string => (process.env[name] === undefined && dotenv[name] !== undefined ? `${name} (from .env)` : name);
    const config = resolveConfig({ ...command.input, values: settings.values }, root, withDotenv(process.env, dotenv), describe, fromDotenv);
    return await runModule.run(config, { stdout: process.stdout, stderr: process.stderr, env: process.env });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`grimoire-run: ${error.message}\n${error.see}\n`);
      return EXIT.usage;
    }
    if (error instanceof PytestExited) {
      // As plain pytest: a conftest that ends the session with exit code 0 (nothing to test here) passes the run.
      const code = error.returncode === EXIT.passed ? EXIT.passed : EXIT.usage;
      (code === EXIT.passed ? process.stdout : process.stderr).write(`grimoire-run: ${pytestExitedBeforeTests({ reason: error.message, returncode: error.returncode })}\n`);
      return code;
    }
    if (error instanceof EnvironmentFailure) {
      process.stderr.write(`grimoire-run: ${error.message}\n`);
      return EXIT.environment;
    }
    process.stderr.write(`grimoire-run: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  }
}

/**
 * An error nobody caught, outside a run: reported, exit 4. During a run the
 * run's session has its own handler, which stops every test process first;
 * this one then stands aside.
 */
function onUncaught(error: unknown): void {
  if (process.listenerCount("uncaughtException") > 1) return;
  process.stderr.write(`grimoire-run: internal error (please report it): ${String(error)}\n`);
  process.exit(EXIT.internal);
}
process.on("uncaughtException", onUncaught);
process.on("unhandledRejection", onUncaught);

/**
 * Exits once stdout and stderr have handed everything to their readers: a
 * pipe whose reader is slower than the run (`| tee`, a CI log collector)
 * may still hold the summary, and process.exit would drop it.
 */
async function exitWhenFlushed(code: number): Promise<never> {
  const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
    new Promise((resolve) => {
      if (stream.destroyed || !stream.writable) resolve();
      else stream.write("", () => resolve());
    });
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

const code = await main(process.argv.slice(2));
// A Python started for a run that never took it (help, a usage error): gone before grimoire-run is.
await discardEarlyPython();
await exitWhenFlushed(code);
