/**
 * The project's .env, read as python-dotenv reads it, and where it is a file: a named pipe is the tests' to read
 * (python-dotenv's suite makes one). The expected values are python-dotenv 1.x's for the same text.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDotenv, readDotenv } from "../../src/config/dotenv.js";
import { temporaryProjects } from "../helpers/project.js";

const project = temporaryProjects();

describe("the project's .env", () => {
  it("is read where it is a regular file, and left alone where it is not (a named pipe hung the run before its first line)", () => {
    expect(readDotenv(project({ ".env": "E2E_BASE_URL=http://x/\n" }).root)).toEqual({ E2E_BASE_URL: "http://x/" });
    expect(readDotenv(project({}).root)).toEqual({});
    const root = project({}).root;
    execFileSync("mkfifo", [path.join(root, ".env")]);
    expect(readDotenv(root)).toEqual({});
  });

  it("reads what python-dotenv reads: quotes, escapes, comments after whitespace only, ${NAME} expanded, bad lines skipped", () => {
    const text = [
      "# a comment",
      "export  E2E_BASE_URL=http://a/#frag",
      'GRIMOIRE_SERVER=sh -c "echo a#b; python -m http.server {port}"',
      "URL2=http://${HOST}:8000/ # trailing comment",
      'QUOTED="http://x/\\"q"',
      "SINGLE='it\\'s ${HOST}'",
      'MULTI="line1',
      'line2"',
      "EMPTY=",
      "NOVALUE",
      "'QKEY'=quoted key",
      "DEF=${MISSING:-fallback}",
      "SELF=${URL2}x",
      'ESC="tab\\there"',
      'bad line "x" y',
      "SPACES =  spaced value   ",
      "",
    ].join("\n");
    expect(parseDotenv(text, { HOST: "envhost" })).toEqual({
      DEF: "fallback",
      E2E_BASE_URL: "http://a/#frag",
      EMPTY: "",
      ESC: "tab\there",
      GRIMOIRE_SERVER: 'sh -c "echo a#b; python -m http.server {port}"',
      MULTI: "line1\nline2",
      QKEY: "quoted key",
      QUOTED: 'http://x/"q',
      SELF: "http://envhost:8000/x",
      SINGLE: "it's envhost",
      SPACES: "spaced value",
      URL2: "http://envhost:8000/",
    });
    // The environment comes first in ${NAME}, as load_dotenv's (it never overrides the environment); then the file's own.
    expect(parseDotenv("HOST=filehost\nURL=http://${HOST}/\n", { HOST: "envhost" })).toEqual({ HOST: "filehost", URL: "http://envhost/" });
    expect(parseDotenv("HOST=filehost\nURL=http://${HOST}/\n", {})).toEqual({ HOST: "filehost", URL: "http://filehost/" });
    // A byte-order mark before the first line (a Windows editor's) is no part of its key (python-dotenv's fix of it).
    expect(parseDotenv("\uFEFFE2E_BASE_URL=http://bom/\r\nNEXT=1\r\n")).toEqual({ E2E_BASE_URL: "http://bom/", NEXT: "1" });
  });
});
