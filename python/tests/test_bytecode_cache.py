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
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    beside, cached = result.stdout.split()
    assert beside == str(tmp_path / "__pycache__")
    assert cached.startswith(str(tmp_path / "cache"))
