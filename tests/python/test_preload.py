"""The fork server's preload (grimoire_run_preload): what it keeps, what it refuses, and what the import sees.

Each module is imported in this process from a temporary folder, as the fork
server imports it in its own.
"""

import io
import os
import sys
import textwrap
import warnings

import pytest

import grimoire_run_preload
from grimoire_run_preload import environment_read, preload

PER_FILE = ["GRIMOIRE_*", "E2E_BASE_URL"]


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Writes modules into a folder on sys.path; forgets them (and what they imported) afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)

    def write(**sources):
        for name, source in sources.items():
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))

    yield write
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def installed_and_project(tmp_path, monkeypatch):
    """A `site-packages` folder (installed code, to auto-preload's eyes) and a project folder, both on sys.path; forgets what was imported from them afterwards."""
    site, app = tmp_path / "site-packages", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    monkeypatch.syspath_prepend(str(app))
    monkeypatch.syspath_prepend(str(site))
    before = set(sys.modules)
    yield site, app
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_a_module_that_asks_for_a_per_file_variable_is_refused_and_taken_back_out(modules, monkeypatch):
    monkeypatch.setenv("GRIMOIRE_SLOT", "3")
    modules(settings_mod='import os, helper_mod\nSLOT = os.environ.get("GRIMOIRE_SLOT")\n', helper_mod="VALUE = 1\n")
    preloaded, refused = preload(["settings_mod"], PER_FILE)
    assert preloaded == []
    assert refused == [{"module": "settings_mod", "reason": "its import reads GRIMOIRE_SLOT, which each file sets for itself"}]
    # Neither it nor what its import brought in stays: each file imports them afresh.
    assert "settings_mod" not in sys.modules and "helper_mod" not in sys.modules


def test_a_module_that_looks_through_the_whole_environment_sees_none_of_grimoire_runs_own_variables_and_is_kept(modules, monkeypatch):
    monkeypatch.setenv("GRIMOIRE_SLOT", "3")
    monkeypatch.setenv("SCAN_ME", "yes")
    modules(scanner="import os\nSEEN = dict(os.environ)\n")
    # A run without managed servers: only grimoire-run's own variables differ between files (E2E_BASE_URL is the server's too).
    preloaded, refused = preload(["scanner"], ["GRIMOIRE_*"])
    assert (preloaded, refused) == (["scanner"], [])
    seen = sys.modules["scanner"].SEEN
    assert seen["SCAN_ME"] == "yes"
    assert "GRIMOIRE_SLOT" not in seen
    # The process's own environment is whole again afterwards.
    assert os.environ["GRIMOIRE_SLOT"] == "3"


def test_a_module_that_copies_the_whole_environment_is_refused_where_each_file_has_its_own_base_url(modules, monkeypatch):
    # A settings module that snapshots the environment would keep, in every file, a copy without the file's own server's URL.
    monkeypatch.setenv("GRIMOIRE_SLOT", "3")
    modules(snapshot='import os\n_ENV = dict(os.environ)\nBASE_URL = _ENV.get("E2E_BASE_URL", "http://localhost:8000")\n')
    preloaded, refused = preload(["snapshot"], ["GRIMOIRE_*", "E2E_BASE_URL", "DATABASE_URL"])
    assert preloaded == []
    assert refused == [{"module": "snapshot", "reason": "its import looked through the whole environment, where each file has its own E2E_BASE_URL, DATABASE_URL"}]
    assert "snapshot" not in sys.modules


def test_a_module_whose_import_leaves_a_file_open_is_refused(modules, tmp_path):
    # Each forked file closes what the server holds open: a log file opened at import would be lost to it.
    log = tmp_path / "audit.log"
    modules(auditlog=f"LOG = open({str(log)!r}, 'a')\n", tidy=f"with open({str(log)!r}, 'a') as f:\n    f.write('x')\n")
    preloaded, refused = preload(["auditlog", "tidy"], PER_FILE)
    assert preloaded == ["tidy"]
    assert refused == [{"module": "auditlog", "reason": f"its import left open {log}, which each forked file would lose (or share with every other file)"}]
    assert "auditlog" not in sys.modules


def test_a_module_that_keeps_os_environ_keeps_the_processs_own(modules, monkeypatch):
    # rich's Console keeps os.environ to read COLUMNS from later: a test's monkeypatch.setenv must reach it.
    monkeypatch.setenv("GRIMOIRE_SLOT", "3")
    modules(holder="import os\nENVIRON = os.environ\n")
    assert preload(["holder"], PER_FILE) == (["holder"], [])
    assert sys.modules["holder"].ENVIRON is os.environ
    assert type(os.environ).__name__ == "_Environ"
    monkeypatch.setenv("COLUMNS", "200")
    assert sys.modules["holder"].ENVIRON["COLUMNS"] == "200"
    assert os.environ["GRIMOIRE_SLOT"] == "3"


