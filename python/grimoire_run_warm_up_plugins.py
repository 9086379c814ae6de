"""Which installed pytest plugins the fork server's warm-up session must not load.

The warm-up (grimoire_run_forkserver) runs one empty pytest session outside the
project, with plugin autoloading as the environment says, so that every
plugin's imports are done once for the run. Two kinds of plugin must stay out
of it, because whatever the server imports, every file inherits imported:

- a plugin the project turns off (`-p no:NAME` in its addopts, or in the run's
  pytest arguments): plain pytest never imports it. respx's addopts say
  `-p no:respx --cov=respx`: its own package is a plugin it keeps off, so that
  pytest-cov, which starts after the plugins load, sees its modules imported.
  Loaded by the warm-up, every module-level line of respx counted as missed
  (85% against plain pytest's 100%, and `--cov-fail-under=100` failed the run);
- a plugin that is the project's own code (its module lies in the project's
  folder, outside any site-packages: an editable install of the project, whose
  entry point registers its fixtures): the server imports none of the project's
  code, and each file imports it in its own session, as plain pytest does;
- a plugin whose pytest_configure sets up what a process can have only once, as
  its options say: pytest-twisted installs the Twisted reactor its `--reactor`
  names. Configured by the warm-up, the server held Twisted's default reactor,
  and every file of a project that asks for `--reactor=asyncio` (scrapy's)
  failed with pytest-twisted's WrongReactorAlreadyInstalledError, an internal
  error, where plain pytest passes.

Each file's session still loads what its own arguments and configuration say;
the names found here only keep the server from importing them first. Anything
this module cannot read (a pytest whose ini reading differs, a configuration
pytest itself would refuse) leaves the warm-up as it was.
"""

import os
import shlex
import sys

from grimoire_run_paths import in_install_folder

def kept_out(args, folder):
    """Entry-point names for `-p no:NAME` in the warm-up: those the run's arguments or the project's addopts turn off,
    and those whose module is the project's own code. `args`: the run's pytest arguments as its first request gives
    them (empty when there is none); `folder`: the project's folder, where the files run."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        # No entry point loads by itself, in the warm-up as in the files: nothing to leave out, and the 7-9 ms of
        # reading every package's entry points stay off the way to the first file.
        return []
    try:
        points = _entry_points()
    except Exception:
        return []
    # Only installed plugins: a builtin one the project turns off (`-p no:cacheprovider`) is pytest's own module, and
    # the warm-up goes through it as the files' sessions may not.
    installed = {point.name for point in points}
    names = set(_turned_off(list(args) + _ini_addopts(args, folder))) & installed
    names.update(_project_entry_points(points, folder))
    names.update(point.name for point in points if _module_of(point) in _SET_UP_ONCE_A_PROCESS)
    return sorted(names)


# Plugins whose pytest_configure sets up, as the session's options say, what a process can have only once.
_SET_UP_ONCE_A_PROCESS = {"pytest_twisted"}


def _module_of(point):
    return point.value.split(":", 1)[0].strip()


def _turned_off(args):
    """The NAMEs of `-p no:NAME` (and `-pno:NAME`) among pytest arguments."""
    names = []
    for index, arg in enumerate(args):
        value = args[index + 1] if arg == "-p" and index + 1 < len(args) else arg[2:] if arg.startswith("-p") else None
        if value is not None and value.startswith("no:") and len(value) > 3:
            names.append(value[3:])
    return names


def _config_file(args):
    """The ini file the arguments name (`-c FILE`, `--config-file FILE`), or None."""
    for index, arg in enumerate(args):
        if arg in ("-c", "--config-file") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--config-file="):
            return arg.split("=", 1)[1]
        if arg.startswith("-c") and len(arg) > 2 and not arg.startswith("--"):
            return arg[2:]
    return None


def _ini_addopts(args, folder):
    """The project's `addopts`, as pytest's own reading of its configuration files finds them from the folder (or the
    file `-c` names); empty when there are none or pytest's functions are not the ones this was written for."""
    try:
        import pathlib

        from _pytest.config import findpaths

        named = _config_file(args)
        if named is not None:
            found = findpaths.load_config_dict_from_file(pathlib.Path(folder, named))
        else:
            try:
                located = findpaths.locate_config(pathlib.Path(folder), [])
            except TypeError:
                # pytest before 8.1: locate_config(args), the arguments' folders or else the current one's.
                located = findpaths.locate_config([pathlib.Path(folder)])
            found = located[2]
        value = (found or {}).get("addopts")
        # pytest 9 wraps each value (ConfigValue); a TOML array is a list already.
        value = getattr(value, "value", value)
        if isinstance(value, str):
            return shlex.split(value)
        if isinstance(value, (list, tuple)):
            return [str(item) for item in value]
    except Exception:
        pass
    return []


def _entry_points():
    from importlib import metadata

    points = metadata.entry_points()
    if hasattr(points, "select"):
        return list(points.select(group="pytest11"))
    # Python 3.8 and 3.9: a dict of groups.
    return list(points.get("pytest11", ()))


def _project_entry_points(points, folder):
    """The pytest11 entry points whose top-level module is found (not imported) in the project's folder, outside any
    site-packages folder (a virtualenv inside the project holds installed packages, not the project's code)."""
    from importlib import util

    project = os.path.realpath(folder)
    names = []
    for point in points:
        top = _module_of(point).split(".", 1)[0]
        try:
            spec = util.find_spec(top) if top not in sys.modules else None
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        places = [spec.origin] if spec.origin not in (None, "namespace") else list(spec.submodule_search_locations or [])
        if any(_is_project_code(place, project) for place in places if place):
            names.append(point.name)
    return names


def _is_project_code(place, project):
    real = os.path.realpath(place)
    if os.path.commonpath([real, project]) != project:
        return False
    return not in_install_folder(os.path.relpath(real, project))
