import { describe, expect, it } from "vitest";
import { envChanges, pyprojectChoosesPython, readAtStart } from "../../src/process/earlyPython.js";

describe("the early Python's environment", () => {
  it("tells what a process's environment sets, changes and unsets from another's", () => {
    expect(envChanges({ A: "1", B: "2", C: "3" }, { A: "1", B: "two", D: "4" })).toEqual({ set: { B: "two", D: "4" }, unset: ["C"] });
  });

  it("names the differences a Python reads as it starts, and only those", () => {
    const base = { PATH: "/bin", PYTHONPATH: "/g", HOME: "/root", LANG: "C.UTF-8", FOO: "1" };
    expect(readAtStart(envChanges(base, { ...base, FOO: "2", GRIMOIRE_SLOT: "0", E2E_BASE_URL: "http://x", NODE_COMPILE_CACHE: "/t" }))).toEqual([]);
    expect(readAtStart(envChanges(base, { ...base, PYTHONHASHSEED: "0", LC_ALL: "C", PYENV_VERSION: "3.12", TZ: "UTC" }))).toEqual(["LC_ALL", "PYENV_VERSION", "PYTHONHASHSEED", "TZ"]);
    expect(readAtStart(envChanges(base, { ...base, PATH: "/usr/bin", PYTHONPATH: undefined }))).toEqual(["PATH", "PYTHONPATH"]);
    expect(readAtStart(envChanges(base, { ...base, MYPYTHONTHING: "x", LANGUAGE_SERVER: "y" }))).toEqual([]);
  });
});

describe("a pyproject.toml that chooses the Python", () => {
  it("is one with python in [tool.grimoire-run], not in another table", () => {
    expect(pyprojectChoosesPython('[tool.grimoire-run]\nworkers = 2\npython = ".venv/bin/python"\n')).toBe(true);
    expect(pyprojectChoosesPython('[tool.grimoire-run]\n"python" = "python3.12"\n')).toBe(true);
    expect(pyprojectChoosesPython('[project]\nname = "x"\n[tool.other]\npython = "3.11"\n[tool.grimoire-run]\nparallel = true\n')).toBe(false);
    expect(pyprojectChoosesPython('[tool.grimoire-run]\npreload = ["python"]\n[tool.poetry.dependencies]\npython = "^3.11"\n')).toBe(false);
  });
});
