"""A forked file's bytecode cache (grimoire_run_fork.use_bytecode_cache), in a Python process of its own: it patches
the import system."""

import os
import subprocess
import sys
import textwrap
import time

from processes import PYTHON_DIR


def test_a_module_compiled_beside_its_source_is_read_there_and_the_rest_go_to_the_cache(tmp_path):
    (tmp_path / "compiled.py").write_text("X = 1\n")
    (tmp_path / "uncompiled.py").write_text("Y = 2\n")
    # Sources written before the run; one written moments ago (a test's scratch module) gets no bytecode kept.
    for name in ("compiled.py", "uncompiled.py"):
        os.utime(tmp_path / name, (time.time() - 60, time.time() - 60))
    (tmp_path / "fresh.py").write_text("Z = 3\n")
    (tmp_path / "scripted.py").write_text("W = 4\n")
    script = textwrap.dedent(
        f"""
        import importlib, importlib._bootstrap_external as external, os, py_compile, sys
        sys.path[:0] = [{str(PYTHON_DIR)!r}, {str(tmp_path)!r}]
        py_compile.compile({str(tmp_path / "compiled.py")!r})  # as pip compiles what it installs
        import grimoire_run_fork
        grimoire_run_fork.use_bytecode_cache({str(tmp_path / "cache")!r})
        assert not sys.dont_write_bytecode and sys.pycache_prefix is None
        import compiled, uncompiled, fresh
        assert compiled.X == 1 and uncompiled.Y == 2 and fresh.Z == 3 and getattr(fresh, "__cached__", None) is None
        print(external.cache_from_source(compiled.__file__))
        print(external.cache_from_source(uncompiled.__file__))
        # Code that compiles on purpose (alembic's sourceless scripts) writes beside the source, as in a plain run.
        print(py_compile.compile({str(tmp_path / "scripted.py")!r}))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    beside, cached, scripted = result.stdout.split()
    assert beside.startswith(str(tmp_path / "__pycache__" / "compiled."))
    # By the path PYTHONPYCACHEPREFIX would give it.
    assert cached == str(tmp_path / "cache" / str(tmp_path).lstrip(os.sep) / os.path.basename(cached)) and "uncompiled." in cached
    assert scripted.startswith(str(tmp_path / "__pycache__" / "scripted."))
    # The module with no bytecode beside it was compiled into the cache, and nothing was written beside the sources
    # but what py_compile was asked for.
    assert sorted(path.name.split(".")[0] for path in (tmp_path / "cache").rglob("*.pyc")) == ["uncompiled"]
    assert sorted(path.name.split(".")[0] for path in (tmp_path / "__pycache__").iterdir()) == ["compiled", "scripted"]


def test_a_module_pytest_rewrote_beside_its_source_is_read_there_and_the_rest_go_to_the_cache(tmp_path):
    (tmp_path / "__pycache__").mkdir()
    script = textwrap.dedent(
        f"""
        import pathlib, sys
        sys.path[:0] = [{str(PYTHON_DIR)!r}]
        from _pytest.assertion import rewrite
        pathlib.Path({str(tmp_path / "__pycache__")!r}, "test_old" + rewrite.PYC_TAIL).write_bytes(b"")
        import grimoire_run_fork
        grimoire_run_fork.use_bytecode_cache({str(tmp_path / "cache")!r})
        print(rewrite.get_cache_dir(pathlib.Path({str(tmp_path / "test_old.py")!r})))
        print(rewrite.get_cache_dir(pathlib.Path({str(tmp_path / "test_new.py")!r})))
        """
    )
    (tmp_path / "test_new.py").write_text("def test_new():\n    pass\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    beside, cached = result.stdout.split()
    assert beside == str(tmp_path / "__pycache__")
    # Under its path, and under a hash of its content.
    assert os.path.dirname(cached) == str(tmp_path / "cache" / str(tmp_path).lstrip(os.sep)) and len(os.path.basename(cached)) == 16


def test_a_source_replaced_by_one_of_the_same_size_and_date_runs_its_new_code(tmp_path):
    """Python and pytest take bytecode whose recorded second and size match the source's for current: a module and a
    test module replaced so (cp -p, rsync -t, an archive) must not run their old code from the cache."""
    project = tmp_path / "project"
    project.mkdir()
    sources = {"helper.py": "VALUE = 1\n", "test_it.py": "import helper\n\ndef test_it():\n    assert helper.VALUE == 1\n"}
    run = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(PYTHON_DIR)!r}, {str(project)!r}]
        import grimoire_run_fork
        grimoire_run_fork.use_bytecode_cache({str(tmp_path / "cache")!r})
        import pytest
        grimoire_run_fork.use_bytecode_cache({str(tmp_path / "cache")!r})
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", {str(project / "test_it.py")!r}]))
        """
    )

    def write(changes, when):
        for name, text in changes.items():
            (project / name).write_text(text)
            os.utime(project / name, (when, when))

    def pytest_passes():
        result = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, cwd=project, env={"PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
        assert result.returncode in (0, 1), result.stdout + result.stderr
        return result.returncode == 0

    long_ago = time.time() - 3600
    write(sources, long_ago)
    assert pytest_passes()
    assert len(list((tmp_path / "cache").rglob("*.pyc"))) == 2
    # The module, then the test module, replaced by one of the same size, dated as the one before.
    write({"helper.py": "VALUE = 2\n"}, long_ago)
    assert not pytest_passes()
    write({"helper.py": "VALUE = 1\n", "test_it.py": sources["test_it.py"].replace("== 1", "== 3")}, long_ago)
    assert not pytest_passes()


def test_an_import_under_a_tests_patched_open_and_stat_finds_its_module(tmp_path):
    """typer's test_file_error patches `open` to raise and then imports a module lazily: the cache's own reading of the
    source must not go through the test's patches (it did, and the import failed under the fork server alone)."""
    (tmp_path / "lazy.py").write_text("VALUE = 5\n")
    os.utime(tmp_path / "lazy.py", (time.time() - 60, time.time() - 60))
    script = textwrap.dedent(
        f"""
        import builtins, os, sys
        sys.path[:0] = [{str(PYTHON_DIR)!r}, {str(tmp_path)!r}]
        import grimoire_run_fork
        grimoire_run_fork.use_bytecode_cache({str(tmp_path / "cache")!r})

        def refuse(*args, **kwargs):
            raise TypeError("patched by a test")

        builtins.open, os.stat, os.getcwd = refuse, refuse, refuse
        import lazy
        print(lazy.VALUE)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5"]
    assert [path.name.split(".")[0] for path in (tmp_path / "cache").rglob("*.pyc")] == ["lazy"]
