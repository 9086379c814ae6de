/** Files written whole or not at all, and never over what is not a regular file. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeTextFile } from "../../src/atomicWrite.js";

const folders: string[] = [];
function folder(): string {
  const made = fs.mkdtempSync(path.join(os.tmpdir(), "grimoire-atomic-"));
  folders.push(made);
  return made;
}
afterEach(() => {
  for (const made of folders.splice(0)) fs.rmSync(made, { recursive: true, force: true });
});

describe("writeTextFile", () => {
  it("writes a new file whole, its folder made, and leaves no temporary file", () => {
    const root = folder();
    const file = path.join(root, "out", "report.json");
    writeTextFile(file, "{}\n");
    expect(fs.readFileSync(file, "utf8")).toBe("{}\n");
    expect(fs.readdirSync(path.dirname(file))).toEqual(["report.json"]);
  });

  it("writes through a link, which stays a link, to the file it names", () => {
    const root = folder();
    fs.writeFileSync(path.join(root, "real.json"), "old");
    fs.symlinkSync(path.join(root, "real.json"), path.join(root, "link.json"));
    writeTextFile(path.join(root, "link.json"), "new");
    expect(fs.lstatSync(path.join(root, "link.json")).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(root, "real.json"), "utf8")).toBe("new");
    expect(fs.readdirSync(root).sort()).toEqual(["link.json", "real.json"]);
  });

  it("writes to a device, never over it: /dev/null stays the device (--report-json /dev/null replaced it, as root)", () => {
    const root = folder();
    // Through a link, so that a regression replaces the link, not the machine's /dev/null.
    fs.symlinkSync("/dev/null", path.join(root, "discard.json"));
    writeTextFile(path.join(root, "discard.json"), "{}\n");
    expect(fs.statSync("/dev/null").isCharacterDevice()).toBe(true);
    expect(fs.lstatSync(path.join(root, "discard.json")).isSymbolicLink()).toBe(true);
    expect(fs.readdirSync(root)).toEqual(["discard.json"]);
  });
});
