/**
 * The fork server's command line: the options grimoire-run gives it. Plain data in and out.
 */
import { describe, expect, it } from "vitest";
import { forkServerArgs } from "../../src/exec/forkServer.js";

const CACHE = "/project/.grimoire/pycache";

describe("the fork server's command line", () => {
  it("names the grace period always, and the preload, the per-file variables and an early listing when there are any", () => {
    expect(forkServerArgs({ killGraceMs: 2000 }, {})).toEqual(["-m", "grimoire_run_forkserver", "--grace-ms", "2000"]);
    expect(forkServerArgs({ killGraceMs: 500, preload: ["numpy", "scipy"], perFileEnv: ["GRIMOIRE_*", "E2E_BASE_URL"], firstBeforeWarmUp: true }, {})).toEqual([
      "-m",
      "grimoire_run_forkserver",
      "--grace-ms",
      "500",
      "--preload",
      "numpy,scipy",
      "--per-file-env",
      "GRIMOIRE_*,E2E_BASE_URL",
      "--first-before-warm-up",
    ]);
  });

  it("gives the server the run's bytecode cache exactly when its files get it: the environment says not to write bytecode and names no place for it", () => {
    const withCache = (env: NodeJS.ProcessEnv) => forkServerArgs({ killGraceMs: 2000, bytecodeCache: CACHE }, env).join(" ");
    expect(withCache({ PYTHONDONTWRITEBYTECODE: "1" })).toMatch(/ --bytecode-cache \/project\/\.grimoire\/pycache$/);
    expect(withCache({})).not.toMatch(/--bytecode-cache/);
    expect(withCache({ PYTHONDONTWRITEBYTECODE: "" })).not.toMatch(/--bytecode-cache/);
    expect(withCache({ PYTHONDONTWRITEBYTECODE: "1", PYTHONPYCACHEPREFIX: "/elsewhere" })).not.toMatch(/--bytecode-cache/);
    expect(forkServerArgs({ killGraceMs: 2000, bytecodeCache: null }, { PYTHONDONTWRITEBYTECODE: "1" }).join(" ")).not.toMatch(/--bytecode-cache/);
  });
});
