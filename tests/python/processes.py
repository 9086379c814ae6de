"""Starting and watching processes, for the tests of grimoire-run's Python side.

Every Python these tests start runs with third-party pytest plugins off
(PYTEST_DISABLE_PLUGIN_AUTOLOAD=1): the machine has some installed, and loading
them in every inner pytest would cost more than the tests themselves.
"""

import os
import time
from pathlib import Path

import pytest

# grimoire-run's Python modules: python/ at the repository's root, two folders up from here.
PYTHON_DIR = Path(__file__).resolve().parents[2] / "python"


def python_env(**changes):
    """This process's environment for a Python on grimoire-run's side: no grimoire-run settings leak in from outside."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIMOIRE_") and key != "PYTEST_ADDOPTS"}
    env["PYTHONPATH"] = str(PYTHON_DIR)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def running(pid):
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    if not os.path.isdir("/proc/self"):
        # No /proc (macOS): a signal 0 tells whether the pid is taken, zombies included.
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def until(condition, what, timeout=10.0):
    """Waits for `condition()` to hold; fails the test, saying `what` was awaited, if it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
