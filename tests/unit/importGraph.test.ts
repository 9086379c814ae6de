/**
 * --changed resolves each import to the project file Python would load, so
 * that a change reaches exactly the test files that import it: through
 * packages, relative imports, a src layout, a test folder's own neighbours;
 * never to the standard library or an installed package.
 */
import { describe, expect, it } from "vitest";
import { baseFolder, buildImportGraph, graphKey, importRoots } from "../../src/changes/importGraph.js";
import { parseImports } from "../../src/changes/pythonImports.js";

/** A project from its files' sources (only .py files matter here). */
function graphOf(files: Record<string, string>, options: { roots?: string[]; deleted?: string[] } = {}) {
  const modules = new Map(Object.entries(files).map(([file, code]) => [file, parseImports(code)]));
  return buildImportGraph({ modules, deleted: options.deleted ?? [], roots: options.roots ?? [""] });
}
const importsOf = (graph: ReturnType<typeof graphOf>, file: string) => graph.imports.get(file);

describe("absolute imports", () => {
  const project = {
    "app/__init__.py": "",
    "app/util.py": "import os\nimport requests\n",
    "app/cart.py": "from app.util import total\n",
    "app/models/__init__.py": "",
    "app/models/user.py": "",
    "tests/test_cart.py": "import app.cart\nfrom app.models import user\nimport pytest\n",
  };

  it("runs the package's __init__.py on the way to the module", () => {
    expect(importsOf(graphOf(project), "app/cart.py")).toEqual(["app/__init__.py", "app/util.py"]);
  });

  it("counts `from package import name` as importing the submodule `name` when there is one", () => {
    expect(importsOf(graphOf(project), "tests/test_cart.py")).toEqual(["app/__init__.py", "app/cart.py", "app/models/__init__.py", "app/models/user.py"]);
  });

  it("leaves out the standard library and installed packages", () => {
    expect(importsOf(graphOf(project), "app/util.py")).toEqual([]);
  });

  it("stops at a module: what follows is an attribute (`import app.util.total` is an error, `from app.util import total` a function)", () => {
    expect(importsOf(graphOf({ ...project, "x.py": "from app.util import total, os\n" }), "x.py")).toEqual(["app/__init__.py", "app/util.py"]);
  });

  it("finds a module in a namespace package (a folder without __init__.py)", () => {
    expect(importsOf(graphOf({ "ns/part.py": "", "test_ns.py": "import ns.part\n" }), "test_ns.py")).toEqual(["ns/part.py"]);
  });

  it("takes the first import root that holds a top-level name, as Python's path finder does", () => {
    const graph = graphOf({ "lib/shared.py": "", "src/shared.py": "", "test_x.py": "import shared\n" }, { roots: importRoots(["lib"], true) });
    expect(importsOf(graph, "test_x.py")).toEqual(["lib/shared.py"]);
  });

  it("finds a src layout's package from the project root's tests", () => {
    const graph = graphOf({ "src/shop/__init__.py": "", "src/shop/cart.py": "", "tests/test_cart.py": "from shop.cart import Cart\n" }, { roots: importRoots([], true) });
    expect(importsOf(graph, "tests/test_cart.py")).toEqual(["src/shop/__init__.py", "src/shop/cart.py"]);
  });

  it("finds a test's neighbour module in a folder without __init__.py (pytest puts that folder on sys.path)", () => {
    const graph = graphOf({ "tests/http/helpers.py": "", "tests/http/test_a.py": "from helpers import login\n", "tests/e2e/test_b.py": "import helpers\n" });
    expect(importsOf(graph, "tests/http/test_a.py")).toEqual(["tests/http/helpers.py"]);
    expect(importsOf(graph, "tests/e2e/test_b.py")).toEqual([]);
  });

  it("looks for a test package's modules from the folder above the package", () => {
    const files = new Set(["tests/__init__.py", "tests/http/__init__.py", "tests/http/test_a.py"]);
    expect(baseFolder("tests/http/test_a.py", files)).toBe("");
    expect(baseFolder("tests/e2e/test_b.py", files)).toBe("tests/e2e");
  });
});

