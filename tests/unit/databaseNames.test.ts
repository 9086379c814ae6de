import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { cloneName, cloneOfTestDatabase, databaseName, keptName, parseCloneName, redactPassword, withDatabase } from "../../src/managed/databaseNames.js";

const bytes = (text: string): number => Buffer.byteLength(text, "utf8");

describe("clone names", () => {
  it("is the template, the run tag and the number", () => {
    expect(cloneName("app_test", "0badcafe", 1)).toBe("app_test_grimoire_0badcafe_1");
    expect(keptName("app_test", "0badcafe", 12)).toBe("app_test_grimoire_kept_0badcafe_12");
  });

  it("keeps any template name, quotes and spaces included (quoting is the SQL's business)", () => {
    expect(cloneName(`we"ird 'name`, "00000000", 3)).toBe(`we"ird 'name_grimoire_00000000_3`);
  });

  it("cuts a long template so that the whole name fits in 63 bytes, keeping the suffix whole", () => {
    const template = "t".repeat(63);
    for (const n of [1, 9, 10, 999, 123_456_789]) {
      const clone = cloneName(template, "abcdef01", n);
      const kept = keptName(template, "abcdef01", n);
      expect(bytes(clone)).toBe(63);
      expect(bytes(kept)).toBe(63);
      expect(clone.endsWith(`_grimoire_abcdef01_${n}`)).toBe(true);
      expect(kept.endsWith(`_grimoire_kept_abcdef01_${n}`)).toBe(true);
    }
  });

  it("never cuts a multi-byte character in half", () => {
    for (const char of ["é", "日", "😀"]) {
      for (let length = 1; length <= 40; length++) {
        const template = char.repeat(length);
        for (const name of [cloneName(template, "abcdef01", 7), keptName(template, "abcdef01", 7)]) {
          expect(bytes(name)).toBeLessThanOrEqual(63);
          // A half character would not survive a round trip through UTF-8.
          expect(Buffer.from(name, "utf8").toString("utf8")).toBe(name);
          expect(name.replace(/_grimoire_.*$/, "")).toBe(char.repeat([...name.replace(/_grimoire_.*$/, "")].length));
        }
      }
    }
    // 44 bytes are left for the template next to "_grimoire_abcdef01_7": 14 three-byte characters, not 14 and a half.
    expect(cloneName("日".repeat(30), "abcdef01", 7)).toBe(`${"日".repeat(14)}_grimoire_abcdef01_7`);
  });

  it("leaves a short template whole", () => {
    expect(cloneName("ü", "abcdef01", 1)).toBe("ü_grimoire_abcdef01_1");
  });

  it("refuses a run tag that is not 8 lowercase hex characters, or a number below 1", () => {
    expect(() => cloneName("app", "ABCDEF01", 1)).toThrow(/run tag/);
    expect(() => cloneName("app", "abc", 1)).toThrow(/run tag/);
    expect(() => keptName("app", "abcdef01", 0)).toThrow(/clone number/);
    expect(() => cloneName("app", "abcdef01", 1.5)).toThrow(/clone number/);
  });

  it("reads a clone's run tag and number back, and never takes a kept clone, the template or a stranger for a clone", () => {
    for (const template of ["app", "x".repeat(63), "日".repeat(30)]) {
      expect(parseCloneName(template, cloneName(template, "abcdef01", 5))).toEqual({ runTag: "abcdef01", n: 5 });
      expect(parseCloneName(template, keptName(template, "abcdef01", 5))).toBeNull();
      expect(parseCloneName(template, template)).toBeNull();
    }
    // Another template's clone, even one whose name ends the same way.
    expect(parseCloneName("app", cloneName("other", "abcdef01", 5))).toBeNull();
    expect(parseCloneName("app", "app_grimoire_ABCDEF01_5")).toBeNull();
  });

  it("reads which clone pytest-django named a test database after, with or without a worker slot's suffix", () => {
    const clone = cloneName("app", "abcdef01", 5);
    expect(cloneOfTestDatabase("app", `test_${clone}`)).toEqual({ clone, runTag: "abcdef01", n: 5 });
    expect(cloneOfTestDatabase("app", `test_${clone}_gw0`)).toEqual({ clone, runTag: "abcdef01", n: 5 });
    expect(cloneOfTestDatabase("app", `test_${clone}_gw12`)).toEqual({ clone, runTag: "abcdef01", n: 5 });
    // Clone 50's, not clone 5's.
    expect(cloneOfTestDatabase("app", `test_${clone}0`)).toEqual({ clone: `${clone}0`, runTag: "abcdef01", n: 50 });
    // Not a test database of a clone: the clone itself, the template's own test database, another suffix, another template's clone, a kept clone's.
    for (const name of [clone, "test_app", "test_app_gw0", `test_${clone}_x`, `test_${clone}_gw`, `test_${cloneName("other", "abcdef01", 5)}`, `test_${keptName("app", "abcdef01", 5)}`]) {
      expect(cloneOfTestDatabase("app", name)).toBeNull();
    }
  });
});

