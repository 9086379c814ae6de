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
        [sys.executable, "-m", "grimoire_run_early"],
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
