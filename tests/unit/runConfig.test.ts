/**
 * Every bad input is refused once, in resolveConfig, with a message that names the option.
 */
import { describe, expect, it } from "vitest";
import type { CliInput, CliValues } from "../../src/cli/options.js";
import { resolveConfig } from "../../src/config/runConfig.js";
import { UsageError } from "../../src/errors.js";

const input = (values: CliValues, pytestArgs: string[] = []): CliInput => ({ values, paths: [], pytestArgs });
const resolve = (values: CliValues, env: NodeJS.ProcessEnv = {}) => resolveConfig(input(values), "/project", env);

describe("modes and numbers", () => {
  it("defaults to a serial run", () => {
    const config = resolve({});
    expect(config).toMatchObject({ mode: "serial", workers: "auto", killGraceSeconds: 2, timeoutSeconds: null, retries: 0, load: null, managed: null, scope: "all" });
  });

  it("refuses -k or -m given to grimoire-run and to pytest after -- too, whose last pytest alone would take", () => {
    const flag = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);
    const withArgs = (values: CliValues, pytestArgs: string[]) => resolveConfig(input(values, pytestArgs), "/project", {}, flag);
    expect(() => withArgs({ k: "visa" }, ["-k", "amex"])).toThrow('-k ("visa") and pytest\'s -k after -- ("amex") were both given: pytest takes only the last; give one, such as -k "(visa) and (amex)"');
    expect(() => withArgs({ m: "slow" }, ["-mfast"])).toThrow(/^-m \("slow"\) and pytest's -m after -- \("fast"\) were both given/);
    // Each alone, the other's letter, or the letter as another option's value: as before.
    expect(withArgs({ k: "visa" }, ["-m", "slow"]).keyword).toBe("visa");
    expect(withArgs({}, ["-k", "amex"]).pytestArgs).toEqual(["-k", "amex"]);
    expect(withArgs({ k: "visa" }, ["-p", "-k"]).keyword).toBe("visa");
  });

  it("knows whether --workers came from this command line, not from a file", () => {
    expect(resolve({}).workersGiven).toBe(false);
    expect(resolve({ workers: "3" }).workersGiven).toBe(true);
    const fromFile = resolveConfig(input({ workers: "3" }), "/project", {}, (name) => `pyproject.toml [tool.grimoire-run] ${name}`);
    expect(fromFile).toMatchObject({ workers: 3, workersGiven: false });
  });

  it.each([
    [{ workers: "0" }, /--workers must be a whole number of at least 1/],
    [{ "kill-grace": "-1" }, /--kill-grace must be a non-negative number/],
    [{ timeout: "0" }, /--timeout must be a positive number/],
    [{ retries: "1.5" }, /--retries must be a whole number/],
    [{ parallel: true, debug: true }, /cannot be combined/],
    [{ quiet: true, verbose: true }, /cannot be combined/],
    [{ "base-url": "ftp://x" }, /must be an http:\/\/ or https:\/\/ URL/],
    // Issue 18's bad values: negative, NaN, huge, hex and exponents, empty strings.
    [{ workers: "-1" }, /--workers must be a whole number of at least 1, or auto; got "-1"/],
    [{ workers: "" }, /--workers must be a whole number of at least 1, or auto; got ""/],
    [{ workers: "1e3" }, /--workers must be a whole number/],
    [{ timeout: "NaN" }, /--timeout must be a positive number of seconds; got "NaN"/],
    [{ timeout: "0x10" }, /--timeout must be a positive number of seconds; got "0x10"/],
    [{ timeout: "1e3" }, /--timeout must be a positive number of seconds; got "1e3"/],
    [{ timeout: "1e400" }, /--timeout must be a positive number of seconds/],
    [{ timeout: "Infinity" }, /--timeout must be a positive number of seconds/],
    [{ timeout: "" }, /--timeout must be a positive number of seconds; got ""/],
    [{ "kill-grace": "-0.5" }, /--kill-grace must be a non-negative number of seconds; got "-0.5"/],
    [{ "kill-grace": "" }, /--kill-grace must be a non-negative number of seconds; got ""/],
    [{ "slow-notice": "0" }, /--slow-notice must be a positive number of seconds; got "0"/],
    [{ loop: "99999999999999999999999" }, /--loop must be a whole number of at least 1/],
    [{ loop: "" }, /--loop must be a whole number of at least 1; got ""/],
    [{ retries: "1e3" }, /--retries must be a whole number of at least 0/],
    [{ retries: "99999999999999999999" }, /--retries must be a whole number of at least 0/],
    [{ shard: "3/2" }, /--shard must be I\/N with 1 <= I <= N/],
    [{ shard: "0/0" }, /--shard must be I\/N/],
    [{ shard: "1/99999999999999999999" }, /--shard must be I\/N/],
    [{ shard: "" }, /--shard must be I\/N/],
    [{ "log-dir": "" }, /--log-dir is empty: give a path/],
    [{ "report-json": " " }, /--report-json is empty/],
    [{ "junit-xml": "" }, /--junit-xml is empty/],
    [{ "report-html": "" }, /--report-html is empty/],
    [{ "base-url": "" }, /--base-url is not a URL: ""/],
    [{ server: "" }, /--server is empty/],
  ] as [CliValues, RegExp][])("%o is refused", (values, message) => {
    expect(() => resolve(values)).toThrow(UsageError);
    expect(() => resolve(values)).toThrow(message);
  });

  it("reads E2E_BASE_URL from the environment, and lets --base-url win", () => {
    expect(resolve({}, { E2E_BASE_URL: "http://a:1" }).baseUrl).toBe("http://a:1");
    expect(resolve({ "base-url": "http://b:2" }, { E2E_BASE_URL: "http://a:1" }).baseUrl).toBe("http://b:2");
  });
});

