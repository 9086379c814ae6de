/**
 * Which of the project's own files each Python file imports: the imports
 * pythonImports.ts read, resolved the way Python's path finder would against
 * the project's import roots (the folders on `sys.path` that lie inside the
 * project). An import that resolves to no project file (the standard
 * library, an installed package) leaves no edge. Pure: file names and
 * imports in, edges out; it never reads a file.
 */
import type { ImportRef } from "./pythonImports.js";

export interface ImportGraph {
  /** Every Python file the graph knows of, project paths (deleted ones included, so that their importers can be found). */
  files: ReadonlySet<string>;
  /** For each file, the project files importing it executes: the module, and the `__init__.py` of each package on the way. Sorted. */
  imports: ReadonlyMap<string, readonly string[]>;
}

export interface GraphInput {
  /** Each Python file of the project (project paths) with its imports. */
  modules: ReadonlyMap<string, readonly ImportRef[]>;
  /** Files that no longer exist but did at the compared revision: imports of them still resolve, so their importers are known. */
  deleted: readonly string[];
  /** Project folders on `sys.path`, in order ("" for the project root). Each file's own folder of top-level modules is tried first. */
  roots: readonly string[];
  /**
   * Edges resolved before, for the same files, deleted files and roots (the
   * same `graphKey`), of files whose imports have not changed since: they are
   * taken as they are, since nothing else decides where an import leads.
   */
  known?: ReadonlyMap<string, readonly string[]>;
}

export function buildImportGraph(input: GraphInput): ImportGraph {
  const files = new Set<string>([...input.modules.keys(), ...input.deleted]);
  let finder: Finder | null = null;
  const imports = new Map<string, readonly string[]>();
  for (const [file, refs] of input.modules) {
    const known = input.known?.get(file);
    if (known !== undefined) {
      imports.set(file, known);
      continue;
    }
    finder ??= new Finder(files, foldersOf(files));
    const base = baseFolder(file, files);
    const roots = [base, ...input.roots.filter((root) => root !== base)];
    const found = new Set<string>();
    for (const ref of refs) for (const target of finder.resolve(file, ref, roots)) if (target !== file) found.add(target);
    // A Cython module is compiled with its declarations (`mod.pxd` beside `mod.pyx`): a change to them changes it.
    const declarations = file.endsWith(".pyx") ? `${file.slice(0, -".pyx".length)}.pxd` : null;
    if (declarations !== null && files.has(declarations)) found.add(declarations);
    imports.set(file, [...found].sort());
  }
  return { files, imports };
}

/** Every file reached from `starts` by following `next` (the files one imports, or those importing it), the starts included. */
export function reachable(starts: Iterable<string>, next: (file: string) => readonly string[] | undefined): Set<string> {
  const seen = new Set(starts);
  const queue = [...seen];
  for (let head = 0; head < queue.length; head++) {
    for (const to of next(queue[head] as string) ?? []) {
      if (seen.has(to)) continue;
      seen.add(to);
      queue.push(to);
    }
  }
  return seen;
}

/** What resolving an import depends on besides the import itself: which files exist (or did), and the roots. */
export function graphKey(input: { files: Iterable<string>; deleted: readonly string[]; roots: readonly string[] }): string {
  return JSON.stringify([input.roots, [...input.files].sort(), [...input.deleted].sort()]);
}

/**
 * The folder a file's package tree hangs from: its own folder, or the first
 * folder above it without an `__init__.py`. pytest's default import mode puts
 * that folder on `sys.path` for a test module or a conftest, and a script
 * finds its neighbours there.
 */
export function baseFolder(file: string, files: ReadonlySet<string>): string {
  let folder = parentOf(file);
  while (folder !== "" && files.has(join(folder, "__init__.py"))) folder = parentOf(folder);
  return folder;
}

/**
 * The import roots inside the project: its root (`python -m pytest` puts the
 * working folder first), the folders of `sys.path` the pytest session had
 * (`pythonpath`, folders of conftests) that lie inside the project, and
 * `src` (a src layout, installed in editable mode).
 */
export function importRoots(sysPath: readonly string[], hasSrc: boolean): string[] {
  const roots = ["", ...sysPath];
  if (hasSrc) roots.push("src");
  return [...new Set(roots)];
}

