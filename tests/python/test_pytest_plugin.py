"""grimoire-run's pytest plugin (grimoire_run_pytest), run inside real pytest processes with pytester.

The promises kept here are the plugin's: it lets grimoire-run see and steer
what pytest does without changing what pytest decides. Each inner pytest is a
process of its own, started with `-p grimoire_run_pytest` as grimoire-run
starts it, and steered by environment variables as grimoire-run steers it.
"""

import json
import shutil
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from processes import until

PLUGIN = ("-p", "grimoire_run_pytest", "-p", "no:cacheprovider")


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


# A test module that leaves a mark when it is imported.
MARKS_ITS_IMPORT = """\
    import pathlib

    pathlib.Path(__file__).with_suffix(".imported").touch()

    def test_it():
        pass
"""


def run_listing(pytester, monkeypatch, *args):
    """A listing session (GRIMOIRE_LIST_FILE) with these arguments: pytest's result and the listing it wrote."""
    monkeypatch.setenv("GRIMOIRE_LIST_FILE", str(pytester.path / "listing.json"))
    result = pytester.runpytest_subprocess(*args)
    return result, json.loads((pytester.path / "listing.json").read_text())


def test_listing_names_the_files_pytest_would_collect_and_imports_none_of_them(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(
        root,
        {
            "tests/test_a.py": MARKS_ITS_IMPORT,
            "tests/sub/test_b.py": MARKS_ITS_IMPORT,
            "tests/by_collect_ignore/test_c.py": MARKS_ITS_IMPORT,
            "tests/by_option/test_d.py": MARKS_ITS_IMPORT,
            "tests/by_hook/test_e.py": MARKS_ITS_IMPORT,
            "tests/notes.txt": "not a test\n",
            "tests/conftest.py": """\
                collect_ignore = ["by_collect_ignore"]

                def pytest_ignore_collect(collection_path, config):
                    return True if collection_path.name == "by_hook" else None
            """,
        },
    )
    # With pytest's cache on, as in a plain run: the listing must leave it as the last run left it.
    result, listing = run_listing(plugin_pytester, monkeypatch, "-p", "grimoire_run_pytest", "tests", "--ignore=tests/by_option")
    assert {os.path.relpath(file["path"], root): file["kinds"] for file in listing["files"]} == {
        "tests/test_a.py": ["Module"],
        "tests/sub/test_b.py": ["Module"],
    }
    assert listing["errors"] == []
    assert listing["args"] == [str(root / "tests")]
    assert sorted(path.name for path in root.rglob("*.imported")) == []
    assert not (root / ".pytest_cache" / "v").exists()
    assert listing["cacheDir"] == str(root / ".pytest_cache")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_listing_says_its_answer_is_written_on_a_line_of_its_own_unless_pytest_refused_the_selection(plugin_pytester, monkeypatch):
    """grimoire-run reads the answer on that line, before the session ends: never for a -k pytest refuses (exit 4)."""
    write(plugin_pytester.path, {"tests/test_a.py": "def test_a():\n    pass\n"})
    said = f"grimoire-run: listed the files in {plugin_pytester.path / 'listing.json'}"
    result, listing = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "tests", "-k", "test_a")
    assert said in result.outlines
    assert [os.path.basename(file["path"]) for file in listing["files"]] == ["test_a.py"]
    # pytest refuses the expression in its selection hook, and still calls pytest_collection_finish after it.
    refused, _ = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "tests", "-k", "bad (((")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert not any(line.startswith("grimoire-run: listed") for line in refused.outlines)


