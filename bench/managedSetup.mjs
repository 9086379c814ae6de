/**
 * Managed mode with a server that is slow to become ready: each slot
 * prepares its next file's server while the current file runs, so that the
 * start-up is off the critical path.
 */
import { benchEnv, medians, ratioRow, sideBySide, timed, timeGrimoire, timingTable, writeSuite } from "./lib.mjs";

const FILES = 12;
const WORKERS = 3;
const READY_AFTER_SECONDS = 1.5;

const APP = `import os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

def seconds_since_started():
    """Since grimoire-run started the server: its /bin/sh, which forked this Python, or this Python if it was exec'd."""
    parent = os.getppid()
    with open(f"/proc/{parent}/comm") as comm:
        pid = parent if comm.read().strip() in ("sh", "dash", "bash") else os.getpid()
    with open(f"/proc/{pid}/stat") as stat:
        started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")

# Ready the given seconds after it was started, however long its Python took to start.
time.sleep(max(0.0, float(sys.argv[1]) - seconds_since_started()))
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

/** About a second of work against the file's own server. */
const TEST = `import os, time, urllib.request

def test_uses_its_server():
    for _ in range(10):
        assert urllib.request.urlopen(os.environ["E2E_BASE_URL"]).read() == b"ok"
        time.sleep(0.1)
`;

export async function managedSetupScenario({ repetitions }) {
  const files = { "app.py": APP };
  for (let i = 0; i < FILES; i++) files[`tests/http/test_${String(i).padStart(2, "0")}.py`] = TEST;
  const root = writeSuite("managed-setup", files);
  const run = (readyAfter) => timeGrimoire(root, { workers: WORKERS, files: FILES, env: benchEnv(), extra: ["--server", `python3 app.py ${readyAfter}`] });
  const SLOW = `server ready after ${READY_AFTER_SECONDS} s`;
  const INSTANT = "server ready at once";
  const FIRST = "first file started, server ready at once";
  const samples = await sideBySide(
    [
      timed(SLOW, async () => (await run(READY_AFTER_SECONDS)).seconds),
      async () => {
        const instant = await run(0);
        return { [INSTANT]: instant.seconds, [FIRST]: Math.min(...instant.report.files.map((f) => f.startSeconds)) };
      },
    ],
    repetitions,
  );
  const m = medians(samples);
  // No slot's first file can start before its server is ready, READY_AFTER_SECONDS after it was started, and no server
  // starts before the run has read its options (the zero of the report's startSeconds): of that time, whatever the
  // ready-at-once run did before its first file is hidden, and the slow run waits the rest on top.
  const floor = (m[INSTANT] + Math.max(0, READY_AFTER_SECONDS - m[FIRST])) / m[INSTANT];
  return {
    title: "Managed servers slow to start",
    intro: `${FILES} files of about a second each, each with its own app server (\`--server\`), ${WORKERS} workers; the server listens that long after grimoire-run started it (it sleeps what is left once its Python has started, which takes 0.15 s here and up to 0.6 s while the run starts up). ${repetitions} run(s) of each, alternating.`,
    table: timingTable(samples, [SLOW, INSTANT]),
    ratios: [
      ["ratio of medians", "value", "target"],
      ratioRow(`${SLOW} / ${INSTANT}`, m[SLOW], m[INSTANT], 1.12),
      ["the least a run could reach that starts its servers once it has read its options (see below)", `${floor.toFixed(2)}×`, ""],
    ],
    notes: [
      `The ready-at-once run started its first file ${m[FIRST].toFixed(2)} s after the run had read its options (median of the JSON report's earliest startSeconds). A server that listens ${READY_AFTER_SECONDS} s after it was started answers no sooner, and it cannot be started before the run knows its --server: each slot's first file waits at least the ${Math.max(0, READY_AFTER_SECONDS - m[FIRST]).toFixed(2)} s between, however far ahead the later servers are prepared. Hence the least ratio above: a target below it cannot be met here (it is worked out from medians of different runs, so a measured ratio can come out a hair below it).`,
      `Each slot's first server starts with the run, while the fork server starts and pytest lists the files; its second once the files are listed (not at once, so as not to take the CPU the first ones need to start); each slot then starts its next files' servers while its current file runs, as many ahead as the run has measured it needs. Only the first files wait, for what is left of the ${READY_AFTER_SECONDS} s once the run has started.`,
    ],
  };
}
