/**
 * The project's .env, read where it is a file: a named pipe is the tests' to read (python-dotenv's suite makes one).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readDotenv } from "../../src/config/dotenv.js";
import { temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

describe("the project's .env", () => {
  it("is read where it is a regular file, and left alone where it is not (a named pipe hung the run before its first line)", () => {
    expect(readDotenv(project({ ".env": "E2E_BASE_URL=http://x/\n" }).root)).toEqual({ E2E_BASE_URL: "http://x/" });
    expect(readDotenv(project({}).root)).toEqual({});
    // A byte-order mark before the first line (a Windows editor's) is no part of its key.
    expect(readDotenv(project({ ".env": "\uFEFFE2E_BASE_URL=http://bom/\n" }).root)).toEqual({ E2E_BASE_URL: "http://bom/" });
    const root = project({}).root;
    execFileSync("mkfifo", [path.join(root, ".env")]);
    expect(readDotenv(root)).toEqual({});
  });
});
