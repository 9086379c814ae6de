/**
 * What a run's files imported each for itself, added up, and which packages
 * are worth naming with --preload. Plain data in and out.
 */
import { describe, expect, it } from "vitest";
import { byPackage, ImportTally, PreloadFollower, preloadHint } from "../../src/exec/importTimes.js";
import { parseRecords, type PackageImport } from "../../src/exec/testRecords.js";

const imports = (entries: Record<string, [number, PackageImport["kind"]]>): Map<string, PackageImport> =>
  new Map(Object.entries(entries).map(([name, [seconds, kind]]) => [name, { seconds, kind, modules: [], afterChange: false, rewritten: false }]));
const importing = (entries: Record<string, string[]>): Map<string, PackageImport> =>
  new Map(Object.entries(entries).map(([name, modules]) => [name, { seconds: 0.1, kind: "project", modules, afterChange: false, rewritten: false }]));

describe("a process's import times in its records", () => {
  it("are read by package, and what is not a package's entry is left out", () => {
    const text = [
      { t: "imports", packages: { networkx: { seconds: 0.31, kind: "project", modules: ["networkx.classes", 7, "networkx.utils"] }, scipy: { seconds: 0.2, kind: "installed", afterChange: true }, helpers: { seconds: 0.1, kind: "installed", rewritten: true }, odd: { seconds: "x", kind: "project" }, other: { seconds: 1, kind: "nowhere" }, sibling: { seconds: 0.05, kind: "elsewhere" } } },
      { t: "finish", exitstatus: 0 },
    ]
      .map((line) => JSON.stringify(line))
      .join("\n");
    const parsed = parseRecords(text);
    expect([...parsed.imports]).toEqual([
      ["networkx", { seconds: 0.31, kind: "project", modules: ["networkx.classes", "networkx.utils"], afterChange: false, rewritten: false }],
      ["scipy", { seconds: 0.2, kind: "installed", modules: [], afterChange: true, rewritten: false }],
      ["helpers", { seconds: 0.1, kind: "installed", modules: [], afterChange: false, rewritten: true }],
      ["sibling", { seconds: 0.05, kind: "elsewhere", modules: [], afterChange: false, rewritten: false }],
    ]);
    expect(parsed.exitStatus).toBe(0);
  });

  it("are none when the process was not asked for them", () => {
    expect(parseRecords(JSON.stringify({ t: "finish", exitstatus: 0 })).imports.size).toBe(0);
  });
});

