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


class _OwnModules:
    """Finds grimoire-run's own modules (`grimoire_run_*`) in its folder, which is then no entry of sys.path."""

    def __init__(self, folder):
        self.folder = folder

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or not fullname.startswith("grimoire_run"):
            return None
        import importlib.machinery

        return importlib.machinery.PathFinder.find_spec(fullname, [self.folder], target)


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