def test_what_an_import_sets_in_the_environment_stays_set(modules, monkeypatch):
    monkeypatch.delenv("THREADS_FOR_TESTS", raising=False)
    modules(setter='import os\nos.environ.setdefault("THREADS_FOR_TESTS", "1")\n')
    assert preload(["setter"], PER_FILE) == (["setter"], [])
    assert os.environ["THREADS_FOR_TESTS"] == "1"


def test_a_module_finds_pytest_named_in_the_environment_as_under_pytests_main_and_the_server_keeps_no_such_variable(modules, monkeypatch):
    # The server imports outside any pytest session; a plain run's conftests import inside pytest's main(), which sets it.
    monkeypatch.delenv("PYTEST_VERSION", raising=False)
    modules(detects_pytest='import os\nUNDER_PYTEST = os.environ.get("PYTEST_VERSION")\n')
    assert preload(["detects_pytest"], PER_FILE) == (["detects_pytest"], [])
    assert sys.modules["detects_pytest"].UNDER_PYTEST == pytest.__version__
    assert "PYTEST_VERSION" not in os.environ


def test_what_a_kept_module_read_of_the_environment_is_noted_for_the_run_to_compare_with_the_conftests(modules, monkeypatch):
    monkeypatch.setenv("GRIMOIRE_SLOT", "3")
    modules(
        colours='import os\nCOLOUR = os.environ.get("FORCE_COLOR"), "NO_COLOR" in os.environ\n',
        scanner='import os\nMINE = [k for k in os.environ if k.startswith("SCANNER_")]\n',
        quiet="VALUE = 1\n",
    )
    # Only grimoire-run's own variables per file: a module looking through the whole environment is kept.
    assert preload(["colours", "scanner", "quiet"], ["GRIMOIRE_*"]) == (["colours", "scanner", "quiet"], [])
    assert environment_read["colours"] == ["FORCE_COLOR", "NO_COLOR"]
    assert environment_read["scanner"] == ["*"]
    assert "quiet" not in environment_read


@pytest.fixture
def streams(monkeypatch):
    """The preload's stand-ins and what it noted of them, afresh for the test (stand-ins over the test's own streams; its
    stdin a file, as the server's is, where pytest's capture has none)."""
    stdin = open(os.devnull)
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(grimoire_run_preload, "_stand_ins", {})
    monkeypatch.setattr(grimoire_run_preload, "_known_holders", [])
    monkeypatch.setattr(grimoire_run_preload, "stream_bindings", [])
    yield
    stdin.close()


def test_where_a_preload_keeps_a_standard_stream_each_file_puts_its_own(modules, streams):
    """A plain run imports what the test modules import while pytest captures: a module that keeps sys.stdin (dnspython's
    `Tokenizer(f=sys.stdin)`) keeps pytest's capture of it. Each place a preload keeps one is noted; a file puts its own
    stream there (as its pytest starts capturing)."""
    modules(
        keeper="""\
            import logging, sys

            def name(f=sys.stdin):
                return "<stdin>" if f is sys.stdin else "<file>"

            def keyword(*, out=sys.stdout):
                return out

            OUT = sys.stdout
            LISTED = [sys.stdout]
            handler = logging.StreamHandler()

            class Namespace:
                stream = sys.stderr

            class Slotted:
                __slots__ = ("stream",)

                def __init__(self):
                    self.stream = sys.stderr

            slotted = Slotted()

            def _closure():
                err = sys.stderr
                return lambda: err

            closure = _closure()
        """,
        quiet="VALUE = 1\n",
    )
    assert preload(["keeper", "quiet"], PER_FILE) == (["keeper", "quiet"], [])
    keeper = sys.modules["keeper"]
    assert keeper.name() == "<file>" and keeper.OUT is not sys.stdout
    assert sorted({how for how, _, _, _ in grimoire_run_preload.stream_bindings}) == ["attribute", "cell", "default", "item"]
    files = {"stdin": io.StringIO(), "stdout": io.StringIO(), "stderr": io.StringIO()}
    grimoire_run_preload.rebind_streams(files)
    assert keeper.name.__defaults__ == (files["stdin"],)
    assert keeper.keyword() is files["stdout"] and keeper.OUT is files["stdout"] and keeper.LISTED == [files["stdout"]]
    assert keeper.handler.stream is files["stderr"] and keeper.Namespace.stream is files["stderr"]
    assert keeper.slotted.stream is files["stderr"] and keeper.closure() is files["stderr"]
    assert sys.stdout is not grimoire_run_preload._stand_ins["stdout"]


