/**
 * `changed-always` globs: a user writes them once in pyproject.toml and
 * trusts that a change to a matching data file runs everything.
 */
import { describe, expect, it } from "vitest";
import { matchingGlob, splitList } from "../../src/changes/globs.js";

const matches = (pattern: string, file: string): boolean => matchingGlob([pattern], file) !== null;

describe("changed-always globs", () => {
  it("matches a pattern without a slash at any depth", () => {
    expect(matches("*.sql", "schema.sql")).toBe(true);
    expect(matches("*.sql", "db/migrations/0001.sql")).toBe(true);
    expect(matches("*.sql", "db/migrations/0001.sql.bak")).toBe(false);
  });

  it("anchors a pattern with a slash at the project root", () => {
    expect(matches("tests/fixtures/*.json", "tests/fixtures/cart.json")).toBe(true);
    expect(matches("tests/fixtures/*.json", "other/tests/fixtures/cart.json")).toBe(false);
    expect(matches("/setup.py", "setup.py")).toBe(true);
    expect(matches("/setup.py", "pkg/setup.py")).toBe(false);
  });

  it("keeps * and ? inside one folder name; ** spans folders", () => {
    expect(matches("tests/*/data.json", "tests/http/data.json")).toBe(true);
    expect(matches("tests/*/data.json", "tests/http/deep/data.json")).toBe(false);
    expect(matches("tests/**/data.json", "tests/http/deep/data.json")).toBe(true);
    expect(matches("tests/**/data.json", "tests/data.json")).toBe(true);
    expect(matches("templates/**", "templates/a/b/page.html")).toBe(true);
    expect(matches("v?.yaml", "v1.yaml")).toBe(true);
    expect(matches("v?.yaml", "v12.yaml")).toBe(false);
  });

  it("covers everything below a folder the pattern names", () => {
    expect(matches("tests/fixtures", "tests/fixtures/users/admin.json")).toBe(true);
    expect(matches("tests/fixtures/", "tests/fixtures/users/admin.json")).toBe(true);
    expect(matches("fixtures", "tests/fixtures/users/admin.json")).toBe(true);
    expect(matches("tests/fixtures", "tests/fixtures_old/a.json")).toBe(false);
  });

  it("reads {a,b} alternatives and [abc] classes", () => {
    expect(matches("*.{sql,json}", "a/b.json")).toBe(true);
    expect(matches("*.{sql,json}", "a/b.yaml")).toBe(false);
    expect(matches("data[0-9].csv", "data7.csv")).toBe(true);
    expect(matches("data[!0-9].csv", "data7.csv")).toBe(false);
    expect(matches("data[!0-9].csv", "datax.csv")).toBe(true);
  });

  it("takes dots and other regular-expression characters literally", () => {
    expect(matches("a+b.txt", "a+b.txt")).toBe(true);
    expect(matches("a.txt", "abtxt")).toBe(false);
  });

  it("says which pattern matched", () => {
    expect(matchingGlob(["*.md", "templates/**"], "templates/x.html")).toBe("templates/**");
    expect(matchingGlob([], "anything")).toBeNull();
  });
});

describe("lists written as one string", () => {
  it("splits at commas, except inside {…}", () => {
    expect(splitList("*.sql, templates/**,*.{json,yaml}")).toEqual(["*.sql", "templates/**", "*.{json,yaml}"]);
    expect(splitList(" , ")).toEqual([]);
  });
});
