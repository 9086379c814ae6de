"""What a file's process spends importing, by top-level package: what `--preload` could import once.

In a process forked from the fork server, every module the server did not
import is imported again by every file: the project's own package, a library
only the test modules import. grimoire-run sets GRIMOIRE_IMPORT_TIMES in such
a process; its plugin then times each import the process makes, and at the
session's end reports the seconds each top-level package took to import,
its own time only (a package's import of another is the other's), and where
it lives: "project" (in the project's folder, not installed), "elsewhere" (neither
installed nor in the project's folder: an editable install of a package in
another folder, a PYTHONPATH entry), "installed" (site-packages) or "stdlib". The test modules and conftests themselves are
left out: no preload can take them. grimoire-run adds the files' reports up
and names the packages worth preloading.

Only imports the interpreter had not done yet reach `_find_and_load`, the
function timed here: the cost is a clock read per new module. Imports made by
other threads are not timed (their time overlaps the main thread's).

A package any of whose modules the file imported after it changed what an
import may read is marked "afterChange": `os.environ` (a conftest or a test
module that sets a variable, then imports what reads it), or logging's
configuration (an app that calls `logging.config.dictConfig` as it is imported,
then imports a library: the config disables every logger that exists when it
runs, which a library the fork server had imported would have). Imported in the
fork server, it would have read the run's state, not the file's, so
grimoire-run never learns it as a preload. One any of whose
modules pytest rewrote the asserts of (`register_assert_rewrite`, `-p`,
`pytest_plugins`), or another import hook loaded (typeguard's for the packages
its `--typeguard-packages` names, beartype's claw), is marked "rewritten":
imported in the fork server, it would be neither rewritten nor instrumented,
and its failing asserts would say less than plain pytest's, or its type checks
not run at all.
"""

import importlib._bootstrap as _bootstrap
import os
import sys
import threading
import time

from grimoire_run_paths import hide_from_tracers, in_install_folder

_timer = None
# The most module names a package's entry lists (a `--preload` of the package follows them; see grimoire-run's performance docs).
_MAX_MODULES = 1000


class _ImportTimer:
    def __init__(self):
        self.seconds = {}
        # Top-level packages any of whose modules were imported after os.environ or logging's configuration changed.
        self.after_change = set()
        self._changed = [False]
        self._children = []
        self._main = threading.get_ident()
        self._original = _bootstrap._find_and_load
        self.environ_at_start = None

    def changed_environment(self):
        """The names of the variables set, changed or removed in os.environ since the timing started, sorted."""
        if self.environ_at_start is None:
            return []
        now = _environ_now()
        changed = {key for key in now.keys() | self.environ_at_start.keys() if now.get(key) != self.environ_at_start.get(key)}
        return sorted(key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key for key in changed)

    def install(self):
        self.environ_at_start = _environ_now()
        scope = {
            "original": self._original,
            "children": self._children,
            "seconds": self.seconds,
            "main": self._main,
            "clock": time.perf_counter,
            "get_ident": threading.get_ident,
            "changed": self._changed,
            "after_change": self.after_change,
            "environ_differs": _environ_differs,
            "environ_at_start": self.environ_at_start,
            "watch_logging": hide_from_tracers(lambda: _watch_logging_configuration(self._changed)),
        }
        _watch_logging_configuration(self._changed)
        exec(_FIND_AND_LOAD, scope)
        # The interpreter's `import` statement looks this function up on the module at every import it has not done yet.
        _bootstrap._find_and_load = scope["_find_and_load"]


# pytest names the running test in os.environ for every phase: not a change of the file's.
_NOT_A_CHANGE = (b"PYTEST_CURRENT_TEST", "PYTEST_CURRENT_TEST")


def _environ_now():
    """os.environ as it is, pytest's own name for the running test left out."""
    data = getattr(os.environ, "_data", None)
    current = dict(data) if isinstance(data, dict) else dict(os.environ)
    for key in _NOT_A_CHANGE:
        current.pop(key, None)
    return current


def _environ_differs(at_start):
    """Whether os.environ differs from `at_start` (an `_environ_now()`): asked at every new import until it does.

    The usual answer, nothing changed and no test running, is one comparison of the environment's own mapping, no copy.
    """
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict) and data == at_start:
        return False
    return _environ_now() != at_start


def _watch_logging_configuration(changed):
    """Once logging.config is imported: a configuration that disables the loggers existing then sets `changed`.

    `dictConfig` and `fileConfig` (with `disable_existing_loggers`, their
    default) disable every logger that exists as they run, and only those: a
    library imported after the call keeps its logger, one imported before loses
    it. Both pass through `_handle_existing_loggers`, watched here.
    """
    config = sys.modules.get("logging.config")
    handle = getattr(config, "_handle_existing_loggers", None)
    if handle is None or getattr(handle, "__wrapped__", None) is not None:
        return

    def _handle_existing_loggers(existing, child_loggers, disable_existing):
        if disable_existing:
            changed[0] = True
        return handle(existing, child_loggers, disable_existing)

    _handle_existing_loggers.__wrapped__ = handle
    config._handle_existing_loggers = hide_from_tracers(_handle_existing_loggers)


