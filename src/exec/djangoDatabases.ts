/**
 * What the files of a parallel run spent creating and migrating pytest-django's
 * test database, each for itself: without `--reuse-db`, every file's session
 * makes its slot's database and drops it at its end, where an xdist worker
 * makes one for all its tests. Pure: each file's seconds in, the hint out.
 */
import { PRELOAD_HINT_MIN_SECONDS, PRELOAD_HINT_MIN_SHARE } from "../defaults.js";
import { plural } from "../format.js";

export class DjangoDatabaseTally {
  private seconds = 0;
  private files = 0;
  private fileSeconds = 0;

  /** One file's process: the seconds its `django_db_setup` took (null when it ran none), and how long the process ran. */
  add(databaseSeconds: number | null, fileSeconds: number): void {
    this.fileSeconds += fileSeconds;
    if (databaseSeconds === null) return;
    this.seconds += databaseSeconds;
    this.files += 1;
  }

  /** The notice that names the cost and the option that takes it away, or null when it is not worth one (as the preload hint judges). */
  hint(): string | null {
    if (this.files < 2 || this.seconds < Math.max(PRELOAD_HINT_MIN_SECONDS, PRELOAD_HINT_MIN_SHARE * this.fileSeconds)) return null;
    return (
      `pytest-django's test database was created and migrated by each file for itself: ${this.seconds.toFixed(1)} s in all over ${plural(this.files, "file")}. ` +
      "pytest-django's --reuse-db (after --) keeps one per worker slot, for the run and the next, where no transaction=True or live_server test empties rows the migrations made (the slot's next file would find them gone); see grimoire-run's docs/test-environment.md"
    );
  }
}
