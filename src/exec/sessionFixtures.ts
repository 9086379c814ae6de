/**
 * What the files of a parallel run set up once per session, each for itself:
 * a session-scoped fixture runs once in one plain pytest session, and once in
 * every file's process here. Playwright's (its driver, a browser) is what
 * --browser-server shares; the rest is what --pack shares, at the price of
 * files sharing a process. pytest-django's own are its tally's
 * (djangoDatabases.ts). Pure: each file's fixtures in, the hints out.
 */
import { plural, shellQuote } from "../format.js";
import { earlyPace, packSpares, worthAHint } from "./hintRules.js";
import type { SessionFixture } from "./testRecords.js";

/** Fixtures named in a hint, the costliest first. */
const NAMED = 3;

/** A file whose session fixtures took at least this share of its time is one a pack speeds up. */
const PACK_WORTH_SHARE = 0.1;

/** The module pytest-playwright's fixtures live in: its `browser` connects to a browser server by itself. */
const PYTEST_PLAYWRIGHT = "pytest_playwright";

interface Share {
  seconds: number;
  /** Of those, the fixtures' teardowns, at their sessions' ends. */
  teardown: number;
  files: number;
  /** The summed time of those files. */
  fileSeconds: number;
  /** The longest of those files, in seconds. */
  longest: number;
  /** Seconds and files by fixture (`name of where`). */
  byFixture: Map<string, { seconds: number; files: number }>;
}

function emptyShare(): Share {
  return { seconds: 0, teardown: 0, files: 0, fileSeconds: 0, longest: 0, byFixture: new Map() };
}

export class SessionFixtureTally {
  private readonly browser = emptyShare();
  private readonly other = emptyShare();
  private readonly engines = new Set<string>();
  /** Browsers the tests launched from a path of their own (launch(executable_path=...)): the served one must be that too. */
  private readonly executables = new Set<string>();
  /** A fixture not pytest-playwright's made a Playwright object: a conftest's own, which must read the endpoint itself. */
  private handWritten = false;
  private fileSeconds = 0;
  private seen = 0;
  private warned = false;

  /**
   * `workers`: how many files run at once; `served`: the run has --browser-server (its browser hint is moot);
   * `packing`: the run has --pack (its pack hint is); `planned`: the run's files, for the notice during it.
   */
  constructor(
    private readonly workers: number,
    private readonly served: boolean,
    private readonly packing: boolean,
    private readonly planned = 0,
  ) {}

  /** One file's own process: the session fixtures its first test set up, and how long the process ran. */
  add(fixtures: readonly SessionFixture[], fileSeconds: number): void {
    this.seen += 1;
    this.fileSeconds += fileSeconds;
    const browser = fixtures.filter((fixture) => fixture.playwright);
    const other = fixtures.filter((fixture) => !fixture.playwright);
    addTo(this.browser, browser, fileSeconds);
    addTo(this.other, other, fileSeconds);
    for (const fixture of browser) {
      if (fixture.browser !== null) this.engines.add(fixture.browser);
      if (fixture.executable !== null) this.executables.add(fixture.executable);
      if (!fixture.where.startsWith(PYTEST_PLAYWRIGHT)) this.handWritten = true;
    }
  }

  /**
   * The run's end's notices: the browser's (--browser-server), then the rest's (--pack, unless `packNamed`: another
   * hint names it already); empty when neither is worth one.
   */
  hints(packNamed = false): string[] {
    const said: string[] = [];
    if (this.browserPays()) said.push(this.browserHint());
    if (!packNamed && this.namesPack()) said.push(this.packHint());
    return said;
  }

  /**
   * Said once during the run, as soon as its first files show that setting the session fixtures up in each file will
   * cost the rest of the run a minute or more (as pytest-django's in-memory database's notice: a container or a schema
   * per file over hundreds of files is the end of the run's hint only after it).
   */
  early(): string | null {
    if (this.warned || this.packing) return null;
    const pace = earlyPace(this.other, this.planned, this.seen, this.workers);
    if (pace === null) return null;
    this.warned = true;
    const { seconds, files, fileSeconds, longest } = this.other;
    const under = this.packUnder();
    return (
      `Session-scoped fixtures are being set up by each file's process for itself: ${seconds.toFixed(1)} s over the first ${plural(files, "file")} that set them up (of their ${fileSeconds.toFixed(1)} s; ${namedFixtures(this.other)}); ` +
      `at that pace they add about ${pace.more.toFixed(0)} s more to the run over the ${plural(pace.left, "file")} left (${this.workers} at a time). Files that share a process set them up once: ` +
      `stop the run (Ctrl-C) and start it with --pack --pack-under ${under} (these took up to ${longest.toFixed(1)} s), or let it go on: its end says it again, from every file's figures`
    );
  }

