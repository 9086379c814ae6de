/**
 * The project's code a managed server runs, for --changed: the tests reach it over HTTP, never by import.
 */
import { describe, expect, it } from "vitest";
import { buildImportGraph } from "../../src/changes/importGraph.js";
import { parseImports } from "../../src/changes/pythonImports.js";
import { serverCode, serverEntries } from "../../src/changes/serverCode.js";

const graphOf = (files: Record<string, string>) => buildImportGraph({ modules: new Map(Object.entries(files).map(([file, code]) => [file, parseImports(code)])), deleted: [], roots: [""] });

describe("the code a --server command runs", () => {
  it("is named the ways Python servers are started", () => {
    expect(serverEntries("python -m notesapp --port {port}")).toEqual({ modules: ["notesapp"], files: [] });
    expect(serverEntries(".venv/bin/python ./app.py {port}")).toEqual({ modules: [], files: ["app.py"] });
    expect(serverEntries("uvicorn shop.main:app --port {port}")).toEqual({ modules: ["shop.main"], files: [] });
    expect(serverEntries("gunicorn 'shop:create_app()' -b 127.0.0.1:{port}")).toEqual({ modules: ["shop"], files: [] });
    expect(serverEntries("flask --app notesapp:create_app run --port {port}")).toEqual({ modules: ["notesapp"], files: [] });
    expect(serverEntries("python manage.py runserver 127.0.0.1:{port}")).toEqual({ modules: [], files: ["manage.py"] });
    expect(serverEntries("npm run serve -- --port {port}")).toEqual({ modules: [], files: [] });
  });

  it("is what its entry imports and every module of the entry's package, not the tests", () => {
    const graph = graphOf({
      "notesapp/__init__.py": "",
      "notesapp/__main__.py": "from notesapp.app import create\n",
      "notesapp/app.py": "from notesapp import storage\nimport helpers\n",
      "notesapp/storage.py": "",
      "notesapp/blueprints/admin.py": "",
      "helpers.py": "",
      "other/tool.py": "",
      "tests/http/test_notes.py": "import urllib.request\n",
    });
    expect([...serverCode("python -m notesapp --port {port}", graph)].sort()).toEqual(["helpers.py", "notesapp/__init__.py", "notesapp/__main__.py", "notesapp/app.py", "notesapp/blueprints/admin.py", "notesapp/storage.py"]);
    expect(serverCode("npm run serve", graph).size).toBe(0);
  });

  it("is every module of the project but the tests where the entry is Django's manage.py, which reaches the app by names", () => {
    const graph = graphOf({ "manage.py": "import os, sys\n", "shop/settings.py": "", "catalog/views.py": "", "tests/http/test_a.py": "", "catalog/test_models.py": "", "conftest.py": "" });
    const manage = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n";
    const read = (file: string): string | null => (file === "manage.py" ? manage : "");
    expect([...serverCode(".venv/bin/python manage.py runserver 127.0.0.1:{port} --noreload", graph, read)].sort()).toEqual(["catalog/views.py", "manage.py", "shop/settings.py"]);
    // A manage.py that is no Django's: its imports only.
    expect([...serverCode("python manage.py", graph, () => "")]).toEqual(["manage.py"]);
  });
});