describe("the packages worth preloading", () => {
  it("are those that add up to a second and a twentieth of the files' time, imported by more than one file, costliest first", () => {
    const tally = new ImportTally();
    for (let file = 0; file < 10; file++) tally.add(imports({ networkx: [0.3, "project"], scipy: [0.12, "installed"], json: [0.002, "stdlib"] }), 1);
    // Imported by one file only: a preload would save nothing.
    tally.add(imports({ heavy: [5, "installed"] }), 6);
    expect(tally.costly().map((entry) => [entry.name, entry.files, Number(entry.seconds.toFixed(2))])).toEqual([
      ["networkx", 10, 3],
      ["scipy", 10, 1.2],
    ]);
  });

  it("leave out a package that costs the run little beside its files' time", () => {
    const tally = new ImportTally();
    // 1.5 s of imports in 40 s of files: under a twentieth.
    for (let file = 0; file < 10; file++) tally.add(imports({ slow: [0.15, "project"] }), 4);
    expect(tally.costly()).toEqual([]);
  });

  it("leave out what --preload named already (the fork server refused it), and name at most three", () => {
    const tally = new ImportTally(["settings"]);
    for (let file = 0; file < 4; file++) tally.add(imports({ settings: [1, "project"], a: [0.5, "installed"], b: [0.6, "installed"], c: [0.7, "installed"], d: [0.8, "installed"] }), 5);
    expect(tally.costly().map((entry) => entry.name)).toEqual(["d", "c", "b"]);
  });

  it("are named in one notice, the project's own code said to be so", () => {
    const tally = new ImportTally();
    for (let file = 0; file < 8; file++) tally.add(imports({ slowhelper: [0.3, "project"], numpy: [0.2, "installed"] }), 0.6);
    expect(preloadHint(tally.costly())).toBe(
      "Imported by each file for itself: slowhelper (the project's own code), 2.4 s in all over 8 files; numpy, 1.6 s in all over 8 files. --preload slowhelper,numpy imports them once for the run; keep a preload of the project's own code only if the tests pass the same with it; see grimoire-run's docs/performance.md for when a preload is unsafe",
    );
    expect(preloadHint([])).toBeNull();
    const installed = new ImportTally();
    for (let file = 0; file < 8; file++) installed.add(imports({ numpy: [0.2, "installed"] }), 0.6);
    expect(preloadHint(installed.costly())).toBe(
      "Imported by each file for itself: numpy, 1.6 s in all over 8 files. --preload numpy imports it once for the run; see grimoire-run's docs/performance.md for when a preload is unsafe",
    );
    // Under --pack each process counted once, a pack's too: said as processes.
    expect(preloadHint(installed.costly(), true)).toMatch(/^Imported by each process for itself: numpy, 1\.6 s in all over 8 processes\. /);
  });

  it("say a package neither installed nor in the project (an editable install of a sibling clone) is not the project's own code", () => {
    const tally = new ImportTally();
    for (let file = 0; file < 8; file++) tally.add(imports({ werkzeug: [0.3, "elsewhere"] }), 0.6);
    expect(preloadHint(tally.costly())).toBe(
      "Imported by each file for itself: werkzeug (not installed: an editable install of another folder, or on PYTHONPATH), 2.4 s in all over 8 files. --preload werkzeug imports it once for the run; keep a preload of code that is not installed only if the tests pass the same with it; see grimoire-run's docs/performance.md for when a preload is unsafe",
    );
  });
});