def test_a_preload_that_keeps_a_standard_stream_where_no_file_could_put_its_own_or_replaces_one_is_refused(modules, streams):
    modules(
        paired="import sys\nSTREAMS = (sys.stdout, sys.stderr)\n",
        wrapper="import io, sys\nsys.stdout = io.TextIOWrapper(io.BytesIO())\n",
        quiet="VALUE = 1\n",
    )
    stdout = sys.stdout
    preloaded, refused = preload(["paired", "wrapper", "quiet"], PER_FILE)
    assert preloaded == ["quiet"]
    assert refused == [
        {"module": "paired", "reason": "its import keeps sys.stdout in a tuple where each file could not be given pytest's capture of it"},
        {"module": "wrapper", "reason": "its import replaced sys.stdout, which pytest's capture takes back in each file's own import"},
    ]
    assert sys.stdout is stdout and "paired" not in sys.modules and "wrapper" not in sys.modules
    assert grimoire_run_preload.stream_bindings == []


def test_a_module_whose_import_installs_twisteds_reactor_is_refused(modules, tmp_path):
    """Importing `twisted.internet.reactor` installs Twisted's default reactor, one a process; each file's pytest-twisted
    installs the one its --reactor names, and finds the server's in its way (scrapy's trial)."""
    for folder in ("twisted", "twisted/internet"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "twisted/internet/reactor.py").write_text("INSTALLED = 'default'\n")
    modules(reactorlib="from twisted.internet import reactor\n", quiet="VALUE = 1\n")
    preloaded, refused = preload(["reactorlib", "quiet"], PER_FILE)
    assert preloaded == ["quiet"]
    assert refused == [{"module": "reactorlib", "reason": "its import installed Twisted's reactor, which each file's pytest-twisted installs as its --reactor says"}]
    assert "twisted.internet.reactor" not in sys.modules


def test_a_module_that_cannot_be_imported_is_refused_with_its_error(modules):
    modules(broken="raise RuntimeError('no display')\n", verbose="raise ValueError('3 errors for Settings\\nA\\n  not configured\\nB')\n")
    preloaded, refused = preload(["broken", "not_there_at_all", "verbose"], PER_FILE)
    assert preloaded == []
    assert refused[0] == {"module": "broken", "reason": "its import failed: RuntimeError: no display"}
    # An error of many lines is said by its first (django-ninja's settings: 28 lines of pydantic's ValidationError).
    assert refused[2] == {"module": "verbose", "reason": "its import failed: ValueError: 3 errors for Settings …"}
    assert refused[1]["module"] == "not_there_at_all" and refused[1]["reason"].startswith("its import failed: ModuleNotFoundError")


def test_a_module_that_warns_at_import_is_refused_and_taken_back_out(modules):
    """Under `filterwarnings = error` each file's own import fails on the warning; imported once in the server, none would."""
    modules(
        old_api='import warnings, helper_two\nwarnings.warn("old_api is deprecated", DeprecationWarning)\n',
        helper_two="VALUE = 2\n",
        quiet="VALUE = 3\n",
    )
    preloaded, refused = preload(["old_api", "quiet"], PER_FILE)
    assert preloaded == ["quiet"]
    assert refused == [{"module": "old_api", "reason": "its import warns (DeprecationWarning: old_api is deprecated), and pytest's warning filters decide what that does in each file"}]
    assert "old_api" not in sys.modules and "helper_two" not in sys.modules


def test_warning_filters_a_preload_sets_at_import_are_not_left_in_the_server(modules):
    """pytest sets its filters afresh for each phase of a file; a preload's own filter changes would outlive them."""
    modules(silencer='import warnings\nwarnings.filterwarnings("ignore", message="silenced by a preload")\n')
    before = list(warnings.filters)
    assert preload(["silencer"], PER_FILE) == (["silencer"], [])
    assert warnings.filters == before


def test_after_a_module_fails_to_import_the_other_modules_of_its_package_are_not_tried(modules, tmp_path):
    """Each would import and drop again what the failed one needed (a Django project's models before django.setup())."""
    package = tmp_path / "lazyapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text("import pathlib\nwith open(pathlib.Path(__file__).with_name('imports.txt'), 'a') as out:\n    out.write('base\\n')\n")
    (package / "models.py").write_text("from . import base\nraise RuntimeError('apps not ready')\n")
    (package / "admin.py").write_text("from . import base\n")
    modules(othermod="VALUE = 1\n")
    preloaded, refused = preload(["lazyapp.models", "lazyapp.admin", "othermod"], PER_FILE)
    assert preloaded == ["othermod"]
    assert refused == [
        {"module": "lazyapp.models", "reason": "its import failed: RuntimeError: apps not ready"},
        {"module": "lazyapp.admin", "reason": "not tried: lazyapp.models, of the same package, failed to import", "untried": True},
    ]
    assert (package / "imports.txt").read_text() == "base\n"


