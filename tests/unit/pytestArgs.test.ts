/**
 * pytest options with a meaning across files are taken out of what each
 * process gets and acted on across the run; the rest pass through untouched.
 */
import { describe, expect, it } from "vitest";
import { readForwardedArgs, takeTargets } from "../../src/config/pytestArgs.js";
import { checkOptionWords, plainChoices } from "../../src/cli/options.js";

describe("pytest arguments after --", () => {
  it("passes ordinary options and their values through, in order", () => {
    const args = ["--tb=short", "-k", "--lf", "-p", "no:randomly", "-rA", "-W", "error", "--deselect", "tests/a.py::t"];
    expect(readForwardedArgs(args)).toMatchObject({ forwarded: args, lastFailed: false, maxFail: null, dropped: [] });
  });

  it("notes whether the arguments pick some tests (-k, -m, --deselect): a file's run is then not the whole file", () => {
    expect(readForwardedArgs(["-k", "login"]).selects).toBe(true);
    expect(readForwardedArgs(["-vm", "slow"]).selects).toBe(true);
    expect(readForwardedArgs(["-kfoo"]).selects).toBe(true);
    expect(readForwardedArgs(["--deselect=tests/a.py::t"]).selects).toBe(true);
    // A value is not an option: "-p", "k" names a plugin.
    expect(readForwardedArgs(["-p", "k", "-v", "--tb", "short"]).selects).toBe(false);
  });

  it("takes --lf, --ff and --co for the run's own", () => {
    expect(readForwardedArgs(["--lf", "-v", "--ff", "--co"])).toMatchObject({ forwarded: ["-v"], lastFailed: true, failedFirst: true, collectOnly: true });
    expect(readForwardedArgs(["--last-failed", "--failed-first", "--collect-only"])).toMatchObject({ forwarded: [], lastFailed: true, failedFirst: true, collectOnly: true });
  });

  it("keeps -x and --maxfail for each process and reads them for the run", () => {
    expect(readForwardedArgs(["-x"])).toMatchObject({ forwarded: ["-x"], maxFail: 1 });
    expect(readForwardedArgs(["-xvs"])).toMatchObject({ forwarded: ["-xvs"], maxFail: 1 });
    expect(readForwardedArgs(["--maxfail=3"])).toMatchObject({ maxFail: 3 });
    expect(readForwardedArgs(["--maxfail", "4"])).toMatchObject({ forwarded: ["--maxfail", "4"], maxFail: 4 });
    expect(readForwardedArgs(["--maxfail=0"]).maxFail).toBeNull();
    // -r takes a value: the x in -rx is a report character, not -x.
    expect(readForwardedArgs(["-rx"]).maxFail).toBeNull();
  });

  it("notes pytest's information options, which print and run no test, and passes them on", () => {
    expect(readForwardedArgs(["-v", "--fixtures", "--markers"])).toMatchObject({ forwarded: ["-v", "--fixtures", "--markers"], info: "--fixtures" });
    expect(readForwardedArgs(["-vh"]).info).toBe("-h");
    expect(readForwardedArgs(["--version"]).info).toBe("--version");
    // A value is not an option: -k's expression may be any word.
    expect(readForwardedArgs(["-k", "--help", "-v"]).info).toBeNull();
    expect(readForwardedArgs(["-rh"]).info).toBeNull();
  });

  it("drops pytest-xdist's options, which would start workers inside each process", () => {
    expect(readForwardedArgs(["-n", "4", "-v"])).toMatchObject({ forwarded: ["-v"], dropped: ["-n 4"] });
    expect(readForwardedArgs(["-n4", "--dist=loadfile"])).toMatchObject({ forwarded: [], dropped: ["-n4", "--dist=loadfile"] });
    expect(readForwardedArgs(["-vn", "2"])).toMatchObject({ forwarded: ["-v"], dropped: ["-n 2"] });
    expect(readForwardedArgs(["--numprocesses", "auto", "--dist", "load"])).toMatchObject({ forwarded: [], dropped: ["--numprocesses", "auto", "--dist", "load"] });
  });
});

describe("paths and node ids after --", () => {
  const existing = new Set(["tests/b/test_b.py", "tests/c", "src"]);
  const exists = (given: string): boolean => existing.has(given);

  it("takes the words that name existing files, folders and node ids in them, and leaves the rest in their order", () => {
    expect(takeTargets(["-v", "tests/b/test_b.py::test_x", "tests/c", "--tb=short", "tests/missing.py"], exists)).toEqual({
      targets: ["tests/b/test_b.py::test_x", "tests/c"],
      rest: ["-v", "--tb=short", "tests/missing.py"],
    });
  });

  it("leaves an option's value to it: pytest's, xdist's, a short cluster's last letter's, a plugin's unless it is a node id", () => {
    expect(takeTargets(["--ignore", "tests/c", "-k", "src", "-vm", "src", "--dist", "src"], exists)).toEqual({ targets: [], rest: ["--ignore", "tests/c", "-k", "src", "-vm", "src", "--dist", "src"] });
    expect(takeTargets(["--cov", "src", "--reruns", "tests/b/test_b.py::test_x"], exists)).toEqual({ targets: ["tests/b/test_b.py::test_x"], rest: ["--cov", "src", "--reruns"] });
    expect(takeTargets(["--cov=src", "src"], exists)).toEqual({ targets: ["src"], rest: ["--cov=src"] });
  });

  it("takes the word after one of pytest's flags, a short cluster of flags, or a well-known plugin's flag", () => {
    expect(takeTargets(["--lf", "tests/c", "-vx", "src", "--strict-markers", "tests/b/test_b.py"], exists)).toEqual({ targets: ["tests/c", "src", "tests/b/test_b.py"], rest: ["--lf", "-vx", "--strict-markers"] });
    expect(takeTargets(["--reuse-db", "tests/c", "--headed", "src"], exists)).toEqual({ targets: ["tests/c", "src"], rest: ["--reuse-db", "--headed"] });
    // pytest's doctest flags (a helper's trial: `-- --doctest-modules src tests` ran each file with `src` as a value).
    expect(takeTargets(["--doctest-modules", "src", "tests/c", "--doctest-continue-on-failure", "tests/b/test_b.py"], exists)).toEqual({
      targets: ["src", "tests/c", "tests/b/test_b.py"],
      rest: ["--doctest-modules", "--doctest-continue-on-failure"],
    });
  });
});