describe("load mode", () => {
  it("sets up --loop and --duration", () => {
    expect(resolve({ loop: "3", delay: "1.5", "keep-going": true }).load).toEqual({ loop: 3, durationSeconds: null, delaySeconds: 1.5, keepGoing: true });
    expect(resolve({ duration: "60" }).load).toEqual({ loop: null, durationSeconds: 60, delaySeconds: 0, keepGoing: false });
  });

  it("counts flaky as a failure in CI unless told otherwise", () => {
    expect(resolve({}).flakyPasses).toBe(true);
    expect(resolve({}, { CI: "true" }).flakyPasses).toBe(false);
    expect(resolve({ "flaky-result": "pass" }, { CI: "true" }).flakyPasses).toBe(true);
    expect(resolve({}, { CI: "false" }).flakyPasses).toBe(true);
  });
});

describe("managed mode", () => {
  it("fills in the defaults", () => {
    const config = resolve({ server: "python3 app.py --port {port}", "database-url": "postgresql://u@h:5432/tmpl" }, { E2E_BASE_URL: "http://ignored" });
    expect(config.baseUrl).toBeNull();
    expect(config.managed).toEqual({
      server: { command: "python3 app.py --port {port}", readyUrl: "http://127.0.0.1:{port}/", baseUrl: null, timeoutSeconds: 15 },
      database: { templateUrl: "postgresql://u@h:5432/tmpl", envName: "DATABASE_URL" },
      isolation: "file",
      setup: null,
      teardown: null,
      keepFailed: false,
    });
  });

  it("takes --base-url as a template for each server's address", () => {
    expect(resolve({ server: "x", "base-url": "http://127.0.0.1:{port}/app" }).managed?.server?.baseUrl).toBe("http://127.0.0.1:{port}/app");
  });

  it.each([
    [{ "server-ready": "http://127.0.0.1:{port}/health" }, /--server-ready only applies with --server/],
    [{ "server-timeout": "5" }, /--server-timeout only applies with --server/],
    [{ "keep-failed": true }, /--keep-failed only applies with --database-url/],
    [{ "database-env": "DB" }, /--database-env only applies with --database-url/],
    [{ isolation: "slot" }, /--isolation only applies with --server or --database-url/],
    [{ server: "  " }, /--server is empty/],
    [{ server: "x", "server-ready": "nope {port}" }, /--server-ready is not a URL/],
    [{ server: "x", "server-timeout": "0" }, /--server-timeout must be a positive number/],
    [{ "database-url": "mysql://h/db" }, /postgres/i],
    [{ "database-url": "postgresql://u@h:5432/db", "database-env": "1BAD" }, /--database-env must be an environment variable name/],
  ] as [CliValues, RegExp][])("%o is refused", (values, message) => {
    expect(() => resolve(values)).toThrow(message);
  });
});
