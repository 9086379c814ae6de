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

  private readonly launching = new Set<string>();

  /** A file's process: the launch options for which pytest-playwright launched its own browser (null: none), and whether its tests or conftests launched one with Playwright's launch() themselves. */
  add(file: string, options: readonly string[] | null, launched = false): void {
    if (options !== null) this.files.set(file, options);
    if (launched && options === null) this.launching.add(file);
  }

  /** The notice, or null when every file connected to its browser server. */
  message(): string | null {
    const said: string[] = [];
    if (this.files.size > 0) {
      const options = [...new Set([...this.files.values()].flat())].sort();
      said.push(
        `--browser-server: ${plural(this.files.size, "file")} launched a browser of ${this.files.size === 1 ? "its" : "their"} own (${nameSome([...this.files.keys()], NAMED)}), as pytest-playwright's launch options ask for what the served browser was not started with (${options.join(", ")}): ` +
          `a browser server takes no launch options from the tests. ${this.files.size === 1 ? "Its" : "Their"} tests ran as they would without it, at the price of a browser ${this.files.size === 1 ? "of its own" : "each"}`,
      );
    }
    if (this.launching.size > 0) {
      // A StaticLiveServerTestCase's setUpClass, a hand-written conftest (two Django projects of a helper's trial): the
      // served browser went unused, and nothing said so.
      const one = this.launching.size === 1;
      said.push(
        `--browser-server: ${plural(this.launching.size, "file")} launched a browser with Playwright's launch() ${one ? "itself" : "themselves"} (${nameSome([...this.launching], NAMED)}), not through pytest-playwright's fixtures: ` +
          `a browser ${one ? "of its own" : "each"}, as without --browser-server, beside the served one. ` +
          `A test or conftest uses the served browser with playwright.chromium.connect(os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"]) (firefox or webkit where that is the one served) in place of launch(); see grimoire-run's docs/playwright.md`,
      );
    }
    return said.length === 0 ? null : said.join("\n");
  }
}
