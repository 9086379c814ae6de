"""Where a file lies: in an installed package's folder, or elsewhere (the project's code, a script).

Several of grimoire-run's modules ask it of a path: the preload (only installed
packages and Python's own modules may be imported ahead), the import times
(installed, stdlib or project), the fork server's warm-up (a plugin whose module
is the project's own code stays out of it), the plugin's notices (a frame of a
library or of the test). One answer for all of them: a path with a folder named
as pip, Debian's Python or PEP 582 install packages into.
"""

import os

INSTALL_FOLDERS = frozenset(("site-packages", "dist-packages", "__pypackages__"))


def in_install_folder(path):
    """Whether `path` (absolute or relative, either separator) has a site-packages, dist-packages or __pypackages__
    folder among its parts."""
    return not INSTALL_FOLDERS.isdisjoint(os.path.normpath(path).replace("\\", "/").split("/"))


# What a tracer reads as importlib's own code: coverage.py skips a file name that starts with "<" ("not a real file"),
# and the interpreter cuts importlib's frames from an ImportError's traceback.
_IMPORTLIB_FILE = "<frozen importlib._bootstrap_external>"


def _renamed(code, filename):
    consts = tuple(_renamed(const, filename) if isinstance(const, type(code)) else const for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


# The same for the stand-ins of C functions (gc.collect, sys.getrecursionlimit): no file a tracer measures.
STAND_IN_FILE = "<grimoire-run>"


def hide_from_tracers(*functions, as_file=_IMPORTLIB_FILE):
    """Files grimoire-run's hooks in the import system under importlib's name, so that a tracer sees them as it sees the
    import machinery they wrap, not as the project's code.

    They run inside the tests' own imports (the bytecode cache's cache_from_source, the import timer's environment
    check, the finder of grimoire-run's own modules): a test that measures coverage around an import with no source
    given (coverage.py's own suite) counted grimoire_run_fork.py and grimoire_run_import_times.py among the measured
    files, and 13 of its tests failed that pass under plain pytest (a helper's trial). Python 3.8 and later (replace).
    """
    for function in functions:
        code = getattr(function, "__code__", None)
        if code is not None and hasattr(code, "replace"):
            function.__code__ = _renamed(code, as_file)
    return functions[0] if len(functions) == 1 else functions


class _OwnModules:
    """Finds grimoire-run's own modules (`grimoire_run_*`) in its folder, which is then no entry of sys.path."""

    def __init__(self, folder):
        self.folder = folder

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or not fullname.startswith("grimoire_run"):
            return None
        import importlib.machinery

        return importlib.machinery.PathFinder.find_spec(fullname, [self.folder], target)


hide_from_tracers(_OwnModules.find_spec)


def hide_own_folder():
    """Takes grimoire-run's own folder out of sys.path, where PYTHONPATH put it for `-p grimoire_run_pytest` and
    `-m grimoire_run_*` to be found, and finds its modules by name instead.

    On sys.path, every module in it was one more module of the interpreter's: `pkgutil.iter_modules()` listed 18 of
    them, and pdoc's smoke test, parametrized over what it lists, collected 18 tests more than under plain pytest
    (a helper's trial). The tests' own PYTHONPATH is the user's already (grimoire-run's docs/test-environment.md).
    """
    folder = os.path.dirname(os.path.abspath(__file__))
    import sys

    kept = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != folder]
    if len(kept) == len(sys.path):
        return
    sys.path[:] = kept
    if not any(isinstance(finder, _OwnModules) for finder in sys.meta_path):
        sys.meta_path.append(_OwnModules(folder))
