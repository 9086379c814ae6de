import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseIni, readPytestSettings, splitArgs } from "../../src/discovery/pytestConfig.js";
import { UsageError } from "../../src/errors.js";

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-cfg-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("reading python_files the way pytest does", () => {
  it("falls back to pytest's defaults without a config file", () => {
    const settings = readPytestSettings(folder({}));
    expect(settings.pythonFiles).toEqual(["test_*.py", "*_test.py"]);
    expect(settings.norecursedirs).toContain("node_modules");
  });

  it("reads pytest.ini, with continuation lines", () => {
    const dir = folder({ "pytest.ini": "[pytest]\npython_files =\n    check_*.py\n    verify_*.py\nnorecursedirs = fixtures\n" });
    const settings = readPytestSettings(dir);
    expect(settings.pythonFiles).toEqual(["check_*.py", "verify_*.py"]);
    expect(settings.norecursedirs).toEqual(["fixtures"]);
    expect(settings.source).toBe(path.join(dir, "pytest.ini"));
  });

  it("lets an empty pytest.ini win over pyproject.toml, as pytest does", () => {
    const dir = folder({ "pytest.ini": "# nothing\n", "pyproject.toml": '[tool.pytest.ini_options]\npython_files = "x_*.py"\n' });
    expect(readPytestSettings(dir).pythonFiles).toEqual(["test_*.py", "*_test.py"]);
  });

  it("reads pyproject.toml in both its ini_options and native forms", () => {
    expect(readPytestSettings(folder({ "pyproject.toml": '[tool.pytest.ini_options]\npython_files = "a_*.py b_*.py"\n' })).pythonFiles).toEqual(["a_*.py", "b_*.py"]);
    expect(readPytestSettings(folder({ "pyproject.toml": '[tool.pytest]\npython_files = ["c_*.py"]\n' })).pythonFiles).toEqual(["c_*.py"]);
  });

  it("skips a pyproject.toml without pytest settings and finds tox.ini, then setup.cfg", () => {
    expect(readPytestSettings(folder({ "pyproject.toml": "[project]\nname='x'\n", "tox.ini": "[pytest]\npython_files = t_*.py\n" })).pythonFiles).toEqual(["t_*.py"]);
    expect(readPytestSettings(folder({ "setup.cfg": "[metadata]\nname = x\n[tool:pytest]\npython_files = s_*.py\n" })).pythonFiles).toEqual(["s_*.py"]);
    expect(readPytestSettings(folder({ "tox.ini": "[tox]\nenvlist = py311\n" })).pythonFiles).toEqual(["test_*.py", "*_test.py"]);
  });

  it("searches upwards from the folder, first match wins", () => {
    const dir = folder({ "pytest.ini": "[pytest]\npython_files = root_*.py\n", "tests/http/pytest.ini": "[pytest]\npython_files = inner_*.py\n", "tests/e2e/.keep": "" });
    expect(readPytestSettings(path.join(dir, "tests/http")).pythonFiles).toEqual(["inner_*.py"]);
    expect(readPytestSettings(path.join(dir, "tests/e2e")).pythonFiles).toEqual(["root_*.py"]);
  });

  it("reports a broken pyproject.toml as a usage error naming the file", () => {
    const dir = folder({ "pyproject.toml": "[tool.pytest\n" });
    expect(() => readPytestSettings(dir)).toThrow(UsageError);
    expect(() => readPytestSettings(dir)).toThrow(/pyproject\.toml: not valid TOML/);
  });
});

describe("parseIni", () => {
  it("reads sections, both separators, and comments", () => {
    const sections = parseIni("; top\n[a]\nx = 1\ny: two words\n# note\n[b]\nz=\n");
    expect(sections.get("a")).toEqual({ x: "1", y: "two words" });
    expect(sections.get("b")).toEqual({ z: "" });
  });
});

describe("splitArgs", () => {
  it("splits like shlex: quotes and backslashes", () => {
    expect(splitArgs(`a "b c" 'd e' f\\ g`)).toEqual(["a", "b c", "d e", "f g"]);
    expect(splitArgs("  ")).toEqual([]);
    expect(splitArgs(`""`)).toEqual([""]);
    expect(() => splitArgs(`"open`)).toThrow(/unterminated quote/);
  });
});
