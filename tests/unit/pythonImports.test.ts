/**
 * --changed reads each module's imports from its source: every way Python
 * code imports a module must be seen (a missed import is a test that does
 * not run when it should), and nothing that merely looks like one.
 */
import { describe, expect, it } from "vitest";
import { doctestSource, parseImports, type ImportRef } from "../../src/changes/pythonImports.js";

const abs = (module: string, names: string[] = []): ImportRef => ({ module, level: 0, names });
const rel = (level: number, module: string, names: string[] = []): ImportRef => ({ module, level, names });
const source = (...lines: string[]): string => `${lines.join("\n")}\n`;

describe("import statements", () => {
  it("reads `import a.b`, `import a.b as c` and several names in one statement", () => {
    expect(parseImports(source("import os", "import app.util as u, app.cart", "import app.models.user"))).toEqual([abs("os"), abs("app.util"), abs("app.cart"), abs("app.models.user")]);
  });

  it("reads `from a.b import c, d` with the names, which may be submodules", () => {
    expect(parseImports(source("from app.util import total, tax as t", "from app import *"))).toEqual([abs("app.util", ["total", "tax"]), abs("app")]);
  });

  it("reads parenthesised names over several lines, with comments and a trailing comma", () => {
    expect(parseImports(source("from app.cart import (", "    Cart,  # the cart", "    total as cart_total,", ")", "import later"))).toEqual([abs("app.cart", ["Cart", "total"]), abs("later")]);
  });

  it("reads relative imports with their level", () => {
    expect(parseImports(source("from . import util", "from .models import user", "from .. import settings", "from ...core.db import connect"))).toEqual([
      rel(1, "", ["util"]),
      rel(1, "models", ["user"]),
      rel(2, "", ["settings"]),
      rel(3, "core.db", ["connect"]),
    ]);
  });

  it("reads imports inside functions, classes, try/except and if blocks, since they run too", () => {
    const code = source(
      "def load():",
      "    import app.plugins",
      "    from app import heavy",
      "class C:",
      "    from app.mixins import M",
      "try:",
      "    import ujson as json",
      "except ImportError:",
      "    import app.compat_json as json",
      "if TYPE_CHECKING:",
      "    from app.types import T",
    );
    expect(parseImports(code).map((r) => r.module)).toEqual(["app.plugins", "app", "app.mixins", "ujson", "app.compat_json", "app.types"]);
  });

  it("reads imports after `:` or `;` on the same line", () => {
    expect(parseImports(source("try: import fast", "except ImportError: import slow", "import a; import b", "if x: from c import d"))).toEqual([abs("fast"), abs("slow"), abs("a"), abs("b"), abs("c", ["d"])]);
  });

  it("joins lines continued with a backslash", () => {
    expect(parseImports(source("from app.cart import \\", "    Cart"))).toEqual([abs("app.cart", ["Cart"])]);
  });

  it("lists each import once", () => {
    expect(parseImports(source("import a", "def f():", "    import a"))).toEqual([abs("a")]);
  });
});

describe("what only looks like an import", () => {
  it("ignores comments, strings and docstrings", () => {
    const code = source('"""Usage:', "import not_this", '"""', "# import nor_this", "x = 'import neither'", 's = "from a import b"', "import yes");
    expect(parseImports(code)).toEqual([abs("yes")]);
  });

  it("ignores `yield from` and `raise … from`", () => {
    expect(parseImports(source("def g():", "    yield from items", "    raise ValueError() from error"))).toEqual([]);
  });

  it("keeps its place after f-strings holding quotes, braces and format specs (Python 3.12)", () => {
    const code = source('name = f"{user["name"]!r:>{width}} {{literal}}"', "label = f'{\"x\"}'", 'rb"\\d" + Rb"raw"', "import after_fstrings");
    expect(parseImports(code)).toEqual([abs("after_fstrings")]);
  });

  it("keeps its place after an unterminated string on a line (a syntax error elsewhere must not hide later imports)", () => {
    expect(parseImports(source("x = 'oops", "import still_seen"))).toEqual([abs("still_seen")]);
  });
});

describe("imports made at run time", () => {
  it("reads importlib.import_module and __import__ given a literal name, not a computed one", () => {
    const code = source('mod = importlib.import_module("app.plugins.csv")', '__import__("app.legacy")', "importlib.import_module(name)", 'import_module(f"app.{name}")', 'import_module(".relative", "app")');
    expect(parseImports(code)).toEqual([abs("app.plugins.csv"), abs("app.legacy")]);
  });

  it("reads pytest.importorskip and runpy.run_module given a literal name (a helper's trial: a test skipping without its module was never selected)", () => {
    expect(parseImports(source('util = pytest.importorskip("app.util")', 'runpy.run_module("app.cli", run_name="__main__")', "pytest.importorskip(name)"))).toEqual([abs("app.util"), abs("app.cli")]);
  });

  it("reads a package's __all__ as its submodules, which `from package import *` imports; a plain module's __all__ names only attributes", () => {
    const init = source('__all__ = ["star", "helper"]', '__all__ += ("more",)', "__all__ = names()");
    expect(parseImports(init, true)).toEqual([{ module: "", level: 1, names: ["star", "helper"] }, { module: "", level: 1, names: ["more"] }]);
    expect(parseImports(init)).toEqual([]);
  });

  it("reads pytest_plugins, a string or a list, as imports", () => {
    expect(parseImports(source('pytest_plugins = ["tests.fixtures.db", "tests.fixtures.http"]'))).toEqual([abs("tests.fixtures.db"), abs("tests.fixtures.http")]);
    expect(parseImports(source('pytest_plugins = "tests.fixtures.db"'))).toEqual([abs("tests.fixtures.db")]);
    expect(parseImports(source("pytest_plugins = (", '    "a.b",', '    "c",', ")"))).toEqual([abs("a.b"), abs("c")]);
  });
});

describe("a doctest text file's examples", () => {
  it("are the code of its >>> and ... lines, prompts off, the prose and expected output left out", () => {
    const text = "Use it so::\n\n    >>> from app.cart import (\n    ...     cart_total,\n    ... )\n    >>> import app.util as u\n    import app.search\n    >>>\n";
    expect(doctestSource(text).split("\n")).toEqual(["", "", "from app.cart import (", "    cart_total,", ")", "import app.util as u", "", "", ""]);
    expect(parseImports(doctestSource(text)).map((ref) => ref.module)).toEqual(["app.cart", "app.util"]);
  });
});
