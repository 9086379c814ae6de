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
  // The CommonJS packages bundled (pg, fast-glob, pidtree) require Node's own modules.
  banner: { js: 'import { createRequire as __grimoireRequire } from "node:module"; const require = __grimoireRequire(import.meta.url);' },
  logLevel: "warning",
});
