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
    expect(tally.message()).toBeNull();
  });
});
