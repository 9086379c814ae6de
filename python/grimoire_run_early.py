"""The run's first Python, started before grimoire-run has read its options.

grimoire-run's command starts this module (`python -m grimoire_run_early pytest`:
the word, ignored here, is for `ps` and `pgrep -f pytest` to find the process)
as its very first step, with the environment it will most likely give its
first Python process, so that the interpreter's start (and a pyenv shim's, a
virtualenv's site) happens while Node.js loads grimoire-run's own modules and
reads its configuration. Nothing is imported here beyond what `python -m`
itself imports; the module reads one line from stdin and waits for nothing
else:

    {"module": "pytest" | "grimoire_run_forkserver", "args": [...],
     "set": {NAME: VALUE}, "unset": [NAME], "stdin": "inherit" | "pipe" | "ignore",
     "fd3": true | false}

and becomes `python -m MODULE ARGS` in the environment the run gives that
process: the differences from the one it was started with are applied first
(grimoire-run sends it only when none of them is read by the interpreter's own
start: process/earlyPython.ts). `stdin` is the process's stdin: the run's own
(handed over as fd 3), this pipe (the fork server's requests follow the line),
or nothing. `fd3`: whether the process keeps fd 3 (the fork server of a serial
run passes it on to its one file).

stdin closing before the line (grimoire-run ended, or chose another Python):
exit 0 at once, without a word.

grimoire-run's pytest plugin is 1,700 lines, which Python compiles afresh in
every process where the environment says not to write bytecode
(PYTHONDONTWRITEBYTECODE, as in many Docker images): about 20 ms of a serial
run's start. While it waits, this module compiles grimoire-run's own modules
into their `__pycache__` (grimoire-run's folder, never the project's), where
that is missing or older than the source and the folder may be written; and a
process that becomes pytest with the plugin imports it from there before
pytest does (the plugin tells pytest not to rewrite it).

Where grimoire-run's command line looks like a serial run of the whole
selection (GRIMOIRE_EARLY_PYTEST=1), it also imports pytest while it waits,
as `python -m pytest` would first: the serial run's first test comes sooner.
"""

import os
import sys
from importlib._bootstrap_external import cache_from_source

import grimoire_run_depth
import grimoire_run_main

# Set where the run is most likely a serial run's `python -m pytest` (process/earlyPython.ts): pytest is imported while
# the line is awaited. grimoire-run never makes a fork server of such a Python, which must see pytest's import itself.
_PYTEST_AHEAD = "GRIMOIRE_EARLY_PYTEST"

# The plugin and what it imports of grimoire-run's: what a pytest process loads with `-p grimoire_run_pytest`.
_PLUGIN = "grimoire_run_pytest"
_PLUGIN_MODULES = (_PLUGIN, "grimoire_run_import_times", "grimoire_run_paths", "grimoire_run_depth")


def _read_line():
    """The first line of fd 0, read a byte at a time: what follows it is the fork server's, not this module's."""
    line = bytearray()
    while True:
        byte = os.read(0, 1)
        if not byte:
            return None
        if byte == b"\n":
            return bytes(line)
        line += byte


def _stdin(how):
    if how == "inherit":
        os.dup2(3, 0)
    elif how == "ignore":
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)


def _compile_plugin():
    """The plugin's bytecode beside it, where this Python would not write it as it imports it, and may write there."""
    if not sys.dont_write_bytecode:
        return
    folder = os.path.dirname(os.path.abspath(__file__))
    stale = []
    for name in _PLUGIN_MODULES:
        source = os.path.join(folder, f"{name}.py")
        cached = cache_from_source(source)
        try:
            if os.stat(cached).st_mtime >= os.stat(source).st_mtime:
                continue
        except OSError:
            pass
        stale.append((source, cached))
    if not stale:
        return
    import py_compile

    for source, cached in stale:
        try:
            py_compile.compile(source, cfile=cached, doraise=True)
        except (OSError, py_compile.PyCompileError):
            # A folder it may not write in (an install owned by another user): every process compiles it, as before.
            return


def _loads_plugin(module, args):
    return module == "pytest" and any(first == "-p" and second == _PLUGIN for first, second in zip(args, args[1:]))


def main(top):
    """`top`: the room for nested calls at this module's top level, where `python -m MODULE` would run the module's."""
    _compile_plugin()
    if os.environ.get(_PYTEST_AHEAD) == "1":
        # What `python -m pytest` imports first, while Node.js loads grimoire-run: its import reads no environment variable.
        # One that fails (no pytest in this Python) fails again, and is said, where `python -m pytest` would import it.
        try:
            import pytest  # noqa: F401
        except Exception:
            pass
    line = _read_line()
    if line is None:
        os._exit(0)
    import json

    request = json.loads(line)
    for key in request["unset"]:
        os.environ.pop(key, None)
    os.environ.update(request["set"])
    _stdin(request["stdin"])
    if not request["fd3"]:
        try:
            os.close(3)
        except OSError:
            pass
    module = request["module"]
    # As `python -m MODULE ARGS` has them: argv[0] becomes the module's file, orig_argv names the module, and the
    # module runs as a __main__ of its own (this one stays findable by its name: grimoire_run_main).
    sys.argv = ["-m", *request["args"]]
    orig_argv = getattr(sys, "orig_argv", None)
    at = orig_argv.index("-m") if orig_argv is not None and "-m" in orig_argv else -1
    if at >= 0 and orig_argv[at + 1 : at + 2] == [__spec__.name]:
        sys.orig_argv = [*orig_argv[:at], "-m", module, *request["args"]]
    grimoire_run_main.fresh_main()
    if _loads_plugin(module, request["args"]):
        # From its bytecode (pytest's own import of it would compile it): pytest then registers the module imported.
        __import__(_PLUGIN)
    grimoire_run_depth.as_at_the_top(top)
    grimoire_run_main.run_as_main(module)


if __name__ == "__main__":
    main(grimoire_run_depth.remaining())
