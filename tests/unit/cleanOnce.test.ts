/**
 * The folders a plugin empties at every session's start, emptied once by a
 * parallel run: never the project's own folder or one above it.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanOnce } from "../../src/run/cleanOnce.js";
import { temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

/** A project of these empty files, removed after the test. */
const projectWith = (...files: string[]): string => project(Object.fromEntries(files.map((file) => [file, ""]))).root;

describe("cleanOnce", () => {
  it("removes each folder with what it holds, and a missing one is no error", () => {
    const root = projectWith("test-results/old/test-failed-1.png", "tests/test_a.py");
    const folders = [path.join(root, "test-results"), path.join(root, "never-made")].map((folder) => ({ plugin: "pytest-playwright", option: "--output", path: folder }));
    cleanOnce(root, folders);
    expect(fs.readdirSync(root)).toEqual(["tests"]);
  });

  it("never empties the project's folder or one above it", () => {
    const root = projectWith("tests/test_a.py");
    for (const folder of [root, path.dirname(root), `${root}${path.sep}.`]) {
      cleanOnce(root, [{ plugin: "pytest-playwright", option: "--output", path: folder }]);
    }
    expect(fs.existsSync(path.join(root, "tests", "test_a.py"))).toBe(true);
  });
});
