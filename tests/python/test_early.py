"""The early Python (grimoire_run_early): started before grimoire-run knows what it will be, told by one line.

The promises kept here: stdin closing before the line ends it at once, saying
nothing; the line's environment changes are what the module sees; the module
runs as `python -m MODULE ARGS` would run it; and what follows the line on
stdin is the module's own (the fork server's requests).
"""

import json
import os
import subprocess
import sys
import textwrap

from processes import python_env

TIMEOUT = 30


def start(tmp_path, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "grimoire_run_early", "pytest"],
        cwd=tmp_path,
        env=python_env(**env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def line(module, args=(), set=None, unset=(), stdin="pipe", fd3=False):
    return (json.dumps({"module": module, "args": list(args), "set": set or {}, "unset": list(unset), "stdin": stdin, "fd3": fd3}) + "\n").encode()


def test_stdin_closing_before_the_line_ends_it_without_a_word(tmp_path):
    early = start(tmp_path)
    out, err = early.communicate(b"", timeout=TIMEOUT)
    assert (early.returncode, out, err) == (0, b"", b"")


def test_the_module_runs_as_python_dash_m_would_run_it_in_the_environment_sent(tmp_path):
    (tmp_path / "shown.py").write_text(
        textwrap.dedent(
            """
            import json, os, sys
            main = sys.modules["__main__"]
            print(json.dumps({
                "argv": sys.argv,
                "orig_argv_tail": sys.orig_argv[-4:],
                "main_spec": main.__spec__.name,
                "is_main": __name__ == "__main__",
                "path0": sys.path[0],
                "set": os.environ.get("EARLY_SET"),
                "unset": os.environ.get("EARLY_UNSET"),
            }))
            sys.exit(3)
            """
        )
    )
    early = start(tmp_path, EARLY_UNSET="there")
    out, err = early.communicate(line("shown", ["a", "-b"], set={"EARLY_SET": "yes"}, unset=["EARLY_UNSET"], stdin="ignore"), timeout=TIMEOUT)
    assert early.returncode == 3, err
    shown = json.loads(out)
    assert shown == {
        "argv": [str(tmp_path / "shown.py"), "a", "-b"],
        "orig_argv_tail": ["-m", "shown", "a", "-b"],
        "main_spec": "shown",
        "is_main": True,
        "path0": str(tmp_path),
        "set": "yes",
        "unset": None,
    }


def test_a_serial_runs_early_python_imports_pytest_while_it_waits_and_a_failing_import_fails_where_pytests_would(tmp_path):
    """GRIMOIRE_EARLY_PYTEST=1 (a command line that looks like a serial run): pytest is imported before the line, and
    the variable goes with the line's changes. A pytest whose import fails fails when the module runs, as
    `python -m pytest` would, not before the line is read."""
    (tmp_path / "imported.py").write_text('import json, os, sys\nprint(json.dumps(["pytest" in sys.modules, os.environ.get("GRIMOIRE_EARLY_PYTEST")]))\n')
    for ahead, imported in ((None, False), ("1", True)):
        early = start(tmp_path, **({} if ahead is None else {"GRIMOIRE_EARLY_PYTEST": ahead}))
        out, err = early.communicate(line("imported", unset=["GRIMOIRE_EARLY_PYTEST"], stdin="ignore"), timeout=TIMEOUT)
        assert (early.returncode, json.loads(out)) == (0, [imported, None]), err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pytest.py").write_text('raise RuntimeError("this pytest does not import")\n')
    early = start(broken, GRIMOIRE_EARLY_PYTEST="1")
    out, err = early.communicate(line("pytest", stdin="ignore"), timeout=TIMEOUT)
    assert early.returncode == 1 and b"RuntimeError: this pytest does not import" in err, err
    # Raised as the module ran (after the line), not while the line was awaited.
    assert b"in run_as_main" in err, err


def test_what_follows_the_line_on_stdin_is_the_modules(tmp_path):
    (tmp_path / "echo_rest.py").write_text("import sys\nsys.stdout.write(sys.stdin.read())\n")
    early = start(tmp_path)
    out, err = early.communicate(line("echo_rest") + b"first request\nsecond\n", timeout=TIMEOUT)
    assert (early.returncode, out) == (0, b"first request\nsecond\n"), err


def test_stdin_inherit_is_the_descriptor_handed_over_as_fd_3(tmp_path):
    (tmp_path / "echo_rest.py").write_text("import sys\nsys.stdout.write(sys.stdin.read())\n")
    read_end, write_end = os.pipe()
    os.write(write_end, b"typed at the terminal\n")
    os.close(write_end)
    early = subprocess.Popen(
        [sys.executable, "-c", f"import os, sys; os.dup2({read_end}, 3); os.execv(sys.executable, [sys.executable, '-m', 'grimoire_run_early'])"],
        cwd=tmp_path,
        env=python_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(read_end,),
    )
    os.close(read_end)
    out, err = early.communicate(line("echo_rest", stdin="inherit") + b"not the module's\n", timeout=TIMEOUT)
    assert (early.returncode, out) == (0, b"typed at the terminal\n"), err


def test_it_becomes_pytest(tmp_path):
    (tmp_path / "test_one.py").write_text("import os\n\ndef test_env():\n    assert os.environ['EARLY_SET'] == 'yes'\n")
    early = start(tmp_path)
    out, err = early.communicate(line("pytest", ["-q", "-p", "no:cacheprovider", "test_one.py"], set={"EARLY_SET": "yes"}, stdin="ignore"), timeout=TIMEOUT)
    assert early.returncode == 0, out + err
    assert b"1 passed" in out


def own_copy(tmp_path):
    """grimoire-run's Python folder, copied: these tests write its bytecode."""
    import shutil

    from processes import PYTHON_DIR

    folder = tmp_path / "grimoire-python"
    shutil.copytree(PYTHON_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_where_no_bytecode_is_written_it_compiles_the_plugin_while_it_waits_and_pytest_gets_it_from_there(tmp_path):
    folder = own_copy(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_one.py").write_text(
        "import sys\n\ndef test_plugin_from_bytecode():\n    plugin = sys.modules['grimoire_run_pytest']\n    assert plugin.__spec__.cached and plugin.__spec__.loader.__class__.__name__ == 'SourceFileLoader'\n"
    )
    env = {"PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
    early = subprocess.Popen([sys.executable, "-m", "grimoire_run_early", "pytest"], cwd=project, env=python_env(**env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = early.communicate(b"", timeout=TIMEOUT)
    assert (early.returncode, out, err) == (0, b"", b"")
    compiled = sorted(path.name.split(".")[0] for path in (folder / "__pycache__").iterdir())
    assert compiled == ["grimoire_run_depth", "grimoire_run_import_times", "grimoire_run_paths", "grimoire_run_pytest"]

    early = subprocess.Popen([sys.executable, "-m", "grimoire_run_early", "pytest"], cwd=project, env=python_env(**env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = early.communicate(line("pytest", ["-p", "grimoire_run_pytest", "-p", "no:cacheprovider", "-W", "error", "test_one.py"], stdin="ignore"), timeout=TIMEOUT)
    assert early.returncode == 0, out + err
    assert b"1 passed" in out
    assert b"already imported" not in out + err


def test_a_folder_it_may_not_write_in_keeps_no_bytecode_and_pytest_compiles_the_plugin_as_before(tmp_path):
    folder = own_copy(tmp_path)
    (folder / "__pycache__").write_text("not a folder")
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_one.py").write_text("def test_one():\n    pass\n")
    early = subprocess.Popen(
        [sys.executable, "-m", "grimoire_run_early", "pytest"],
        cwd=project,
        env=python_env(PYTHONPATH=str(folder), PYTHONDONTWRITEBYTECODE="1"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = early.communicate(line("pytest", ["-p", "grimoire_run_pytest", "-p", "no:cacheprovider", "test_one.py"], stdin="ignore"), timeout=TIMEOUT)
    assert early.returncode == 0, out + err
    assert b"1 passed" in out
    assert (folder / "__pycache__").read_text() == "not a folder"
