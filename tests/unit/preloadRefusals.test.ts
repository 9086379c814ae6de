/**
 * What the run says of the modules the fork server refused: each refused
 * module, and a package's untried modules in one line.
 */
import { describe, expect, it } from "vitest";
import { notPreloadingAll } from "../../src/exec/preloadRefusals.js";

const untried = (module: string) => ({ module, reason: "not tried: IPython, of the same package, imported the project's own code", untried: true });

describe("the modules the fork server refused", () => {
  it("are said one by one, but a package's modules not tried once another was refused are said in one line", () => {
    const refused = [
      { module: "IPython", reason: "its import imported the project's own code (pygments.style)" },
      ...["IPython.core", "IPython.core.alias", "IPython.display", "IPython.lib", "IPython.utils"].map(untried),
      { module: "settingslib", reason: "its import reads GRIMOIRE_SLOT, which each file sets for itself" },
    ];
    expect(notPreloadingAll(refused)).toEqual([
      "not preloading IPython: its import imported the project's own code (pygments.style); each file imports it itself",
      "not preloading settingslib: its import reads GRIMOIRE_SLOT, which each file sets for itself; each file imports it itself",
      "not preloading 5 more modules of IPython (IPython.core, IPython.core.alias, IPython.display and 2 more): not tried: IPython, of the same package, imported the project's own code; each file imports them itself",
    ]);
  });

  it("are grouped by the server's own mark, not by the words of their reason", () => {
    const worded = ["IPython.core", "IPython.display"].map((module) => ({ module, reason: "not tried: said so, but not marked" }));
    expect(notPreloadingAll(worded)).toEqual(["not preloading IPython.core: not tried: said so, but not marked; each file imports it itself", "not preloading IPython.display: not tried: said so, but not marked; each file imports it itself"]);
  });

  it("say a single untried module as any other", () => {
    expect(notPreloadingAll([untried("IPython.core")])).toEqual(["not preloading IPython.core: not tried: IPython, of the same package, imported the project's own code; each file imports it itself"]);
  });
});