# The timing wrapper is compiled as part of importlib's bootstrap, so that the interpreter treats its frame as one of
# importlib's own: cut from an ImportError's traceback (code that asks whether the import failed inside the imported
# module, as flask's app loader does, counts the traceback's frames) and skipped by a warning's `stacklevel`. Defined
# in this file, its frame would be the tests' business: a failure plain pytest does not have.
_FIND_AND_LOAD = compile(
    """
def _find_and_load(name, *args, **kwargs):
    if get_ident() != main:
        return original(name, *args, **kwargs)
    # A module first imported once os.environ (a dict compare until it has) or logging's configuration has changed
    # since the session started, at any depth: a test module's imports are made inside pytest's import of it.
    if not changed[0] and environ_differs(environ_at_start):
        changed[0] = True
    if changed[0]:
        after_change.add(name.partition(".")[0])
    start = clock()
    children.append(0.0)
    try:
        module = original(name, *args, **kwargs)
    finally:
        elapsed = clock() - start
        own = elapsed - children.pop()
        seconds[name] = seconds.get(name, 0.0) + own
        if children:
            children[-1] += elapsed
    if name == "logging.config":
        watch_logging()
    return module
""",
    "<frozen importlib._bootstrap>",
    "exec",
)


# What the timing wrapper calls at every new import, hidden as the wrapper is (see hide_from_tracers).
hide_from_tracers(_environ_now, _environ_differs, _watch_logging_configuration)


def start():
    """Starts timing this process's imports (once: a session a test starts in the same process reports nothing of its own)."""
    global _timer
    if _timer is None:
        _timer = _ImportTimer()
        _timer.install()
    return _timer


def _where(module):
    """The file a module was loaded from; a namespace package's first folder; None for a built-in module."""
    file = getattr(module, "__file__", None)
    if file is None:
        path = list(getattr(module, "__path__", None) or [])
        file = os.path.join(path[0], "") if path else None
    return file


def _kind(file, stdlib, root):
    if file is None:
        return "stdlib"
    file = os.path.normpath(file)
    if in_install_folder(file):
        return "installed"
    if file.startswith(stdlib + os.sep):
        return "stdlib"
    return "project" if root is None or file == root or file.startswith(root + os.sep) else "elsewhere"


# The loaders of a module the interpreter's own finders found: on sys.path (source, bytecode, an extension, a namespace
# package), built in, frozen, or in a zip file. Any other was given by an import hook.
_PLAIN_LOADERS = frozenset({"SourceFileLoader", "SourcelessFileLoader", "ExtensionFileLoader", "BuiltinImporter", "FrozenImporter", "NamespaceLoader", "_NamespaceLoader", "zipimporter"})


def plain_loader(loader):
    """Whether `loader` (a module's, or a spec's) is one of the interpreter's own, not an import hook's."""
    kind = loader if isinstance(loader, type) else type(loader)
    return kind.__name__ in _PLAIN_LOADERS


def rewritten_at_import(module):
    """Whether an import hook changed the module as it was imported: pytest's rewriting of its asserts (`-p`,
    `pytest_plugins`, `register_assert_rewrite`), or a plugin's hook (typeguard's instruments the packages its
    `--typeguard-packages` names with type checks). Each file's session installs the hook again, and it changes the
    module as the file imports it, which a module the fork server imported could not have been: typeguard's checks
    did not run at all, and a suite whose tests fail under plain pytest passed (a helper's trial)."""
    loader = getattr(module, "__loader__", None)
    return loader is not None and not plain_loader(loader)


def report(timer, test_files, min_seconds=0.001, root=None):
    """{top-level package: {"seconds": s, "kind": k, "modules": [name, ...]}} for what this process imported, its test modules and conftests left out.

    "modules": the package's modules this process imported itself (a package
    the server preloaded is not among them, the submodules the files still
    import are), by name.
    """
    # The standard library's folder: where `os` itself was loaded from.
    stdlib = os.path.dirname(os.path.normpath(os.__file__))
    root = None if root is None else os.path.normpath(os.path.abspath(root))
    tests = {os.path.normcase(os.path.abspath(path)) for path in test_files}
    packages = {}
    rewritten = set()
    for name, seconds in list(timer.seconds.items()):
        module = sys.modules.get(name)
        file = _where(module)
        if file is not None and (os.path.basename(file) == "conftest.py" or os.path.normcase(os.path.abspath(file)) in tests):
            continue
        top = name.partition(".")[0]
        if top.startswith("grimoire_run") or top.startswith("_pytest") or top in ("pytest", "pluggy"):
            continue
        if rewritten_at_import(module):
            rewritten.add(top)
        entry = packages.get(top)
        if entry is None:
            top_module = sys.modules.get(top)
            entry = packages[top] = {"seconds": 0.0, "kind": _kind(_where(top_module) if top_module is not None else file, stdlib, root), "modules": []}
        entry["seconds"] += seconds
        if module is not None:
            entry["modules"].append(name)
    return {
        top: {
            "seconds": round(entry["seconds"], 4),
            "kind": entry["kind"],
            "modules": sorted(entry["modules"])[:_MAX_MODULES],
            **({"afterChange": True} if top in timer.after_change else {}),
            **({"rewritten": True} if top in rewritten else {}),
        }
        for top, entry in packages.items()
        if entry["seconds"] >= min_seconds
    }
