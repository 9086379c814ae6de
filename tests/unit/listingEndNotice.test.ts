/** What a run says it waits for when pytest's listing session outlasts the files. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listingEndNotice } from "../../src/session.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function pytestOfUser(): { runFolder: string; garbage: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-listing-end-"));
  made.push(root);
  const runFolder = path.join(root, "pytest-of-someone", "pytest-7");
  fs.mkdirSync(runFolder, { recursive: true });
  return { runFolder, garbage: path.join(root, "pytest-of-someone", "garbage-1b2c") };
}

describe("listingEndNotice", () => {
  it("names pytest's removal of older numbered folders where one was renamed for it since the listing started", () => {
    const { runFolder, garbage } = pytestOfUser();
    const since = Date.now() - 1000;
    fs.mkdirSync(garbage);
    expect(listingEndNotice(runFolder, since)).toBe(
      `Waiting for pytest's listing session to end: pytest is removing the older numbered folders of ${path.dirname(runFolder)} it keeps none of, as every pytest session does as it ends (a plain run's too); tests that leave large trees there make it slow`,
    );
  });

  it("says only that it waits where the garbage is older than the listing (one pytest failed to remove), or there is none", () => {
    const { runFolder, garbage } = pytestOfUser();
    fs.mkdirSync(garbage);
    const generic = "Waiting for pytest's listing session to end (its plugins' end of the session)";
    expect(listingEndNotice(runFolder, Date.now() + 60_000)).toBe(generic);
    fs.rmdirSync(garbage);
    expect(listingEndNotice(runFolder, 0)).toBe(generic);
    expect(listingEndNotice(null, 0)).toBe(generic);
  });
});
