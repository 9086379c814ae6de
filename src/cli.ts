#!/usr/bin/env node
/**
 * The `grimoire-run` command's entry: the run's first Python starts now
 * (process/earlyPython.ts), while Node.js loads the rest of grimoire-run.
 */
import { startEarlyPython } from "./process/earlyPython.js";

startEarlyPython(process.argv.slice(2), process.env, process.cwd());
await import("./command.js");
