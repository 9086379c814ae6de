/** The notice of files that launched a browser of their own under --browser-server. */
import { describe, expect, it } from "vitest";
import { OwnBrowserTally } from "../../src/browsers/ownBrowsers.js";

describe("OwnBrowserTally", () => {
  it("names the files and the launch options the served browser lacked, once", () => {
    const tally = new OwnBrowserTally();
    tally.add("tests/e2e/test_a.py", ["args"]);
    tally.add("tests/e2e/test_b.py", null);
    tally.add("tests/e2e/test_c.py", ["args", "channel"]);
    expect(tally.message()).toBe(
      "--browser-server: 2 files launched a browser of their own (tests/e2e/test_a.py, tests/e2e/test_c.py), as pytest-playwright's launch options ask for what the served browser was not started with (args, channel): " +
        "a browser server takes no launch options from the tests. Their tests ran as they would without it, at the price of a browser each",
    );
  });

  it("says nothing when every file connected", () => {
    const tally = new OwnBrowserTally();
    tally.add("tests/e2e/test_a.py", null);
    tally.add("tests/e2e/test_b.py", null, false);
    expect(tally.message()).toBeNull();
  });

  it("names the files whose tests launched a browser with Playwright's launch() themselves, and how to connect instead", () => {
    const tally = new OwnBrowserTally();
    tally.add("tests/e2e/test_login.py", null, true);
    tally.add("tests/e2e/test_cart.py", null);
    expect(tally.message()).toBe(
      "--browser-server: 1 file launched a browser with Playwright's launch() itself (tests/e2e/test_login.py), not through pytest-playwright's fixtures: a browser of its own, as without --browser-server, beside the served one. " +
        'A test or conftest uses the served browser with playwright.chromium.connect(os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"]) (firefox or webkit where that is the one served) in place of launch(); see grimoire-run\'s docs/playwright.md',
    );
    // A file that launched for pytest-playwright's options is said of once, under those.
    tally.add("tests/e2e/test_cart.py", ["channel"], true);
    expect(tally.message()?.split("\n").map((line) => line.slice(0, 40))).toEqual(["--browser-server: 1 file launched a brow", "--browser-server: 1 file launched a brow"]);
    expect(tally.message()).toMatch(/^--browser-server: 1 file launched a browser of its own \(tests\/e2e\/test_cart\.py\)/);
  });

  it("names the files whose project's connect_options gave pytest-playwright no endpoint, where that fixture is, and what it returns to connect", () => {
    const tally = new OwnBrowserTally();
    const conftest = { where: "tests/playwright/conftest.py", keyword: "ws_endpoint" };
    tally.add("tests/playwright/test_a.py", null, false, conftest);
    tally.add("tests/playwright/test_b.py", null, false, conftest);
    tally.add("tests/playwright/test_c.py", null);
    expect(tally.message()).toBe(
      "--browser-server: 2 files launched a browser of their own through pytest-playwright (tests/playwright/test_a.py, tests/playwright/test_b.py), as the connect_options fixture of tests/playwright/conftest.py takes the place of grimoire-run's and gave no endpoint: " +
        'a browser each, as without --browser-server, beside the served one. That fixture uses the served browser where it returns {"ws_endpoint": os.environ["GRIMOIRE_BROWSER_WS_ENDPOINT"]} when that variable is set; see grimoire-run\'s docs/playwright.md',
    );
  });
});
