"""The fork server's warm-up loads installed plugins, but not those the project turns off, nor the project's own code."""

import subprocess
import sys
import textwrap

import pytest
from processes import python_env

import grimoire_run_warm_up_plugins as warm_up_plugins

WARM_UP_THEN_SAY_WHAT_IS_IMPORTED = """
import sys
import grimoire_run_forkserver as server

server._warm_up(sys.argv[1:])
print(sorted(name for name in sys.modules if name.split(".")[0] in ("ownplug", "extplug")))
"""


def _plugin_package(where, name, *, dist_folder):
    """A package `name` whose module `name.plugin` is a pytest11 entry point (named `name`), as pip would install it."""
    (where / name).mkdir(parents=True)
    (where / name / "__init__.py").write_text("")
    (where / name / "plugin.py").write_text("import pytest\n\n@pytest.fixture\ndef fixture_of_" + name + "():\n    return 1\n")
    info = dist_folder / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[pytest11]\n{name} = {name}.plugin\n")


@pytest.fixture
def project(tmp_path):
    """A project whose own package `ownplug` is a plugin (installed editable: its metadata in a virtualenv, its code in the
    project), beside an installed plugin `extplug` (code and metadata in the virtualenv's site-packages)."""
    root = tmp_path / "project"
    site = root / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    _plugin_package(root, "ownplug", dist_folder=site)
    _plugin_package(site, "extplug", dist_folder=site)
    return root


def _warm_up(root, args=(), ini=None):
    if ini is not None:
        (root / "pyproject.toml").write_text(textwrap.dedent(ini))
    env = python_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD=None)
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{root / '.venv' / 'lib' / 'site-packages'}"
    result = subprocess.run([sys.executable, "-c", WARM_UP_THEN_SAY_WHAT_IS_IMPORTED, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])


def test_the_warm_up_loads_installed_plugins_but_not_the_projects_own(project):
    """An installed plugin is imported once for every file; the project's own package, a plugin by its entry point, is not:
    each file imports it in its own session, as plain pytest does."""
    assert _warm_up(project) == ["extplug", "extplug.plugin"]


def test_the_warm_up_leaves_out_pytest_twisted_whose_configure_installs_the_reactor_each_file_asks_for(project):
    """pytest-twisted's pytest_configure installs the reactor its --reactor names, once a process: configured by the
    warm-up, the server held the default one, and a project's --reactor=asyncio failed every file (scrapy's trial)."""
    site = project / ".venv" / "lib" / "site-packages"
    (site / "pytest_twisted.py").write_text(
        "import sys\n\ndef pytest_configure(config):\n    sys.modules.setdefault('twistedlike_reactor', type(sys)('twistedlike_reactor'))\n"
    )
    info = site / "pytest_twisted-1.14.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pytest-twisted\nVersion: 1.14\n")
    (info / "entry_points.txt").write_text("[pytest11]\ntwisted = pytest_twisted\n")
    script = WARM_UP_THEN_SAY_WHAT_IS_IMPORTED.replace('("ownplug", "extplug")', '("ownplug", "extplug", "pytest_twisted", "twistedlike_reactor")')
    env = python_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD=None)
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{site}"
    result = subprocess.run([sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert eval(result.stdout.strip().splitlines()[-1]) == ["extplug", "extplug.plugin"]


def test_the_warm_up_leaves_out_a_plugin_the_projects_addopts_turn_off(project):
    """respx's `-p no:respx --cov=respx`: a plugin the project turns off is imported by the tests alone, after pytest-cov
    has started, and its module-level lines count as run."""
    ini = """
        [tool.pytest.ini_options]
        addopts = "-p no:extplug -q"
    """
    assert _warm_up(project, ini=ini) == []


def test_the_warm_up_leaves_out_a_plugin_the_runs_arguments_turn_off(project):
    assert _warm_up(project, args=["-pno:extplug", "tests"]) == []


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["-p", "no:a", "-pno:b", "-p", "c", "-p"], ["a", "b"]),
        (["-p", "no:"], []),
        (["-k", "no:thing"], []),
    ],
)
def test_turned_off_plugins_are_read_as_pytest_reads_dash_p(args, names):
    assert warm_up_plugins._turned_off(args) == names


def test_addopts_are_read_from_the_file_dash_c_names(tmp_path):
    (tmp_path / "ci.ini").write_text("[pytest]\naddopts = -p no:randomly\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:other\n")
    assert warm_up_plugins._ini_addopts(["-c", "ci.ini"], str(tmp_path)) == ["-p", "no:randomly"]
    assert warm_up_plugins._ini_addopts([], str(tmp_path)) == ["-p", "no:other"]


def test_only_installed_plugins_are_kept_out_and_the_project_own_are_named(project, monkeypatch):
    """A builtin plugin the project turns off stays in the warm-up (pytest's own module, which the server goes through
    anyway); the names said to grimoire-run are installed plugins' only."""
    (project / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider -p no:extplug\n")
    monkeypatch.syspath_prepend(str(project / ".venv" / "lib" / "site-packages"))
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    assert warm_up_plugins.kept_out([], str(project)) == ["extplug", "ownplug"]
    # With autoloading off no entry point loads by itself, in the warm-up as in the files: none is read.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert warm_up_plugins.kept_out([], str(project)) == []