class Finder {
  private readonly cache = new Map<string, string[]>();

  constructor(
    private readonly files: ReadonlySet<string>,
    private readonly folders: ReadonlySet<string>,
  ) {}

  resolve(importer: string, ref: ImportRef, roots: readonly string[]): string[] {
    const key = ref.level > 0 ? `${parentOf(importer)}\0${ref.level}\0${ref.module}\0${ref.names.join(",")}` : `${roots[0] ?? ""}\0${ref.module}\0${ref.names.join(",")}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found = this.locateRef(importer, ref, roots);
      this.cache.set(key, found);
    }
    return found;
  }

  private locateRef(importer: string, ref: ImportRef, roots: readonly string[]): string[] {
    const parts = ref.module === "" ? [] : ref.module.split(".");
    let start: Located | null;
    if (ref.level > 0) {
      // Each extra dot is one package up, never above the importer's top-level package.
      const outside = baseFolder(importer, this.files);
      let folder = parentOf(importer);
      for (let up = 1; up < ref.level; up++) {
        if (folder === outside) return [];
        folder = parentOf(folder);
      }
      if (folder === outside && ref.level > 1) return [];
      const init = join(folder, "__init__.py");
      start = { files: this.files.has(init) ? [init] : [], folders: [folder] };
      start = this.descend(start, parts);
    } else {
      start = this.topLevel(parts[0] as string, roots);
      if (start !== null) start = this.descend(start, parts.slice(1));
    }
    if (start === null) return [];
    const files = [...start.files];
    // `from package import name`: name may be a submodule, which the import then runs too.
    for (const name of ref.names) {
      const sub = this.step(start.folders, name);
      if (sub !== null) files.push(...sub.files);
    }
    return files;
  }

  /** A top-level name: the first root holding it as a module or regular package wins; else every namespace portion. */
  private topLevel(name: string, roots: readonly string[]): Located | null {
    const portions: string[] = [];
    for (const root of roots) {
      const found = this.step([root], name);
      if (found === null) continue;
      if (found.files.length > 0) return found;
      portions.push(...found.folders);
    }
    return portions.length === 0 ? null : { files: [], folders: portions };
  }

  /** Down the dotted name; a part that is no module stops the walk there (it is an attribute of what was found). */
  private descend(start: Located, parts: readonly string[]): Located {
    let at = start;
    for (const part of parts) {
      const next = this.step(at.folders, part);
      if (next === null) return at;
      at = { files: [...at.files, ...next.files], folders: next.folders };
    }
    return at;
  }

  /** `name` inside one of the folders: a regular package, a module, or namespace portions. */
  private step(folders: readonly string[], name: string): Located | null {
    const portions: string[] = [];
    for (const folder of folders) {
      const dir = join(folder, name);
      const init = join(dir, "__init__.py");
      if (this.files.has(init)) return { files: [init], folders: [dir] };
      // A Cython or C module, built into an extension module of the same name (yarl's _quoting_c.pyx, markupsafe's
      // _speedups.c): its source is what an edit changes (a change to it ran no test before, two helpers' trials).
      // Beside a `.py` of the name, the built one is imported first where it is built: either may be what runs.
      const found = [`${dir}.py`, `${dir}.pyx`, `${dir}.c`, `${dir}.cpp`].filter((file) => this.files.has(file));
      if (found.length > 0) return { files: found, folders: [] };
      if (this.folders.has(dir)) portions.push(dir);
    }
    return portions.length === 0 ? null : { files: [], folders: portions };
  }
}

interface Located {
  /** Files the import runs: package `__init__.py` files on the way, then the module. */
  files: string[];
  /** Where submodules of what was found would be. */
  folders: string[];
}

function foldersOf(files: Iterable<string>): Set<string> {
  const folders = new Set<string>();
  for (const file of files) {
    let folder = parentOf(file);
    while (folder !== "" && !folders.has(folder)) {
      folders.add(folder);
      folder = parentOf(folder);
    }
  }
  return folders;
}

export function parentOf(file: string): string {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? "" : file.slice(0, slash);
}

export function join(folder: string, name: string): string {
  return folder === "" ? name : `${folder}/${name}`;
}
