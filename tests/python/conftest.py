"""What the tests of grimoire-run's Python side share. Run them with `python3 -m pytest tests/python`."""

import os
import sys

import pytest
from processes import PYTHON_DIR

pytest_plugins = ["pytester"]

# The tests read the protocol's description through the server's own module.
sys.path.insert(0, str(PYTHON_DIR))


@pytest.fixture
def plugin_pytester(pytester, monkeypatch):
    """pytester whose inner pytest processes can load grimoire-run's plugin (they still need `-p grimoire_run_pytest`)."""
    for key in [key for key in os.environ if key.startswith("GRIMOIRE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PYTHONPATH", str(PYTHON_DIR))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester
