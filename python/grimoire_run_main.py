"""Becoming `python -m MODULE` late: the early Python, and a file the fork server forks, run pytest's `__main__` (the fork
server's, for the early Python that becomes it) from inside a process that started as something else.

Its one job: the stack a test sees below pytest costs what a plain run's costs. `inspect.stack()` (dynaconf calls it to
find a settings file's caller, as other libraries and test helpers do) looks for each frame's module by the frame's
file, and where no loaded module has that file, it goes through every module in `sys.modules` again, for every such
frame, every time. A plain `python -m pytest` has two such frames at its bottom (runpy's, `<frozen runpy>`). A process
that became pytest through runpy had two more of runpy's, and the frames of the module `python -m` first ran, which
was `__main__` no longer once a fresh `__main__` took its place: four more in the early Python's serial run, ten more
in a forked file, and a forked file has the fork server's preloads in `sys.modules` besides. dynaconf's suite, whose
settings call `inspect.stack()`, took 14% more instructions in a serial run than plain pytest's (callgrind).

So the module a process started as stays in `sys.modules` under its own name when a fresh `__main__` replaces it
(`fresh_main`), and the module the process becomes runs in this module's frame, not under runpy's (`run_as_main`).
"""

import runpy
import sys
import types


def fresh_main():
    """Puts a fresh `__main__` in place, as `python -m` starts with, keeping the one it replaces findable by its name."""
    replaced = sys.modules.get("__main__")
    name = getattr(getattr(replaced, "__spec__", None), "name", None)
    if isinstance(name, str) and name not in sys.modules:
        sys.modules[name] = replaced
    sys.modules["__main__"] = types.ModuleType("__main__")


def run_as_main(name):
    """Runs module `name` as `python -m name` does (runpy's `_run_module_as_main` with argv altered), in this frame."""
    try:
        _, spec, code = runpy._get_module_details(name, runpy._Error)
    except runpy._Error as error:
        sys.exit(f"{sys.executable}: {error}")
    sys.argv[0] = spec.origin
    main_globals = sys.modules["__main__"].__dict__
    main_globals.update(
        __name__="__main__",
        __file__=spec.origin,
        __cached__=spec.cached,
        __doc__=None,
        __loader__=spec.loader,
        __package__=spec.parent,
        __spec__=spec,
    )
    exec(code, main_globals)