def test_listing_names_the_installed_packages_the_conftests_import_and_not_the_projects_own(plugin_pytester, monkeypatch):
    """What auto-preload may import once in the fork server: packages under a site-packages folder, by top-level name."""
    root = plugin_pytester.path
    write(
        root,
        {
            "site/site-packages/installed_pkg/__init__.py": "from . import part\n",
            "site/site-packages/installed_pkg/part.py": "",
            "site/site-packages/_private_pkg.py": "",
            "app/__init__.py": "",
            "tests/conftest.py": "import installed_pkg, _private_pkg, app\n",
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    monkeypatch.setenv("PYTHONPATH", f"{root / 'site' / 'site-packages'}{os.pathsep}{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    _, listing = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "tests")
    assert listing["imported"] == ["installed_pkg"]
    # And the deepest of its modules imported (the package's own import of `part` included), for the server to import too.
    assert listing["importedModules"] == ["installed_pkg.part"]


@pytest.mark.parametrize(
    "disable_existing, imported",
    [
        pytest.param("", ["before_config"], id="dictConfig disables the loggers that exist: what comes after is left to the files"),
        pytest.param(', "disable_existing_loggers": False', ["after_config", "before_config"], id="a configuration that disables none"),
    ],
)
def test_listing_leaves_to_the_files_a_package_imported_after_logging_was_configured(plugin_pytester, monkeypatch, disable_existing, imported):
    """An app that configures logging as it is imported, then imports a library: the configuration disables the loggers
    that exist as it runs. A library the fork server imported first would have its logger disabled, where plain
    pytest's import of it after the configuration keeps it."""
    root = plugin_pytester.path
    write(
        root,
        {
            "site/site-packages/before_config.py": "import logging\nLOG = logging.getLogger('before_config')\n",
            "site/site-packages/after_config.py": "import logging\nLOG = logging.getLogger('after_config')\n",
            "app/__init__.py": (
                "import logging.config\nimport before_config\n"
                f'logging.config.dictConfig({{"version": 1{disable_existing}}})\nimport after_config\n'
            ),
            "tests/conftest.py": "import app\n",
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    monkeypatch.setenv("PYTHONPATH", f"{root / 'site' / 'site-packages'}{os.pathsep}{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    _, listing = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "tests")
    assert listing["imported"] == imported


def test_listing_gives_sys_path_with_pythonpath_and_conftest_folders_for_changed(plugin_pytester, monkeypatch):
    """--changed resolves imports against the folders pytest puts on sys.path."""
    root = plugin_pytester.path
    write(
        root,
        {
            "pytest.ini": "[pytest]\npythonpath = lib\n",
            "lib/shared.py": "",
            "tests/conftest.py": "",
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    _, listing = run_listing(plugin_pytester, monkeypatch, "-p", "grimoire_run_pytest", "tests")
    sys_path = listing["sysPath"]
    assert str(root / "lib") in sys_path
    assert str(root / "tests") in sys_path


@pytest.mark.parametrize(
    "extra, args, conflicts",
    [
        pytest.param({}, [], {"tests/http/test_login.py": "tests/e2e/test_login.py"}, id="one module name, no packages"),
        pytest.param({"tests/__init__.py": "", "tests/e2e/__init__.py": "", "tests/http/__init__.py": ""}, [], {}, id="packages"),
        pytest.param({}, ["--import-mode=importlib"], {}, id="importlib"),
    ],
)
def test_listing_names_the_test_modules_a_plain_run_fails_for_their_module_name(plugin_pytester, monkeypatch, extra, args, conflicts):
    root = plugin_pytester.path
    write(root, {"tests/e2e/test_login.py": "def test_a():\n    pass\n", "tests/http/test_login.py": "def test_b():\n    pass\n", **extra})
    _, listing = run_listing(plugin_pytester, monkeypatch, "-p", "grimoire_run_pytest", *args, "tests")
    assert listing["conflicts"] == {str(root / later): str(root / earlier) for later, earlier in conflicts.items()}
    plain = plugin_pytester.runpytest_subprocess(*args, "tests")
    assert (plain.ret == pytest.ExitCode.INTERRUPTED) == bool(conflicts)


@pytest.mark.parametrize("name", ["tests_test_a.py", None])
def test_a_process_of_a_parallel_run_gets_its_own_folder_under_basetemp(plugin_pytester, monkeypatch, name):
    root = plugin_pytester.path
    write(root, {"test_a.py": "def test_where(tmp_path):\n    print('TMP', tmp_path)\n"})
    if name is not None:
        monkeypatch.setenv("GRIMOIRE_BASETEMP_NAME", name)
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "-s", "--basetemp=scratch", "test_a.py")
    assert result.ret == pytest.ExitCode.OK
    expected = root / "scratch" / name / "test_where0" if name else root / "scratch" / "test_where0"
    result.stdout.fnmatch_lines([f"*TMP {expected}"])


def test_import_first_fails_the_later_module_as_a_plain_run_does(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(root, {"tests/e2e/test_login.py": "def test_a():\n    pass\n", "tests/http/test_login.py": "def test_b():\n    pass\n"})
    monkeypatch.setenv("GRIMOIRE_IMPORT_FIRST", json.dumps({str(root / "tests/http/test_login.py"): str(root / "tests/e2e/test_login.py")}))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "tests/http")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*import file mismatch*", "ERROR tests/http/test_login.py*"])
    # The module that took the name first runs in its own process as before.
    assert plugin_pytester.runpytest_subprocess(*PLUGIN, "tests/e2e").ret == pytest.ExitCode.OK


def test_only_files_limits_collection_to_the_listed_files(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(
        root,
        {
            "tests/test_a.py": "def test_a1():\n    pass\n\ndef test_a2():\n    pass\n",
            "tests/test_b.py": MARKS_ITS_IMPORT,
            "tests/sub/test_c.py": "def test_c():\n    pass\n",
            "tests/other/test_d.py": MARKS_ITS_IMPORT,
        },
    )
    (root / "only.txt").write_text(f"{root / 'tests' / 'test_a.py'}\n{root / 'tests' / 'sub' / 'test_c.py'}\n")
    monkeypatch.setenv("GRIMOIRE_ONLY_FILES", str(root / "only.txt"))
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "tests")
    result.assert_outcomes(passed=3)
    assert records(root / "results.jsonl")[0] == {"t": "collected", "files": {str(root / "tests" / "test_a.py"): 2, str(root / "tests" / "sub" / "test_c.py"): 1}}
    assert sorted(path.name for path in root.rglob("*.imported")) == []


def test_only_files_loads_the_initial_conftests_of_the_folders_test_folders_as_pytest_does(plugin_pytester, monkeypatch):
    """Given a folder, pytest loads at its start the conftests of each `test*` folder in it (a case-sensitive match, links
    followed): a process limited to one file finds the same ones, in the same order, without a stat of each file."""
    root = plugin_pytester.path
    imported = "import os\n\nwith open(os.environ['LOADED'], 'a') as out:\n    out.write(__file__.split(os.sep)[-2] + '\\n')\n"
    write(
        root,
        {
            # What was loaded when the session started: the initial conftests, before any collection.
            "tests/conftest.py": "import os, shutil\n\ndef pytest_sessionstart(session):\n    shutil.copy(os.environ['LOADED'], os.environ['LOADED'] + '.initial')\n",
            "tests/test_a.py": "def test_a():\n    pass\n",
            "tests/test_b.py": "def test_b():\n    pass\n",
            "tests/test_sub/conftest.py": imported,
            "tests/test_sub/test_c.py": "def test_c():\n    pass\n",
            "tests/testing/conftest.py": imported,
            "tests/Test_upper/conftest.py": imported,
            "tests/other/conftest.py": imported,
            "elsewhere/conftest.py": imported,
        },
    )
    (root / "tests" / "test_linked").symlink_to(root / "elsewhere", target_is_directory=True)
    loaded = root / "loaded.txt"
    initial = root / "loaded.txt.initial"
    monkeypatch.setenv("LOADED", str(loaded))
    loaded.touch()
    plain = plugin_pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests")
    plain.assert_outcomes(passed=3)
    expected = initial.read_text().splitlines()
    assert sorted(expected) == ["test_linked", "test_sub", "testing"]
    loaded.write_text("")
    (root / "only.txt").write_text(f"{root / 'tests' / 'test_a.py'}\n")
    monkeypatch.setenv("GRIMOIRE_ONLY_FILES", str(root / "only.txt"))
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    limited = plugin_pytester.runpytest_subprocess(*PLUGIN, "tests")
    limited.assert_outcomes(passed=1)
    assert initial.read_text().splitlines() == expected


def test_a_process_leaves_the_cache_the_run_keeps_to_the_run_and_writes_the_rest(plugin_pytester, monkeypatch):
    """With GRIMOIRE_PYTEST_CACHE_KEPT, pytest's cache/lastfailed and cache/nodeids are the run's to write (once, at its
    end); what a test or another plugin puts in pytest's cache is written as ever."""
    root = plugin_pytester.path
    write(root, {"test_cached.py": "def test_fails(request):\n    request.config.cache.set('mine/seen', 1)\n    assert 0\n"})
    cache = root / ".pytest_cache" / "v"
    for kept, expected in ((None, {"cache/lastfailed", "cache/nodeids", "mine/seen"}), ("1", {"mine/seen"})):
        shutil.rmtree(root / ".pytest_cache", ignore_errors=True)
        if kept is None:
            monkeypatch.delenv("GRIMOIRE_PYTEST_CACHE_KEPT", raising=False)
        else:
            monkeypatch.setenv("GRIMOIRE_PYTEST_CACHE_KEPT", kept)
        result = plugin_pytester.runpytest_subprocess("-p", "grimoire_run_pytest", "test_cached.py")
        result.assert_outcomes(failed=1)
        written = {str(path.relative_to(cache)) for path in cache.rglob("*") if path.is_file()}
        assert written == expected, kept


def test_only_files_leaves_a_session_a_test_starts_to_collect_in_full(plugin_pytester, monkeypatch):
    """The listed files' folders are read without the others only while the process's own session collects."""
    root = plugin_pytester.path
    write(
        root,
        {
            "tests/test_nested.py": """\
                def test_nested(pytester):
                    pytester.makepyfile(test_one="def test_one():\\n    pass\\n", test_two="def test_two():\\n    pass\\n")
                    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
            """,
            "tests/test_other.py": MARKS_ITS_IMPORT,
        },
    )
    (root / "only.txt").write_text(f"{root / 'tests' / 'test_nested.py'}\n")
    monkeypatch.setenv("GRIMOIRE_ONLY_FILES", str(root / "only.txt"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "-p", "pytester", "tests")
    result.assert_outcomes(passed=1)
    assert list(root.rglob("*.imported")) == []


@pytest.mark.parametrize(
    ("run", "kept"),
    [
        ("only", ["test_flow.py::TestLogin::test_in", "test_flow.py::test_step[a::b]"]),
        ("all-but", ["test_flow.py::TestLogin::test_out", "test_flow.py::test_step[c]", "test_flow.py::test_new"]),
    ],
)
def test_a_tests_subset_keeps_one_parts_tests_after_pytests_own_selection(plugin_pytester, monkeypatch, run, kept):
    root = plugin_pytester.path
    write(
        root,
        {
            "test_flow.py": """\
                import pytest

                class TestLogin:
                    def test_in(self):
                        pass

                    def test_out(self):
                        pass

                @pytest.mark.parametrize("x", ["a::b", "c"])
                def test_step(x):
                    pass

                def test_new():
                    pass

                def test_never():
                    pass
            """,
        },
    )
    # A test history knew but the file no longer has is no error.
    named = ["test_flow.py::TestLogin::test_in", "test_flow.py::test_step[a::b]", "test_flow.py::test_gone"]
    (root / "subset.json").write_text(json.dumps({"run": run, "nodeids": named}))
    monkeypatch.setenv("GRIMOIRE_TESTS_SUBSET", str(root / "subset.json"))
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "-v", "-k", "not never", "test_flow.py")
    result.assert_outcomes(passed=len(kept))
    assert sorted(line.split(" ")[0] for line in result.outlines if " PASSED" in line) == sorted(kept)
    # pytest says what it left out, as --deselect would: the part's others and -k's own.
    result.stdout.fnmatch_lines([f"*{6 - len(kept)} deselected*"])
    written = records(root / "results.jsonl")
    assert next(r for r in written if r["t"] == "collected")["files"] == {str(root / "test_flow.py"): len(kept)}
    # The user's own deselection (-k) is counted once per file: by its all-but part, which every split has.
    deselected = [r["files"] for r in written if r["t"] == "deselected"]
    assert deselected == ([{str(root / "test_flow.py"): 1}] if run == "all-but" else [])


def _last_failed_of_test_a(pytester, monkeypatch, test_a):
    """A project of test_a.py (`test_a`, its test_bad failed last time) and test_b.py, with --last-failed's subset."""
    root = pytester.path
    write(root, {"test_a.py": test_a, "test_b.py": "def test_b():\n    pass\n"})
    (root / "subset.json").write_text(json.dumps({"run": "failed", "nodeids": ["test_a.py::test_bad"]}))
    monkeypatch.setenv("GRIMOIRE_TESTS_SUBSET", str(root / "subset.json"))
    return root


def test_last_faileds_subset_counts_what_it_leaves_out_as_pytests_lf_does(plugin_pytester, monkeypatch):
    """--last-failed keeps each file's failed tests: the others are deselected, as pytest's --lf says them ("1 failed, 2
    deselected"), and counted so for the run's report, with -k's own (a helper's trial: the JSON said 0 deselected)."""
    root = _last_failed_of_test_a(plugin_pytester, monkeypatch, "def test_bad():\n    assert 0\n\ndef test_ok():\n    pass\n\ndef test_never():\n    pass\n")
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "-k", "not never", "test_a.py", "test_b.py")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*1 failed, 1 passed, 2 deselected*"])
    deselected = [r["files"] for r in records(root / "results.jsonl") if r["t"] == "deselected"]
    assert sum(counts.get(str(root / "test_a.py"), 0) for counts in deselected) == 2
    assert all(str(root / "test_b.py") not in counts for counts in deselected)


def test_last_faileds_subset_narrows_a_file_before_the_users_selection_as_pytests_lf_does(plugin_pytester, monkeypatch):
    """pytest's --lf narrows a file to its failed tests as it collects it: a --deselect of the failed test then leaves
    nothing of the file to run ("1 deselected", exit 5). Judged after the selection, the file ran its other tests (a
    helper's trial); a file with no failed test still runs whole."""
    _last_failed_of_test_a(plugin_pytester, monkeypatch, "def test_bad():\n    assert 0\n\ndef test_ok():\n    pass\n")
    alone = plugin_pytester.runpytest_subprocess(*PLUGIN, "--deselect", "test_a.py::test_bad", "test_a.py")
    assert alone.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    alone.stdout.fnmatch_lines(["*2 deselected*"])
    assert " passed" not in alone.stdout.str()
    both = plugin_pytester.runpytest_subprocess(*PLUGIN, "--deselect", "test_a.py::test_bad", "test_a.py", "test_b.py")
    both.assert_outcomes(passed=1)
    both.stdout.fnmatch_lines(["*1 passed, 2 deselected*"])


@pytest.mark.parametrize("terminal", [[], ["-p", "no:terminal"]], ids=["terminal", "no-terminal"])
def test_results_record_each_report_as_pytests_terminal_counts_it_and_the_finish(plugin_pytester, monkeypatch, terminal):
    """The categories are the terminal reporter's (a plugin's own among them, as pytest-rerunfailures' "rerun"), and
    pytest's answer where no terminal reporter files them."""
    root = plugin_pytester.path
    write(
        root,
        {
            "conftest.py": """\
                def pytest_report_teststatus(report, config):
                    if report.when == "call" and report.nodeid.endswith("test_own_category"):
                        return "noted", "N", "NOTED"
            """,
            "test_outcomes.py": """\
                import pytest

                def test_own_category():
                    pass

                @pytest.fixture
                def broken_setup():
                    raise RuntimeError("setup fails")

                @pytest.fixture
                def broken_teardown():
                    yield
                    raise RuntimeError("teardown fails")

                def test_passes():
                    pass

                def test_fails():
                    assert 0

                @pytest.mark.skip(reason="not today")
                def test_skipped():
                    pass

                @pytest.mark.xfail(reason="known bug")
                def test_xfails():
                    assert 0

                @pytest.mark.xfail(reason="known bug")
                def test_xpasses():
                    pass

                def test_setup_error(broken_setup):
                    pass

                def test_teardown_error(broken_teardown):
                    pass
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, *terminal, "test_outcomes.py")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    lines = records(root / "results.jsonl")
    path = str(root / "test_outcomes.py")
    assert lines[0] == {"t": "collected", "files": {path: 8}}
    # The seconds from the end of the collection to the session's end: what a split file's parts share out.
    finish = lines[-1]
    assert 0 <= finish.pop("testsSeconds") < 60
    assert finish == {"t": "finish", "exitstatus": 1}
    tests = [line for line in lines if line["t"] == "test"]
    assert all(line["path"] == path and line["seconds"] >= 0 for line in tests)
    # Every phase is recorded; those pytest's terminal does not count (a passing setup) have no category.
    assert len(tests) == 8 * 3 - 2  # a setup that fails or skips has no call
    counted = {(line["nodeid"].split("::")[1], line["when"]): line["category"] for line in tests if line["category"]}
    assert counted == {
        ("test_own_category", "call"): "noted",
        ("test_passes", "call"): "passed",
        ("test_fails", "call"): "failed",
        ("test_skipped", "setup"): "skipped",
        ("test_xfails", "call"): "xfailed",
        ("test_xpasses", "call"): "xpassed",
        ("test_setup_error", "setup"): "error",
        ("test_teardown_error", "call"): "passed",
        ("test_teardown_error", "teardown"): "error",
    }


def test_a_tests_phases_add_up_to_its_time_by_the_plugins_clock_even_where_a_plugin_reports_them_together(plugin_pytester, monkeypatch):
    """Each phase is timed from its start (the test's, or the report before) to its report; a plugin that runs a
    test's phases and reports them together afterwards (pytest-rerunfailures' attempts) gives the first the whole
    time, and the test's records still add up to it."""
    root = plugin_pytester.path
    write(
        root,
        {
            "conftest.py": """\
                import pytest
                from _pytest.runner import runtestprotocol

                @pytest.hookimpl(tryfirst=True)
                def pytest_runtest_protocol(item, nextitem):
                    if not item.name.startswith("test_reported_together"):
                        return None
                    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
                    for report in runtestprotocol(item, nextitem=nextitem, log=False):
                        item.ihook.pytest_runtest_logreport(report=report)
                    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
                    return True
            """,
            "test_times.py": """\
                import time
                import pytest

                @pytest.fixture
                def slow_fixture():
                    time.sleep(0.2)
                    yield
                    time.sleep(0.2)

                def test_phases(slow_fixture):
                    time.sleep(0.3)

                def test_reported_together(slow_fixture):
                    time.sleep(0.3)
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "test_times.py")
    assert result.ret == pytest.ExitCode.OK
    seconds = {}
    for line in records(root / "results.jsonl"):
        if line["t"] == "test":
            seconds.setdefault(line["nodeid"].split("::")[1], {})[line["when"]] = line["seconds"]
    phases = seconds["test_phases"]
    assert 0.2 <= phases["setup"] < 0.3 + 5 and 0.3 <= phases["call"] < 0.4 + 5 and 0.2 <= phases["teardown"] < 0.3 + 5, phases
    together = seconds["test_reported_together"]
    assert together["setup"] >= 0.7 and together["call"] < 0.1 and together["teardown"] < 0.1, together
    assert 0.7 <= sum(together.values()) < 0.7 + 5


def test_a_tests_records_name_it_as_pytest_does_whatever_characters_its_node_id_holds(plugin_pytester, monkeypatch):
    """The records of a test that reports no failure are put together from its node id encoded once, not by json.dumps of
    each: they read back as json.dumps would have written them."""
    write(
        plugin_pytester.path,
        {
            "test_names.py": """\
                import pytest

                @pytest.mark.parametrize("value", ['quote"d', "back\\\\slash", "ü ünïcode", "new\\nline"])
                def test_named(value, request):
                    with open("nodeids.txt", "a", encoding="utf-8") as out:
                        out.write(repr(request.node.nodeid) + "\\n")
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(plugin_pytester.path / "results.jsonl"))
    assert plugin_pytester.runpytest_subprocess(*PLUGIN, "test_names.py").ret == pytest.ExitCode.OK
    expected = [eval(line) for line in (plugin_pytester.path / "nodeids.txt").read_text(encoding="utf-8").splitlines()]
    lines = (plugin_pytester.path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    tests = [json.loads(line) for line in lines if '"t": "test"' in line]
    assert [test["nodeid"] for test in tests if test["when"] == "call"] == expected
    assert all(line == json.dumps(json.loads(line)) for line in lines if '"t": "test"' in line)
    assert {test["path"] for test in tests} == {str(plugin_pytester.path / "test_names.py")}


def test_the_plugin_wraps_no_fixtures_setup_where_pytest_django_is_not_there(plugin_pytester, monkeypatch):
    """A wrapper around every fixture's setup, only to time pytest-django's database, would cost every test of every suite."""
    write(
        plugin_pytester.path,
        {
            "test_hooks.py": """\
                def test_fixture_setup_hooks(request):
                    names = [impl.plugin_name for impl in request.config.hook.pytest_fixture_setup.get_hookimpls()]
                    assert not [name for name in names if "grimoire" in name], names
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(plugin_pytester.path / "results.jsonl"))
    monkeypatch.setenv("GRIMOIRE_WORKERS", "2")
    assert plugin_pytester.runpytest_subprocess(*PLUGIN, "test_hooks.py").ret == pytest.ExitCode.OK


def test_a_passing_setup_is_written_with_the_call_and_never_lost(plugin_pytester, monkeypatch):
    """One write for a test's passing setup and its call's outcome: while a test runs, the tests before it are recorded
    whole; and a session with no call phases (--setup-only) still records every setup, in order."""
    root = plugin_pytester.path
    write(
        root,
        {
            "test_phases.py": """\
                import json, os

                def test_first():
                    pass

                def test_second():
                    with open(os.environ["GRIMOIRE_RESULTS_FILE"]) as handle:
                        lines = [json.loads(line) for line in handle]
                    seen = [(line["nodeid"].split("::")[1], line["when"]) for line in lines if line["t"] == "test"]
                    assert seen == [("test_first", "setup"), ("test_first", "call"), ("test_first", "teardown")]
            """,
        },
    )
    phases = [(name, when) for name in ("test_first", "test_second") for when in ("setup", "call", "teardown")]
    for args, expected in (((), phases), (("--setup-only",), [phase for phase in phases if phase[1] != "call"])):
        results = root / "results.jsonl"
        results.unlink(missing_ok=True)
        monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(results))
        result = plugin_pytester.runpytest_subprocess(*PLUGIN, *args, "test_phases.py")
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        tests = [line for line in records(results) if line["t"] == "test"]
        assert [(line["nodeid"].split("::")[1], line["when"]) for line in tests] == expected


def test_a_module_skipped_while_collecting_is_recorded_as_pytests_summary_counts_it(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(
        root,
        {
            "test_optional.py": """\
                import pytest

                pytest.importorskip("grimoire_no_such_module")

                def test_needs_it():
                    pass
            """,
            "test_runs.py": "def test_runs():\n    pass\n",
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, ".")
    result.assert_outcomes(passed=1, skipped=1)
    lines = records(root / "results.jsonl")
    optional = str(root / "test_optional.py")
    assert [line for line in lines if line["t"] == "collect-skip"] == [
        {"t": "collect-skip", "nodeid": "test_optional.py", "path": optional, "reason": "could not import 'grimoire_no_such_module': No module named 'grimoire_no_such_module'"}
    ]
    # Collected, with no test selected in it: the file is "no tests" of its own, as pytest says of it alone.
    assert {"t": "collected", "files": {optional: 0, str(root / "test_runs.py"): 1}} in lines


def test_a_failure_carries_pytests_report_and_captured_output_within_the_budget(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(
        root,
        {
            "test_fails.py": """\
                import logging
                import sys

                def test_assert():
                    print("to stdout")
                    print("to stderr", file=sys.stderr)
                    logging.getLogger("app").warning("a log line")
                    assert 1 + 1 == 3

                def test_long():
                    print("x" * 500)
                    raise ValueError("y" * 300)

                def test_third():
                    raise KeyError("past the budget")

                def test_passes():
                    print("never recorded")
            """,
            "test_broken.py": "import no_such_module\n",
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    monkeypatch.setenv("GRIMOIRE_FAILURE_CHARS", "200")
    monkeypatch.setenv("GRIMOIRE_FAILURE_DETAILS", "3")
    plugin_pytester.runpytest_subprocess(*PLUGIN, "--color=yes", "--continue-on-collection-errors", ".")
    lines = records(root / "results.jsonl")
    failed = {line["nodeid"].split("::")[-1]: line for line in lines if line.get("category") in ("failed", "error")}
    collect = [line for line in lines if line["t"] == "collect-error"]

    # The collection error comes first, and has its report too.
    assert collect[0]["message"].startswith("ModuleNotFoundError") or "no_such_module" in collect[0]["message"]
    assert "no_such_module" in collect[0]["longrepr"]

    first = failed["test_assert"]
    assert first["message"] == "assert (1 + 1) == 3"
    # Plain text, as pytest prints it under FAILURES, whatever colour the terminal gets.
    assert "\x1b[" not in first["longrepr"] and "assert 1 + 1 == 3" in first["longrepr"]
    sections = {section["title"]: section["text"] for section in first["sections"]}
    assert sections["Captured stdout call"] == "to stdout\n"
    assert sections["Captured stderr call"] == "to stderr\n"
    assert "a log line" in sections["Captured log call"]

    # Cut to the budget, keeping the end, where the error is; saying so.
    long = failed["test_long"]
    assert long["longrepr"].startswith("[") and "characters cut here: the log has the whole text]" in long["longrepr"]
    assert long["longrepr"].endswith("test_fails.py:12: ValueError")
    assert len(long["longrepr"].split("\n", 1)[1]) == 200
    assert all(len(section["text"].split("\n", 1)[-1]) <= 200 for section in long["sections"])

    # Past the process's budget of details: the message only.
    assert failed["test_third"]["message"] == "KeyError: 'past the budget'"
    assert "longrepr" not in failed["test_third"] and "sections" not in failed["test_third"]
    assert all("message" not in line for line in lines if line.get("category") == "passed")


def test_a_file_collected_with_no_test_selected_counts_as_zero(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(root, {"test_a.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n", "test_b.py": "def test_three():\n    pass\n"})
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, ".", "-k", "one")
    result.assert_outcomes(passed=1)
    assert records(root / "results.jsonl")[:2] == [
        # What -k left out, by file, as pytest's summary counts it ("2 deselected").
        {"t": "deselected", "files": {str(root / "test_a.py"): 1, str(root / "test_b.py"): 1}},
        {"t": "collected", "files": {str(root / "test_a.py"): 1, str(root / "test_b.py"): 0}},
    ]


def test_the_finish_names_the_warnings_pytests_summary_counts(plugin_pytester, monkeypatch):
    """A test's own warning with its file; one raised while collecting (an unknown mark) or configuring (an ini option
    pytest does not know) with none, and where it was raised: what grimoire-run counts once for the run."""
    root = plugin_pytester.path
    write(root, {
        "pytest.ini": "[pytest]\nbogus_option = 1\n",
        "test_w.py": "import warnings, pytest\n\n@pytest.mark.nosuchmark\ndef test_a():\n    warnings.warn('careful', UserWarning)\n",
    })
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "test_w.py")
    result.assert_outcomes(passed=1, warnings=3)
    warned = records(root / "results.jsonl")[-1]["warnings"]
    assert len(warned) == 3
    by_owner = {owner: (message, file, line) for owner, message, file, line in warned if owner is not None}
    assert list(by_owner) == [str(root / "test_w.py")]
    assert "UserWarning: careful" in by_owner[str(root / "test_w.py")][0]
    unowned = sorted((next(word for word in message.split() if word.startswith("Pytest")), file == str(root / "test_w.py")) for owner, message, file, line in warned if owner is None)
    assert unowned == [("PytestConfigWarning:", False), ("PytestUnknownMarkWarning:", True)]
    # No warning, no list.
    (root / "results.jsonl").unlink()
    (root / "pytest.ini").unlink()
    write(root, {"test_w.py": "def test_a():\n    pass\n"})
    plugin_pytester.runpytest_subprocess(*PLUGIN, "test_w.py")
    assert "warnings" not in records(root / "results.jsonl")[-1]


def test_a_collection_cut_short_by_x_says_so(plugin_pytester, monkeypatch):
    """pytest -x stops collecting at a module that does not import: a serial run learns its files from this record."""
    root = plugin_pytester.path
    write(root, {"test_a.py": "def test_one():\n    pass\n", "test_b.py": "import no_such_module\n", "test_c.py": "def test_two():\n    pass\n"})
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    plugin_pytester.runpytest_subprocess(*PLUGIN, ".", "-x")
    collected = next(record for record in records(root / "results.jsonl") if record["t"] == "collected")
    assert collected == {"t": "collected", "files": {str(root / "test_a.py"): 1}, "cut": True}
    # Without -x pytest collects every file before it stops on the error: nothing was cut.
    (root / "results.jsonl").unlink()
    plugin_pytester.runpytest_subprocess(*PLUGIN, ".")
    collected = next(record for record in records(root / "results.jsonl") if record["t"] == "collected")
    assert collected == {"t": "collected", "files": {str(root / "test_a.py"): 1, str(root / "test_c.py"): 1}}


def test_a_test_that_patches_os_path_still_has_its_result_recorded_under_its_file(plugin_pytester, monkeypatch):
    """falcon's test_static patches os.path.normpath: the report written while the patch holds must name the file."""
    root = plugin_pytester.path
    write(root, {"test_a.py": "def test_patch(monkeypatch):\n    monkeypatch.setattr('os.path.normpath', lambda p: 'assets/../../' + p)\n    monkeypatch.setattr('os.path.isfile', lambda p: False)\n\ndef test_two():\n    assert 0\n"})
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "test_a.py")
    result.assert_outcomes(passed=1, failed=1)
    tests = [line for line in records(root / "results.jsonl") if line["t"] == "test"]
    assert {line["path"] for line in tests} == {str(root / "test_a.py")}
    assert [(line["nodeid"], line["category"]) for line in tests if line["when"] == "call"] == [("test_a.py::test_patch", "passed"), ("test_a.py::test_two", "failed")]


def stopped_once(pytester, args, started, what):
    """`python -m pytest ARGS` with the plugin, sent SIGTERM once `started()` holds (as grimoire-run stops a file): its
    exit code, stdout and stderr."""
    process = pytester.popen([sys.executable, "-m", "pytest", *PLUGIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        until(started, what)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = (stream.decode() for stream in process.communicate(timeout=20))
    finally:
        process.kill()
    return process.returncode, stdout, stderr


def test_sigterm_stops_the_test_like_ctrl_c_says_where_and_lets_teardown_finish(plugin_pytester):
    root = plugin_pytester.path
    write(
        root,
        {
            "test_stop.py": """\
                import pathlib, time
                import pytest

                @pytest.fixture
                def slow_teardown():
                    yield
                    pathlib.Path("teardown-started").touch()
                    time.sleep(0.3)
                    pathlib.Path("teardown-done").touch()

                def test_hangs(slow_teardown):
                    pathlib.Path("test-started").touch()
                    time.sleep(600)
            """,
        },
    )
    process = plugin_pytester.popen([sys.executable, "-m", "pytest", *PLUGIN, "test_stop.py"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        until(lambda: (root / "test-started").exists(), "the test to start")
        process.send_signal(signal.SIGTERM)
        until(lambda: (root / "teardown-started").exists(), "the teardown to start")
        # A second SIGTERM cannot cut the cleanup short.
        process.send_signal(signal.SIGTERM)
        stdout, stderr = (stream.decode() for stream in process.communicate(timeout=20))
    finally:
        process.kill()
    assert process.returncode == pytest.ExitCode.INTERRUPTED, stdout + stderr
    assert (root / "teardown-done").exists()
    where = stderr[stderr.index("grimoire-run stopped this test") :]
    assert "test_stop.py" in where and "in test_hangs" in where and "time.sleep(600)" in where
    assert "KeyboardInterrupt" in stdout and "stopped by grimoire-run (SIGTERM)" in stdout


def test_sigterm_in_an_async_tests_event_loop_says_where_its_coroutine_waits(plugin_pytester, monkeypatch):
    """An async test (pytest-asyncio's, anyio's) runs in an event loop its plugin drives: the signal comes in the loop's
    select, none of whose frames name the test. Where the test's coroutine awaits is shown instead (a helper's trial)."""
    root = plugin_pytester.path
    write(
        root,
        {
            # pytest-asyncio's shape: an installed plugin runs a coroutine test function in an event loop.
            "site-packages/async_runner.py": """\
                import asyncio, inspect
                import pytest

                @pytest.hookimpl(tryfirst=True)
                def pytest_pyfunc_call(pyfuncitem):
                    if inspect.iscoroutinefunction(pyfuncitem.obj):
                        asyncio.run(pyfuncitem.obj())
                        return True
            """,
            "test_async.py": """\
                import asyncio, pathlib

                async def waits_for_the_server():
                    await asyncio.sleep(600)

                async def test_hangs():
                    pathlib.Path("test-started").touch()
                    await waits_for_the_server()
            """,
        },
    )
    monkeypatch.setenv("PYTHONPATH", f"{root / 'site-packages'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    code, stdout, stderr = stopped_once(plugin_pytester, ["-p", "async_runner", "test_async.py"], lambda: (root / "test-started").exists(), "the test to start")
    assert code == pytest.ExitCode.INTERRUPTED, stdout + stderr
    where = stderr[stderr.index("grimoire-run stopped this test") :].split("\n\n")[0]
    assert "in test_hangs" in where and "await waits_for_the_server()" in where, where
    assert "in waits_for_the_server" in where and "selectors.py" not in where, where


def test_sigterm_after_the_session_ended_says_the_process_waits_at_its_exit(plugin_pytester, monkeypatch):
    """A test that leaves a thread that is no daemon: the process waits for it at its exit, after pytest's session ended.
    Stopped then (a --timeout), it says so, not "outside any test (collecting, or between tests)" (asgiref's trial)."""
    root = plugin_pytester.path
    write(
        root,
        {
            "test_leaves.py": """\
                import pathlib, threading

                def test_leaves_a_thread():
                    threading.Thread(target=threading.Event().wait, args=(600,)).start()
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    process = plugin_pytester.popen([sys.executable, "-m", "pytest", *PLUGIN, "test_leaves.py"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        until(lambda: (root / "results.jsonl").exists() and '"t": "finish"' in (root / "results.jsonl").read_text(), "the session to end")
        process.send_signal(signal.SIGTERM)
        # The thread still holds the process at its exit (grimoire-run's SIGKILL ends it after the grace period).
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
        stdout, stderr = (stream.decode() for stream in process.communicate(timeout=20))
    finally:
        process.kill()
    assert "grimoire-run stopped the process after its tests ended (pytest's summary, or its exit), here:" in stderr, stderr
    assert "outside any test" not in stderr and "grimoire-run stopped this test" not in stderr


def test_sigterm_in_an_event_loops_greenlet_says_where_the_test_waits(plugin_pytester):
    """Playwright's sync API runs its loop in a greenlet of its own while the test's waits: the report shows the test's
    line and its call into the library, not the loop's select. A greenlet running the test's own code is shown as it is."""
    pytest.importorskip("greenlet")
    root = plugin_pytester.path
    write(
        root,
        {
            "test_greenlets.py": """\
                import functools, pathlib, threading
                import greenlet

                def test_waits_for_the_loop():
                    pathlib.Path("waiting").touch()
                    greenlet.greenlet(functools.partial(threading.Event().wait, 600)).switch()
            """,
        },
    )
    process = plugin_pytester.popen([sys.executable, "-m", "pytest", *PLUGIN, "test_greenlets.py"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        until(lambda: (root / "waiting").exists(), "the test to wait in its greenlet")
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = (stream.decode() for stream in process.communicate(timeout=20))
    finally:
        process.kill()
    where = stderr[stderr.index("grimoire-run stopped this test") :]
    assert "in test_waits_for_the_loop" in where and ".switch()" in where, where
    assert "threading.py" not in where, where


def test_a_stop_where_no_frame_is_the_projects_shows_where_a_suspended_greenlet_waits_in_it(plugin_pytester):
    """A Playwright test's Ctrl-C once showed only the launcher's frames (the main greenlet mid-switch): the test's line
    was in a greenlet Playwright had suspended. The report looks for it there; the stop's own frame here is all library
    code, in a thread, whose greenlet has no parent to wait in."""
    pytest.importorskip("greenlet")
    root = plugin_pytester.path
    write(
        root,
        {
            "check_greenlets.py": """\
                import os, sys, sysconfig, threading
                import greenlet
                import grimoire_run_pytest

                def test_waits_in_its_greenlet():
                    greenlet.getcurrent().parent.switch()

                suspended = greenlet.greenlet(test_waits_in_its_greenlet)
                suspended.switch()
                library = {}
                exec(compile("import sys\\ndef stopped_here(report, seen):\\n    seen.append(report(sys._getframe()))\\n", os.path.join(sysconfig.get_paths()["stdlib"], "library_code.py"), "exec"), library)
                seen = []
                report = lambda frame: "".join(grimoire_run_pytest._stopped_frames(frame))
                thread = threading.Thread(target=library["stopped_here"], args=(report, seen))
                thread.start()
                thread.join()
                print(seen[0])
            """,
        },
    )
    result = subprocess.run([sys.executable, "check_greenlets.py"], cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "in test_waits_in_its_greenlet" in result.stdout and "check_greenlets.py" in result.stdout, result.stdout
    assert "library_code.py" not in result.stdout and "threading.py" not in result.stdout, result.stdout


def test_sigterm_while_a_module_imports_stops_it_without_a_warning_blaming_the_plugin(plugin_pytester, monkeypatch):
    """Stopped mid-collection (fail-fast, Ctrl-C): the file's output says where, and no PluggyTeardownRaisedWarning names the recorder."""
    root = plugin_pytester.path
    write(root, {"test_slow_import.py": "import pathlib, time\npathlib.Path('importing').touch()\ntime.sleep(600)\n\ndef test_never():\n    pass\n"})
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    code, stdout, stderr = stopped_once(plugin_pytester, ["test_slow_import.py"], lambda: (root / "importing").exists(), "the module to start importing")
    assert code == pytest.ExitCode.INTERRUPTED, stdout + stderr
    # No test was running: the stop says so, where it was.
    assert "grimoire-run stopped this test" not in stderr
    assert "test_slow_import.py" in stderr[stderr.index("grimoire-run stopped pytest, outside any test (collecting, or between tests), here:") :]
    assert "stopped by grimoire-run (SIGTERM)" in stdout
    assert "PluggyTeardownRaisedWarning" not in stdout + stderr


def test_sigterm_stops_a_test_that_patched_os_getpid_and_signals_no_other_process(plugin_pytester):
    """A mock of os.getpid must not make the handler think it is in a forked child and signal the faked pid."""
    root = plugin_pytester.path
    decoy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    write(
        root,
        {
            "test_mocked.py": f"""\
                import pathlib, time
                from unittest import mock
                import pytest

                @pytest.fixture
                def marked():
                    yield
                    pathlib.Path("teardown-done").touch()

                def test_mocked(marked):
                    with mock.patch("os.getpid", return_value={decoy.pid}):
                        pathlib.Path("test-started").touch()
                        time.sleep(600)
            """,
        },
    )
    process = plugin_pytester.popen([sys.executable, "-m", "pytest", *PLUGIN, "test_mocked.py"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        until(lambda: (root / "test-started").exists(), "the test to start")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = (stream.decode() for stream in process.communicate(timeout=20))
        assert process.returncode == pytest.ExitCode.INTERRUPTED, stdout + stderr
        assert (root / "teardown-done").exists()
        assert decoy.poll() is None, "the decoy process was signalled"
    finally:
        process.kill()
        decoy.kill()
        decoy.wait()


def test_sigterm_with_the_stop_note_stops_a_test_whose_filesystem_is_faked_as_pyfakefs_fakes_it(plugin_pytester, monkeypatch):
    """pyfakefs binds, while a test runs, every module's `os` and every module attribute that is a file-system function
    to its fake file system's, where grimoire-run's stop note is not: the handler must still know its own stop."""
    root = plugin_pytester.path
    note = root / "stop-note"
    monkeypatch.setenv("GRIMOIRE_STOP_NOTE", str(note))
    write(
        root,
        {
            "test_faked.py": """\
                import os, pathlib, sys, time, types

                # What pyfakefs's Patcher skips: the modules its fakes are built on.
                SKIPPED = {"os", "posixpath", "genericpath", "sys", "io", "_io", "linecache", "tokenize", "posix"}
                FILE_FUNCTIONS = {os.path.exists, os.path.isfile, os.stat, os.getcwd, os.listdir, open}

                def nothing_there(*args, **kwargs):
                    raise FileNotFoundError(args[0] if args else "")

                fake_os = types.ModuleType("os")
                fake_os.__dict__.update({**vars(os), "stat": nothing_there, "listdir": nothing_there})
                fake_os.path = types.ModuleType("posixpath")
                fake_os.path.__dict__.update({**vars(os.path), "exists": lambda path: False, "isfile": lambda path: False})

                def test_faked():
                    for name, module in list(sys.modules.items()):
                        if name in SKIPPED or not isinstance(module, types.ModuleType):
                            continue
                        for attribute, value in list(vars(module).items()):
                            if value is os:
                                setattr(module, attribute, fake_os)
                            elif value is os.path:
                                setattr(module, attribute, fake_os.path)
                            elif callable(value) and any(value is function for function in FILE_FUNCTIONS):
                                setattr(module, attribute, lambda *args, **kwargs: False if "exists" in repr(value) else nothing_there(*args))
                    pathlib.Path("test-started").touch()
                    time.sleep(600)
            """,
        },
    )

    def started():
        if (root / "test-started").exists():
            note.write_text("stop")  # grimoire-run writes it before it stops the file
            return True
        return False

    code, stdout, stderr = stopped_once(plugin_pytester, ["test_faked.py"], started, "the test to fake the file system")
    assert code == pytest.ExitCode.INTERRUPTED, stdout + stderr
    assert "grimoire-run stopped this test" in stderr, stdout + stderr
    assert "time.sleep(600)" in stderr[stderr.index("grimoire-run stopped this test") :]


def test_pytest_xdist_never_distributes_inside_a_grimoire_run_process(plugin_pytester, monkeypatch):
    pytest.importorskip("xdist")
    # These tests may themselves run under xdist (npm test's -n 2): its worker's variables are not the subprocess's.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    write(plugin_pytester.path, {"test_a.py": "import os\n\ndef test_a():\n    assert 'PYTEST_XDIST_WORKER' not in os.environ\n"})
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "-p", "xdist.plugin", "-n", "2", "test_a.py")
    result.assert_outcomes(passed=1)
    assert "workers" not in result.stdout.str()


# A plugin with pytest-playwright's fixture shape (its real source is not installable here): `browser`
# connects when `connect_options` says so, and launches otherwise. It is loaded with -p, as an installed
# plugin is, before grimoire-run's plugin registers its own `connect_options`.
PLAYWRIGHT_SHAPED_PLUGIN = """\
    import pytest

    @pytest.fixture(scope="session")
    def browser_name():
        return "chromium"

    @pytest.fixture(scope="session")
    def connect_options():
        return None

    @pytest.fixture(scope="session")
    def browser_type_launch_args():
        return {}

    @pytest.fixture(scope="session")
    def browser(connect_options):
        return ("connected", connect_options) if connect_options else ("launched", None)
"""


def test_browser_server_endpoint_reaches_pytest_playwrights_connect_options(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(
        root,
        {
            "playwright_shaped.py": PLAYWRIGHT_SHAPED_PLUGIN,
            "test_browser.py": """\
                import json, os

                def test_browser(browser):
                    with open(os.environ["OUT"], "w") as out:
                        json.dump(browser, out)
                """,
        },
    )
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("OUT", str(root / "browser.json"))
    # Without a browser server, the plugin leaves pytest-playwright alone.
    plugin_pytester.runpytest_subprocess("-p", "playwright_shaped", *PLUGIN, "test_browser.py").assert_outcomes(passed=1)
    assert json.loads((root / "browser.json").read_text()) == ["launched", None]
    monkeypatch.setenv("GRIMOIRE_BROWSER_WS_ENDPOINT", "ws://127.0.0.1:9/slot")
    monkeypatch.setenv("GRIMOIRE_BROWSER_NAME", "chromium")
    plugin_pytester.runpytest_subprocess("-p", "playwright_shaped", *PLUGIN, "test_browser.py").assert_outcomes(passed=1)
    kind, options = json.loads((root / "browser.json").read_text())
    assert kind == "connected"
    assert list(options.values()) == ["ws://127.0.0.1:9/slot"]
    assert list(options) in (["endpoint"], ["ws_endpoint"])
    # A server of another browser than the one a test asks for is not used.
    monkeypatch.setenv("GRIMOIRE_BROWSER_NAME", "firefox")
    plugin_pytester.runpytest_subprocess("-p", "playwright_shaped", *PLUGIN, "test_browser.py").assert_outcomes(passed=1)
    assert json.loads((root / "browser.json").read_text()) == ["launched", None]


def test_a_session_whose_launch_options_the_served_browser_lacks_launches_its_own_and_says_why(plugin_pytester, monkeypatch):
    """pytest-playwright's launch options reach a browser server only in a header it ignores: a session asking for other
    arguments (a user agent, a channel) launches its own browser; --slowmo and what the server has are kept connected."""
    root = plugin_pytester.path
    write(root, {"playwright_shaped.py": PLAYWRIGHT_SHAPED_PLUGIN, "test_browser.py": "import json, os\n\ndef test_browser(browser):\n    with open(os.environ['OUT'], 'w') as out:\n        json.dump(browser, out)\n"})
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("OUT", str(root / "browser.json"))
    monkeypatch.setenv("GRIMOIRE_BROWSER_WS_ENDPOINT", "ws://127.0.0.1:9/slot")
    monkeypatch.setenv("GRIMOIRE_BROWSER_NAME", "chromium")
    monkeypatch.setenv("GRIMOIRE_BROWSER_ARGS", json.dumps(["--disable-gpu"]))
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))

    def run_with(launch_args):
        (root / "conftest.py").write_text(f"import pytest\n\n@pytest.fixture(scope='session')\ndef browser_type_launch_args():\n    return {launch_args!r}\n")
        (root / "results.jsonl").unlink(missing_ok=True)
        plugin_pytester.runpytest_subprocess("-p", "playwright_shaped", *PLUGIN, "test_browser.py").assert_outcomes(passed=1)
        own = [record["options"] for record in records(root / "results.jsonl") if record["t"] == "own-browser"]
        return json.loads((root / "browser.json").read_text()), own

    (kind, options), own = run_with({"slow_mo": 250, "executable_path": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-gpu"], "headless": True})
    assert (kind, own) == ("connected", [])
    assert options["slow_mo"] == 250
    assert run_with({"args": ["--user-agent=ShopBot/1.0"], "channel": "chrome", "slow_mo": 250}) == (["launched", None], [["args", "channel"]])
    assert run_with({"proxy": {"server": "http://127.0.0.1:3128"}}) == (["launched", None], [["proxy"]])


# A stand-in for Playwright for Python's sync API (its BrowserType: launch, launch_persistent_context, connect), for
# tests of what the plugin notes of a launch.
FAKE_PLAYWRIGHT = {
    "playwright/__init__.py": "",
    "playwright/sync_api/__init__.py": "from playwright.sync_api._generated import BrowserType\n",
    "playwright/sync_api/_generated.py": """\
        class BrowserType:
            name = "chromium"

            def launch(self, **kwargs):
                return ("launched", kwargs)

            def launch_persistent_context(self, user_data_dir, **kwargs):
                return ("context", user_data_dir)

            def connect(self, ws_endpoint, **kwargs):
                return ("connected", ws_endpoint)
        """,
}


def test_a_test_that_launches_a_browser_itself_under_a_browser_server_is_noted_once(plugin_pytester, monkeypatch):
    """A StaticLiveServerTestCase's setUpClass or a hand-written fixture calls Playwright's launch() itself: noted, so that
    the run can say the served browser went unused (two Django projects of a helper's trial); pytest-playwright's own
    launches are not (they have their own-browser notice)."""
    root = plugin_pytester.path
    write(
        root,
        {
            **FAKE_PLAYWRIGHT,
            "pytest_playwright/__init__.py": "def browser_for(browser_type):\n    return browser_type.launch(headless=True)\n",
            "test_launch.py": """\
                import os, unittest
                import pytest_playwright
                from playwright.sync_api import BrowserType

                class LiveServerShaped(unittest.TestCase):
                    @classmethod
                    def setUpClass(cls):
                        hand = os.environ.get("HAND")
                        cls.browser = BrowserType().launch(headless=True) if hand else pytest_playwright.browser_for(BrowserType())

                    def test_one(self):
                        assert self.browser == ("launched", {"headless": True})

                    def test_two(self):
                        if os.environ.get("HAND"):
                            assert BrowserType().launch_persistent_context("profile") == ("context", "profile")
                """,
        },
    )
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    out = root / "results.jsonl"
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(out))

    def launches(hand):
        out.unlink(missing_ok=True)
        monkeypatch.setenv("HAND", hand)
        plugin_pytester.runpytest_subprocess(*PLUGIN, "test_launch.py").assert_outcomes(passed=2)
        return [record for record in records(out) if record["t"] == "own-launch"]

    # No browser server: nothing to say, nothing wrapped.
    assert launches("1") == []
    monkeypatch.setenv("GRIMOIRE_BROWSER_WS_ENDPOINT", "ws://127.0.0.1:9/slot")
    assert launches("1") == [{"t": "own-launch"}]
    assert launches("") == []


def test_a_projects_connect_options_that_gives_no_endpoint_under_a_browser_server_is_noted_where_it_is(plugin_pytester, monkeypatch):
    """A conftest's `connect_options` takes the place of grimoire-run's (the nearer fixture wins): where it gives
    pytest-playwright no endpoint (py-shiny's, unless PW_TEST_CONNECT_WS_ENDPOINT is set), every file launches a browser
    beside the served one. Noted once, with where the fixture is and the keyword that connects; one that gives an
    endpoint, or none of the project's, is not."""
    root = plugin_pytester.path
    write(
        root,
        {
            **FAKE_PLAYWRIGHT,
            "pytest_playwright/__init__.py": "",
            # The shape above, under pytest-playwright's module name, its browser made by Playwright's BrowserType.
            "pytest_playwright/pytest_playwright.py": PLAYWRIGHT_SHAPED_PLUGIN.replace("import pytest", "import pytest\n    from playwright.sync_api import BrowserType", 1).replace(
                'return ("connected", connect_options) if connect_options else ("launched", None)',
                "return BrowserType().connect(**connect_options) if connect_options else BrowserType().launch(headless=True)",
            ),
            "tests/test_page.py": "import json, os\n\ndef test_page(browser):\n    json.dump(browser, open(os.environ['OUT'], 'w'))\n",
        },
    )
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("OUT", str(root / "browser.json"))
    out = root / "results.jsonl"
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(out))
    monkeypatch.setenv("GRIMOIRE_BROWSER_WS_ENDPOINT", "ws://127.0.0.1:9/slot")
    monkeypatch.setenv("GRIMOIRE_BROWSER_NAME", "chromium")

    def run(conftest):
        conftest_path = root / "tests" / "conftest.py"
        conftest_path.unlink(missing_ok=True)
        if conftest is not None:
            conftest_path.write_text(textwrap.dedent(conftest))
        out.unlink(missing_ok=True)
        plugin_pytester.runpytest_subprocess("-p", "pytest_playwright.pytest_playwright", *PLUGIN, "tests").assert_outcomes(passed=1)
        noted = [record for record in records(out) if record["t"] in ("own-connect-options", "own-launch")]
        return json.loads((root / "browser.json").read_text())[0], noted

    # pytest-playwright's own connect_options gives way to grimoire-run's: connected, nothing to say.
    assert run(None) == ("connected", [])
    gives_none = """\
        import os, pytest

        @pytest.fixture(scope="session")
        def connect_options():
            endpoint = os.environ.get("PW_TEST_CONNECT_WS_ENDPOINT")
            return {"ws_endpoint": endpoint} if endpoint else None
        """
    assert run(gives_none) == ("launched", [{"t": "own-connect-options", "where": str(root / "tests" / "conftest.py"), "keyword": "ws_endpoint"}])
    # Given the endpoint, as the notice says, it connects.
    gives_ours = gives_none.replace('os.environ.get("PW_TEST_CONNECT_WS_ENDPOINT")', 'os.environ.get("GRIMOIRE_BROWSER_WS_ENDPOINT")')
    assert run(gives_ours) == ("connected", [])


def import_times_of(pytester, monkeypatch):
    """GRIMOIRE_IMPORT_TIMES: the packages the session's one passing test's process reported importing."""
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(pytester.path / "results.jsonl"))
    monkeypatch.setenv("GRIMOIRE_IMPORT_TIMES", "1")
    pytester.runpytest_subprocess(*PLUGIN, "tests").assert_outcomes(passed=1)
    [imports] = [record for record in records(pytester.path / "results.jsonl") if record["t"] == "imports"]
    return imports["packages"]


def test_import_times_name_each_top_level_package_and_where_it_lives_leaving_the_tests_out(plugin_pytester, monkeypatch):
    """GRIMOIRE_IMPORT_TIMES: each package's own import seconds (what it imports is the other package's), by top-level name."""
    root = plugin_pytester.path
    write(
        root,
        {
            "conftest.py": """\
                import sys, time

                sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent / "venv" / "lib" / "site-packages"))
                # A sibling clone's package, as an editable install of it puts it on sys.path: outside the project.
                sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent.parent / "sibling_clone"))
                time.sleep(0.2)
            """,
            "slowpkg/__init__.py": "import time\nfrom . import sub\nimport fakelib\nimport siblingpkg\ntime.sleep(0.1)\n",
            "slowpkg/sub.py": "import time\ntime.sleep(0.1)\n",
            "venv/lib/site-packages/fakelib/__init__.py": "import time\ntime.sleep(0.15)\n",
            "lazy.py": "import time\ntime.sleep(0.05)\n",
            "tests/test_uses.py": """\
                import time
                import slowpkg

                time.sleep(0.2)

                def test_it():
                    import json.tool
                    import lazy
            """,
        },
    )
    write(root.parent / "sibling_clone", {"siblingpkg/__init__.py": "import time\ntime.sleep(0.05)\n"})
    packages = import_times_of(plugin_pytester, monkeypatch)
    assert packages["siblingpkg"]["kind"] == "elsewhere"
    # slowpkg's own 0.2 s (its module and its submodule's), not fakelib's 0.15 s that it imported.
    assert 0.2 <= packages["slowpkg"]["seconds"] < 0.34
    assert packages["slowpkg"]["kind"] == "project"
    # Each of its modules the process imported, by name: what a --preload of the package follows.
    assert packages["slowpkg"]["modules"] == ["slowpkg", "slowpkg.sub"]
    assert 0.15 <= packages["fakelib"]["seconds"] < 0.29
    assert packages["fakelib"]["kind"] == "installed"
    # What a test imports while it runs counts too; the conftest's and the test module's own 0.2 s do not.
    assert packages["lazy"]["seconds"] >= 0.05
    assert packages.get("json", {"kind": "stdlib"})["kind"] == "stdlib"
    assert not {"conftest", "tests", "test_uses"} & set(packages)
    assert records(root / "results.jsonl")[-1]["t"] == "finish"


def test_import_times_mark_a_package_pytest_rewrote_a_module_of(plugin_pytester, monkeypatch):
    """A module the session had pytest rewrite (register_assert_rewrite): imported in the fork server, it would not be."""
    root = plugin_pytester.path
    write(
        root,
        {
            "conftest.py": "import pytest\npytest.register_assert_rewrite('helperlib.checks')\n",
            "helperlib/__init__.py": "import time\ntime.sleep(0.01)\n",
            "helperlib/checks.py": "def same(a, b):\n    assert a == b\n",
            "otherlib.py": "import time\ntime.sleep(0.01)\n",
            "tests/test_uses.py": "import helperlib.checks, otherlib\n\ndef test_it():\n    helperlib.checks.same(1, 1)\n",
        },
    )
    packages = import_times_of(plugin_pytester, monkeypatch)
    assert packages["helperlib"].get("rewritten") is True
    assert "rewritten" not in packages["otherlib"]


def test_timed_imports_look_to_the_tests_as_untimed_ones(plugin_pytester, monkeypatch):
    """The timer leaves no frame of its own where code can see it: a failed import's traceback, a warning's stacklevel.

    flask's app loader tells "no such module" from "the module's own import
    failed" by whether the ImportError's traceback has a second frame; a
    module's deprecation warning with stacklevel=2 names the module importing it.
    """
    root = plugin_pytester.path
    write(
        root,
        {
            "warner.py": "import warnings\nwarnings.warn('old', DeprecationWarning, stacklevel=2)\n",
            "importer.py": "import warner\n",
            "test_imports.py": """\
                import sys
                import warnings

                def test_a_missing_module_fails_in_the_import_statement_itself():
                    try:
                        __import__("no_such_module_here")
                    except ImportError:
                        assert sys.exc_info()[2].tb_next is None

                def test_a_warning_at_import_names_the_importing_module():
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        import importer
                    assert [w.filename for w in caught] == [importer.__file__]
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    for timed in ("", "1"):
        monkeypatch.setenv("GRIMOIRE_IMPORT_TIMES", timed)
        plugin_pytester.runpytest_subprocess(*PLUGIN, "test_imports.py").assert_outcomes(passed=2)


def test_no_import_times_unless_asked(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(root, {"test_a.py": "import json.tool\n\ndef test_a():\n    pass\n"})
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    plugin_pytester.runpytest_subprocess(*PLUGIN).assert_outcomes(passed=1)
    assert [record["t"] for record in records(root / "results.jsonl")] == ["collected", "test", "test", "test", "finish"]


# pytest-django's fixture chain, shaped as its source has it (it is not installable here), with a Django whose settings
# are a dict: the test database's name is settled by `django_db_modify_db_settings_xdist_suffix`, which gives xdist's
# workers a database each, and is read by `django_db_setup`.
DJANGO_SHAPED = {
    "django/__init__.py": "",
    "django/conf.py": """\
        import os

        class Settings:
            configured = True
            DATABASES = {
                "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"},
                "memory": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
            }
            if os.environ.get("ONLY_IN_MEMORY"):
                del DATABASES["default"]

        settings = Settings()
        """,
    "django/db.py": """\
        from django.conf import settings

        class Wrapper:
            def __init__(self, alias):
                self.alias = alias
                self.settings_dict = settings.DATABASES[alias]

            def is_in_memory_db(self):
                name = self.settings_dict["NAME"]
                return self.settings_dict["ENGINE"].endswith("sqlite3") and (name == ":memory:" or "mode=memory" in name)

        class Connections:
            def __iter__(self):
                return iter(settings.DATABASES)

            def __getitem__(self, alias):
                return Wrapper(alias)

        connections = Connections()
        """,
    "pytest_django/__init__.py": "",
    "pytest_django/plugin.py": """\
        import pytest

        def pytest_addoption(parser):
            parser.addoption("--reuse-db", action="store_true", dest="reuse_db")

        @pytest.fixture(scope="session")
        def django_db_modify_db_settings_xdist_suffix(request):
            pass

        @pytest.fixture(scope="session")
        def django_db_modify_db_settings(django_db_modify_db_settings_xdist_suffix):
            pass

        @pytest.fixture(scope="session")
        def django_db_setup(django_db_modify_db_settings):
            import os
            from django.conf import settings
            names = {alias: db.get("TEST", {}).get("NAME") for alias, db in settings.DATABASES.items()}
            # As Django's create_test_db: each alias the tests use (USED, else all) is renamed to its test database.
            used = os.environ["USED"].split(",") if "USED" in os.environ else list(settings.DATABASES)
            for alias in filter(None, used):
                db = settings.DATABASES[alias]
                in_memory = db["ENGINE"].endswith("sqlite3") and db["NAME"] == ":memory:"
                db["NAME"] = f"file:memorydb_{alias}?mode=memory&cache=shared" if in_memory else names[alias] or "test_" + db["NAME"]
            return names
        """,
    "test_db.py": """\
        import json, os

        def test_db(django_db_setup):
            with open(os.environ["OUT"], "w") as out:
                json.dump(django_db_setup, out)
        """,
}


def test_files_running_at_once_get_a_django_test_database_per_slot(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(root, DJANGO_SHAPED)
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("OUT", str(root / "names.json"))

    def names(workers, slot):
        monkeypatch.setenv("GRIMOIRE_WORKERS", workers)
        monkeypatch.setenv("GRIMOIRE_SLOT", slot)
        plugin_pytester.runpytest_subprocess("-p", "pytest_django.plugin", *PLUGIN, "test_db.py").assert_outcomes(passed=1)
        return json.loads((root / "names.json").read_text())

    # One file at a time (a serial run, or one worker): pytest-django's own name, as in plain pytest.
    assert names("1", "0") == {"default": None, "memory": None}
    # Files at once: the slot's, named as xdist's worker of that number; SQLite in memory needs none.
    assert names("2", "1") == {"default": "test_shop_gw1", "memory": None}
    assert names("3", "0") == {"default": "test_shop_gw0", "memory": None}


def test_the_time_a_file_spends_making_its_django_test_database_is_recorded_unless_it_reuses_one_and_whether_in_memory(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(root, DJANGO_SHAPED)
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("OUT", str(root / "names.json"))
    out = root / "records.jsonl"
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(out))

    def database_records(workers, *args):
        out.unlink(missing_ok=True)
        monkeypatch.setenv("GRIMOIRE_WORKERS", workers)
        plugin_pytester.runpytest_subprocess("-p", "pytest_django.plugin", *PLUGIN, "test_db.py", *args).assert_outcomes(passed=1)
        return [r for r in records(out) if r["t"] == "django-db"]

    made = database_records("2")
    assert len(made) == 1 and 0 <= made[0]["seconds"] < 5 and "memory" not in made[0]
    # --reuse-db makes one per slot already; and a file at a time is what plain pytest does: nothing to add up.
    assert database_records("2", "--reuse-db") == []
    assert database_records("1") == []
    # Only SQLite in memory set up (djangorestframework-simplejwt configures a file database no test uses): --reuse-db
    # would keep nothing; files that share a process would share it, so it is added up as that.
    monkeypatch.setenv("USED", "memory")
    assert [sorted(r) for r in database_records("2")] == [["memory", "seconds", "t"]]
    # A project's own django_db_setup that uses an existing database sets up none.
    monkeypatch.setenv("USED", "")
    assert database_records("2") == []
    # SQLite in memory only (django-ninja's and django-allauth's suites).
    monkeypatch.delenv("USED")
    monkeypatch.setenv("ONLY_IN_MEMORY", "1")
    assert [r["memory"] for r in database_records("2")] == [True]


SESSION_FIXTURES = {
    "tests/conftest.py": """\
        import time, types
        import pytest

        # A Playwright browser's shape (the real one is Playwright's sync API's Browser): what the record names.
        Browser = type("Browser", (), {"__module__": "playwright.sync_api._generated", "browser_type": types.SimpleNamespace(name="firefox")})

        @pytest.fixture(scope="session", autouse=True)
        def schema():
            time.sleep(0.2)
            yield "schema"

        @pytest.fixture(scope="session")
        def browser():
            time.sleep(0.02)
            return Browser()

        @pytest.fixture(scope="session", autouse=True)
        def quick():
            pass

        @pytest.fixture(scope="session")
        def django_db_setup():
            time.sleep(0.1)

        @pytest.fixture(scope="session")
        def late():
            pass

        @pytest.fixture
        def each():
            pass
        """,
    "tests/test_a.py": """\
        import pytest

        @pytest.mark.skip(reason="sets nothing up")
        def test_skipped():
            pass

        @pytest.mark.xfail(run=False, reason="is not run")
        def test_not_run():
            pass

        def test_first(browser, django_db_setup, each):
            pass

        def test_second(late):
            pass
        """,
}


def test_the_session_fixtures_a_files_first_test_sets_up_are_recorded_with_their_time_and_what_playwright_made(plugin_pytester, monkeypatch):
    root = plugin_pytester.path
    write(root, SESSION_FIXTURES)
    out = root / "records.jsonl"
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(out))

    def fixture_records(workers):
        out.unlink(missing_ok=True)
        monkeypatch.setenv("GRIMOIRE_WORKERS", workers)
        plugin_pytester.runpytest_subprocess(*PLUGIN, "tests").assert_outcomes(passed=2, skipped=1, xfailed=1)
        return [r for r in records(out) if r["t"] == "session-fixtures"]

    [record] = fixture_records("2")
    by_name = {fixture["name"]: fixture for fixture in record["fixtures"]}
    # The first test that set anything up: a test skipped by its marks (or not run) did not; the second test's `late` comes after
    # the timer is gone; a function-scoped fixture is every test's; django_db_setup is the Django timer's; `quick` took
    # less than a hundredth of a second.
    assert sorted(by_name) == ["browser", "schema"]
    assert by_name["schema"]["where"] == "tests/conftest.py" and 0.2 <= by_name["schema"]["seconds"] < 5
    assert "playwright" not in by_name["schema"]
    assert by_name["browser"]["playwright"] is True and by_name["browser"]["browser"] == "firefox"
    # One file at a time (a serial run): the session is every file's, as in plain pytest.
    assert fixture_records("1") == []


def test_the_teardown_of_a_session_fixture_a_files_first_test_set_up_is_recorded_with_its_time(plugin_pytester, monkeypatch):
    """A server fixture that takes half a second to stop (pytest-httpserver's): its time at the session's end is a cost
    of each file's process too, which one plain session pays once (a helper's trial: no hint named --pack)."""
    root = plugin_pytester.path
    write(
        root,
        {
            "tests/conftest.py": """\
                import time
                import pytest

                @pytest.fixture(scope="session")
                def server():
                    yield "up"
                    time.sleep(0.3)

                @pytest.fixture(scope="session")
                def quick():
                    yield "up"
                """,
            "tests/test_a.py": "def test_a(server, quick):\n    assert server == 'up'\n\ndef test_b(server):\n    pass\n",
        },
    )
    out = root / "records.jsonl"
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(out))
    monkeypatch.setenv("GRIMOIRE_WORKERS", "2")
    plugin_pytester.runpytest_subprocess(*PLUGIN, "tests").assert_outcomes(passed=2)
    teardowns = [r for r in records(out) if r["t"] == "session-fixture-teardown"]
    assert [(r["name"], r["where"]) for r in teardowns] == [("server", "tests/conftest.py")]
    assert 0.3 <= teardowns[0]["seconds"] < 5


def test_a_browser_a_session_fixture_launches_from_a_path_of_its_own_is_recorded_with_it(plugin_pytester, monkeypatch):
    """A conftest that launches /usr/bin/chromium (Playwright's own build not installed): the run's --browser-server hint
    names it as --browser-executable, without which the served browser did not start (a helper's trial). Playwright's
    launch() is wrapped for the fixture's set-up only."""
    root = plugin_pytester.path
    write(
        root,
        {
            "playwright/__init__.py": "",
            "playwright/sync_api/__init__.py": "from playwright.sync_api._generated import Browser, BrowserType\n",
            "playwright/sync_api/_generated.py": """\
                import time, types

                class Browser:
                    def __init__(self, engine):
                        self.browser_type = types.SimpleNamespace(name=engine)

                class BrowserType:
                    def launch(self, **kwargs):
                        time.sleep(0.02)
                        return Browser(kwargs.get("engine", "chromium"))
                """,
            "tests/conftest.py": """\
                import pathlib
                import pytest
                from playwright.sync_api import BrowserType

                @pytest.fixture(scope="session")
                def browser():
                    return BrowserType().launch(executable_path=pathlib.Path("/opt/browsers/chromium"), headless=True)

                @pytest.fixture(scope="session")
                def other_browser():
                    return BrowserType().launch(engine="firefox")
                """,
            "tests/test_a.py": """\
                from playwright.sync_api import BrowserType

                def test_first(browser, other_browser):
                    # The set-up's wrapper is gone once the fixture is set up.
                    assert BrowserType.launch.__module__ == "playwright.sync_api._generated"
                    assert BrowserType.launch.__code__.co_filename.endswith("_generated.py")
                """,
        },
    )
    monkeypatch.setenv("PYTHONPATH", f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    out = root / "records.jsonl"
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(out))
    monkeypatch.setenv("GRIMOIRE_WORKERS", "2")
    plugin_pytester.runpytest_subprocess(*PLUGIN, "tests").assert_outcomes(passed=1)
    [record] = [r for r in records(out) if r["t"] == "session-fixtures"]
    by_name = {fixture["name"]: fixture for fixture in record["fixtures"]}
    assert by_name["browser"]["executable"] == "/opt/browsers/chromium" and by_name["browser"]["browser"] == "chromium"
    assert "executable" not in by_name["other_browser"] and by_name["other_browser"]["browser"] == "firefox"


# Stand-ins for plugins the package index here does not have, under their real module names, registering what the real
# ones register (their markers, their options' `dest`): the plugin looks only at those.
DEPENDENCY_STAND_IN = """\
    import pytest

    def pytest_configure(config):
        config.addinivalue_line("markers", "dependency(name=None, depends=[], scope='module'): as pytest-dependency's")
"""
ORDER_STAND_IN = """\
    def pytest_addoption(parser):
        parser.addoption("--order-scope", dest="order_scope", default=None)

    def pytest_configure(config):
        config.addinivalue_line("markers", "order: as pytest-order's")
"""


@pytest.mark.parametrize(
    "scope_args, ordered",
    [((), ["tests/test_a.py::test_first", "tests/test_a.py::test_before_other_file"]), (("--order-scope", "module"), None)],
)
def test_records_name_the_tests_a_plugin_ties_to_other_files(plugin_pytester, monkeypatch, scope_args, ordered):
    """pytest-dependency's dependencies on tests this process lacks; pytest-order's session-wide marks (not where it orders by module)."""
    root = plugin_pytester.path
    write(
        root,
        {
            "pytest_dependency.py": DEPENDENCY_STAND_IN,
            "pytest_order.py": ORDER_STAND_IN,
            "tests/test_a.py": """\
                import pytest

                @pytest.mark.dependency(name="base", scope="session")
                def test_base():
                    pass

                @pytest.mark.dependency(depends=["base", "tests/test_a.py::test_base"], scope="session")
                def test_here():
                    pass

                @pytest.mark.dependency(depends=["tests/test_other.py::test_x"], scope="session")
                def test_elsewhere():
                    pass

                @pytest.mark.dependency(depends=["test_base"])
                def test_module_scope():
                    pass

                @pytest.mark.order("first")
                def test_first():
                    pass

                @pytest.mark.order(before="test_base")
                def test_before_in_file():
                    pass

                @pytest.mark.order(after="test_other.py::test_x")
                def test_before_other_file():
                    pass
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    result = plugin_pytester.runpytest_subprocess(*PLUGIN, "-p", "pytest_dependency", "-p", "pytest_order", *scope_args, "tests")
    result.assert_outcomes(passed=7)
    linked = {record["plugin"]: record["tests"] for record in records(root / "results.jsonl") if record["t"] == "linked"}
    assert linked.pop("pytest-dependency") == ["tests/test_a.py::test_elsewhere"]
    assert linked.pop("pytest-order", None) == ordered
    assert linked == {}


def test_listing_names_the_plugins_options_that_act_on_the_whole_session(plugin_pytester, monkeypatch):
    """pytest-html's, pytest-json-report's, pytest-reportlog's and pytest-split's options, by their `dest`, wherever they were given."""
    root = plugin_pytester.path
    write(
        root,
        {
            "session_wide.py": """\
                def pytest_addoption(parser):
                    parser.addoption("--html", dest="htmlpath")
                    parser.addoption("--json-report", dest="json_report", action="store_true", default=False)
                    parser.addoption("--json-report-file", dest="json_report_file", default=".report.json")
                    parser.addoption("--store-durations", dest="store_durations", action="store_true", default=False)
                    parser.addoption("--splits", dest="splits", type=int)
            """,
            "pytest.ini": "[pytest]\naddopts = --html=out/report.html\n",
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    _, listing = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "-p", "session_wide", "--json-report", "--store-durations", "--splits", "3", "tests")
    assert listing["options"]["sessionWide"] == [
        ["pytest-html", "--html=out/report.html", "report"],
        ["pytest-json-report", "--json-report-file=.report.json", "report"],
        ["pytest-split", "--store-durations", "durations"],
        ["pytest-split", "--splits=3", "splits"],
    ]
    _, plain = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "-p", "session_wide", "-o", "addopts=", "tests")
    assert plain["options"]["sessionWide"] == []


def test_listing_names_the_report_options_and_the_ones_a_parallel_run_refuses(plugin_pytester, monkeypatch):
    """pytest-bdd's, pytest-csv's and pytest-benchmark's reports and saved runs; a comparison with the latest saved run while
    each file saves its own, inline-snapshot's writing flags and pytest-rerunfailures' cap on a session's reruns are
    refused (their `dest`s, as the plugins name them)."""
    root = plugin_pytester.path
    write(
        root,
        {
            "stand_ins.py": """\
                def pytest_addoption(parser):
                    parser.addoption("--cucumberjson", dest="cucumber_json_path")
                    parser.addoption("--csv", dest="csv_path")
                    parser.addoption("--benchmark-json", dest="benchmark_json")
                    parser.addoption("--benchmark-save", dest="benchmark_save")
                    parser.addoption("--benchmark-autosave", dest="benchmark_autosave", action="store_const", const="tag")
                    parser.addoption("--benchmark-compare", dest="benchmark_compare", nargs="?", default=[], const=True)
                    parser.addoption("--inline-snapshot", dest="inline_snapshot")
                    parser.addoption("--max-suite-reruns", dest="max_suite_reruns", type=int, default=None)
            """,
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    args = ["--cucumberjson=cuc.json", "--csv=out.csv", "--benchmark-json=b.json", "--benchmark-autosave", "--benchmark-compare", "--inline-snapshot=create,trim", "--max-suite-reruns=3"]
    _, listing = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "-p", "stand_ins", *args, "tests")
    assert listing["options"]["sessionWide"] == [
        ["pytest-bdd", "--cucumberjson=cuc.json", "report"],
        ["pytest-csv", "--csv=out.csv", "report"],
        ["pytest-benchmark", "--benchmark-json=b.json", "report"],
        ["pytest-benchmark", "--benchmark-autosave", "saved run"],
    ]
    assert listing["options"]["refusedInParallel"] == [
        ["pytest-benchmark", "--benchmark-compare with --benchmark-autosave", "benchmark-compare"],
        ["inline-snapshot", "--inline-snapshot=create,trim", "inline-snapshot"],
        ["pytest-rerunfailures", "--max-suite-reruns=3", "suite-reruns"],
    ]
    # A comparison with a named run, a save without a comparison, and inline-snapshot's report: each file's process does them right.
    _, fine = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "-p", "stand_ins", "--benchmark-compare=0001", "--benchmark-save=base", "--inline-snapshot=short-report", "tests")
    assert fine["options"]["refusedInParallel"] == []
    assert fine["options"]["sessionWide"] == [["pytest-benchmark", "--benchmark-save=base", "saved run"]]
    # inline-snapshot's default flags, from the pyproject or its variable, count as given.
    (root / "pyproject.toml").write_text('[tool.inline-snapshot]\ndefault-flags = ["create", "trim"]\n')
    _, configured = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "-p", "stand_ins", "tests")
    assert configured["options"]["refusedInParallel"] == [["inline-snapshot", "default-flags=create,trim", "inline-snapshot"]]
    monkeypatch.setenv("INLINE_SNAPSHOT_DEFAULT_FLAGS", "fix")
    _, from_env = run_listing(plugin_pytester, monkeypatch, *PLUGIN, "-p", "stand_ins", "tests")
    assert from_env["options"]["refusedInParallel"] == [["inline-snapshot", "INLINE_SNAPSHOT_DEFAULT_FLAGS=fix", "inline-snapshot"]]


def test_records_name_each_files_xdist_groups_a_conftests_marks_included(plugin_pytester, monkeypatch):
    """--dist loadgroup's groups as pytest-xdist reads them: name= or the first argument, from the test, its class, its module
    or a conftest's collection hook; files with no group are left out."""
    root = plugin_pytester.path
    write(
        root,
        {
            "pytest.ini": "[pytest]\nmarkers =\n    xdist_group(name): a group\n",
            "tests/conftest.py": """\
                import pytest

                def pytest_collection_modifyitems(items):
                    for item in items:
                        if "worker" in item.nodeid:
                            item.add_marker(pytest.mark.xdist_group(name="ports"))
            """,
            "tests/test_worker.py": "def test_serve():\n    pass\n",
            "tests/test_db.py": "import pytest\n\npytestmark = pytest.mark.xdist_group('db')\n\ndef test_a():\n    pass\n\n@pytest.mark.xdist_group(name='mail')\ndef test_b():\n    pass\n",
            "tests/test_free.py": "def test_free():\n    pass\n",
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    plugin_pytester.runpytest_subprocess(*PLUGIN, "tests").assert_outcomes(passed=4)
    [groups] = [record["files"] for record in records(root / "results.jsonl") if record["t"] == "groups"]
    assert groups == {str(root / "tests" / "test_db.py"): ["db", "mail"], str(root / "tests" / "test_worker.py"): ["ports"]}


def test_records_are_the_process_own_not_those_of_a_fork_that_carries_on_with_the_session(plugin_pytester, monkeypatch):
    """A test that forks and forgets os._exit: its child runs the rest of the session too, and must not count the tests again."""
    root = plugin_pytester.path
    write(
        root,
        {
            "test_fork.py": """\
                import os

                def test_forks():
                    if os.fork() == 0:
                        return  # the child carries on with pytest's session
                    os.wait()

                def test_after():
                    pass
            """,
        },
    )
    monkeypatch.setenv("GRIMOIRE_RESULTS_FILE", str(root / "results.jsonl"))
    plugin_pytester.runpytest_subprocess(*PLUGIN, "test_fork.py")
    calls = [record["nodeid"] for record in records(root / "results.jsonl") if record["t"] == "test" and record["when"] == "call"]
    assert calls == ["test_fork.py::test_forks", "test_fork.py::test_after"]
    assert [record["t"] for record in records(root / "results.jsonl")].count("finish") == 1
