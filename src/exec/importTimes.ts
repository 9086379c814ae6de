/**
 * What a run's files spent importing packages the fork server had not
 * imported for them, added up over the files: a package that every file
 * imports for itself, at a cost each time, is one `--preload` imports once.
 * Pure: each file's records in, the packages worth naming out.
 */
import { LEARNED_PRELOAD_MIN_SECONDS, PRELOAD_HINT_MAX_NAMED } from "../defaults.js";
import { worthAHint } from "./hintRules.js";
import type { PackageImport, PackageKind } from "./testRecords.js";
import { compareCodeUnits } from "../projectPaths.js";

export interface CostlyImport {
  name: string;
  kind: PackageKind;
  /** Summed over the files that imported it. */
  seconds: number;
  files: number;
}

export class ImportTally {
  private readonly packages = new Map<string, CostlyImport>();
  private fileSeconds = 0;
  private readonly preloaded: Set<string>;
  private readonly rewritten = new Set<string>();
  /** Packages a file imported a module of after changing os.environ: a preload is not followed into them (PreloadFollower). */
  private readonly afterChange = new Set<string>();

  /**
   * `leftOut`: modules whose packages the hint never names. Those the fork server preloaded (--preload, auto-preload),
   * which a file imports again only where the server refused them or has not followed it yet: naming them would change
   * nothing; and those the server refused (auto-preload's, or a --preload's, in this run or an earlier one:
   * preloadRefusals.ts): a --preload of them would be refused the same way.
   */
  constructor(leftOut: readonly string[] = []) {
    this.preloaded = new Set(leftOut.map(topLevel));
  }

  /**
   * A module whose package the hint no longer names: one the fork server imported during the run (learned from the
   * files: the files before it paid, the rest do not), or one it refused (a --preload of it would be refused the same way).
   */
  leaveOut(module: string): void {
    this.preloaded.add(topLevel(module));
  }

  /** One file's process: what it imported, and how long it ran. */
  add(imports: ReadonlyMap<string, PackageImport>, seconds: number): void {
    this.fileSeconds += seconds;
    for (const [name, entry] of imports) {
      // Preloaded, its asserts would not be rewritten as the file's pytest rewrites them.
      if (entry.rewritten) this.rewritten.add(name);
      // Imported after the file set its environment (Django's modules after pytest-django set DJANGO_SETTINGS_MODULE):
      // the server, without that environment, would import its top module at best (django-ninja's trial: `--preload
      // django,pydantic,ninja` refused ninja, whose import needs the settings, and the files imported django.* as before).
      if (entry.afterChange) this.afterChange.add(name);
      const known = this.packages.get(name) ?? { name, kind: entry.kind, seconds: 0, files: 0 };
      known.seconds += entry.seconds;
      known.files += 1;
      this.packages.set(name, known);
    }
  }

  /**
   * The packages worth preloading, costliest first: imported by more than one
   * file, and adding up to PRELOAD_HINT_MIN_SECONDS and PRELOAD_HINT_MIN_SHARE
   * of the files' time.
   */
  costly(): CostlyImport[] {
    return [...this.packages.values()]
      .filter((entry) => entry.files > 1 && worthAHint(entry.seconds, this.fileSeconds) && !this.preloaded.has(entry.name) && !this.rewritten.has(entry.name) && !this.afterChange.has(entry.name))
      .sort((a, b) => b.seconds - a.seconds || compareCodeUnits(a.name, b.name))
      .slice(0, PRELOAD_HINT_MAX_NAMED);
  }
}

/**
 * Modules named by package, for a notice: a package with one module among them by that module's name, one with more by
 * its name and how many (`cryptography (48 modules)`), in the order their first module came. A follow-up preload can
 * bring hundreds of a package's modules in one request (trio's suite: every cryptography, pylint and astroid module).
 */
export function byPackage(modules: readonly string[]): string {
  const packages = new Map<string, string[]>();
  for (const name of modules) {
    const top = topLevel(name);
    packages.set(top, [...(packages.get(top) ?? []), name]);
  }
  return [...packages].map(([top, names]) => (names.length === 1 ? (names[0] ?? top) : `${top} (${names.length} modules)`)).join(", ");
}

/** How the hint says where a package lives, where that matters to a preload of it. */
const KIND_SAID: Record<CostlyImport["kind"], string> = {
  project: " (the project's own code)",
  elsewhere: " (not installed: an editable install of another folder, or on PYTHONPATH)",
  installed: "",
  stdlib: "",
};

