/**
 * grimoire-run's own memory: the peak resident set of the Node.js process
 * (not of pytest), with few and many workers, on 64 and on 256 files. Per
 * file it should keep a result and little else, so the peak should hardly
 * move with the number of files.
 */
import { fmt, medians, sideBySide, timeGrimoire, writeSuite } from "./lib.mjs";

const CONFIGURATIONS = [
  { workers: 32, files: 64 },
  { workers: 32, files: 256 },
  { workers: 2, files: 64 },
  { workers: 2, files: 256 },
];

function sleepSuite(files) {
  const content = {};
  for (let i = 0; i < files; i++) content[`tests/http/test_sleep_${String(i).padStart(3, "0")}.py`] = "import time\n\n\ndef test_sleep():\n    time.sleep(0.5)\n";
  return writeSuite(`memory-${files}`, content);
}

const key = ({ workers, files }) => `${workers}/${files}`;

export async function memoryScenario({ repetitions }) {
  const roots = new Map([...new Set(CONFIGURATIONS.map((c) => c.files))].map((files) => [files, sleepSuite(files)]));
  const samples = await sideBySide(
    CONFIGURATIONS.map((c) => async () => {
      const run = await timeGrimoire(roots.get(c.files), { workers: c.workers, files: c.files, fresh: true });
      return { [`${key(c)} peak`]: run.peakMiB, [`${key(c)} wall`]: run.seconds };
    }),
    repetitions,
  );
  const m = medians(samples);
  const peak = (workers, files) => m[`${key({ workers, files })} peak`];
  const growth = (workers) => `${(peak(workers, 256) - peak(workers, 64)).toFixed(1)} MiB at ${workers} workers`;
  return {
    title: "Memory",
    intro: `Peak resident memory (VmHWM, sampled every 10 ms) of the grimoire-run (Node.js) process itself, not of the Python processes it starts, on files of one test sleeping 0.5 s. ${repetitions} run(s) of each configuration, alternating.`,
    table: [
      ["workers", "files", "peak RSS (median)", "peak RSS, each run", "wall (median)"],
      ...CONFIGURATIONS.map((c) => [
        String(c.workers),
        String(c.files),
        `${m[`${key(c)} peak`].toFixed(1)} MiB`,
        samples[`${key(c)} peak`].map((s) => s.toFixed(1)).join(", "),
        fmt(m[`${key(c)} wall`]),
      ]),
    ],
    notes: [`256 files rather than 64 (median peaks): ${growth(32)}, ${growth(2)}.`],
  };
}
