/**
 * grimoire-run's own folder in the project (`.grimoire/`): logs, history,
 * the import cache. Made on first use with a `.gitignore` that keeps all of
 * it out of version control (and out of what `--changed` sees as changed).
 */
import fs from "node:fs";
import path from "node:path";
import { STATE_DIR } from "./defaults.js";

/** The folder, made if missing, with its `.gitignore`. */
export function stateDir(root: string): string {
  const dir = path.join(root, STATE_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const ignore = path.join(dir, ".gitignore");
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, "# grimoire-run's logs and state: safe to delete, not for version control.\n*\n");
  return dir;
}
