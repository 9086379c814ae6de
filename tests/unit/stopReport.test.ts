/**
 * What a stopped file's log says at its end: the lines a failed file's summary shows when the run stopped the process
 * at its exit, its session over (a --fail-fast of another file's). A log written in a temporary folder.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { linesBeforeStop } from "../../src/exec/batchRunner.js";
import { temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

describe("a file stopped at its exit", () => {
  it("shows the session's last lines, not the stop's report of the exit's frames", () => {
    const root = project({}).root;
    const log = path.join(root, "b.log");
    const session = Array.from({ length: 20 }, (_, i) => `session line ${i}`);
    const stop = ["", "grimoire-run stopped the process after its tests ended (pytest's summary, or its exit), here:", '  File "grimoire_run_fork.py", line 382, in collect', "KeyboardInterrupt: stopped by grimoire-run (SIGTERM)"];
    fs.writeFileSync(log, [...session, "", "FAILED tests/test_b.py::test_b - assert 0", "========= 1 failed in 0.61s =========", ...stop].join("\n"));
    const lines = linesBeforeStop(log) ?? [];
    expect(lines).toHaveLength(15);
    expect(lines.slice(-2)).toEqual(["FAILED tests/test_b.py::test_b - assert 0", "========= 1 failed in 0.61s ========="]);
    expect(lines.join("\n")).not.toMatch(/grimoire_run_fork|KeyboardInterrupt/);
    // A stop inside a test, or none: not this.
    fs.writeFileSync(log, [...session, "grimoire-run stopped this test, tests/test_b.py::test_b, here:", "  frames"].join("\n"));
    expect(linesBeforeStop(log)).toBeNull();
    expect(linesBeforeStop(path.join(root, "none.log"))).toBeNull();
  });
});