describe("relative imports", () => {
  const project = {
    "app/__init__.py": "",
    "app/util.py": "",
    "app/orders/__init__.py": "from . import shipping\n",
    "app/orders/shipping.py": "from ..util import total\nfrom .. import util\n",
    "app/orders/invoice.py": "from .shipping import cost\nfrom ... import outside\nfrom .... import further\n",
    "outside.py": "",
  };

  it("resolves from the importing module's package, one level up per extra dot", () => {
    const graph = graphOf(project);
    expect(importsOf(graph, "app/orders/__init__.py")).toEqual(["app/orders/shipping.py"]);
    expect(importsOf(graph, "app/orders/shipping.py")).toEqual(["app/__init__.py", "app/util.py"]);
  });

  it("ignores a relative import that climbs above the top-level package (Python refuses it)", () => {
    expect(importsOf(graphOf(project), "app/orders/invoice.py")).toEqual(["app/orders/__init__.py", "app/orders/shipping.py"]);
  });
});

describe("deleted files", () => {
  it("still resolve, so that the files importing a deleted module are found", () => {
    const graph = graphOf({ "app/__init__.py": "", "tests/test_a.py": "from app import gone\n" }, { deleted: ["app/gone.py"] });
    expect(importsOf(graph, "tests/test_a.py")).toEqual(["app/__init__.py", "app/gone.py"]);
    expect(graph.files.has("app/gone.py")).toBe(true);
  });
});

describe("edges resolved before", () => {
  it("are taken as they are for the files given, and the others resolved", () => {
    const modules = new Map([
      ["app/a.py", parseImports("import app.b\n")],
      ["app/b.py", []],
      ["app/c.py", parseImports("import app.b\n")],
    ]);
    const graph = buildImportGraph({ modules, deleted: [], roots: [""], known: new Map([["app/a.py", ["app/c.py"]]]) });
    expect(graph.imports.get("app/a.py")).toEqual(["app/c.py"]);
    expect(graph.imports.get("app/c.py")).toEqual(["app/b.py"]);
  });

  it("are keyed by the files that exist (or did) and the roots, whatever their order", () => {
    const key = graphKey({ files: ["b.py", "a.py"], deleted: [], roots: [""] });
    expect(graphKey({ files: ["a.py", "b.py"], deleted: [], roots: [""] })).toBe(key);
    expect(graphKey({ files: ["a.py", "b.py", "c.py"], deleted: [], roots: [""] })).not.toBe(key);
    expect(graphKey({ files: ["a.py", "b.py"], deleted: ["c.py"], roots: [""] })).not.toBe(key);
    expect(graphKey({ files: ["a.py", "b.py"], deleted: [], roots: ["", "src"] })).not.toBe(key);
  });
});

describe("Cython sources", () => {
  it("resolve an import of an extension module to its .pyx, which runs its .pxd declarations (yarl's _quoting_c)", () => {
    const graph = graphOf({
      "yarl/__init__.py": "from ._quoting import quote\n",
      "yarl/_quoting.py": "try:\n    from ._quoting_c import _Quoter\nexcept ImportError:\n    from ._quoting_py import _Quoter\n",
      "yarl/_quoting_c.pyx": "from libc.stdint cimport uint8_t\nimport cython\nfrom string import ascii_letters\n",
      "yarl/_quoting_c.pxd": "cdef class _Quoter:\n    pass\n",
      "yarl/_quoting_py.py": "",
      "tests/test_quoting.py": "from yarl._quoting_c import _Quoter\n",
    });
    expect(importsOf(graph, "yarl/_quoting.py")).toEqual(["yarl/__init__.py", "yarl/_quoting_c.pyx", "yarl/_quoting_py.py"]);
    expect(importsOf(graph, "tests/test_quoting.py")).toEqual(["yarl/__init__.py", "yarl/_quoting_c.pyx"]);
    expect(importsOf(graph, "yarl/_quoting_c.pyx")).toEqual(["yarl/_quoting_c.pxd"]);
    // A C extension's source (markupsafe's _speedups.c), and Cython's generated one beside its .pyx.
    expect(importsOf(graphOf({ "markupsafe/__init__.py": "", "markupsafe/_speedups.c": "", "tests/conftest.py": "from markupsafe import _speedups\n" }), "tests/conftest.py")).toEqual(["markupsafe/__init__.py", "markupsafe/_speedups.c"]);
    // Beside a pure-Python module of the name, either may be what runs (the built one is imported first where it is built).
    expect(importsOf(graphOf({ "m.py": "", "m.pyx": "", "t.py": "import m\n" }), "t.py")).toEqual(["m.py", "m.pyx"]);
  });
});