describe("installed packages learned from the files (auto-preload)", () => {
  const imported = (name: string, seconds: number, kind: PackageImport["kind"], modules: string[], afterChange = false, rewritten = false): [string, PackageImport] => [
    name,
    { seconds, kind, modules, afterChange, rewritten },
  ];

  it("asks for an installed package a file imported at a cost, and follows it from then on; never the project's, a cheap one, or one imported after the file changed os.environ", () => {
    const follower = new PreloadFollower([], true);
    const first = new Map([
      imported("pydantic", 0.4, "installed", ["pydantic", "pydantic.main"]),
      imported("tiny", 0.01, "installed", ["tiny"]),
      imported("app", 0.9, "project", ["app", "app.models"]),
      imported("settingslib", 0.3, "installed", ["settingslib"], true),
      imported("json", 0.2, "stdlib", ["json"]),
    ]);
    expect(follower.next(first)).toEqual(["pydantic", "pydantic.main"]);
    // Once asked for, a later file's imports of it ask only for its new submodules.
    expect(follower.next(new Map([imported("pydantic", 0.2, "installed", ["pydantic.fields", "pydantic.main"])]))).toEqual(["pydantic.fields"]);
    expect(new PreloadFollower([], false).next(first)).toEqual([]);
    // One the server refused before the first file is not asked for again (its refusal said once).
    expect(new PreloadFollower([], true, ["pydantic"]).next(first)).toEqual([]);
  });

  it("follows no package, a preloaded one included, whose module a file imported after changing os.environ: not for that file, nor any after", () => {
    const follower = new PreloadFollower(["djlike"], true);
    // The test module sets DJLIKE_DB, then imports djlike.db, which reads it: the server's import would read the run's.
    expect(follower.next(new Map([imported("djlike", 0.3, "installed", ["djlike.db"], true)]))).toEqual([]);
    expect(follower.next(new Map([imported("djlike", 0.3, "installed", ["djlike.db", "djlike.models"])]))).toEqual([]);
    // Another package is followed as before.
    expect(follower.next(new Map([imported("pydantic", 0.4, "installed", ["pydantic.main"])]))).toEqual(["pydantic", "pydantic.main"]);
  });

  it("neither learns, follows nor names a package pytest rewrote the asserts of a module of: the server's import would not rewrite them", () => {
    const follower = new PreloadFollower(["helperlib"], true);
    expect(follower.next(new Map([imported("helperlib", 0.3, "installed", ["helperlib.checks"], false, true)]))).toEqual([]);
    expect(follower.next(new Map([imported("testkit", 0.4, "installed", ["testkit"], false, true)]))).toEqual([]);
    expect(follower.next(new Map([imported("helperlib", 0.3, "installed", ["helperlib.more"])]))).toEqual([]);
    const tally = new ImportTally();
    for (let file = 0; file < 10; file++) tally.add(new Map([imported("testkit", 0.4, "installed", ["testkit"], false, true), imported("numpy", 0.4, "installed", ["numpy"])]), 1);
    expect(tally.costly().map((entry) => entry.name)).toEqual(["numpy"]);
  });

  it("names in the hint no package a file imported a module of after changing os.environ: a preload would not reach those modules (django-ninja's suite)", () => {
    const tally = new ImportTally();
    for (let file = 0; file < 10; file++) {
      // The first file's django.* came after pytest-django set DJANGO_SETTINGS_MODULE; the others' alike, or not at all.
      tally.add(new Map([imported("django", 0.4, "installed", ["django.db"], file === 0), imported("ninja", 0.2, "project", ["ninja"], true), imported("numpy", 0.4, "installed", ["numpy"])]), 1);
    }
    expect(tally.costly().map((entry) => entry.name)).toEqual(["numpy"]);
  });

  it("follows a learned package no further once the fork server refused it", () => {
    const follower = new PreloadFollower([], true);
    expect(follower.next(new Map([imported("IPython", 0.3, "installed", ["IPython", "IPython.core"])]))).toEqual(["IPython", "IPython.core"]);
    follower.refused(["IPython", "IPython.core"]);
    // Another file imports more of it: asked for again, each would import IPython, and be refused, again.
    expect(follower.next(new Map([imported("IPython", 0.3, "installed", ["IPython.display", "IPython.lib"])]))).toEqual([]);
    // A package preloaded whole still is followed.
    const kept = new PreloadFollower(["rich"]);
    kept.refused(["rich.console"]);
    expect(kept.next(new Map([imported("rich", 0.2, "installed", ["rich.table"])]))).toEqual(["rich.table"]);
  });

  it("takes a learned package out of the end-of-run hint once the server has it", () => {
    const tally = new ImportTally();
    for (let file = 0; file < 4; file++) tally.add(imports({ pydantic: [0.5, "installed"] }), 1);
    expect(tally.costly().map((entry) => entry.name)).toEqual(["pydantic"]);
    tally.leaveOut("pydantic");
    expect(tally.costly()).toEqual([]);
  });
});

describe("modules named in a notice", () => {
  it("names a package's one module by itself, and a package with more by its name and how many, in the order they came", () => {
    const modules = ["rich.console", "cryptography.x509", "cryptography.hazmat.primitives", "astroid", "cryptography.fernet", "astroid.nodes"];
    expect(byPackage(modules)).toBe("rich.console, cryptography (3 modules), astroid (2 modules)");
    expect(byPackage([])).toBe("");
  });
});

describe("a --preload package followed into its submodules", () => {
  it("asks for each submodule the files imported under a preloaded package once, and for nothing else", () => {
    const follower = new PreloadFollower(["rich", "app.models"]);
    expect(follower.next(importing({ rich: ["rich.console", "rich.text"], richer: ["richer.x"], app: ["app.models.user", "app.views"] }))).toEqual(["rich.console", "rich.text", "app.models.user"]);
    // Asked once: a later file that imported them too (before they were preloaded) asks for what is new only.
    expect(follower.next(importing({ rich: ["rich.console", "rich.table"] }))).toEqual(["rich.table"]);
    expect(follower.next(importing({ rich: ["rich.console"] }))).toEqual([]);
  });

  it("leaves test code inside a package, and its __main__, to the files", () => {
    const follower = new PreloadFollower(["pkg"]);
    expect(follower.next(importing({ pkg: ["pkg.__main__", "pkg.tests", "pkg.tests.helpers", "pkg.sub.test_thing", "pkg.conftest", "pkg.io_test", "pkg.testing", "pkg.core"] }))).toEqual(["pkg.testing", "pkg.core"]);
  });
});
