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

  it("adds up the databases that were all SQLite in memory apart", () => {
    const text = [{ t: "django-db", seconds: 0.4, memory: true }, { t: "django-db", seconds: 0.1 }, { t: "finish", exitstatus: 0 }].map((line) => JSON.stringify(line)).join("\n");
    expect(parseRecords(text)).toMatchObject({ djangoDatabaseSeconds: 0.1, djangoMemorySeconds: 0.4 });
    expect(parseRecords(JSON.stringify({ t: "finish", exitstatus: 0 })).djangoMemorySeconds).toBeNull();
  });

  it("is null when no test asked for a database", () => {
    expect(parseRecords(JSON.stringify({ t: "finish", exitstatus: 0 })).djangoDatabaseSeconds).toBeNull();
  });
});

describe("the hint for --reuse-db", () => {
  it("names the seconds and the files once they are worth it", () => {
    const tally = new DjangoDatabaseTally();
    for (let i = 0; i < 6; i++) tally.add({ kept: 0.5, memory: null }, 1.0);
    tally.add({ kept: null, memory: null }, 2.0);
    expect(tally.hint()).toBe(
      "pytest-django's test database was created and migrated by each file for itself: 3.0 s in all over 6 files. pytest-django's --reuse-db (after --) keeps one per worker slot, for the run and the next, where no transaction=True or live_server test empties rows the migrations made (the slot's next file would find them gone); see grimoire-run's docs/test-environment.md",
    );
  });

  it("says processes, not files, of a --pack run, whose packs made one each (channels' trial)", () => {
    const tally = new DjangoDatabaseTally(0, 2, true);
    for (let i = 0; i < 2; i++) tally.add({ kept: 2.7, memory: null }, 6.0);
    expect(tally.hint()).toMatch(/^pytest-django's test database was created and migrated by each process for itself: 5\.4 s in all over 2 processes\. /);
  });

  it("says nothing for one file, for less than a second, or for a small share of a long run", () => {
    const one = new DjangoDatabaseTally();
    one.add({ kept: 5, memory: null }, 6);
    expect(one.hint()).toBeNull();
    const quick = new DjangoDatabaseTally();
    for (let i = 0; i < 4; i++) quick.add({ kept: 0.2, memory: null }, 1);
    expect(quick.hint()).toBeNull();
    const small = new DjangoDatabaseTally();
    for (let i = 0; i < 4; i++) small.add({ kept: 0.5, memory: null }, 100);
    expect(small.hint()).toBeNull();
  });
});

describe("the hint for --pack, where the databases were SQLite in memory", () => {
  it("names the seconds, the files and a --pack-under every file that made one is under", () => {
    const tally = new DjangoDatabaseTally();
    for (let i = 0; i < 19; i++) tally.add({ kept: null, memory: 0.6 }, 1.2);
    tally.add({ kept: null, memory: 0.6 }, 15.85);
    tally.add({ kept: null, memory: null }, 0.4);
    expect(tally.hint()).toBe(
      "pytest-django's test database, SQLite in memory, was created and migrated by each file for itself: 12.0 s in all over 20 files, and each file's process also set Django up and built anew what its first requests build (--reuse-db keeps no database in memory). Files that share a process share all of it, as in one plain pytest session: --pack --pack-under 16 runs the files under 16 s (these took up to 15.8 s) in shared processes, a worker's share at a time, each still reported on its own; files in a pack share module state, so keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md",
    );
  });

  it("names --reuse-db instead where a database it keeps cost enough, and nothing where neither did", () => {
    const both = new DjangoDatabaseTally();
    for (let i = 0; i < 4; i++) both.add({ kept: 0.5, memory: null }, 1);
    for (let i = 0; i < 4; i++) both.add({ kept: null, memory: 0.5 }, 1);
    expect(both.hint()).toMatch(/^pytest-django's test database was created .* --reuse-db \(after --\) keeps one per worker slot/);
    const little = new DjangoDatabaseTally();
    for (let i = 0; i < 20; i++) little.add({ kept: null, memory: 0.04 }, 1);
    expect(little.hint()).toBeNull();
    // Fewer files than a pack pays for at 2 workers (a browser suite's three: packing them gained nothing).
    const few = new DjangoDatabaseTally(0, 2);
    for (let i = 0; i < 5; i++) few.add({ kept: null, memory: 2 }, 3);
    expect(few.hint()).toBeNull();
    expect(few.namesPack()).toBe(false);
    expect(both.namesPack()).toBe(false);
  });

  it("is said for a few files per worker: django-taggit's 8 at 2 workers, 2.4 times plain pytest's time, said nothing before", () => {
    const taggit = new DjangoDatabaseTally(0, 2);
    for (let i = 0; i < 8; i++) taggit.add({ kept: null, memory: 0.8 }, 2.2);
    expect(taggit.hint()).toMatch(/^pytest-django's test database, SQLite in memory, was created and migrated by each file for itself: 6\.4 s in all over 8 files, .* --pack --pack-under 3 runs the files under 3 s/);
    // The quick files' hint, which names --pack too, gives way to it.
    expect(taggit.namesPack()).toBe(true);
    // What a pack saves is the files' database time beyond one file per worker: 6 files of 0.2 s at 2 workers save 0.8 s, under a second.
    const small = new DjangoDatabaseTally(0, 2);
    for (let i = 0; i < 6; i++) small.add({ kept: null, memory: 0.2 }, 60);
    expect(small.hint()).toBeNull();
  });
});

describe("the notice during the run, where the in-memory database will cost the rest of it a minute or more", () => {
  it("is said once, from the first files, with what the files left would spend and the --pack that avoids it", () => {
    const tally = new DjangoDatabaseTally(60, 2);
    // A file that made none counts toward what is left, not toward the files that made one.
    tally.add({ kept: null, memory: null }, 3);
    tally.add({ kept: null, memory: 24.9 }, 26.5);
    expect(tally.early()).toBeNull();
    tally.add({ kept: null, memory: 25.3 }, 40.2);
    expect(tally.early()).toBe(
      "pytest-django's test database, SQLite in memory, is being created and migrated by each file for itself: 50.2 s over the first 2 files that made one (of their 66.7 s); " +
        "at that pace it adds about 715 s more to the run over the 57 files left (2 at a time). Files that share a process make it once: " +
        "stop the run (Ctrl-C) and start it with --pack --pack-under 41 (these took up to 40.2 s), or let it go on: its end says it again, from every file's figures",
    );
    tally.add({ kept: null, memory: 25 }, 26);
    expect(tally.early()).toBeNull();
  });

  it("is not said where the rest would spend less than a minute, where the database is a small share, or with nothing planned", () => {
    const cheap = new DjangoDatabaseTally(46, 2);
    for (let i = 0; i < 4; i++) cheap.add({ kept: null, memory: 0.6 }, 1.6);
    expect(cheap.early()).toBeNull();
    const small = new DjangoDatabaseTally(100, 2);
    for (let i = 0; i < 4; i++) small.add({ kept: null, memory: 5 }, 30);
    expect(small.early()).toBeNull();
    const unplanned = new DjangoDatabaseTally();
    for (let i = 0; i < 4; i++) unplanned.add({ kept: null, memory: 25 }, 26);
    expect(unplanned.early()).toBeNull();
  });
});
