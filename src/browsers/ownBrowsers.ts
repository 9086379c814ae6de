/**
 * Files that launched a browser of their own under --browser-server:
 * pytest-playwright sends its launch options (browser_type_launch_args,
 * --browser-channel) to a server in a header that a browser server ignores,
 * so a session that asks for what the served browser was not started with
 * launches its own, as it would without grimoire-run. Said once, at the run's end.
 */
import { nameSome, plural } from "../format.js";

/** Files named in the notice before the rest is counted. */
const NAMED = 3;

export class OwnBrowserTally {
  private readonly files = new Map<string, readonly string[]>();

  add(file: string, options: readonly string[] | null): void {
    if (options !== null) this.files.set(file, options);
  }

  /** The notice, or null when every file connected to its browser server. */
  message(): string | null {
    if (this.files.size === 0) return null;
    const options = [...new Set([...this.files.values()].flat())].sort();
    return (
      `--browser-server: ${plural(this.files.size, "file")} launched a browser of ${this.files.size === 1 ? "its" : "their"} own (${nameSome([...this.files.keys()], NAMED)}), as pytest-playwright's launch options ask for what the served browser was not started with (${options.join(", ")}): ` +
      `a browser server takes no launch options from the tests. ${this.files.size === 1 ? "Its" : "Their"} tests ran as they would without it, at the price of a browser ${this.files.size === 1 ? "of its own" : "each"}`
    );
  }
}
