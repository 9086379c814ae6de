import { describe, expect, it } from "vitest";
import { envName, mergeSettings } from "../../src/config/settings.js";
import { formatConfig } from "../../src/config/printConfig.js";
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
});
