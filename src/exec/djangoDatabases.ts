/**
 * What the files of a parallel run spent creating and migrating pytest-django's
 * test database, each for itself: without `--reuse-db`, every file's session
 * makes its slot's database and drops it at its end, where an xdist worker
 * makes one for all its tests. Pure: each file's seconds in, the hint out.
 */
import { plural } from "../format.js";
import { earlyPace, packSpares, worthAHint } from "./hintRules.js";

/** What one process's records say of the test databases its session made. */
export interface DatabasesMade {
  /** Seconds spent on databases --reuse-db could keep; null when it made none. */
  kept: number | null;
  /** Seconds spent on databases that were all SQLite in memory; null when it made none. */
  memory: number | null;
}

export class DjangoDatabaseTally {
  private kept = { seconds: 0, files: 0 };
  /** `fileSeconds`: the time of the files that made one. */
  private memory = { seconds: 0, files: 0, longest: 0, fileSeconds: 0 };
  private fileSeconds = 0;
  private seen = 0;
  private warned = false;

  /**
   * `planned`: the run's files (its processes); `workers`: how many run at once. Zero planned: no notice during the run.
   * `packed`: a --pack run, whose processes are packs as well as files, and said so (a helper's trial of channels read
   * "by each file for itself … over 2 files" of a run whose 10 files shared 2 processes).
   */
  constructor(
    private readonly planned = 0,
    private readonly workers = 1,
    private readonly packed = false,
  ) {}

  /** What each process is, as the hints name it: a file, or under --pack a file or a pack. */
  private get unit(): string {
    return this.packed ? "process" : "file";
  }

  /** `count` of them, in those words. */
  private units(count: number): string {
    return this.packed ? plural(count, "process", "processes") : plural(count, "file");
  }

  /** One file's process: what its `django_db_setup` took, and how long the process ran. */
  add(made: DatabasesMade, fileSeconds: number): void {
    this.seen += 1;
    this.fileSeconds += fileSeconds;
    if (made.kept !== null) {
      this.kept.seconds += made.kept;
      this.kept.files += 1;
    } else if (made.memory !== null) {
      this.memory.seconds += made.memory;
      this.memory.files += 1;
      this.memory.fileSeconds += fileSeconds;
      this.memory.longest = Math.max(this.memory.longest, fileSeconds);
    }
  }

  /** The notice that names the cost and the option that takes it away, or null when it is not worth one (as the preload hint judges). */
  hint(): string | null {
    if (this.worthSaying(this.kept)) {
      return (
        `pytest-django's test database was created and migrated by each ${this.unit} for itself: ${this.kept.seconds.toFixed(1)} s in all over ${this.units(this.kept.files)}. ` +
        "pytest-django's --reuse-db (after --) keeps one per worker slot, for the run and the next, where no transaction=True or live_server test empties rows the migrations made (the slot's next file would find them gone); see grimoire-run's docs/test-environment.md"
      );
    }
    if (!this.packPays()) return null;
    const under = this.packUnder();
    return (
      `pytest-django's test database, SQLite in memory, was created and migrated by each ${this.unit} for itself: ${this.memory.seconds.toFixed(1)} s in all over ${this.units(this.memory.files)}, ` +
      `and each ${this.packed ? "process" : "file's process"} also set Django up and built anew what its first requests build (--reuse-db keeps no database in memory). ` +
      `Files that share a process share all of it, as in one plain pytest session: --pack --pack-under ${under} runs the files under ${under} s (these took up to ${this.memory.longest.toFixed(1)} s) in shared processes, a worker's share at a time, each still reported on its own; ` +
      "files in a pack share module state, so keep it only if the tests pass the same with it; see grimoire-run's docs/performance.md"
    );
  }

  /**
   * Said once during the run, as soon as its first files show that making the in-memory database for each file will
   * cost the rest of the run a minute or more: django-oscar's 60 files spent 25 s each on it, and the run's end, which
   * named --pack, came after 15 minutes (a helper's trial; the packed run took 113 s).
   */
  early(): string | null {
    const { seconds, files, longest, fileSeconds } = this.memory;
    const pace = this.warned ? null : earlyPace(this.memory, this.planned, this.seen, this.workers);
    if (pace === null) return null;
    const { more, left } = pace;
    this.warned = true;
    const under = this.packUnder();
    return (
      `pytest-django's test database, SQLite in memory, is being created and migrated by each file for itself: ${seconds.toFixed(1)} s over the first ${plural(files, "file")} that made one (of their ${fileSeconds.toFixed(1)} s); ` +
      `at that pace it adds about ${more.toFixed(0)} s more to the run over the ${plural(left, "file")} left (${this.workers} at a time). Files that share a process make it once: ` +
      `stop the run (Ctrl-C) and start it with --pack --pack-under ${under} (these took up to ${longest.toFixed(1)} s), or let it go on: its end says it again, from every file's figures`
    );
  }

  /** Whether the run's end names --pack (the in-memory database's hint): the quick files' hint, which names it too, is then not said. */
  namesPack(): boolean {
    return !this.worthSaying(this.kept) && this.packPays();
  }

  /**
   * Packing pays where several files share each worker's process: a pack makes the in-memory database once per
   * worker's share, so what it saves is the files' database time beyond one file per worker. Until 2026-12-06 the
   * hint needed 20 files: django-taggit's 8 and django-filter's 13 ran 2.4 and 1.5 times plain pytest's time at 2
   * workers without a word (a helper's trial), where --pack matched plain pytest.
   */
  private packPays(): boolean {
    const { files, seconds } = this.memory;
    const spared = packSpares(seconds, files, this.workers);
    return spared > 0 && this.worthSaying({ files, seconds: spared });
  }

  /** A --pack-under every file that made an in-memory database so far is under: a worker's share of them runs in one process, which makes it once. */
  private packUnder(): number {
    return Math.floor(this.memory.longest) + 1;
  }

  private worthSaying(tally: { seconds: number; files: number }): boolean {
    return tally.files >= 2 && worthAHint(tally.seconds, this.fileSeconds);
  }
}