  /** Whether the run's end names --pack for the session fixtures: the quick files' hint, which names it too, is then not said. */
  namesPack(): boolean {
    const { files, seconds, longest } = this.other;
    // No file whose fixtures took a tenth of its time: none a pack would speed up much, nor a --pack-under to name.
    if (this.packing || longest === 0) return false;
    const spared = packSpares(seconds, files, this.workers);
    return spared > 0 && worthAHint(spared, this.fileSeconds);
  }

  /** A browser server serves each pair of worker slots: what they save is every launch but theirs (a file's connection costs little beside a launch). */
  private browserPays(): boolean {
    const { files, seconds } = this.browser;
    return !this.served && files > this.browserServers() && worthAHint(seconds * (1 - this.browserServers() / files), this.fileSeconds);
  }

  private browserServers(): number {
    return Math.ceil(this.workers / 2);
  }

  private browserHint(): string {
    const { files, seconds } = this.browser;
    const engine = this.engines.size === 1 ? [...this.engines][0] : "chromium";
    // Playwright's own build of the browser may not be installed where the tests launch another (/usr/bin/chromium): the
    // option as the hint gives it then failed to start the served browser (exit 3), where it names the tests' own.
    const executable = this.executables.size === 1 ? ` --browser-executable ${shellQuote([...this.executables][0] ?? "")}` : "";
    const connect = this.handWritten
      ? `; a conftest's own fixture connects to it with playwright.${engine}.connect(os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"]) where that variable is set, and launches as before where it is not`
      : "";
    return (
      `${plural(files, "file")} each started Playwright and a browser in ${files === 1 ? "its" : "their"} own process: ${seconds.toFixed(1)} s in all${tornDown(this.browser)} (session fixtures: ${namedFixtures(this.browser)}), where one plain pytest session starts them once. ` +
      `--browser-server ${engine}${executable} starts ${this.browserServers() === 1 ? "one browser for the run" : `a browser for each pair of worker slots (${this.browserServers()} here)`}, which every file's tests connect to, each test in a fresh context as before${connect}; see grimoire-run's docs/playwright.md`
    );
  }

  /** A --pack-under every file the fixtures cost a tenth of its time or more is under. */
  private packUnder(): number {
    return Math.floor(this.other.longest) + 1;
  }

  private packHint(): string {
    const { files, seconds, longest } = this.other;
    const under = this.packUnder();
    return (
      `${plural(files, "file")} each set up session-scoped fixtures in ${files === 1 ? "its" : "their"} own process: ${seconds.toFixed(1)} s in all${tornDown(this.other)} (${namedFixtures(this.other)}), where one plain pytest session sets them up once. ` +
      `Files that share a process share them: --pack --pack-under ${under} runs the files under ${under} s (these took up to ${longest.toFixed(1)} s) in shared processes, a worker's share at a time, each still reported on its own; ` +
      "files in a pack share module state, so keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md"
    );
  }
}

function addTo(share: Share, fixtures: readonly SessionFixture[], fileSeconds: number): void {
  if (fixtures.length === 0) return;
  share.files += 1;
  share.fileSeconds += fileSeconds;
  // The --pack-under named is that of the files the fixtures cost much of their time: a long file that set up a quick
  // one gains nothing from a pack, and would make every file under it one.
  if (fixtures.reduce((sum, fixture) => sum + fixture.seconds, 0) >= PACK_WORTH_SHARE * fileSeconds) share.longest = Math.max(share.longest, fileSeconds);
  for (const fixture of fixtures) {
    share.seconds += fixture.seconds;
    share.teardown += fixture.teardownSeconds;
    const label = fixture.where === "" ? fixture.name : `${fixture.name} of ${fixture.where}`;
    const known = share.byFixture.get(label) ?? { seconds: 0, files: 0 };
    share.byFixture.set(label, { seconds: known.seconds + fixture.seconds, files: known.files + 1 });
  }
}

/** How much of a share's time went to the fixtures' teardowns, where any did (a server that takes half a second to stop). */
function tornDown(share: Share): string {
  return share.teardown >= 0.05 ? `, ${share.teardown.toFixed(1)} s of it their teardown at the session's end` : "";
}

/** The costliest fixtures, each with its time a file: `db of tests/conftest.py, 2.9 s a file`. */
function namedFixtures(share: Share): string {
  // A fixture of one file's is said as such: "22.2 s a file" beside "25.5 s in all" over 9 files read as 4 files' (datasette's trial).
  const each = (seconds: number, files: number): string => (files === 1 ? `${seconds.toFixed(1)} s in 1 file` : `${(seconds / files).toFixed(1)} s a file`);
  const named = [...share.byFixture].sort((a, b) => b[1].seconds - a[1].seconds).map(([label, { seconds, files }]) => `${label}, ${each(seconds, files)}`);
  return named.length > NAMED ? `${named.slice(0, NAMED).join("; ")}; and ${named.length - NAMED} more` : named.join("; ");
}