describe("grimoire-run's own options", () => {
  it("says a value not among an option's choices as its other usage errors are said (a helper met yargs' Invalid values)", () => {
    expect(plainChoices('Invalid values:\n  Argument: split, Given: "yes", Choices: "auto", "off"')).toBe('--split must be auto or off; got "yes"');
    expect(plainChoices('Invalid values:\n  Argument: scope, Given: "unit", Choices: "e2e", "http", "all"')).toBe('--scope must be e2e, http or all; got "unit"');
    expect(plainChoices("Not enough arguments following: workers")).toBe("Not enough arguments following: workers");
  });

  it("accepts its options, their values and what follows --", () => {
    expect(() => checkOptionWords(["--parallel", "-n", "4", "--timeout", "-1", "-qv", "--no-fork-server", "--fail-fast=true", "--", "--tb=short", "-x"])).not.toThrow();
  });

  it("points a pytest option given before -- to its place after --", () => {
    expect(() => checkOptionWords(["--parallel", "--tb=short", "-x"])).toThrow('--tb=short, -x are not grimoire-run options. pytest\'s options go after "--", and grimoire-run gives them to every pytest process: grimoire-run --parallel -- --tb=short -x');
    expect(() => checkOptionWords(["--runxfail", "--", "-v"])).toThrow("grimoire-run -- --runxfail -v");
    // An option's value moves with it; a word that names a path stays where it is.
    const isPath = (word: string): boolean => word.startsWith("tests");
    expect(() => checkOptionWords(["--parallel", "--browser", "firefox", "--screenshot", "only-on-failure"], isPath)).toThrow(
      '--browser, --screenshot are not grimoire-run options. pytest\'s options go after "--", and grimoire-run gives them to every pytest process: grimoire-run --parallel -- --browser firefox --screenshot only-on-failure',
    );
    expect(() => checkOptionWords(["--runxfail", "tests/e2e", "--parallel"], isPath)).toThrow("grimoire-run tests/e2e --parallel -- --runxfail");
    // A path that is not there is no test to run: the value of the option before it (a report's file, say).
    expect(() => checkOptionWords(["--parallel", "--html", "out/report.html"], () => false)).toThrow("grimoire-run --parallel -- --html out/report.html");
    // A node id, and the word after one of pytest's own flags, are the run's: never an option's value.
    expect(() => checkOptionWords(["--parallel", "--setup-show", "e2e/test_ok.py::test_ok"], () => false)).toThrow("grimoire-run --parallel e2e/test_ok.py::test_ok -- --setup-show");
    expect(() => checkOptionWords(["--parallel", "--runxfail", "smoke"], () => false)).toThrow("grimoire-run --parallel smoke -- --runxfail");
    // A word with spaces is quoted as a shell reads it back, so that the command can be pasted (pytest-benchmark's trial).
    expect(() => checkOptionWords(["--parallel", "-o", "addopts=-ra --strict-markers"], () => false)).toThrow("grimoire-run --parallel -- -o 'addopts=-ra --strict-markers'");
  });

  it("suggests the option a typo was meant to be, and refuses a value for a flag", () => {
    expect(() => checkOptionWords(["--fail-fsat"])).toThrow("--fail-fsat is not a grimoire-run option; did you mean --fail-fast?");
    // The words of an option's name in another order, its first words alone, pytest's name of it: not pytest's options
    // to move after "--" (three helpers' trials of --json-report were sent there, the report's file made a test path).
    expect(() => checkOptionWords(["--parallel", "--json-report", "/tmp/out/r.json"], () => false)).toThrow(/^--json-report is not a grimoire-run option; did you mean --report-json\?$/);
    expect(() => checkOptionWords(["--junit", "j.xml"], () => false)).toThrow(/^--junit is not a grimoire-run option; did you mean --junit-xml\?$/);
    expect(() => checkOptionWords(["--lf"])).toThrow(/^--lf is not a grimoire-run option; did you mean --last-failed\?$/);
    expect(() => checkOptionWords(["--exitfirst"])).toThrow(/did you mean --fail-fast\?$/);
    // Two options that start so: no guess.
    expect(() => checkOptionWords(["--report", "x"], () => false)).toThrow(/pytest's options go after "--"/);
    expect(() => checkOptionWords(["--failFast"])).toThrow(/--failFast is not a grimoire-run option/);
    expect(() => checkOptionWords(["--fail-fast=3"])).toThrow('--fail-fast takes no value; got "--fail-fast=3"');
  });
});