/** The notice that names them, or null when none is worth it. */
export function preloadHint(costly: readonly CostlyImport[], packed = false): string | null {
  if (costly.length === 0) return null;
  // Counted per process: under --pack, a pack's is one, and "files" were processes (as the test database's hint says).
  const processes = packed ? "processes" : "files";
  const each = costly.map((entry) => `${entry.name}${KIND_SAID[entry.kind]}, ${entry.seconds.toFixed(1)} s in all over ${entry.files} ${processes}`);
  const names = costly.map((entry) => entry.name).join(",");
  // A project's own package may need its tests' set-up before it is imported (SQLAlchemy's suite does): a preload then fails tests.
  const notInstalled = costly.some((entry) => entry.kind === "elsewhere") ? "code that is not installed" : costly.some((entry) => entry.kind === "project") ? "the project's own code" : null;
  const own = notInstalled === null ? "" : `; keep a preload of ${notInstalled} only if the tests pass the same with it`;
  return `Imported by each ${packed ? "process" : "file"} for itself: ${each.join("; ")}. --preload ${names} imports ${costly.length === 1 ? "it" : "them"} once for the run${own}; see grimoire-run's docs/performance.md for when a preload is unsafe`;
}

/**
 * A preloaded package (named in --preload, or auto-preloaded for the
 * conftests) is followed into the submodules its files import: a package whose
 * `__init__` imports little of it (rich, django) would otherwise be preloaded
 * to no effect. Each file's record names the package's
 * modules the file still imported itself; those not asked for before are the
 * ones for the fork server to import next, for every file forked after. Test
 * code inside a package (a `tests` package, `test_*` modules, conftests) and
 * its `__main__` (a script, run when imported) are left to the files.
 *
 * With `learn` (auto-preload), an installed package a file imported for itself
 * at a cost (LEARNED_PRELOAD_MIN_SECONDS) is asked for too, and followed from
 * then on: what the test modules import, where auto-preload saw only the
 * conftests'. Never the project's own code. A package any of whose modules a
 * file imported after it changed os.environ (that import may have read what
 * the file set: Django's settings-dependent modules under a test module's
 * `os.environ.setdefault("DJANGO_SETTINGS_MODULE", …)`) or logging's
 * configuration (a `dictConfig` would have disabled its logger), or one pytest
 * rewrote the asserts of a module of (the server's import would not rewrite
 * them), is neither learned nor followed further from then on, a preloaded one
 * included.
 */
export class PreloadFollower {
  private readonly asked = new Set<string>();
  private readonly roots: string[];
  /** Packages a file imported a module of after changing os.environ or logging's configuration, or had pytest rewrite a module of: never followed or learned from then on. */
  private readonly neverPreloaded = new Set<string>();

  /**
   * `roots`: the packages the fork server preloaded (from --preload, and auto-preload's); `refusedBefore`: the modules
   * it refused to preload before the first file, never asked for again (each refusal was said once, not once more
   * when a file imported the module).
   */
  constructor(
    roots: readonly string[],
    private readonly learn = false,
    refusedBefore: readonly string[] = [],
  ) {
    this.roots = [...roots];
    for (const name of refusedBefore) this.asked.add(name);
  }

  /** The modules to preload after a file with these imports: under a root, not test code, not asked for before. */
  next(imports: ReadonlyMap<string, PackageImport>): string[] {
    const wanted: string[] = [];
    // A module the file imported after changing os.environ may read what the file set (or, after a logging configuration,
    // have its logger left alone by it): imported once in the server, every later file would get the server's reading
    // (a preloaded package's submodule as much as a new package).
    for (const [name, entry] of imports) if (entry.afterChange || entry.rewritten) this.neverPreloaded.add(name);
    const followed = (module: string): boolean => !this.neverPreloaded.has(module.split(".")[0] ?? module);
    if (this.learn) {
      for (const [name, entry] of imports) {
        if (entry.kind !== "installed" || !followed(name) || entry.seconds < LEARNED_PRELOAD_MIN_SECONDS || this.asked.has(name) || this.roots.includes(name) || leftToFiles(name)) continue;
        this.asked.add(name);
        this.roots.push(name);
        wanted.push(name);
      }
    }
    for (const entry of imports.values()) {
      for (const name of entry.modules) {
        if (this.asked.has(name) || !followed(name) || !this.roots.some((root) => name.startsWith(`${root}.`)) || leftToFiles(name)) continue;
        this.asked.add(name);
        wanted.push(name);
      }
    }
    return wanted;
  }

  /**
   * The fork server refused these modules: a package among them is followed no
   * further. Each of its modules would import it again, to be refused the same
   * way (IPython in Pygments' own checkout, which imports Pygments, the
   * project's code), while the server forks no file.
   */
  refused(modules: readonly string[]): void {
    for (const name of modules) {
      const index = this.roots.indexOf(name);
      if (index >= 0) this.roots.splice(index, 1);
    }
  }
}

function leftToFiles(module: string): boolean {
  return module.split(".").some((part) => part === "tests" || part === "conftest" || part === "__main__" || part.startsWith("test_") || part.endsWith("_test"));
}

/** The package a module belongs to: `rich` of `rich.table`. */
function topLevel(module: string): string {
  return module.split(".")[0] ?? module;
}
