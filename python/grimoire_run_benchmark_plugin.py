"""pytest-benchmark's look at the repository, taken once per run in the fork server instead of once per file.

Its one job: pytest-benchmark, installed, works out a tag for its
`--benchmark-autosave` option's help in every session, and to make it runs git
six times (`describe --dirty`, `show` twice, `rev-parse` twice, `config`) and
`file` on the interpreter (the machine's id): 9 ms per session in a small
repository, 249 ms in a clone of SQLAlchemy's, measured. A plain run pays that
once; one process per file paid it for every file.

What it remembers is what a plain run's one session works out at its start: the
commit information (by project name and working folder) and the machine's id,
both as they are when the fork server's warm-up asks, in the project's folder.
The tag's time stays each session's own. The remembered commit information
answers only that tag (`get_tag`, for the option's help), and the machine's id
only outside a test: a test's own call, and the session's saving of its
benchmarks, ask git and the machine as in a plain run (pytest-benchmark's own
tests of `get_commit_info` read the branch they had just checked out, and got
the warm-up's). Nothing is done where pytest-benchmark
is not installed or plugin autoloading is off (the run would not load it unless
named), nor for a pytest-benchmark whose functions are not the ones this was
written for (5.x).
"""

import functools
import importlib.util
import os
import sys


def install():
    """Memoizes pytest-benchmark's commit information and machine id; returns what undoes it, or None."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") or importlib.util.find_spec("pytest_benchmark") is None:
        return None
    try:
        import pytest_benchmark.utils as utils
    except Exception:
        return None
    originals = {name: getattr(utils, name, None) for name in ("get_commit_info", "get_machine_id")}
    if any(original is None or getattr(original, "grimoire_memoized", False) for original in originals.values()):
        return None

    commit_info = functools.lru_cache(maxsize=None)(lambda project_name, folder: originals["get_commit_info"](project_name))

    def get_commit_info(project_name=None):
        caller = sys._getframe(1)
        if caller.f_code.co_name != "get_tag" or caller.f_globals.get("__name__") != utils.__name__:
            return originals["get_commit_info"](project_name)
        # Each caller gets its own copy: the plugin's hook implementations may add to the dict they are given.
        return dict(commit_info(project_name, os.getcwd()))

    remembered_machine_id = functools.lru_cache(maxsize=None)(originals["get_machine_id"])

    def get_machine_id():
        test_running = getattr(sys.modules.get("grimoire_run_pytest"), "test_running", None)
        if test_running is not None and test_running():
            return originals["get_machine_id"]()
        return remembered_machine_id()

    get_commit_info.grimoire_memoized = get_machine_id.grimoire_memoized = True
    utils.get_commit_info = get_commit_info
    utils.get_machine_id = get_machine_id

    def undo():
        # The plugin's modules bind the functions by name when they are imported (after this, in the warm-up).
        patched = {"get_commit_info": get_commit_info, "get_machine_id": get_machine_id}
        for module in (utils, sys.modules.get("pytest_benchmark.plugin"), sys.modules.get("pytest_benchmark.session")):
            for name, original in originals.items():
                if getattr(module, name, None) is patched[name]:
                    setattr(module, name, original)

    return undo
