/**
 * The project's code a managed server runs (`--server`): the tests reach it over HTTP, not by import, so --changed
 * found no test depending on a change to the app, ran nothing and passed (a helper's Flask project: its `notesapp/app.py`
 * edited, `--server "python -m notesapp --port {port}"`). The server command names its entry the way Python servers
 * are started; what that entry imports, and every module of its package, is the server's code. Pure.
 */
import { parentOf, reachable, type ImportGraph } from "./importGraph.js";

/**
 * Modules or files a server command starts from: `python -m pkg`, `pkg/app.py` or `manage.py`, uvicorn's and
 * gunicorn's `pkg.main:app` (or `'pkg:create_app()'`), flask's `--app pkg`.
 */
export function serverEntries(command: string): { modules: string[]; files: string[] } {
  const words = command.split(/\s+/).map((word) => word.replace(/^['"]|['"]$/g, "")).filter((word) => word !== "");
  const modules: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const next = words[i + 1];
    if ((word === "-m" || word === "--app" || word === "-A") && next !== undefined) {
      modules.push((next.split(":")[0] as string).replace(/\(.*$/, ""));
      i++;
    } else if (word.startsWith("--app=")) modules.push(word.slice("--app=".length).split(":")[0] as string);
    else if (word.endsWith(".py") && !word.startsWith("-")) files.push(word.replace(/^\.\//, ""));
    else if (/^[A-Za-z_][\w.]*:[A-Za-z_][\w]*(\(.*\))?$/.test(word)) modules.push(word.split(":")[0] as string);
  }
  return { modules, files };
}

/**
 * The project files the server runs: its entries resolved among the graph's files (a module as `pkg/mod.py` or
 * `pkg/mod/__init__.py`, at the project's root or under src/), every file they import, and every Python file of the
 * entry's top-level package (a blueprint or app the package loads by name). Empty where the command names none of the
 * project's.
 */
export function serverCode(command: string, graph: ImportGraph, read: (file: string) => string | null = () => null): Set<string> {
  const { modules, files } = serverEntries(command);
  const candidates = [...files, ...modules.flatMap((module) => {
    const asPath = module.replaceAll(".", "/");
    return ["", "src/"].flatMap((root) => [`${root}${asPath}.py`, `${root}${asPath}/__init__.py`]);
  })];
  const entries = candidates.filter((file) => graph.files.has(file));
  // Django's manage.py reaches the project by names (its settings module, INSTALLED_APPS, ROOT_URLCONF), no import
  // shows: a runserver serves the whole project, every module of it but the tests (a helper's Django project: a view
  // edited, nothing ran and the run passed).
  if (entries.some((file) => read(file)?.includes("DJANGO_SETTINGS_MODULE") === true)) return new Set([...graph.files].filter((file) => !isTestModule(file)));
  const packages = new Set(entries.map(topLevelPackage).filter((folder): folder is string => folder !== null));
  const inPackages = [...graph.files].filter((file) => [...packages].some((folder) => file.startsWith(`${folder}/`)));
  return reachable([...entries, ...inPackages], (file) => graph.imports.get(file));
}

/** A test module or a conftest, or a file in a test folder: the tests', not the server's. */
function isTestModule(file: string): boolean {
  const name = file.slice(file.lastIndexOf("/") + 1);
  return /(^|\/)tests?\//.test(file) || /^(test_.*|.*_test|conftest)\.py$/.test(name);
}

/** The top-level package folder a file is in (`notesapp` of notesapp/app.py, `src/notesapp` under src/), or null at the root. */
function topLevelPackage(file: string): string | null {
  const parts = parentOf(file).split("/").filter((part) => part !== "");
  if (parts.length === 0) return null;
  return parts[0] === "src" ? (parts.length > 1 ? `src/${parts[1] as string}` : null) : (parts[0] as string);
}
