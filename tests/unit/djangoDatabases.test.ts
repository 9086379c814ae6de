/**
 * What a run's files spent making pytest-django's test database each for
 * itself, read from their records and added up, and when that is worth a hint.
 */
import { describe, expect, it } from "vitest";
import { DjangoDatabaseTally } from "../../src/exec/djangoDatabases.js";
import { parseRecords } from "../../src/exec/testRecords.js";

describe("pytest-django's test database in a process's records", () => {
  it("adds up the seconds its set-up took, and ignores what is not a time", () => {
    const text = [{ t: "django-db", seconds: 0.4 }, { t: "django-db", seconds: 0.1 }, { t: "django-db", seconds: "slow" }, { t: "django-db", seconds: -3 }, { t: "finish", exitstatus: 0 }]
      .map((line) => JSON.stringify(line))
      .join("\n");
    expect(parseRecords(text).djangoDatabaseSeconds).toBeCloseTo(0.5);
  });

  it("is null when no test asked for a database", () => {
    expect(parseRecords(JSON.stringify({ t: "finish", exitstatus: 0 })).djangoDatabaseSeconds).toBeNull();
  });
});

describe("the hint for --reuse-db", () => {
  it("names the seconds and the files once they are worth it", () => {
    const tally = new DjangoDatabaseTally();
    for (let i = 0; i < 6; i++) tally.add(0.5, 1.0);
    tally.add(null, 2.0);
    expect(tally.hint()).toBe(
      "pytest-django's test database was created and migrated by each file for itself: 3.0 s in all over 6 files. pytest-django's --reuse-db (after --) keeps one per worker slot, for the run and the next, where no transaction=True or live_server test empties rows the migrations made (the slot's next file would find them gone); see grimoire-run's docs/test-environment.md",
    );
  });

  it("says nothing for one file, for less than a second, or for a small share of a long run", () => {
    const one = new DjangoDatabaseTally();
    one.add(5, 6);
    expect(one.hint()).toBeNull();
    const quick = new DjangoDatabaseTally();
    for (let i = 0; i < 4; i++) quick.add(0.2, 1);
    expect(quick.hint()).toBeNull();
    const small = new DjangoDatabaseTally();
    for (let i = 0; i < 4; i++) small.add(0.5, 100);
    expect(small.hint()).toBeNull();
  });
});
