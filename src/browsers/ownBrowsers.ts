/**
 * Files that launched a browser of their own under --browser-server:
 * pytest-playwright sends its launch options (browser_type_launch_args,
 * --browser-channel) to a server in a header that a browser server ignores,
 * so a session that asks for what the served browser was not started with
 * launches its own, as it would without grimoire-run; so does a session whose
 * project's connect_options gives no endpoint, and one whose tests launch
 * theirs with Playwright's launch(). Said once, at the run's end.
 */
import { nameSome, plural } from "../format.js";

/** Files named in the notice before the rest is counted. */
const NAMED = 3;

export class OwnBrowserTally {
  private readonly files = new Map<string, readonly string[]>();

  private readonly launching = new Set<string>();

  /** Files whose project's connect_options gave pytest-playwright no endpoint, and where those fixtures are. */
  private readonly overridden = new Set<string>();

  private readonly overriders = new Set<string>();

  private keyword = "ws_endpoint";

  /**
   * A file's process: the launch options for which pytest-playwright launched its own browser (null: none), whether its
   * tests or conftests launched one with Playwright's launch() themselves, and the project's connect_options that took
   * the place of grimoire-run's and gave no endpoint (null: none did).
   */
  add(file: string, options: readonly string[] | null, launched = false, connectOptions: { where: string; keyword: string } | null = null): void {
    if (options !== null) this.files.set(file, options);
    if (launched && options === null) this.launching.add(file);
    if (connectOptions !== null) {
      this.overridden.add(file);
      this.overriders.add(connectOptions.where);
      this.keyword = connectOptions.keyword;
    }
  }

  /** The notice, or null when every file connected to its browser server. */
  message(): string | null {
    const said: string[] = [];
    if (this.files.size > 0) {
      const options = [...new Set([...this.files.values()].flat())].sort();
      said.push(
        `--browser-server: ${plural(this.files.size, "file")} launched a browser of ${this.files.size === 1 ? "its" : "their"} own (${nameSome([...this.files.keys()].sort(), NAMED)}), as pytest-playwright's launch options ask for what the served browser was not started with (${options.join(", ")}): ` +
          `a browser server takes no launch options from the tests. ${this.files.size === 1 ? "Its" : "Their"} tests ran as they would without it, at the price of a browser ${this.files.size === 1 ? "of its own" : "each"}`,
      );
    }
    if (this.launching.size > 0) {
      // A StaticLiveServerTestCase's setUpClass, a hand-written conftest (two Django projects of a helper's trial): the
      // served browser went unused, and nothing said so.
      const one = this.launching.size === 1;
      said.push(
        `--browser-server: ${plural(this.launching.size, "file")} launched a browser with Playwright's launch() ${one ? "itself" : "themselves"} (${nameSome([...this.launching].sort(), NAMED)}), not through pytest-playwright's fixtures: ` +
          `a browser ${one ? "of its own" : "each"}, as without --browser-server, beside the served one. ` +
          `A test or conftest uses the served browser with playwright.chromium.connect(os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"]) (firefox or webkit where that is the one served) in place of launch(); see grimoire-run's docs/playwright.md`,
      );
    }
    if (this.overridden.size > 0) {
      // py-shiny's conftest gives an endpoint only where PW_TEST_CONNECT_WS_ENDPOINT is set: every file launched its own
      // browser beside the served one, and the run said nothing (a helper's trial).
      const one = this.overridden.size === 1;
      const where = [...this.overriders].sort();
      said.push(
        `--browser-server: ${plural(this.overridden.size, "file")} launched a browser of ${one ? "its" : "their"} own through pytest-playwright (${nameSome([...this.overridden].sort(), NAMED)}), as the connect_options fixture of ${nameSome(where, NAMED)} takes the place of grimoire-run's and gave no endpoint: ` +
          `a browser ${one ? "of its own" : "each"}, as without --browser-server, beside the served one. ` +
          `That fixture uses the served browser where it returns {"${this.keyword}": os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"]} when that variable is set; see grimoire-run's docs/playwright.md`,
      );
    }
    return said.length === 0 ? null : said.join("\n");
  }
}
