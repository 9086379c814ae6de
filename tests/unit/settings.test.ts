import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envName, mergeSettings } from "../../src/config/settings.js";
import { formatConfig, pythonFallback, variableFallbacks } from "../../src/config/printConfig.js";
import { UsageError } from "../../src/errors.js";

const none = { cli: {}, pyproject: null, env: {}, dotenv: {} };

describe("merging settings", () => {
  it("layers pyproject.toml, .env, the environment and the command line, the later winning", () => {
    const merged = mergeSettings({
      cli: { timeout: "9" },
      pyproject: { parallel: true, workers: 3, timeout: 1, scope: "http", retries: 2 },
      dotenv: { GRIMOIRE_WORKERS: "5", GRIMOIRE_RETRIES: "4", GRIMOIRE_TIMEOUT: "7" },
      env: { GRIMOIRE_WORKERS: "4" },
    });
    expect(merged.values).toEqual({ parallel: true, workers: "4", timeout: "9", scope: "http", retries: "4" });
    expect(Object.fromEntries(merged.origins)).toEqual({
      parallel: "pyproject.toml",
      workers: "environment GRIMOIRE_WORKERS",
      timeout: "command line",
      scope: "pyproject.toml",
      retries: ".env GRIMOIRE_RETRIES",
    });
  });

  it("names variables after the long option names", () => {
    expect(envName("fail-fast")).toBe("GRIMOIRE_FAIL_FAST");
    expect(mergeSettings({ ...none, env: { GRIMOIRE_FAIL_FAST: "yes", GRIMOIRE_KEEP_GOING: "0" } }).values).toEqual({ "fail-fast": true, "keep-going": false });
  });

  it("leaves alone the variables a run gives its tests, which are spelt like no option", () => {
    // Every GRIMOIRE_ name grimoire-run's code and plugin use that is not an option's (grep of src/ and python/).
    const given = ["GRIMOIRE_ANNOUNCE_COLLECTED", "GRIMOIRE_ARTIFACTS_DIR", "GRIMOIRE_ATTEMPT", "GRIMOIRE_BASETEMP_NAME", "GRIMOIRE_BROWSER_ARGS", "GRIMOIRE_BROWSER_NAME", "GRIMOIRE_BROWSER_WS_ENDPOINT", "GRIMOIRE_CLEANED_ONCE", "GRIMOIRE_COLOR", "GRIMOIRE_COLUMNS", "GRIMOIRE_COVERAGE", "GRIMOIRE_EARLY_PYTEST", "GRIMOIRE_FAILURE_CHARS", "GRIMOIRE_FAILURE_DETAILS", "GRIMOIRE_IMPORT_FIRST", "GRIMOIRE_IMPORT_TIMES", "GRIMOIRE_ITERATION", "GRIMOIRE_JUNIT_MERGED", "GRIMOIRE_LIST_BASETEMP", "GRIMOIRE_LIST_FILE", "GRIMOIRE_LOG_FILE", "GRIMOIRE_MERGED_DURATIONS", "GRIMOIRE_MYPY", "GRIMOIRE_ONLY_FILES", "GRIMOIRE_PLAYWRIGHT_DRIVER", "GRIMOIRE_PYTEST_CACHE_KEPT", "GRIMOIRE_RESULTS_FILE", "GRIMOIRE_RUN_BASETEMP", "GRIMOIRE_RUN_ID", "GRIMOIRE_SLOT", "GRIMOIRE_STOP_NOTE", "GRIMOIRE_TESTS_SUBSET", "GRIMOIRE_TREE_ID"];
    expect(mergeSettings({ ...none, env: Object.fromEntries(given.map((name) => [name, "1"])) }).values).toEqual({});
  });

  it("does not take the worker count an outer run gave its tests as a setting", () => {
    expect(mergeSettings({ ...none, env: { GRIMOIRE_WORKERS: "8", GRIMOIRE_RUN_ID: "x" } }).values).toEqual({});
  });

  it.each([
    [{ ...none, pyproject: { fail_fast: true } }, /pyproject\.toml \[tool\.grimoire-run\] fail_fast: no such option; did you mean fail-fast\?/],
    [{ ...none, pyproject: { "print-config": true } }, /print-config: no such option/],
    [{ ...none, pyproject: { parallel: "yes" } }, /\[tool\.grimoire-run\] parallel: expected true or false, got "yes"/],
    [{ ...none, pyproject: { workers: [2] } }, /\[tool\.grimoire-run\] workers: expected a string or a number/],
    [{ ...none, pyproject: { scope: "unit" } }, /scope: must be one of e2e, http, all; got "unit"/],
    [{ ...none, env: { GRIMOIRE_PARALLEL: "maybe" } }, /environment GRIMOIRE_PARALLEL: expected 1\/true\/yes\/on or 0\/false\/no\/off/],
    [{ ...none, dotenv: { GRIMOIRE_ORDER: "fastest" } }, /\.env GRIMOIRE_ORDER: must be one of history, name, random/],
    // A variable spelt nearly as an option's was ignored without a word (a helper's trial).
    [{ ...none, env: { GRIMOIRE_FAILFAST: "1" } }, /^environment GRIMOIRE_FAILFAST: no such setting; did you mean GRIMOIRE_FAIL_FAST \(--fail-fast\)\?$/],
    [{ ...none, dotenv: { GRIMOIRE_CACHE_BYTECODE: "0" } }, /^\.env GRIMOIRE_CACHE_BYTECODE: no such setting; did you mean GRIMOIRE_BYTECODE_CACHE \(--bytecode-cache\)\?$/],
  ])("refuses %o with the file and key", (sources, message) => {
    expect(() => mergeSettings(sources)).toThrow(UsageError);
    expect(() => mergeSettings(sources)).toThrow(message);
  });
});

