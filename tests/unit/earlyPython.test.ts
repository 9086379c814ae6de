import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envChanges, pyprojectSets, readAtStart, serialRunLikely } from "../../src/process/earlyPython.js";

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
    expect(pyprojectSets('[tool.grimoire-run]\nworkers = 2\npython = ".venv/bin/python"\n', "python")).toBe(true);
    expect(pyprojectSets('[tool.grimoire-run]\n"python" = "python3.12"\n', "python")).toBe(true);
    expect(pyprojectSets('[project]\nname = "x"\n[tool.other]\npython = "3.11"\n[tool.grimoire-run]\nparallel = true\n', "python")).toBe(false);
    expect(pyprojectSets('[tool.grimoire-run]\npreload = ["python"]\n[tool.poetry.dependencies]\npython = "^3.11"\n', "python")).toBe(false);
    expect(pyprojectSets('[project]\nname = "x"\n[tool.grimoire-run]\nparallel = true\n', "parallel")).toBe(true);
  });
});

describe("the guess that a run is a serial run's one python -m pytest (its early Python imports pytest while it waits)", () => {
  const folder = (files: Record<string, string>): string => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-early-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name), text);
    return root;
  };

  it("is a run with none of what starts the fork server first", () => {
    const root = folder({});
    expect(serialRunLikely([], {}, root, "")).toBe(true);
    expect(serialRunLikely(["tests/http", "-k", "cart", "--", "-x"], {}, root, "")).toBe(true);
    expect(serialRunLikely(["--debug"], {}, root, "")).toBe(true);
    for (const argv of [["--parallel"], ["--parallel=true"], ["--shard", "1/2"], ["--changed"], ["--changed=main"], ["--", "--collect-only"], ["--", "--co"], ["--", "--cov=shop"]]) {
      expect(serialRunLikely(argv, {}, root, ""), argv.join(" ")).toBe(false);
    }
    // The words after -- are pytest's: a file named --parallel there is no option of grimoire-run's.
    expect(serialRunLikely(["--", "-k", "parallel"], {}, root, "")).toBe(true);
    fs.rmSync(root, { recursive: true });
  });

  it("reads what the environment, .env and pyproject.toml set, and pytest-cov in pytest's configuration", () => {
    const root = folder({});
    expect(serialRunLikely([], { GRIMOIRE_PARALLEL: "true" }, root, "")).toBe(false);
    expect(serialRunLikely([], { PYTEST_ADDOPTS: "--cov=shop" }, root, "")).toBe(false);
    expect(serialRunLikely([], {}, root, "[tool.grimoire-run]\nshard = \"auto\"\n")).toBe(false);
    const dotenv = folder({ ".env": "E2E_BASE_URL=http://x\nGRIMOIRE_PARALLEL=1\n" });
    expect(serialRunLikely([], {}, dotenv, "")).toBe(false);
    const covered = folder({ "pytest.ini": "[pytest]\naddopts = --cov=shop\n" });
    expect(serialRunLikely([], {}, covered, "")).toBe(false);
    for (const made of [root, dotenv, covered]) fs.rmSync(made, { recursive: true });
  });
});