def test_installed_only_refuses_an_installed_module_whose_import_brings_in_the_projects_own_code(installed_and_project):
    """Auto-preload's promise: never the project's code (an installed package that reads the project's settings module at import)."""
    site, app = installed_and_project
    (site / "reads_settings.py").write_text("import app_settings\nDEBUG = app_settings.DEBUG\n")
    (site / "plain_installed.py").write_text("import json\nVALUE = 1\n")
    (app / "app_settings.py").write_text("DEBUG = True\n")
    preloaded, refused = preload(["reads_settings", "plain_installed"], PER_FILE, installed_only=lambda name: True)
    assert preloaded == ["plain_installed"]
    # Marked as refused for that alone: a --preload naming it may take it, so the closing hint may still name it.
    assert refused == [{"module": "reads_settings", "reason": "its import imported the project's own code (app_settings)", "ownCode": True}]
    assert "app_settings" not in sys.modules and "reads_settings" not in sys.modules
    # --preload names what it wants, the project's code included.
    assert preload(["reads_settings"], PER_FILE) == (["reads_settings"], [])


def test_installed_only_takes_a_module_that_files_a_module_held_already_under_a_new_name(installed_and_project):
    """`import multiprocessing` files `__main__` (the fork server's own module) as `__mp_main__` too: no new code, and
    uvicorn, which imports it, was refused as importing the project's own code."""
    site, app = installed_and_project
    # The server's own module, held before any preload: not an installed package's file.
    (app / "server_main.py").write_text("VALUE = 1\n")
    __import__("server_main")
    (site / "aliases_main.py").write_text("import sys\nsys.modules['__alias_of_main__'] = sys.modules['server_main']\n")
    try:
        assert preload(["aliases_main"], PER_FILE, installed_only=lambda name: True) == (["aliases_main"], [])
    finally:
        sys.modules.pop("__alias_of_main__", None)


def test_after_a_module_is_refused_the_other_modules_of_its_package_are_not_tried(installed_and_project):
    """Each would import the package again and be refused again: IPython's modules, each importing Pygments in Pygments' checkout."""
    site, app = installed_and_project
    package = site / "shell_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("import pathlib\nwith open(pathlib.Path(__file__).with_name('imports.txt'), 'a') as out:\n    out.write('shell_pkg\\n')\nimport app_lexers\n")
    for module in ("core", "display", "lexers"):
        (package / f"{module}.py").write_text("VALUE = 1\n")
    (site / "plain_installed.py").write_text("VALUE = 1\n")
    (app / "app_lexers.py").write_text("VALUE = 1\n")
    preloaded, refused = preload(["shell_pkg", "shell_pkg.core", "shell_pkg.display", "plain_installed"], PER_FILE, installed_only=lambda name: True)
    assert preloaded == ["plain_installed"]
    assert refused == [
        {"module": "shell_pkg", "reason": "its import imported the project's own code (app_lexers)", "ownCode": True},
        {"module": "shell_pkg.core", "reason": "not tried: shell_pkg, of the same package, imported the project's own code", "untried": True, "ownCode": True},
        {"module": "shell_pkg.display", "reason": "not tried: shell_pkg, of the same package, imported the project's own code", "untried": True, "ownCode": True},
    ]
    assert (package / "imports.txt").read_text() == "shell_pkg\n"
    assert "shell_pkg" not in sys.modules and "app_lexers" not in sys.modules


def test_a_refused_module_never_runs_here_so_nothing_it_does_elsewhere_outlives_its_refusal(modules):
    # Sanic's logging module adds a filter to its logger at import; a package importing it was refused for warning.
    modules(
        logs_mod='import logging\nlogging.getLogger("grimoire.test.logs").addFilter(lambda record: False)\n',
        warner_mod='import warnings, logs_mod\nwarnings.warn("old", DeprecationWarning)\n',
    )
    preloaded, refused = preload(["warner_mod"], PER_FILE)
    assert preloaded == []
    assert [entry["module"] for entry in refused] == ["warner_mod"]
    import logging

    # Tried in a child: this process never imported it, and its logger has no filter that a file's own import would add to.
    assert logging.getLogger("grimoire.test.logs").filters == []
    assert "logs_mod" not in sys.modules


def test_a_module_whose_import_kills_the_process_is_refused_and_this_one_goes_on(modules):
    modules(fatal_mod="import os\nos.abort()\n", fine_mod="VALUE = 1\n")
    preloaded, refused = preload(["fatal_mod"], PER_FILE)
    assert preloaded == []
    assert refused == [{"module": "fatal_mod", "reason": "its import failed: the process that tried it ended (killed by signal 6)"}]
    assert preload(["fine_mod"], PER_FILE) == (["fine_mod"], [])
    assert sys.modules["fine_mod"].VALUE == 1
