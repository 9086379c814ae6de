"""pytest's own start, done once per run in the fork server instead of once per file.

Its one job: `get_config`, the first thing `pytest.main` does (a plugin manager
with pytest's forty-odd builtin plugins imported and registered, about half of
a tiny file's start-up), is done by the server for the run's arguments, and
each forked file takes its own pristine copy (fork copies memory) instead of
making one. It reads nothing of the file's: `get_config` depends only on the
working folder and the `-p` arguments, which every file of a run shares; a
file whose `-p` arguments differ (or a pytest whose `get_config` is not the
one this was written for: pytest 7 to 9.1) makes its own, as pytest always does.

The config comes with grimoire-run's own plugin registered, which every file's
`-p` names: `-p` would otherwise look for it among every installed package's
entry points first. It is registered before the project's `-p` plugins of
addopts rather than after them; it reads nothing of the file's.
"""

import gc
import inspect
import pathlib
import sys

_prepared = None
# Every file's command line names it; the server imported it in its warm-up.
_OWN_PLUGIN = "grimoire_run_pytest"
_FORKED_PROG = "python -m pytest"


def _plugin_args(args):
    """The `-p NAME` arguments, the only ones get_config reads (for `-p no:NAME`)."""
    found = []
    args = list(args)
    for index, arg in enumerate(args):
        if arg == "-p" and index + 1 < len(args):
            found.append(args[index + 1])
        elif arg.startswith("-p") and len(arg) > 2:
            found.append(arg[2:])
    return tuple(found)


def _shape(pytest_config):
    """The keywords get_config takes besides (args, plugins), as pytest 7 to 9.0 (none) and 9.1 (prog) write it; None for another shape."""
    try:
        parameters = list(inspect.signature(pytest_config.get_config).parameters)
    except (TypeError, ValueError):
        return None
    if not hasattr(pytest_config.Config, "InvocationParams") or parameters[:2] != ["args", "plugins"] or parameters[2:] not in ([], ["prog"]):
        return None
    # pytest 9.1 names the program in its usage line: a forked file is `python -m pytest` (pytest's __main__ is its argv[0]).
    return {"prog": _FORKED_PROG} if parameters[2:] == ["prog"] else {}


def prepare(args):
    """In the server: the config files run with these arguments start from, unless one is made already."""
    global _prepared
    import _pytest.config as pytest_config

    key = _plugin_args(args)
    keywords = _shape(pytest_config)
    if (_prepared is not None and _prepared[0] == key) or keywords is None:
        return
    replacing = _prepared is not None
    try:
        config = pytest_config.get_config(list(args), **keywords)
    except Exception:
        # Arguments pytest refuses (a `-p` plugin that does not import): each file makes its own config, and fails as pytest does.
        return
    if _OWN_PLUGIN in key and _OWN_PLUGIN in sys.modules:
        config.pluginmanager.register(sys.modules[_OWN_PLUGIN], _OWN_PLUGIN)
    _prepared = (key, config, keywords)
    # Out of the garbage collector's reach, as the server's imports are: the collections every file's session runs
    # (five at its end) would otherwise go through the whole config and copy every page it lives on. A config this
    # one replaces is let go first.
    if replacing:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def take(args):
    """In a forked file: pytest's first get_config returns the prepared config, made for arguments like these."""
    import _pytest.config as pytest_config

    if _prepared is None or _prepared[0] != _plugin_args(args):
        return
    _, config, keywords = _prepared
    original = pytest_config.get_config

    def get_config(args=None, plugins=None, **given):
        pytest_config.get_config = original
        if plugins or given != keywords:
            return original(args, plugins, **given)
        config.invocation_params = pytest_config.Config.InvocationParams(args=tuple(args or ()), plugins=plugins, dir=pathlib.Path.cwd())
        return config

    pytest_config.get_config = get_config
