"""pytest's own start, done once per run in the fork server instead of once per file.

Its one job: `get_config`, the first thing `pytest.main` does (a plugin manager
with pytest's forty-odd builtin plugins imported and registered, about half of
a tiny file's start-up), is done by the server for the run's arguments, and
each forked file takes its own pristine copy (fork copies memory) instead of
making one. It reads nothing of the file's: `get_config` depends only on the
working folder and the `-p` arguments, which every file of a run shares; a
file whose `-p` arguments differ (or a pytest whose `get_config` is not the
one this was written for) makes its own, as pytest always does.

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


def _known_shape(pytest_config):
    """get_config as pytest 7 to 9 write it: (args, plugins), a fresh PytestPluginManager each call."""
    try:
        return list(inspect.signature(pytest_config.get_config).parameters) == ["args", "plugins"] and hasattr(pytest_config.Config, "InvocationParams")
    except (TypeError, ValueError):
        return False


def prepare(args):
    """In the server: the config files run with these arguments start from, unless one is made already."""
    global _prepared
    import _pytest.config as pytest_config

    key = _plugin_args(args)
    if (_prepared is not None and _prepared[0] == key) or not _known_shape(pytest_config):
        return
    replacing = _prepared is not None
    config = pytest_config.get_config(list(args))
    if _OWN_PLUGIN in key and _OWN_PLUGIN in sys.modules:
        config.pluginmanager.register(sys.modules[_OWN_PLUGIN], _OWN_PLUGIN)
    _prepared = (key, config)
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
    config = _prepared[1]
    original = pytest_config.get_config

    def get_config(args=None, plugins=None):
        pytest_config.get_config = original
        if plugins:
            return original(args, plugins)
        config.invocation_params = pytest_config.Config.InvocationParams(args=tuple(args or ()), plugins=plugins, dir=pathlib.Path.cwd())
        return config

    pytest_config.get_config = get_config
