"""A forked file's bytecode cache (grimoire_run_fork.use_bytecode_cache), in a Python process of its own: it patches
the import system."""

import subprocess
import sys
import textwrap

from processes import PYTHON_DIR


def test_a_module_compiled_beside_its_source_is_read_there_and_the_rest_go_to_the_cache(tmp_path):
    (tmp_path / "compiled.py").write_text("X = 1\n")
    (tmp_path / "uncompiled.py").write_text("Y = 2\n")
    script = textwrap.dedent(
        f"""
        import importlib, importlib._bootstrap_external as external, os, py_compile, sys
        sys.path[:0] = [{str(PYTHON_DIR)!r}, {str(tmp_path)!r}]
        py_compile.compile({str(tmp_path / "compiled.py")!r})  # as pip compiles what it installs
        import grimoire_run_fork
        grimoire_run_fork.use_bytecode_cache({str(tmp_path / "cache")!r})
        assert not sys.dont_write_bytecode and sys.pycache_prefix == {str(tmp_path / "cache")!r}
        import compiled, uncompiled
        assert compiled.X == 1 and uncompiled.Y == 2
        print(external.cache_from_source(compiled.__file__))
        print(external.cache_from_source(uncompiled.__file__))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    beside, cached = result.stdout.split()
    assert beside.startswith(str(tmp_path / "__pycache__" / "compiled."))
    assert cached.startswith(str(tmp_path / "cache")) and "uncompiled." in cached
    # The module with no bytecode beside it was compiled into the cache, and nothing new was written beside the sources.
    assert any(path.name.startswith("uncompiled.") for path in (tmp_path / "cache").rglob("*.pyc"))
    assert sorted(path.name.split(".")[0] for path in (tmp_path / "__pycache__").iterdir()) == ["compiled"]


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