describe("--print-config", () => {
  it("shows every option, its value and where it came from", () => {
    const text = formatConfig(mergeSettings({ ...none, cli: { loop: "3" }, pyproject: { parallel: true } }));
    expect(text).toMatch(/^\s+parallel\s+true\s+pyproject\.toml$/m);
    expect(text).toMatch(/^\s+loop\s+3\s+command line$/m);
    expect(text).toMatch(/^\s+kill-grace\s+2\s+default$/m);
    expect(text).not.toMatch(/print-config/);
  });

  it("shows the URL and browser the run takes from E2E_BASE_URL and CHROMIUM_PATH where the options are unset", () => {
    const fromEnv = variableFallbacks({ E2E_BASE_URL: "http://127.0.0.1:8000", CHROMIUM_PATH: "/usr/bin/chromium" }, { E2E_BASE_URL: "http://dotenv:1" });
    const text = formatConfig(mergeSettings(none), fromEnv);
    expect(text).toMatch(/^\s+base-url\s+http:\/\/127\.0\.0\.1:8000\s+environment E2E_BASE_URL$/m);
    expect(text).toMatch(/^\s+browser-executable\s+\/usr\/bin\/chromium\s+environment CHROMIUM_PATH \(for chromium\)$/m);
    expect(formatConfig(mergeSettings(none), variableFallbacks({}, { E2E_BASE_URL: "http://dotenv:1" }))).toMatch(/^\s+base-url\s+http:\/\/dotenv:1\s+\.env E2E_BASE_URL$/m);
    // The option itself, wherever it was set, wins, as in a run.
    expect(formatConfig(mergeSettings({ ...none, cli: { "base-url": "http://cli:2" } }), fromEnv)).toMatch(/^\s+base-url\s+http:\/\/cli:2\s+command line$/m);
    expect(formatConfig(mergeSettings(none), variableFallbacks({ E2E_BASE_URL: "" }, {}))).toMatch(/^\s+base-url\s+\(not set\)\s+default$/m);
    // As the run reads them: an empty value in the environment stands over .env's (the run has no URL then), and
    // .env's CHROMIUM_PATH is the run's browser too.
    const asTheRun = formatConfig(mergeSettings(none), variableFallbacks({ E2E_BASE_URL: " " }, { E2E_BASE_URL: "http://dotenv:1", CHROMIUM_PATH: "/opt/chromium" }));
    expect(asTheRun).toMatch(/^\s+base-url\s+\(not set\)\s+default$/m);
    expect(asTheRun).toMatch(/^\s+browser-executable\s+\/opt\/chromium\s+\.env CHROMIUM_PATH \(for chromium\)$/m);
  });

  it("shows the Python an unset --python stands for in the project, and why", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-print-python-"));
    try {
      fs.mkdirSync(path.join(root, ".git"));
      const shown = (): string => formatConfig(mergeSettings(none), pythonFallback(root, { PATH: "" }, {}));
      expect(shown()).toMatch(/^\s+python\s+python3\s+default \(no \.venv, venv or uv\.lock was found in the project\)$/m);
      fs.mkdirSync(path.join(root, ".venv", "bin"), { recursive: true });
      fs.writeFileSync(path.join(root, ".venv", "bin", "python"), "#!/bin/sh\n", { mode: 0o755 });
      expect(shown()).toMatch(new RegExp(`^\\s+python\\s+${path.join(root, ".venv", "bin", "python").replace(/[.]/g, "\\.")}\\s+default \\(chosen from \\.venv/bin/python\\)$`, "m"));
      // Set, the option wins, as in a run.
      expect(formatConfig(mergeSettings({ ...none, cli: { python: "/opt/py" } }), pythonFallback(root, {}, {}))).toMatch(/^\s+python\s+\/opt\/py\s+command line$/m);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
