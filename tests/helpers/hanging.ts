/**
 * Test files that hang with a process tree of the hardest kinds to kill:
 * a plain child, one in its own session, and one re-parented to init by a
 * double fork, each carrying a marker in its command line so that a test
 * can look for survivors afterwards.
 */
import fs from "node:fs";
import path from "node:path";
import type { Project } from "./project.js";

/** A grandchild that ignores SIGTERM: only SIGKILL ends it. */
export const IGNORE_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)";
export const HONOUR_TERM = "import time; time.sleep(600)";

/**
 * A test that starts three grandchildren (one in its own group, one in its
 * own session, one re-parented to init by a double fork), says READY, marks
 * itself ready in the sync folder, and hangs.
 */
export function hangingTest(mark: string, sync: string, name: string, grandchild: string): string {
  return `import os, pathlib, subprocess, sys, time

MARK = ${JSON.stringify(mark)}
CHILD = ${JSON.stringify(grandchild)}
DAEMON = "import os, subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]], start_new_session=True); os._exit(0)"

def test_hang():
    subprocess.Popen([sys.executable, "-c", CHILD, MARK])
    subprocess.Popen([sys.executable, "-c", CHILD, MARK], start_new_session=True)
    subprocess.run([sys.executable, "-c", DAEMON, CHILD, MARK], check=True)
    pathlib.Path(${JSON.stringify(sync)}, ${JSON.stringify(name)}).touch()
    print("READY", flush=True)
    time.sleep(600)
`;
}

/** `count` hanging files in tests/e2e of a new project, plus `extra` files; `sync` is the folder they mark themselves ready in. */
export function hangingProject(make: (files: Record<string, string>) => Project, mark: string, count: number, grandchild: string, extra: Record<string, string> = {}): { p: Project; sync: string } {
  const p = make({});
  const sync = path.join(p.root, "sync");
  fs.mkdirSync(sync);
  for (let i = 0; i < count; i++) p.write(`tests/e2e/test_hang_${i}.py`, hangingTest(mark, sync, `hang-${i}`, grandchild));
  for (const [file, content] of Object.entries(extra)) p.write(file, content);
  return { p, sync };
}
