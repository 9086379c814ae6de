/**
 * `npm run build`: src/ bundled into dist/ by esbuild, one file per program
 * plus the chunks they share. Every run starts with Node.js loading
 * grimoire-run's modules before it can start the fork server; one bundle
 * spares it resolving and reading a hundred-odd files and their packages'
 * (about 0.1 s of every run's start on a 2-core machine: see
 * docs/performance.md). Types are checked by `npm run typecheck`, not here.
 */
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";

const ENTRY_POINTS = [
  // The programs grimoire-run is: the command, and the processes it starts with Node.js.
  "src/cli.ts",
  "src/process/watchdogProcess.ts",
  "src/browsers/browserServerProcess.ts",
  // Modules bench/importGraphProbe.mjs measures on their own.
  "src/changes/importGraph.ts",
  "src/changes/importScan.ts",
  "src/plan/changed.ts",
];

/**
 * string-width (yargs', cliui's and wrap-ansi's, for help text; ora's, for the spinner) compiles
 * a handful of Unicode regular expressions and an Intl.Segmenter when it is imported: about 50 ms
 * of every run's start on a 2-core machine, before the fork server can start, for text a run
 * seldom measures. Each import of it gets a stand-in that answers for printable ASCII (a length)
 * and loads the real one, the version its importer would have had, the first time anything else
 * is measured.
 */
const lazyStringWidth = {
  name: "lazy-string-width",
  setup(builder) {
    builder.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === "real") return undefined;
      const real = await builder.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "real" });
      return real.errors.length > 0 ? { errors: real.errors } : { path: real.path, namespace: "lazy-string-width" };
    });
    builder.onLoad({ filter: /.*/, namespace: "lazy-string-width" }, (args) => ({
      resolveDir: path.dirname(args.path),
      contents: `const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;
let real = null;
export default function stringWidth(string, options) {
  if (typeof string === "string" && PRINTABLE_ASCII.test(string)) return string.length;
  real ??= require(${JSON.stringify(args.path)}).default;
  return real(string, options);
}
`,
    }));
  },
};

fs.rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: ENTRY_POINTS,
  outdir: "dist",
  outbase: "src",
  bundle: true,
  // Modules loaded only by the runs that need them (merge-reports, --changed, the JUnit merge, a database) stay in chunks of their own.
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // pg's optional native driver is not installed, and not used.
  external: ["pg-native"],
  plugins: [lazyStringWidth],
  // The CommonJS packages bundled (pg, fast-glob, pidtree) require Node's own modules.
  banner: { js: 'import { createRequire as __grimoireRequire } from "node:module"; const require = __grimoireRequire(import.meta.url);' },
  logLevel: "warning",
});

/**
 * grimoire-run's Python modules (python/), copied into dist/site-packages/, the folder every Python it starts imports
 * them from (src/packageFiles.ts's PYTHON_DIR). Tools that tell a project's own code from a library's by its path take
 * a folder named site-packages for a library's: Hypothesis draws the literals of the project's own modules (its "local
 * constants") into the examples it generates, and drew grimoire-run's too, so that a seeded or derandomized test saw
 * other examples under grimoire-run than under plain pytest (time-machine's suite: a failure plain pytest never
 * found with the same seed). These modules are tooling beside pytest, not the project's.
 */
const SITE_PACKAGES = path.join("dist", "site-packages");
fs.mkdirSync(SITE_PACKAGES, { recursive: true });
for (const name of fs.readdirSync("python")) {
  if (name.endsWith(".py") || name.endsWith(".json")) fs.copyFileSync(path.join("python", name), path.join(SITE_PACKAGES, name));
}