describe("database URLs", () => {
  const names = ["app", `we"ird 'name`, "with space", "100%", "a/b", "ünï😀", "x\"; DROP DATABASE postgres; --", "a?b#c&d=e", "+plus"];

  it("puts any name in the path and reads it back", () => {
    for (const name of names) {
      const url = withDatabase("postgresql://user:p%40ss@db.example:6543/old?sslmode=require&application_name=x", name);
      expect(databaseName(url)).toBe(name);
      expect(url.startsWith("postgresql://user:p%40ss@db.example:6543/")).toBe(true);
      expect(url.endsWith("?sslmode=require&application_name=x")).toBe(true);
    }
  });

  it("percent-encodes the name, so that the path stays one segment", () => {
    expect(withDatabase("postgres://h/old", "a/b c%")).toBe("postgres://h/a%2Fb%20c%25");
    expect(withDatabase("postgres://h/old", "ü")).toBe("postgres://h/%C3%BC");
  });

  it("keeps user, password, host, port and query byte for byte", () => {
    expect(withDatabase("postgresql://me:s3cr%2Ft@127.0.0.1:5432/app_test?sslmode=disable&options=-c%20x%3Dy", "clone")).toBe(
      "postgresql://me:s3cr%2Ft@127.0.0.1:5432/clone?sslmode=disable&options=-c%20x%3Dy",
    );
    expect(withDatabase("postgresql://[::1]:5433/app", "c")).toBe("postgresql://[::1]:5433/c");
    expect(withDatabase("postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write", "c")).toBe("postgresql://h1:5432,h2:5433/c?target_session_attrs=read-write");
    expect(withDatabase("postgresql://me@/app?host=/var/run/postgresql", "c")).toBe("postgresql://me@/c?host=/var/run/postgresql");
    expect(withDatabase("postgresql:///app", "c")).toBe("postgresql:///c");
  });

  it("adds a path to a URL without one", () => {
    expect(withDatabase("postgresql://h:1", "c")).toBe("postgresql://h:1/c");
    expect(withDatabase("postgresql://h:1?sslmode=disable", "c")).toBe("postgresql://h:1/c?sslmode=disable");
    expect(withDatabase("postgresql://h/", "c")).toBe("postgresql://h/c");
  });

  it("reads both schemes, and percent-decodes", () => {
    expect(databaseName("postgres://u:p@h/app_test")).toBe("app_test");
    expect(databaseName("postgresql://h/My%20App%22s")).toBe('My App"s');
    expect(databaseName("postgresql://h/a%2Fb?x=1#f")).toBe("a/b");
  });

  it("refuses anything else with a UsageError saying what is wrong, without the password", () => {
    const cases: [string, RegExp][] = [
      ["mysql://root:hunter2@h/app", /must start with postgresql:\/\/ or postgres:\/\//],
      ["http://h/app", /must start with postgresql/],
      ["app_test", /not a URL/],
      ["", /not a URL/],
      ["host=localhost dbname=app", /not a URL/],
      ["postgresql://u:hunter2@h:5432", /no database name/],
      ["postgresql://u:hunter2@h:5432/", /no database name/],
      ["postgresql://u:hunter2@h:5432/?sslmode=disable", /no database name/],
      ["postgresql://u:hunter2@h/bad%zz", /badly percent-encoded/],
      ["postgresql://u:hunter2@h/?dbname=app", /\?dbname=/],
    ];
    for (const [url, message] of cases) {
      let caught: unknown;
      try {
        databaseName(url);
      } catch (error) {
        caught = error;
      }
      expect(caught, url).toBeInstanceOf(UsageError);
      expect((caught as Error).message, url).toMatch(message);
      expect((caught as Error).message, url).not.toContain("hunter2");
    }
    expect(() => withDatabase("mysql://h/app", "x")).toThrow(UsageError);
  });

  it("hides passwords in URLs shown in messages", () => {
    expect(redactPassword("postgresql://me:hunter2@h:5432/app")).toBe("postgresql://me:***@h:5432/app");
    expect(redactPassword("postgresql://me:hun@ter2@h/app")).toBe("postgresql://me:***@h/app");
    expect(redactPassword("postgresql://me@h/app?password=hunter2&sslmode=disable")).toBe("postgresql://me@h/app?password=***&sslmode=disable");
    expect(redactPassword("postgresql://h:5432/app")).toBe("postgresql://h:5432/app");
    expect(redactPassword("not a url hunter2")).not.toContain("hunter2");
  });
});
