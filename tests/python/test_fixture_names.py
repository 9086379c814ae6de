"""grimoire_run_fixture_names: a forked file's fixture manager is shown only the names of a plugin that are fixtures,
and is shown every name of whatever the server did not see, or saw with other names."""

import types

import _pytest.fixtures as fixtures
import pytest

import grimoire_run_fixture_names as fixture_names


@pytest.fixture
def remembered_dir(monkeypatch):
    """install() in this process, undone afterwards; returns the dir() the fixture manager then calls."""
    monkeypatch.setattr(fixture_names, "_remembered", {})
    monkeypatch.setattr(fixture_names, "_remembering", False)
    monkeypatch.delattr(fixtures, "dir", raising=False)
    fixture_names.install()
    # monkeypatch takes it away again at the end.
    monkeypatch.setattr(fixtures, "dir", fixtures.dir)
    return fixtures.dir


def plugin_module():
    module = types.ModuleType("demo_plugin")
    exec(
        "import pytest\n"
        "@pytest.fixture\n"
        "def served():\n    return 1\n"
        "@pytest.fixture(name='renamed')\n"
        "def _hidden():\n    return 2\n"
        "def helper():\n    pass\n"
        "VALUE = 3\n",
        module.__dict__,
    )
    return module


class Reporter:
    @pytest.fixture
    def from_class(self):
        return 1

    def pytest_configure(self, config):
        pass


def test_a_module_the_server_saw_shows_only_its_fixtures(remembered_dir):
    module = plugin_module()
    assert "helper" in remembered_dir(module)
    fixture_names.stop_remembering()
    assert remembered_dir(module) == ["_hidden", "served"]


def test_a_module_that_gained_a_name_since_shows_every_name(remembered_dir):
    module = plugin_module()
    remembered_dir(module)
    fixture_names.stop_remembering()
    exec("import pytest\n@pytest.fixture\ndef added():\n    return 4\n", module.__dict__)
    assert remembered_dir(module) == dir(module)
    assert "added" in remembered_dir(module)


def test_a_module_that_rebound_a_name_since_shows_every_name(remembered_dir):
    """A plugin's pytest_configure may turn one of its globals into a fixture: no name added, one rebound."""
    module = plugin_module()
    remembered_dir(module)
    fixture_names.stop_remembering()
    exec("import pytest\n@pytest.fixture(name='VALUE')\ndef _value():\n    return 4\n", module.__dict__)
    module.VALUE = module._value
    del module._value
    assert remembered_dir(module) == dir(module)


def test_what_a_file_imports_itself_shows_every_name(remembered_dir):
    fixture_names.stop_remembering()
    module = plugin_module()
    assert remembered_dir(module) == dir(module)
    assert remembered_dir(module) == dir(module)


def test_a_plugin_object_shows_its_classs_fixtures_and_its_own(remembered_dir):
    remembered_dir(Reporter())
    fixture_names.stop_remembering()
    reporter = Reporter()
    assert remembered_dir(reporter) == ["from_class"]
    reporter.attached = fixtures.fixture(lambda: 5)
    reporter.plain = 6
    assert remembered_dir(reporter) == ["attached", "from_class"]
