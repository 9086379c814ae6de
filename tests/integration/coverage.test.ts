/**
 * Issue 19: pytest-cov across per-file processes. Its options after `--` (or
 * in addopts) give one combined result, the totals of one plain pytest-cov
 * run over the same tests, whatever the mode, reported and judged once; CI
 * shards combine in merge-reports. Against the real pytest-cov and coverage.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readReport, runCli, temporaryProjects, testEnv, type Project } from "../helpers/project.js";

const project = temporaryProjects();

/** pytest-cov is loaded by name: the fixtures' pytest runs without third-party plugin autoload (testEnv). */
const COV = ["-p", "pytest_cov", "--cov=shop"];

/**
 * A package whose modules each test file covers a different part of, with
 * branches and lines no test reaches: each file alone covers well under the
 * total, which is not 100%.
 */
function shop(extra: Record<string, string> = {}): Project {
  return project({
    "shop/__init__.py": "",
    "shop/cart.py": "def total(items):\n    if not items:\n        return 0\n    return sum(items)\n\n\ndef unused():\n    return 'never called'\n",
    "shop/prices.py": "def discount(price, member):\n    if member:\n        return price * 0.9\n    return price\n",
    "shop/users.py": "class User:\n    def __init__(self, name):\n        self.name = name\n\n    def greet(self):\n        return f'hello {self.name}'\n",
    "tests/http/test_cart.py": "from shop.cart import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n    assert total([]) == 0\n",
    "tests/http/test_prices.py": "from shop.prices import discount\n\n\ndef test_member():\n    assert discount(10, True) == 9\n",
    "tests/http/test_users.py": "from shop.users import User\n\n\ndef test_greet():\n    assert User('ann').greet() == 'hello ann'\n",
    ...extra,
  });
}

interface CoverageJson {
  totals: { covered_lines: number; num_statements: number; percent_covered: number; missing_lines: number };
  files: Record<string, { executed_lines: number[]; missing_lines: number[] }>;
}

/** What coverage's JSON report says: the totals, and each file's executed and missing lines. */
function measured(p: Project, file: string): { totals: CoverageJson["totals"]; lines: Record<string, [number[], number[]]> } {
  const json = JSON.parse(p.read(file)) as CoverageJson;
  return { totals: json.totals, lines: Object.fromEntries(Object.entries(json.files).map(([name, f]) => [name, [f.executed_lines, f.missing_lines]])) };
}

/** One plain pytest-cov run over the same tests: the reference. */
function plainPytestCov(p: Project, args: string[]): { code: number | null; stdout: string } {
  const run = spawnSync("python3", ["-m", "pytest", "-p", "no:cacheprovider", ...args], { cwd: p.root, env: testEnv(), encoding: "utf8" });
  return { code: run.status, stdout: run.stdout };
}

/** pytest-cov's TOTAL line of a terminal report. */
function totalLine(stdout: string): string | undefined {
  return stdout.split("\n").find((line) => line.startsWith("TOTAL"));
}

describe("coverage across per-file processes", () => {
  it("gives one combined result, the totals of one plain pytest-cov run, in every mode", async () => {
    const p = shop();
    const plain = plainPytestCov(p, [...COV, "--cov-report=term-missing", "--cov-report=json:plain.json", "tests"]);
    expect(plain.code).toBe(0);
    const reference = measured(p, "plain.json");
    // Three files, each covering its own module: the suite's total is neither theirs nor 100%.
    expect(reference.totals.percent_covered).toBeGreaterThan(80);
    expect(reference.totals.percent_covered).toBeLessThan(100);
    fs.rmSync(path.join(p.root, ".coverage"));

    for (const mode of [["--parallel"], ["--parallel", "--no-fork-server"], ["--parallel", "--pack"], []]) {
      const result = await runCli([...mode, "-q", "--", ...COV, "--cov-report=term-missing", "--cov-report=json:combined.json"], { cwd: p.root });
      const what = `mode ${mode.join(" ") || "serial"}:\n${result.stdout}${result.stderr}`;
      expect(result.code, what).toBe(0);
      expect(measured(p, "combined.json"), what).toEqual(reference);
      // Printed once, at the end, as pytest-cov prints it; no process printed one of its own.
      expect(result.stdout.match(/tests coverage/g), what).toHaveLength(1);
      expect(result.stdout.match(/^TOTAL/gm), what).toHaveLength(1);
      expect(totalLine(result.stdout), what).toBe(totalLine(plain.stdout));
      expect(result.stdout, what).toMatch(new RegExp(`Coverage: ${Math.round(reference.totals.percent_covered)}%\\n`));
      expect(result.stdout, what).not.toMatch(/no-data-collected|never imported/);
      // The combined data is where pytest-cov leaves it; the processes' own files are gone.
      expect(fs.existsSync(path.join(p.root, ".coverage")), what).toBe(true);
      const logs = path.join(p.root, ".grimoire", "logs");
      const latest = fs.readdirSync(logs).sort().at(-1) as string;
      expect(fs.existsSync(path.join(logs, latest, "coverage")), what).toBe(false);
      expect(readReport(p, `.grimoire/logs/${latest}/report.json`)).toMatchObject({ coverage: { totalPercent: reference.totals.percent_covered, failUnder: null, failed: false } });
    }
  });

  it("a bare --cov (no source) measures what plain pytest-cov measures, none of grimoire-run's own modules, in every mode", async () => {
    // pytest-cov's trial: its plugin's and fork server's modules were five rows of the report and most of its statements.
    const p = shop();
    const bare = ["-p", "pytest_cov", "--cov", "--cov-report=json:bare.json"];
    expect(plainPytestCov(p, [...bare, "tests"]).code).toBe(0);
    const reference = measured(p, "bare.json");
    expect(Object.keys(reference.lines)).toContain("shop/cart.py");
    for (const mode of [["--parallel"], ["--parallel", "--pack"], []]) {
      fs.rmSync(path.join(p.root, "bare.json"));
      const result = await runCli([...mode, "-q", "--", ...bare], { cwd: p.root });
      const what = `mode ${mode.join(" ") || "serial"}:\n${result.stdout}${result.stderr}`;
      expect(result.code, what).toBe(0);
      const run = measured(p, "bare.json");
      expect(Object.keys(run.lines).filter((name) => name.includes("grimoire_run")), what).toEqual([]);
      expect(run, what).toEqual(reference);
    }
  });

  it("counts every part of a file split across processes (--split auto)", async () => {
    // One long file whose tests each cover a different module, beside short ones: split, each part measures its own share.
    const flow = "import time\nfrom shop.cart import total\nfrom shop.prices import discount\nfrom shop.users import User\n\n\ndef test_cart():\n    time.sleep(0.4)\n    assert total([1]) == 1\n\n\ndef test_prices():\n    time.sleep(0.4)\n    assert discount(10, False) == 10\n\n\ndef test_users():\n    time.sleep(0.4)\n    assert User('bo').name == 'bo'\n";
    const short = "def test_nothing():\n    pass\n";
    const p = project({
      "shop/__init__.py": "",
      "shop/cart.py": "def total(items):\n    if not items:\n        return 0\n    return sum(items)\n",
      "shop/prices.py": "def discount(price, member):\n    if member:\n        return price * 0.9\n    return price\n",
      "shop/users.py": "class User:\n    def __init__(self, name):\n        self.name = name\n",
      "tests/http/test_flow.py": flow,
      "tests/http/test_a.py": short,
      "tests/http/test_b.py": short,
    });
    const plain = plainPytestCov(p, [...COV, "--cov-report=json:plain.json", "tests"]);
    expect(plain.code).toBe(0);
    const reference = measured(p, "plain.json");
    expect((await runCli(["--parallel", "-n", "3", "--split", "auto", "-q"], { cwd: p.root })).code).toBe(0);
    const split = await runCli(["--parallel", "-n", "3", "--split", "auto", "-q", "--report-json", "r.json", "--", ...COV, "--cov-report=json:combined.json"], { cwd: p.root });
    expect(split.code, split.stdout + split.stderr).toBe(0);
    const row = readReport(p, "r.json").files.find((f) => f.path === "tests/http/test_flow.py") as { parts?: unknown[] };
    expect(row.parts?.length).toBeGreaterThanOrEqual(2);
    expect(measured(p, "combined.json")).toEqual(reference);
  });

  it("judges --cov-fail-under once, on the combined total, failing the run as pytest-cov fails pytest's; options in addopts and the coverage configuration count", async () => {
    const p = shop({
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p pytest_cov --cov=shop --cov-report=term-missing"\n\n[tool.coverage.report]\nfail_under = 95\n',
    });
    const plain = plainPytestCov(p, ["tests"]);
    expect(plain.code).toBe(1);

    const below = await runCli(["--parallel", "--report-json", "r.json"], { cwd: p.root });
    expect(below.code, below.stdout).toBe(1);
    const required = plain.stdout.split("\n").find((line) => line.startsWith("FAIL Required test coverage of 95"));
    expect(required).toBeDefined();
    expect(below.stdout).toContain(required);
    expect(below.stdout).toMatch(/ERROR: Coverage failure: total of \d+ is less than fail-under=95/);
    expect(below.stdout).toMatch(/Coverage: \d+%, required 95%: not reached/);
    expect(below.stdout).toMatch(/3 files: 3 passed/);
    expect(readReport(p, "r.json")).toMatchObject({ exitCode: 1, coverage: { failUnder: 95, judged: true, failed: true } });

    // The command line wins over the configuration, as with plain pytest-cov; each file alone would still be far below.
    const above = await runCli(["--parallel", "--", "--cov-fail-under=80"], { cwd: p.root });
    expect(above.code, above.stdout).toBe(0);
    expect(above.stdout).toMatch(/Required test coverage of 80% reached\. Total coverage: \d+\.\d\d%/);

    // --no-cov: nothing measured, nothing judged.
    const off = await runCli(["--parallel", "--", "--no-cov"], { cwd: p.root });
    expect(off.code, off.stdout).toBe(0);
    expect(off.stdout).not.toMatch(/tests coverage|Coverage:/);
  });

  it("measures a project whose own package is a plugin it turns off as plain pytest-cov does (respx's `-p no:respx --cov=respx`)", async () => {
    // The package is a pytest11 plugin by its metadata (an editable install's), which the project keeps off, so that
    // the tests import it after pytest-cov has started: its module-level lines count as run.
    const p = shop({
      "site/shop-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: shop\nVersion: 0.1\n",
      "site/shop-0.1.dist-info/entry_points.txt": "[pytest11]\nshop = shop.cart\n",
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p no:shop -p pytest_cov --cov=shop --cov-report=json:measured.json"\n',
    });
    // Plugins load as a user's pytest loads them: the entry point is what the fork server's warm-up must leave alone.
    const env = testEnv({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: undefined, PYTHONPATH: path.join(p.root, "site") });
    const plain = spawnSync("python3", ["-m", "pytest", "-p", "no:cacheprovider", "tests"], { cwd: p.root, env, encoding: "utf8" });
    expect(plain.status, plain.stdout).toBe(0);
    const reference = measured(p, "measured.json");
    expect(reference.lines["shop/cart.py"]?.[0]).toContain(1);
    fs.rmSync(path.join(p.root, ".coverage"));

    const result = await runCli(["--parallel", "--verbose"], { cwd: p.root, env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(measured(p, "measured.json"), result.stdout).toEqual(reference);
    expect(result.stdout + result.stderr).toMatch(/the fork server did not load these pytest plugins, .*: shop\n/);
  });

  it("reports and judges nothing when the run stopped at a failure, as pytest-cov after -x", async () => {
    const p = shop({ "tests/http/test_broken.py": "def test_broken():\n    assert False\n" });
    const args = ["--", ...COV, "--cov-fail-under=100"];
    // In parallel with --fail-fast, and serially (-x) over the files a listing found (a folder named, not a plain run's arguments).
    for (const mode of [["--parallel", "--fail-fast"], ["tests/http/test_cart.py", "tests/http/test_broken.py"]]) {
      const stopped = await runCli([...mode, ...args], { cwd: p.root });
      const what = `mode ${mode.join(" ")}:\n${stopped.stdout}${stopped.stderr}`;
      expect(stopped.code, what).toBe(1);
      expect(stopped.stdout + stopped.stderr, what).toContain("coverage: not reported or judged: the run stopped at a failure");
      expect(stopped.stdout, what).not.toMatch(/tests coverage|Coverage: \d+%|Required test coverage/);
      // Nor does it keep the processes' data files it did not combine.
      const logs = path.join(p.root, ".grimoire", "logs");
      const latest = fs.readdirSync(logs).sort().at(-1) as string;
      expect(fs.existsSync(path.join(logs, latest, "coverage")), what).toBe(false);
    }
    // Run to its end, the same failure leaves a report and a verdict.
    const whole = await runCli(["--parallel", ...args], { cwd: p.root });
    expect(whole.code, whole.stdout).toBe(1);
    expect(whole.stdout).toMatch(/Coverage: \d+%, required 100%: not reached/);
  });

  it("reports but does not judge the total of what --last-failed chose: the tests it left out would count as missed", async () => {
    // diskcache's --cov-fail-under=98 failed a --changed run whose 6 files passed (a helper's trial).
    const p = shop({ "tests/http/test_prices.py": "import os\nfrom shop.prices import discount\n\n\ndef test_member():\n    assert os.environ.get('BROKEN') is None\n    assert discount(10, True) == 9\n" });
    const args = ["--", ...COV, "--cov-fail-under=80"];
    const broken = await runCli(["--parallel", ...args], { cwd: p.root, env: { ...testEnv(), BROKEN: "1" } });
    expect(broken.code, broken.stdout).toBe(1);
    const again = await runCli(["--parallel", "--last-failed", "--report-json", "r.json", ...args], { cwd: p.root });
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/^1 file: 1 passed$/m);
    expect(again.stdout).toMatch(/^Coverage: \d+% of the tests --last-failed chose \(the required 80% is judged on runs of the whole selection\)$/m);
    expect(again.stdout).not.toMatch(/Required test coverage|Coverage failure/);
    expect(readReport(p, "r.json")).toMatchObject({ exitCode: 0, coverage: { failUnder: 80, judged: false, failed: false, of: "the tests --last-failed chose" } });
    // Where it runs everything (nothing failed last time), the run is whole and judged.
    const whole = await runCli(["--parallel", "--last-failed", ...args], { cwd: p.root });
    expect(whole.stdout).toMatch(/^Coverage: \d+%, required 80%: (not )?reached$/m);
  });

  it("counts a retried file's last attempt only", async () => {
    // Attempt 1 takes the member branch and fails; the retry takes the other one and passes.
    const p = shop({
      "tests/http/test_prices.py": "import os\nfrom shop.prices import discount\n\n\ndef test_price():\n    if os.environ['GRIMOIRE_ATTEMPT'] == '1':\n        assert discount(10, True) == 0\n    assert discount(10, False) == 10\n",
    });
    const result = await runCli(["--parallel", "--retries", "1", "--flaky-result", "pass", "-q", "--", ...COV, "--cov-report=json:combined.json"], { cwd: p.root });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/FLAKY +tests\/http\/test_prices\.py/);
    const prices = measured(p, "combined.json").lines["shop/prices.py"];
    expect(prices).toEqual([[1, 2, 4], [3]]);
  });

  it("lets CI shards combine in merge-reports: the shards' data beside their reports, one total, one verdict", async () => {
    const p = shop();
    const plain = plainPytestCov(p, [...COV, "--cov-report=json:plain.json", "tests"]);
    expect(plain.code).toBe(0);
    const reference = measured(p, "plain.json");
    for (const index of [1, 2]) {
      const shard = await runCli(["--parallel", "--shard", `${index}/2`, "--report-json", `shards/${index}/report.json`, "--", ...COV, "--cov-report=json:combined.json", "--cov-fail-under=80"], { cwd: p.root });
      // A shard's own total is only its part: it is reported, and not judged.
      expect(shard.code, shard.stdout).toBe(0);
      expect(shard.stdout).toMatch(/of this shard's tests \(merge-reports judges the required 80% over all shards\)/);
      expect(fs.existsSync(path.join(p.root, "shards", String(index), "report.coverage"))).toBe(true);
    }
    fs.rmSync(path.join(p.root, ".coverage"));
    fs.rmSync(path.join(p.root, "combined.json"));

    const merged = await runCli(["merge-reports", "shards", "--report-json", "merged.json", "--no-history"], { cwd: p.root, env: testEnv() });
    expect(merged.code, merged.stdout + merged.stderr).toBe(0);
    expect(measured(p, "combined.json")).toEqual(reference);
    expect(merged.stdout).toMatch(/Required test coverage of 80% reached/);
    expect(readReport(p, "merged.json")).toMatchObject({ coverage: { totalPercent: reference.totals.percent_covered, judged: true, failed: false } });
    // The shards' files are kept: merging twice gives the same.
    expect(fs.existsSync(path.join(p.root, "shards", "1", "report.coverage"))).toBe(true);

    fs.rmSync(path.join(p.root, "shards", "2", "report.coverage"));
    const missing = await runCli(["merge-reports", "shards", "--no-history"], { cwd: p.root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/shard 2\/2 \(.*report\.json\) measured coverage, but its data file report\.coverage is not beside it/);
  });
});
