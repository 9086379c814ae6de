"""pytest plugin that grimoire-run loads into every pytest process it starts.

Its one job is to let grimoire-run see and steer what pytest does, without
changing what pytest decides. It never skips or fails a test itself, and
selects only to divide a file among the processes of a split (--split).

- SIGTERM behaves like Ctrl-C: pytest stops the running test, runs fixture
  teardowns (closing browsers and servers cleanly) and writes its reports for
  the tests that completed. Before that it prints where the test was, past
  pytest's output capture, so that a timed-out file's log shows where it hung.
  A second SIGTERM is ignored so that it cannot cut that cleanup short;
  grimoire-run follows up with SIGKILL after its grace period. Only
  grimoire-run's own stop does that: it writes the file GRIMOIRE_STOP_NOTE
  names before it signals, and a SIGTERM without it (a test's own
  `os.kill(os.getpid(), SIGTERM)`) ends the process as it would under plain
  pytest. The handler is out of the tests' sight: `signal.getsignal` says
  SIG_DFL for it, `signal.signal` returns SIG_DFL in its place, and a test
  putting SIG_DFL back puts it back.
- GRIMOIRE_LIST_FILE: list the files pytest would collect, without importing
  a single test module. Directories are collected as pytest collects them
  (conftests loaded, `collect_ignore`, `--ignore`, `norecursedirs` and every
  `pytest_ignore_collect` hook applied); each file collector (a test module, a
  doctest module or text file, a plugin's YAML file) is recorded and not
  opened. The session runs nothing and writes nothing to pytest's cache.
  Once the answer is written, the selection hooks having run through (`-k`
  and `-m` refuse a bad expression there), it prints a line saying so
  (`_LISTED`), on which grimoire-run reads the answer while pytest ends the
  session (the plugins' summaries and teardown, which can import a whole
  library).
- GRIMOIRE_ONLY_FILES: a file listing paths. Everything else under the
  collection arguments is ignored, so that grimoire-run can give a process
  the same folder arguments a plain run gets (and with them pytest's own
  rules for what a folder holds) while it runs only some of its files.
- GRIMOIRE_IMPORT_FIRST: a JSON object, {later module's path: earlier one's}.
  With pytest's default import modes a test module is imported under a name
  (its file name, outside a package) that two files can share, and a plain
  run, which imports both, fails the later one ("import file mismatch"). The
  listing names those pairs; a process that collects the later file imports
  the earlier one first, as the plain run would have, so that pytest fails it
  the same way.
- GRIMOIRE_TESTS_SUBSET (--split): a JSON file, {"run": "only" | "all-but",
  "nodeids": [...]}. After pytest's own selection (-k, -m, --deselect), the
  process keeps the named tests, or every test but them; the others are
  deselected as --deselect would, and said so in pytest's summary.
- pytest-xdist never distributes inside a grimoire-run process: the files
  already run in parallel, each in a process of its own.
- GRIMOIRE_BROWSER_WS_ENDPOINT (--browser-server): pytest-playwright (0.7 and
  later) connects to the worker slot's browser server instead of launching a
  browser, through its own `connect_options` fixture; every test still gets a
  fresh browser context. A conftest of the project's that defines
  `connect_options` itself still wins.
- GRIMOIRE_CLEANED_ONCE (every process of a parallel run): what a plain run's
  one session empties at its start was emptied once, by the listing's session
  (pytest's log_file, allure-pytest's --clean-alluredir) or by the run before
  its first file (the folders the listing named in its `cleanOnce`:
  pytest-playwright's --output). This session leaves them as they are, with
  what the files before it left there: it appends to log_file, and cleans
  neither folder.
- GRIMOIRE_PLAYWRIGHT_DRIVER (--browser-server): Playwright for Python talks
  to the slot's shared driver instead of starting one (grimoire_run_driver).
- pytest-cov (--cov): the listing session records its options (from the
  command line and addopts alike) and does not measure. A file's process
  with GRIMOIRE_COVERAGE=combine only measures, into its own data file
  (COVERAGE_FILE): no report, no --cov-fail-under verdict, no warning that
  this one file's tests imported nothing of the measured package. grimoire-run
  combines the files and reports once (grimoire_run_coverage), so that the run
  reads as one pytest-cov run over the same tests.
- GRIMOIRE_IMPORT_TIMES (a file forked from the fork server): the seconds
  the process spent importing each top-level package, its test modules and
  conftests left out, recorded at the session's end in the results
  (grimoire_run_import_times): what `--preload` could import once.
- GRIMOIRE_RESULTS_FILE: each test's outcome, as pytest's own terminal
  reporter categorises it (passed, failed, skipped, xfailed, xpassed, error),
  appended as JSON lines while the tests run, so that what completed is known
  even when the process is killed. A failure also carries pytest's report of
  it (as pytest prints it, plain text) and its captured output, each cut to
  GRIMOIRE_FAILURE_CHARS characters, for the first GRIMOIRE_FAILURE_DETAILS
  failures of the process: the records stay small whatever the tests print.

The plugin asserts nothing, so pytest need not rewrite it as it does the
modules `-p` names (PYTEST_DONT_REWRITE): a process that writes no bytecode
would walk its 1,700 lines for nothing at every start.
"""

import contextlib
import copy
import functools
import gc
import hashlib
import inspect
import json
import math
import os
import pathlib
import shlex
import shutil
import signal
import sys
import sysconfig
import threading
import time
import traceback
import types
from pathlib import Path

import _pytest.pathlib
import pytest

# Imported here, with the plugin, so that a forked file that times its imports finds it imported already.
import grimoire_run_import_times
from grimoire_run_paths import STAND_IN_FILE, hide_from_tracers, hide_own_folder, in_install_folder

# Before the project's code runs: grimoire-run's folder is no module folder of the tests' (pkgutil.iter_modules()).
hide_own_folder()

_FRAMES_SHOWN = 3
# The modules loaded before any conftest: the listing reports the third-party ones imported since (auto-preload).
_MODULES_AT_IMPORT = frozenset(sys.modules)
# The import hooks there were when this plugin was imported (in a forked file: the fork server's).
_FINDERS_AT_IMPORT = tuple(sys.meta_path)
# The line that tells grimoire-run, in a serial run, that collection is done (never shown: it is taken out).
COLLECTED_MARKER = "--grimoire-run:collected--"
_config = None
_stopped = False
# Where this plugin (and grimoire-run's other Python modules) live: the entry grimoire-run put first in PYTHONPATH.
_PLUGIN_FOLDER = os.path.dirname(os.path.abspath(__file__))
# The process's JUnit report is grimoire-run's alone: the user gave no --junitxml (see _junit_family_of_our_own).
_junit_ours_only = False
# pytest 7's Package is a File; it is a folder to walk, not a file to record.
_FOLDER_COLLECTORS = tuple(c for c in (getattr(pytest, "Package", None), getattr(pytest, "Directory", None)) if c is not None)
# Beside a process's JUnit report: the path of a --junitxml the user gave (pytest's option, in addopts or after --).
JUNIT_ASKED_NOTE = "junitxml-asked.txt"


# The process calls this plugin makes while tests run, as they were when it was imported: a test may have patched them
# (a mock of os.getpid would otherwise have the stop handler signal whatever process has the faked pid, and the
# records drop the result of the test that patched it: celery's test_ps).
_getpid, _kill, _set_signal, _get_signal = os.getpid, os.kill, signal.signal, signal.getsignal
# Held in a namespace, out of reach of what a test patches module by module: freezegun replaces time.perf_counter and
# every module attribute bound to it (a test that freezes time must not make its own duration days long), and pyfakefs
# binds every module attribute that is a file-system function (and every `os`) to its fake's while a test runs, in
# which the stop note is not there, and the handler took grimoire-run's stop for another's: a file stopped in a test
# using `fs` lost where it was stopped (a helper's trial). The fork module holds its file functions the same way.
_UNPATCHED = types.SimpleNamespace(perf_counter=time.perf_counter, exists=os.path.exists)
# The file grimoire-run writes before it stops this process (GRIMOIRE_STOP_NOTE); None where it writes none.
_stop_note = None


def _interrupt(signum, frame):
    global _stopped
    if _getpid() != _interrupt_pid or (_stop_note is not None and not _UNPATCHED.exists(_stop_note)):
        # A process a test forked (multiprocessing's fork, os.fork) that got here before its fork hook ran, or a SIGTERM
        # that is not grimoire-run's stop (the test's own os.kill, a handler of its passing it on): SIGTERM ends the
        # process as it would without grimoire-run, and whoever sent it sees -SIGTERM.
        _set_signal(signal.SIGTERM, signal.SIG_DFL)
        _kill(_getpid(), signal.SIGTERM)
        return
    _stopped = True
    _set_signal(signal.SIGTERM, signal.SIG_IGN)
    capture = _config.pluginmanager.getplugin("capturemanager") if _config is not None else None
    if capture is not None:
        capture.suspend_global_capture(in_=False)
    where = "".join(_stopped_frames(frame))
    recorder = _config.pluginmanager.get_plugin("grimoire-recorder") if _config is not None else None
    # No test running (a module importing while pytest collects, a fixture between tests): said so, not "this test"; and
    # after the session's end, the process at its exit (a thread a test left, waited for there: asgiref's trial).
    running = getattr(recorder, "running", None)
    if running is not None:
        # Named: stopped in a fixture's set-up, pytest then says "no tests ran" below it (a helper's trial of channels).
        what = f"this test, {running},"
    elif recorder is None:
        what = "this test"
    elif getattr(recorder, "finished", False):
        # Its tests are over: pytest may still be writing its summary (the terminal's report of failures comes after
        # this plugin's session end), or the process waits at its exit (rich's trial read "at its exit" of the former).
        what = "the process after its tests ended (pytest's summary, or its exit),"
    else:
        what = "pytest, outside any test (collecting, or between tests),"
    # pytest may be half-way through a progress line; the report starts on a line of its own.
    sys.stderr.write(f"\ngrimoire-run stopped {what} here:\n{where}")
    sys.stderr.flush()
    if recorder is not None:
        recorder.note_stopped()
    # The signal by its name: "signal 15" beside a KeyboardInterrupt read as a puzzle (a helper's trial).
    raise KeyboardInterrupt(f"stopped by grimoire-run ({_signal_name(signum)})")


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _stopped_frames(frame):
    """The lines the stop report shows: the innermost frames, or where the test waits when a greenlet runs in its place.

    Playwright's sync API runs its event loop in a greenlet of its own while the test's waits for a call to return: the
    signal arrives in the loop's (asyncio's select), and the test's line is in the waiting greenlet's frames, under
    Playwright's own. Those are shown down to the test's call into the installed package (`page.goto(...)`).
    """
    greenlet = sys.modules.get("greenlet")
    waiting = None
    # Only where the running greenlet is all library code (an event loop): one running the test's own code shows it.
    if greenlet is not None and all(_library_file(entry.filename) for entry in traceback.extract_stack(frame)):
        try:
            parent = greenlet.getcurrent().parent
            while parent is not None and waiting is None:
                waiting, parent = parent.gr_frame, parent.parent
        except Exception:
            waiting = None
    if waiting is None:
        awaiting = _awaiting_frames(frame)
        if awaiting:
            return awaiting
        suspended = _suspended_greenlet_frames(frame, greenlet)
        return suspended if suspended else traceback.format_stack(frame, limit=_FRAMES_SHOWN)
    return _down_to_own_code(waiting)


def _down_to_own_code(frame):
    """A suspended stack's lines, down to its last frame of the project's own code."""
    stack = traceback.extract_stack(frame)
    own = [i for i, entry in enumerate(stack) if not _library_file(entry.filename)]
    last = own[-1] + 1 if own else len(stack) - 1
    return traceback.format_list(stack[max(0, last + 1 - _FRAMES_SHOWN) : last + 1])


def _suspended_greenlet_frames(frame, greenlet):
    """Where the project's code waits in a suspended greenlet, when the signal came where no frame is the project's and
    no parent greenlet waits (the main greenlet itself mid-switch, or at its launcher's frames): a Playwright test's
    Ctrl-C once showed only grimoire-run's launcher (`main(...)` and two of runpy's frames), its line in the greenlet
    Playwright had suspended (a helper's trial). [] where there is none, or where the project's code is running."""
    if greenlet is None or not all(_library_file(entry.filename) for entry in traceback.extract_stack(frame)):
        return []
    lines = []
    try:
        current = greenlet.getcurrent()
        suspended = [obj for obj in gc.get_objects() if isinstance(obj, greenlet.greenlet) and obj is not current and obj.gr_frame is not None]
        for waiting in suspended:
            if any(not _library_file(entry.filename) for entry in traceback.extract_stack(waiting.gr_frame)):
                lines.extend(_down_to_own_code(waiting.gr_frame))
                if len(lines) >= 2 * _FRAMES_SHOWN:
                    break
    except Exception:
        return []
    return lines


def _awaiting_frames(frame):
    """Where the project's coroutines wait, when the signal came in an event loop's own frames (an async test under
    pytest-asyncio or anyio: asyncio's select, the frames the report would show all the library's); [] otherwise. Each
    task's chain of awaits, from its coroutine down to what it awaits, as far as the project's own frames go: the loop's
    frames named no test (a helper's trial)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None or not all(_library_file(entry.filename) for entry in traceback.extract_stack(frame, limit=_FRAMES_SHOWN)):
        return []
    try:
        tasks = asyncio.all_tasks(asyncio.get_running_loop())
    except Exception:
        return []
    lines = []
    for task in tasks:
        chain = []
        awaited = task.get_coro()
        while awaited is not None and len(chain) < 50:
            current = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None) or getattr(awaited, "ag_frame", None)
            if current is None:
                break
            chain.append((current, current.f_lineno))
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None) or getattr(awaited, "ag_await", None)
        stack = traceback.StackSummary.extract(chain)
        own = [i for i, entry in enumerate(stack) if not _library_file(entry.filename)]
        if own:
            lines.extend(traceback.format_list(stack[max(0, own[-1] + 1 - _FRAMES_SHOWN) : own[-1] + 1]))
    return lines


def _library_file(filename):
    """A file of an installed package or of Python's own library (asyncio's loop, a frozen module's `<frozen runpy>`),
    not the project's."""
    path = filename.replace("\\", "/")
    return in_install_folder(path) or path.startswith(_STDLIB) or path.startswith("<frozen ")


_STDLIB = sysconfig.get_paths()["stdlib"].replace("\\", "/") + "/"


def _default_sigterm_in_child():
    """A process forked by a test inherits no handler of grimoire-run's: SIGTERM kills it by default, as in plain pytest."""
    if _get_signal(signal.SIGTERM) is _interrupt:
        try:
            _set_signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:
            pass


def _visible_getsignal(signalnum):
    """signal.getsignal, saying SIG_DFL for grimoire-run's stop handler: a test that checks SIGTERM's handler sees a plain run's."""
    handler = _get_signal(signalnum)
    return signal.SIG_DFL if handler is _interrupt else handler


def _visible_signal(signalnum, handler):
    """signal.signal, returning SIG_DFL for grimoire-run's stop handler; SIG_DFL put back for SIGTERM in this process puts
    the handler back (a handler installed and restored by the test, or chaining to the one before it, acts as in a plain run)."""
    if signalnum == signal.SIGTERM and handler is signal.SIG_DFL and _getpid() == _interrupt_pid:
        handler = _interrupt
    previous = _set_signal(signalnum, handler)
    return signal.SIG_DFL if previous is _interrupt else previous


def _stop_on_sigterm():
    """SIGTERM stops the session (see the module's docstring), out of the tests' sight."""
    global _interrupt_pid, _stop_note
    _interrupt_pid = _getpid()
    _stop_note = os.environ.get("GRIMOIRE_STOP_NOTE") or None
    _set_signal(signal.SIGTERM, _interrupt)
    signal.getsignal, signal.signal = _visible_getsignal, _visible_signal


def default_sigterm():
    """SIGTERM's default back, and signal's own functions: for the fork server once its warm-up session has ended."""
    signal.getsignal, signal.signal = _get_signal, _set_signal
    _set_signal(signal.SIGTERM, signal.SIG_DFL)


_interrupt_pid = os.getpid()
os.register_at_fork(after_in_child=_default_sigterm_in_child)


# What reporting a test's result takes from the standard library, as it was when this plugin was imported: a test may
# have patched it while its own report is written (falcon's test_static patches os.path.normpath), and the record must
# still name the file.
_join, _normpath, _isfile, _dumps = os.path.join, os.path.normpath, os.path.isfile, json.dumps
# A string as json.dumps writes it (ensure_ascii).
_encode = json.encoder.encode_basestring_ascii


# The longest skip reason a record keeps: the file's line shows it.
_SKIP_REASON_CHARS = 200


def _skip_reason(report):
    """{"reason": pytest's reason} for a collector that skipped (`Skipped: ` taken off, as pytest's -rs line shows it), or {}."""
    longrepr = report.longrepr
    if not (isinstance(longrepr, tuple) and len(longrepr) == 3 and isinstance(longrepr[2], str)):
        return {}
    reason = longrepr[2]
    reason = (reason[len("Skipped: ") :] if reason.startswith("Skipped: ") else reason).strip()
    if not reason or reason == "Skipped":
        return {}
    return {"reason": reason if len(reason) <= _SKIP_REASON_CHARS else reason[: _SKIP_REASON_CHARS - 1] + "…"}


def _absolute(config, nodeid):
    """The file or folder a node id names, as an absolute path (node ids are relative to the rootdir)."""
    return _absolute_path(str(config.rootpath), nodeid.split("::", 1)[0])


@functools.lru_cache(maxsize=1024)
def _absolute_path(rootpath, relative):
    # Asked again for each phase of each test of a file: a file's tests share its answer.
    return _normpath(_join(rootpath, relative))


_coverage_settings = None
_import_timer = None
# Whether one of the session's tests is running (its setup, call or teardown), as the records see it.
_test_running = [False]


def test_running():
    """Whether a test is running in this process: a gc.collect then is the test's, not pytest's own (grimoire_run_fork)."""
    return _test_running[0]


# Asked by gc.collect's stand-in inside a test: no file a tracer measures (grimoire_run_paths.hide_from_tracers).
hide_from_tracers(test_running, as_file=STAND_IN_FILE)


def _read_coverage_settings(options):
    """pytest-cov's options as it will read them, or None when it does not measure (not installed, no --cov, --no-cov)."""
    source = getattr(options, "cov_source", None)
    if not source or getattr(options, "no_cov", False):
        return None
    report = getattr(options, "cov_report", None) or {}
    if not isinstance(report, dict):
        report = {kind: None for kind in report}
    return {
        "source": None if True in source else [str(path) for path in source if path is not True],
        "report": {kind: (None if dest is None else str(dest)) for kind, dest in report.items()},
        "config": getattr(options, "cov_config", True),
        "branch": getattr(options, "cov_branch", None),
        "precision": getattr(options, "cov_precision", None),
        "failUnder": getattr(options, "cov_fail_under", None),
        "append": bool(getattr(options, "cov_append", False)),
        "noCovOnFail": bool(getattr(options, "no_cov_on_fail", False)),
    }


def _conftests_of_test_folders_listed(pluginmanager):
    """pytest's initial conftests of a folder argument, found without a stat of each of the folder's files.

    Given a folder, pytest loads its conftests and those of each `test*`
    folder in it, which it finds with `glob("test*")` and a stat of every
    match: of every test file of the folder, in each file's process (given the
    folder as a plain run is), so a folder of 500 test files cost each of them
    10 ms, and the run 500 times that. The same folders, in the same order,
    from the folder's listing, which says which entries are folders. Only for
    the pytest this was written for (8.1 and later, whose method takes
    `consider_namespace_packages`); returns whether it took pytest's place.
    """
    method = getattr(type(pluginmanager), "_try_load_conftest", None)
    load = getattr(pluginmanager, "_loadconftestmodules", None)
    try:
        parameters = list(inspect.signature(method).parameters) if method is not None else []
    except (TypeError, ValueError):
        parameters = []
    if os.name != "posix" or load is None or parameters != ["self", "anchor", "importmode", "rootpath", "consider_namespace_packages"]:
        return False

    def try_load_conftest(anchor, importmode, rootpath, *, consider_namespace_packages):
        load(anchor, importmode, rootpath, consider_namespace_packages=consider_namespace_packages)
        if not anchor.is_dir():
            return
        try:
            with os.scandir(anchor) as entries:
                # glob("test*") on a POSIX path: case-sensitive, and never a dot-name; is_dir() follows links, as Path's.
                folders = [entry.name for entry in entries if entry.name.startswith("test") and entry.is_dir()]
        except OSError:  # a folder it cannot list: pathlib's glob finds nothing in it either
            return
        for name in folders:
            load(anchor / name, importmode, rootpath, consider_namespace_packages=consider_namespace_packages)

    pluginmanager._try_load_conftest = try_load_conftest
    return True


def _measuring_none_of_ours():
    """While pytest-cov starts measuring (in pytest_load_initial_conftests): its coverage leaves grimoire-run's own
    modules out, as `omit` would. A bare `--cov` measures every module outside the standard library and the installed
    packages, and grimoire-run's folder (on PYTHONPATH, or in the project's node_modules) is neither: its plugin and
    fork-server modules were five rows of the report and 1,700 statements of its total (pytest-cov's trial). Returns
    what undoes it, so that a Coverage a test starts is the test's own; None where coverage is not importable."""
    try:
        import coverage
    except ImportError:
        return None
    original = coverage.Coverage.start
    ours = os.path.join(os.path.dirname(os.path.abspath(__file__)), "*")

    @functools.wraps(original)
    def start(self, *args, **kwargs):
        config = getattr(self, "config", None)
        if config is not None and isinstance(getattr(config, "run_omit", None), list):
            config.run_omit = [*config.run_omit, ours]
        return original(self, *args, **kwargs)

    coverage.Coverage.start = start

    def undo():
        coverage.Coverage.start = original

    return undo


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Steers pytest-cov before it starts (it starts measuring in this very hook, before conftests are imported)."""
    global _coverage_settings, _import_timer
    options = early_config.known_args_namespace
    env = os.environ
    # Before the import timer notes the environment the session started with: this is grimoire-run's change, not the tests'.
    _plugin_folder_out_of_pythonpath()
    if (env.get("GRIMOIRE_IMPORT_TIMES") and env.get("GRIMOIRE_RESULTS_FILE")) or env.get("GRIMOIRE_LIST_FILE"):
        # From here on: the conftests, the test modules and what they import; in the listing, which of the packages the
        # conftests import they imported after changing os.environ (auto-preload leaves those to each file).
        _import_timer = grimoire_run_import_times.start()
    settings = _read_coverage_settings(options)
    _coverage_settings = None
    if settings is not None and env.get("GRIMOIRE_LIST_FILE"):
        _coverage_settings = settings
        # The listing imports no test: nothing to measure, and no report or verdict of its own.
        options.no_cov = True
    elif settings is not None and env.get("GRIMOIRE_COVERAGE") == "combine":
        # Measure only: `--cov-report=` as pytest-cov reads it (no report) and a threshold of 0 (no verdict).
        options.cov_report = {"": None}
        options.cov_fail_under = 0
        options.no_cov_on_fail = False
    undo = _measuring_none_of_ours() if settings is not None and not env.get("GRIMOIRE_LIST_FILE") else None
    listing_folders = env.get("GRIMOIRE_ONLY_FILES") and _conftests_of_test_folders_listed(early_config.pluginmanager)
    try:
        yield
    finally:
        if undo is not None:
            undo()
        if listing_folders:
            del early_config.pluginmanager._try_load_conftest
    if settings is not None and env.get("GRIMOIRE_COVERAGE") == "combine":
        controller = getattr(early_config.pluginmanager.getplugin("_cov"), "cov_controller", None)
        cov = getattr(controller, "cov", None)
        # What one file's tests did not import is no news: the combined data decides (pytest-cov's workers are told the same).
        for flag in ("_warn_no_data", "_warn_unimported_source", "_warn_preimported_source"):
            if cov is not None and hasattr(cov, flag):
                setattr(cov, flag, False)


def pytest_cmdline_main(config):
    """`--basetemp DIR` (in addopts or after --): each process of a parallel run gets DIR/<its folder name> (GRIMOIRE_BASETEMP_NAME: a hash of its log's name).

    pytest empties its basetemp when a session first asks for it, so processes
    running at once with one basetemp would delete each other's temporary files
    (pytest-xdist gives each worker a folder of its own likewise). Each file's
    folder stays after the run, as a plain run's folders do, until that file runs again.
    """
    name = os.environ.get("GRIMOIRE_BASETEMP_NAME")
    given = getattr(config.option, "basetemp", None)
    if name and given:
        folder = os.path.abspath(given)
        os.makedirs(folder, exist_ok=True)
        config.option.basetemp = os.path.join(folder, name)
    _take_junit_xml(config)
    if os.environ.get("GRIMOIRE_CLEANED_ONCE"):
        _leave_what_the_run_emptied(config.option)
    _base_url_for_pytest_base_url(config)
    # Colour as grimoire-run decided, unless --color was given: the tests' own environment stays a plain run's.
    color = os.environ.get("GRIMOIRE_COLOR")
    if color and getattr(config.option, "color", None) == "auto":
        config.option.color = color


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """pytest's lines fit beside grimoire-run's tag (GRIMOIRE_COLUMNS), before the session's header is written."""
    columns = os.environ.get("GRIMOIRE_COLUMNS")
    if columns and columns.isdigit():
        session.config.get_terminal_writer().fullwidth = int(columns)
    _junit_family_of_our_own(session.config)
    _basetemp_in_the_runs_folder(session.config)
    _import_again_what_a_hook_changes(session.config)


def _import_again_what_a_hook_changes(config):
    """In a forked file: a package the fork server preloaded that an import hook of this session would change as it is
    imported (typeguard's, installed by its pytest_configure for the packages `--typeguard-packages` names) is taken out
    of sys.modules, so that the file's own import goes through the hook, as in a plain run, and the run is told.

    Preloaded, it kept the server's unchanged import: typeguard checked none of its functions, and a suite whose tests
    fail under plain pytest passed, with `--preload` of the project's package, which grimoire-run's own hint had named
    (a helper's trial). pytest's assertion rewriting is left out: a module it would rewrite is never auto-preloaded, and
    one named in --preload keeps its asserts as the server imported them (grimoire-run's docs/performance.md)."""
    preloaded = getattr(sys.modules.get("grimoire_run_preload"), "PRELOADED", None)
    if not preloaded:
        return
    # Not pytest's assertion rewriting, nor the finder of grimoire-run's own modules (grimoire_run_paths.hide_own_folder).
    hooks = [finder for finder in sys.meta_path if finder not in _FINDERS_AT_IMPORT and type(finder).__name__ not in ("AssertionRewritingHook", "_OwnModules")]
    if not hooks:
        return
    claimed = {}
    for top in dict.fromkeys(name.partition(".")[0] for name in preloaded):
        for finder in hooks:
            try:
                spec = finder.find_spec(top, None)
            except Exception:  # a hook that cannot answer for a top-level name has nothing to say of it
                continue
            if spec is not None and spec.loader is not None and not grimoire_run_import_times.plain_loader(spec.loader):
                claimed[top] = f"{type(finder).__module__}.{type(finder).__qualname__}"
                break
    for top in claimed:
        for name in [name for name in sys.modules if name == top or name.startswith(top + ".")]:
            del sys.modules[name]
    recorder = config.pluginmanager.get_plugin("grimoire-recorder")
    if claimed and recorder is not None:
        recorder._write({"t": "preload-hooked", "packages": claimed})


# The run's temporary folder, which every process of a parallel run makes its own basetemp in (src/exec/pytestCommand.ts),
# and the listing's request to make it.
_RUN_BASETEMP = "GRIMOIRE_RUN_BASETEMP"
_LIST_BASETEMP = "GRIMOIRE_LIST_BASETEMP"


_run_folder = {}


def _share_the_runs_folder(config):
    """The listing's own `getbasetemp()` is the run's folder: a plugin asking for it in the listing's session (sphinx's
    report header names it) made a numbered folder of its own beside the run's, empty, which took one of the places
    pytest's retention keeps, and an earlier run's folder went one run sooner than under plain pytest."""
    if os.environ.get(_LIST_BASETEMP):
        config.pluginmanager.register(_RunsFolder(config), "grimoire-runs-folder")


class _RunsFolder:
    def __init__(self, config):
        self.config = config
        self.factory = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        # pytest's tmpdir plugin makes its factory as it is configured: it is there by the session's start, before the
        # terminal's header asks the plugins.
        factory = self.factory = getattr(self.config, "_tmp_path_factory", None)
        if factory is None:
            return
        original, config = factory.getbasetemp, self.config

        def getbasetemp():
            if getattr(factory, "_basetemp", None) is None:
                folder = _run_basetemp(config)
                if folder is not None:
                    factory._basetemp = pathlib.Path(folder)
            return original()

        factory.getbasetemp = getbasetemp

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session):
        # The listing's session ends before the run's files run in the folder: pytest's own clean-up at a session's end
        # (one that passed, under `tmp_path_retention_policy = failed`) must not remove it.
        folder = _run_folder.get("folder")
        if self.factory is not None and folder is not None and str(getattr(self.factory, "_basetemp", None)) == folder:
            self.factory._basetemp = None


def _run_basetemp(config):
    """The listing's: the run's numbered folder in pytest-of-USER (pytest-N), made as a plain run's one session makes its own.

    pytest's own factory makes it, with the project's `tmp_path_retention_count`
    and policy: older numbered folders beyond what they keep are removed once
    for the run, not once per file. Its lock stays (a running session's folder
    is never another session's to remove); grimoire-run takes it off when the
    run closes. None where the user gave `--basetemp`, or nothing will run.
    """
    if "folder" in _run_folder:
        return _run_folder["folder"]
    _run_folder["folder"] = _made_run_basetemp(config)
    return _run_folder["folder"]


def _made_run_basetemp(config):
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or getattr(config.option, "basetemp", None) or config.option.collectonly:
        return None
    made = copy.copy(factory)
    # Its own getbasetemp, not the listing's (_RunsFolder's, which asks for this folder).
    vars(made).pop("getbasetemp", None)
    made._given_basetemp = None
    made._basetemp = None
    keep_lock = _pytest.pathlib.register_cleanup_lock_removal
    _pytest.pathlib.register_cleanup_lock_removal = lambda lock_path, register=None: None
    try:
        folder = made.getbasetemp()
        # pytest locks no folder it keeps none of (`tmp_path_retention_policy = "none"`), and removes every unlocked one
        # as the listing exits: this one is the run's, locked until the run closes.
        if not _pytest.pathlib.get_lock_path(folder).exists():
            _pytest.pathlib.create_cleanup_lock(folder)
        return str(folder)
    except OSError:  # pytest-of-USER not the user's, say: each process makes its own, and meets pytest's error there
        return None
    finally:
        _pytest.pathlib.register_cleanup_lock_removal = keep_lock


def _basetemp_in_the_runs_folder(config):
    """Each process of a parallel run makes its basetemp in the run's folder (GRIMOIRE_RUN_BASETEMP), in one of its own.

    A plain run's one session makes one numbered folder (pytest-N) and keeps
    the last three sessions'; a session per file made one per file, and each
    new one removed the oldest: a failed test's `tmp_path` was gone three files
    later, and a long file's folder went while it ran once its lock was off (a
    helper's trial with pytest-xdist's suite). Now the run has one numbered
    folder, as pytest-xdist's workers do under their controller's, and each
    process its own under it (`pytest-N/<GRIMOIRE_BASETEMP_NAME>`), made when first
    asked for. Not where the user gave --basetemp (the command-line option
    stays as pytest read it: unset).
    """
    ours = _basetemp_of_ours(config)
    if ours is not None:
        config._tmp_path_factory._given_basetemp = ours


def _basetemp_of_ours(config):
    """This process's folder in the run's temporary folder, or None where it has none (a serial run, a --basetemp)."""
    folder, name = os.environ.get(_RUN_BASETEMP), os.environ.get("GRIMOIRE_BASETEMP_NAME")
    if not folder or not name or getattr(config, "_tmp_path_factory", None) is None or getattr(config.option, "basetemp", None):
        return None
    return Path(folder, name)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """The retention policy, as in a plain run: `"failed"` leaves no folder of a session whose tests all passed, `"none"` none at all.

    pytest removes its basetemp then unless the user gave it; the one
    _basetemp_in_the_runs_folder gave is the run's, not the user's.
    """
    ours = _basetemp_of_ours(session.config)
    factory = session.config._tmp_path_factory if ours is not None else None
    if factory is None or factory._basetemp is None or factory._given_basetemp != ours:
        return
    policy = getattr(factory, "_retention_policy", "all")
    if policy == "none" or (exitstatus == 0 and policy == "failed"):
        shutil.rmtree(factory._basetemp, ignore_errors=True)


def _junit_family_of_our_own(config):
    """A JUnit report the user did not ask for is one record_property's warning must not be about.

    pytest warns that `record_property` (and `record_xml_attribute`) is
    incompatible with its default family, xunit2, whenever a JUnit report is
    being written: a plain run without `--junitxml` writes none and says
    nothing, and a project with `filterwarnings = error` fails every test that
    uses the fixture. grimoire-run's own report is written as xunit1 instead,
    which keeps the properties; one the user asked for keeps their family.
    """
    if not _junit_ours_only:
        return
    from _pytest.junitxml import xml_key

    xml = config.stash.get(xml_key, None)
    if xml is not None and xml.family not in ("xunit1", "legacy"):
        xml.family = "xunit1"


def _take_junit_xml(config):
    """pytest's JUnit report goes to GRIMOIRE_JUNIT_XML; a `--junitxml` of the user's is noted beside it.

    grimoire-run writes the run's merged report where the user asked
    (`junitxml-asked.txt` beside this process's report names the file, as
    pytest would resolve it), rather than letting each process overwrite it
    with its own part. Where no JUnit report is asked for, neither here nor of
    the run (`--junit-xml`, GRIMOIRE_JUNIT_MERGED), pytest writes none, as a
    plain run writes none (it cost 0.16 ms of CPU a test, a fifth of a trivial one's).
    """
    global _junit_ours_only
    ours = os.environ.get("GRIMOIRE_JUNIT_XML")
    if not ours or not hasattr(config.option, "xmlpath"):
        return
    asked = config.option.xmlpath
    _junit_ours_only = not asked
    if asked:
        target = os.path.normpath(os.path.abspath(os.path.expanduser(os.path.expandvars(asked))))
        note = os.path.join(os.path.dirname(ours), JUNIT_ASKED_NOTE)
        partial = f"{note}.{_getpid()}"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(target)
        os.replace(partial, note)
    elif not os.environ.get("GRIMOIRE_JUNIT_MERGED"):
        return
    config.option.xmlpath = ours


# pytest's memory of the tests that failed and of those it has seen, which grimoire-run writes at the run's end.
_KEPT_BY_THE_RUN = ("cache/lastfailed", "cache/nodeids")


class CacheKeptByTheRun:
    """pytest's cache/lastfailed and cache/nodeids are not written by this process: the run writes them once, at its end,
    from every file's outcome (GRIMOIRE_PYTEST_CACHE_KEPT; grimoire-run's plan/pytestCache.ts).

    Each file's session read the whole of both and wrote them back with its own
    tests added, the last writer winning: in a folder of 500 files, 500 times a
    JSON document of every node id of the suite, which the run then wrote again.
    Everything else in pytest's cache is written as the session writes it.
    """

    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionfinish(self, session):
        cache = getattr(session.config, "cache", None)
        original = getattr(cache, "set", None)
        if original is None:
            yield
            return

        def set_unless_kept(key, value):
            if key not in _KEPT_BY_THE_RUN:
                original(key, value)

        try:
            cache.set = set_unless_kept
        except AttributeError:  # a cache that takes no attribute of its own: pytest writes as it always has
            yield
            return
        try:
            yield
        finally:
            del cache.set


class OnlyFiles:
    """Ignores every path that is neither a listed path nor a folder on the way to one (or to a conftest to load).

    A line `+FOLDER` names a folder whose conftest acts on the whole session
    (see _session_conftests): it is walked, its files ignored, so that pytest
    loads that conftest as the plain run does.
    """

    def __init__(self, listing):
        with open(listing, encoding="utf-8") as handle:
            lines = [line for line in handle.read().split("\n") if line]
        self.paths = {line for line in lines if not line.startswith("+")}
        self.folders = set()
        for path in [os.path.dirname(p) for p in self.paths] + [line[1:] for line in lines if line.startswith("+")]:
            folder = path
            while folder not in self.folders and os.path.dirname(folder) != folder:
                self.folders.add(folder)
                folder = os.path.dirname(folder)

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path, config):
        path = str(collection_path)
        return None if path in self.paths or path in self.folders else True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection(self, session):
        """While this session collects: a folder's listing holds only what the hook above would not ignore.

        The same answer without the hooks: every other entry of a folder would
        cost a Path, a py.path for the legacy hook argument and a call of every
        pytest_ignore_collect, once per file of the run (120 files in a folder
        were a fifth of a forked file's session). Only the collection's own
        listings (pytest 8 and later read folders with the `scandir` of
        _pytest.main and _pytest.python), and only during this collection:
        a session a test starts in this process (pytester) lists in full.
        """
        kept = self.paths | self.folders
        patched = []
        for module in ("_pytest.main", "_pytest.python"):
            loaded = sys.modules.get(module)
            original = getattr(loaded, "scandir", None)
            if callable(original):
                patched.append((loaded, original))
                loaded.scandir = functools.partial(_listing_only, original, kept)
        try:
            yield
        finally:
            for loaded, original in patched:
                loaded.scandir = original


def _listing_only(scandir, kept, path, *args, **kwargs):
    return [entry for entry in scandir(path, *args, **kwargs) if entry.path in kept]


class ImportFirst:
    """Before collecting a test module that a plain run fails for its name, imports the module that took the name first."""

    def __init__(self, pairs):
        self.earlier = json.loads(pairs)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectstart(self, collector):
        earlier = self.earlier.pop(str(getattr(collector, "path", "")), None)
        if earlier is None or not isinstance(collector, pytest.File):
            return
        from _pytest.outcomes import OutcomeException
        from _pytest.pathlib import import_path

        config = collector.config
        options = {"mode": config.getoption("importmode"), "root": config.rootpath}
        namespace = _ini(config, "consider_namespace_packages")
        if namespace is not None:
            options["consider_namespace_packages"] = namespace
        try:
            import_path(Path(earlier), **options)
        except (Exception, OutcomeException):
            # A module that does not import does not keep the name, in a plain run either; the later one then imports.
            pass


def _ini(config, name):
    """An ini option's value, or None where this pytest has no such option."""
    try:
        return config.getini(name)
    except ValueError:
        return None


def _module_conflicts(config, files):
    """{path: earlier path} for each test module a plain run could not import because an earlier one took its module name."""
    if str(config.getoption("importmode")) not in ("prepend", "append") or os.environ.get("PY_IGNORE_IMPORTMISMATCH") == "1":
        return {}
    try:
        from _pytest.pathlib import CouldNotResolvePathError, resolve_pkg_root_and_module_name
    except ImportError:  # pytest before 8.1
        return {}
    namespace = bool(_ini(config, "consider_namespace_packages"))
    first, conflicts = {}, {}
    for path, kinds in files.items():
        # A package's __init__.py is imported as its package, with no check of the file.
        if not {"Module", "DoctestModule"} & set(kinds) or os.path.basename(path) == "__init__.py":
            continue
        # As pytest's import_path names it: by its package, else by its file name.
        try:
            _, name = resolve_pkg_root_and_module_name(Path(path), consider_namespace_packages=namespace)
        except CouldNotResolvePathError:
            name = Path(path).stem
        except Exception:
            continue
        if name in first:
            conflicts[path] = first[name]
        else:
            first[name] = path
    return conflicts


class TestsSubset:
    """Keeps one part's tests of a split file: the named ones, or all but them. Or, for --last-failed, each file's named
    ones, and a file's whole collection where it has none of them (`failed`), as pytest's --lf keeps them: among the
    collected tests, whose node ids a plugin may have changed from what naming them would find."""

    def __init__(self, listing):
        with open(listing, encoding="utf-8") as handle:
            subset = json.load(handle)
        self.run = subset["run"]
        self.keep_named = self.run != "all-but"
        self.nodeids = set(subset["nodeids"])
        # While this part deselects the other parts' tests: those are not the user's deselection.
        self.dropping = False
        # --last-failed: the files some of whose collected tests are named, as collected, before any selection.
        self.narrowed = set()

    def _narrowed(self, items):
        return {str(item.path) for item in items if item.nodeid in self.nodeids}

    def _keeps(self, items):
        if self.run != "failed":
            return lambda item: (item.nodeid in self.nodeids) == self.keep_named
        # The files some of whose collected tests are named: the rest of their tests go; other files run whole.
        narrowed = self.narrowed | self._narrowed(items)
        return lambda item: item.nodeid in self.nodeids or str(item.path) not in narrowed

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection_modifyitems(self, config, items):
        """Keeps the subset once every other hook has selected (-k, -m, --deselect, plugins').

        For --last-failed, which files hold a named test is seen first, before the user's selection takes any out:
        pytest's --lf narrows a file to its failed tests as it collects it, and a failed test the selection then leaves
        out leaves nothing of the file to run. Judged after the selection, the file ran whole: `--last-failed --
        --deselect test_x.py::test_bad` ran test_x.py's other tests, where plain pytest ran none (a helper's trial)."""
        if self.run == "failed":
            self.narrowed = self._narrowed(items)
            self._say_gone(config, items)
        outcome = yield
        if outcome.excinfo is None:
            self._keep(config, items)

    def _say_gone(self, config, items):
        """The files none of whose tests that failed last time are among their tests now (renamed or removed): each runs
        whole, as pytest's --lf runs what it cannot narrow, and the run says so, where it had said "running the 1 test
        that failed" and then ran 6 (a helper's trial of h11)."""
        named = {_absolute(config, nodeid) for nodeid in self.nodeids}
        gone = sorted({str(item.path) for item in items} & named - self.narrowed)
        recorder = config.pluginmanager.get_plugin("grimoire-recorder")
        if gone and recorder is not None:
            recorder._write({"t": "lf-gone", "files": gone})

    def _keep(self, config, items):
        kept, dropped = [], []
        keeps = self._keeps(items)
        for item in items:
            (kept if keeps(item) else dropped).append(item)
        if dropped:
            self.dropping = True
            try:
                config.hook.pytest_deselected(items=dropped)
            finally:
                self.dropping = False
            items[:] = kept


def _is_doctest_textfile(collector):
    doctest = sys.modules.get("_pytest.doctest")
    kind = getattr(doctest, "DoctestTextfile", None)
    return kind is not None and isinstance(collector, kind)


def _is_folder(config, nodeid):
    """Whether a node id names a folder (a Dir or Package collector's), not a file or something in one."""
    return "::" not in nodeid and os.path.isdir(_absolute(config, nodeid))


def _holds_no_example(collector):
    """Whether a doctest text file's own collection finds no example: it only reads and parses the text.

    One that cannot be read holds what pytest will say of it, in the file's own process.
    """
    try:
        return not any(True for _ in collector.collect())
    except Exception:
        return False


class Lister:
    """Records the file collectors pytest creates instead of letting them import anything."""

    def __init__(self, config, out):
        self.config = config
        self.out = out
        self.files = {}
        self.errors = []
        # The listing is not a run: last-failed, new-first and step-wise state stays as the last run left it.
        cache = getattr(config, "cache", None)
        if cache is not None:
            cache.set = lambda key, value: None
        # Text files the doctest plugin collected that hold no example (read as pytest reads them, no code run).
        self.empty_texts = set()
        # Folders whose own collector yields tests (a conftest's pytest_collect_directory): pytest runs them by their
        # folder, never by a node id in them ("directory argument cannot contain :: selection parts").
        self.folder_entries = set()
        # Whether the selection hooks (-k, -m and plugins') ran through: pytest ends the collection (this plugin's
        # pytest_collection_finish included) even when one of them refused its arguments.
        self.selected = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector):
        if isinstance(collector, pytest.File) and not isinstance(collector, _FOLDER_COLLECTORS):
            self.files.setdefault(str(collector.path), []).append(type(collector).__name__)
            # pytest-mypy's file collector imports nothing: its items go through -k and -m here as in a plain run, for
            # the files one mypy run checks (_mypy_plan).
            if type(collector).__name__ == "MypyFile":
                return None
            if _is_doctest_textfile(collector) and _holds_no_example(collector):
                self.empty_texts.add(str(collector.path))
            return pytest.CollectReport(collector.nodeid, "passed", None, [])
        return None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection_modifyitems(self, items):
        outcome = yield
        error = None if outcome.excinfo is None else outcome.excinfo[1]
        if error is not None and not items and not isinstance(error, pytest.UsageError):
            # The listing collects no item: a conftest's hook that assumes one (max(items, …)) fails here, where in
            # each file's own session, with its items, it works as in a plain run. Only an argument pytest refuses
            # (a bad -k or -m) is the listing's to report.
            outcome.force_result(None)
            error = None
        self.selected = error is None

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append({"nodeid": report.nodeid, "path": _absolute(self.config, report.nodeid), "message": str(report.longrepr)})
        elif report.skipped and report.nodeid and _is_folder(self.config, report.nodeid):
            # A folder whose conftest skips it (pytest.skip(allow_module_level=True) when a plugin is missing) holds no
            # file pytest lists: a plain run counts it as one skipped. Run by its folder, its process counts it so.
            path = _absolute(self.config, report.nodeid)
            self.folder_entries.add(path)
            self.files.setdefault(path, []).append("SkippedFolder")
        # Tests straight under a collector that is no file (a conftest's pytest_collect_directory returning a Directory
        # whose collect() yields items): that collector's path is what a process runs them by, as a file's.
        for node in report.result or ():
            if isinstance(node, pytest.Item) and node.parent is not None and not isinstance(node.parent, (pytest.File, pytest.Session)):
                self.folder_entries.add(str(node.parent.path))
                kinds = self.files.setdefault(str(node.parent.path), [])
                if type(node.parent).__name__ not in kinds:
                    kinds.append(type(node.parent).__name__)

    def pytest_collection_finish(self, session):
        config = self.config
        option = config.option
        cache = getattr(config, "cache", None)
        imported, imported_modules = _third_party_imported()
        listing = {
            "files": [
                {"path": path, "kinds": kinds, **({"empty": True} if path in self.empty_texts and set(kinds) == {"DoctestTextfile"} else {}), **({"folder": True} if path in self.folder_entries else {})}
                for path, kinds in self.files.items()
            ],
            "errors": self.errors,
            "rootdir": str(config.rootpath),
            "inifile": None if config.inipath is None else str(config.inipath),
            # Where plain pytest with no arguments looks, and for what: what a run of the default folders leaves out.
            **_where_plain_pytest_looks(config),
            "args": [os.path.abspath(os.path.join(str(config.invocation_params.dir), arg.split("::", 1)[0])) for arg in config.args],
            "cacheDir": None if cache is None else str(getattr(cache, "_cachedir", "")) or None,
            # pytest-randomly's seed, for every file's process: one seed for the run, as pytest-xdist's workers share one.
            "randomlySeed": _randomly_seed(config),
            # What is installed, for the flake rates: a test that failed until a package was installed is no flake.
            "distributions": _distributions_fingerprint(),
            # The run's numbered temporary folder, for a parallel run's processes to make their basetemps in.
            "basetemp": _run_basetemp(config) if os.environ.get(_LIST_BASETEMP) else None,
            "coverage": _coverage_settings,
            # Where imports are looked for once conftests are loaded (`pythonpath`, conftest folders): for --changed.
            "sysPath": [os.path.abspath(entry) for entry in sys.path],
            # The project's own modules pytest loaded as plugins (an entry point of an editable install, -p, pytest_plugins):
            # every test runs with them, imported or not. For --changed.
            "pluginFiles": _project_plugin_files(config),
            # Third-party packages the conftests and plugins imported, and the modules of theirs they imported: what the
            # fork server may import once for every file.
            "imported": imported,
            "importedModules": imported_modules,
            # Variables the conftests and plugins set, changed or removed: a package --preload imported in the fork server,
            # before any of them, and that reads one of them at import, read what a plain run's import may not have.
            "environChanged": [] if _import_timer is None else _import_timer.changed_environment(),
            # Test modules a plain run fails on import for their module name: grimoire-run fails them the same way.
            "conflicts": _module_conflicts(config, self.files),
            # Folders whose conftest acts beyond its folder: every file's process loads it, as the plain run does.
            "sessionConftests": _session_conftests(config),
            # Folders a plugin empties at the start of every session (pytest-playwright's --output): the run empties
            # each once, before its first file, and no file's session empties it again.
            "cleanOnce": _cleaned_once_per_run(session),
            # pytest-mypy's files, for one mypy run over all of them that every file's process reads.
            "mypy": _mypy_plan(session),
            "options": {
                "maxfail": option.maxfail,
                "lastFailed": bool(getattr(option, "lf", False)),
                # --lfnf: what --lf runs when nothing failed last time, "all" (pytest's default) or "none".
                "lastFailedNoFailures": getattr(option, "last_failed_no_failures", "all"),
                "failedFirst": bool(getattr(option, "failedfirst", False)),
                "collectOnly": bool(option.collectonly),
                "stepwise": bool(getattr(option, "stepwise", False) or getattr(option, "stepwise_skip", False)),
                "xdistWorkers": _xdist_workers(option),
                # Plugins' options that write one file for the session, or split the session's tests: each file's
                # process would do it for its own tests alone.
                "sessionWide": _session_wide_options(option),
                # Plugins' options one process per file would turn into a false result or lost files.
                "refusedInParallel": _refused_in_parallel(config),
            },
        }
        with open(self.out, "w", encoding="utf-8") as handle:
            json.dump(listing, handle)
        if self.selected:
            _say_listed(config, self.out)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        return True


# pytest-playwright's session fixture that empties its --output folder (screenshots, traces and videos of failed tests)
# at the start of a session, by the modules that define it.
_OUTPUT_CLEANER = "delete_output_dir"
_PLAYWRIGHT_MODULES = ("pytest_playwright.pytest_playwright", "pytest_playwright_asyncio.pytest_playwright")


def _playwright_artifact_folders(config, nodeids):
    """The folders pytest-playwright wrote the failed tests' screenshots, traces and videos to, as it names them."""
    if not nodeids:
        return []
    module = next((sys.modules.get(name) for name in _PLAYWRIGHT_MODULES if sys.modules.get(name) is not None), None)
    slugify = getattr(module, "slugify", None)
    if module is None or slugify is None or not config.pluginmanager.is_registered(module):
        return []
    truncate = getattr(module, "_truncate_file_name", lambda name: name)
    try:
        folders = [os.path.join(_playwright_output(config), truncate(slugify(nodeid))) for nodeid in nodeids]
    except Exception:  # a pytest-playwright that names its folders otherwise: nothing to point at
        return []
    return [folder for folder in folders if os.path.isdir(folder)]


def _playwright_output_cleaners(session):
    """pytest-playwright's definitions of its output folder's clean-up, or None where a conftest defines one of its own.

    A session of one file among many would empty the folder, and the artifacts of the files that failed before it with
    it. Where the project's conftest defines the fixture itself, what it does is the project's to say.
    """
    manager = getattr(session, "_fixturemanager", None)
    definitions = getattr(manager, "_arg2fixturedefs", {}).get(_OUTPUT_CLEANER, [])
    if not definitions or any(getattr(definition.func, "__module__", None) not in _PLAYWRIGHT_MODULES for definition in definitions):
        return None
    return definitions


def _cleaned_once_per_run(session):
    """What the run empties once before its first file, for every file's session not to: [{plugin, option, path}]."""
    if _playwright_output_cleaners(session) is None:
        return []
    return [{"plugin": "pytest-playwright", "option": "--output", "path": _playwright_output(session.config)}]


def _playwright_output(config):
    """pytest-playwright's --output folder, absolute, as it reads it (from the folder pytest was started in)."""
    return os.path.abspath(os.path.join(str(config.invocation_params.dir), str(config.getoption("--output"))))


def _base_url_for_pytest_base_url(config):
    """pytest-base-url's `base_url` (pytest-playwright's relative `page.goto`) is the run's E2E_BASE_URL.

    pytest-base-url reads its `--base-url`, PYTEST_BASE_URL and the `base_url` ini value, never E2E_BASE_URL: given
    `grimoire-run --base-url STAGING` (or E2E_BASE_URL, or a managed file's own server), the tests went to the
    pyproject's `base_url` and passed against a server nobody asked for. A `--base-url` on pytest's own command line
    (after --, in addopts or PYTEST_ADDOPTS) still wins, as it would over pytest-base-url's ini value. Not in the
    listing, which runs no test.
    """
    url = os.environ.get("E2E_BASE_URL")
    if not url or os.environ.get("GRIMOIRE_LIST_FILE") or not hasattr(config.option, "base_url"):
        return
    if _given_to_pytest(config, "--base-url"):
        return
    config.option.base_url = url


def _given_to_pytest(config, option):
    """Whether pytest's own command line has the option: its arguments, the ini's addopts or PYTEST_ADDOPTS (which
    pytest reads as command line too)."""
    try:
        addopts = [str(arg) for arg in config.getini("addopts")]
    except ValueError:
        addopts = []
    words = [*config.invocation_params.args, *addopts, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
    return any(word == option or word.startswith(f"{option}=") for word in words)


def _leave_what_the_run_emptied(option):
    """A parallel run's session adds to what a plain run's one session empties at its start: the run's listing emptied it.

    pytest's `log_file` is opened for writing (emptied) by every session: each file's session would empty what the
    files before it logged, so it appends instead (pytest 8.1 and later; `--log-file-mode`). allure-pytest's
    `--clean-alluredir` empties the results folder at every session's configure: each file's would delete the results
    of the files before it, failures included, and the report would show a green run.
    """
    if hasattr(option, "log_file_mode"):
        option.log_file_mode = "a"
    if getattr(option, "clean_alluredir", False):
        option.clean_alluredir = False


class CleanedOnce:
    """The run emptied the folders the listing named (GRIMOIRE_CLEANED_ONCE): this file's session leaves them as they are."""

    def pytest_collection_finish(self, session):
        # After collection, so that a pytest-playwright a conftest's pytest_plugins registers is found too.
        for definition in _playwright_output_cleaners(session) or []:
            definition.func = _leave_output_dir


def _mypy_plan(session):
    """The files pytest-mypy checks, as a plain session would: those of its selected items (after -k and -m), in
    collection order, and the file whose session holds its selected `mypy-status` check; None without pytest-mypy.

    pytest-mypy checks the session's files in one mypy run: errors between files (a duplicate module name, a call
    with the wrong types into another file) show only when mypy sees them together, and its `mypy-status` item
    fails once for the session. The run shares one such result among its files' processes (SharedMypyResults).
    """
    checked = [item for item in session.items if type(item).__name__ == "MypyFileItem"]
    status = [item for item in session.items if type(item).__name__ == "MypyStatusItem"]
    if not checked and not status:
        return None
    return {"paths": [str(item.path) for item in checked], "status": str(status[0].path) if status else None}


class SharedMypyResults:
    """pytest-mypy in a parallel run: one mypy run over every file of the run, its results shared by the processes.

    Each file's session would run mypy over its own file alone: errors between files vanished (a helper's trial:
    plain pytest 2 failed, exit 1; grimoire-run exit 0), and every session added its own `mypy-status` check. Here
    the results file is the run's (GRIMOIRE_MYPY names where, and the run's files): the first process to need it
    runs mypy over all of them, under pytest-mypy's own lock, the others read it, and no process deletes it.
    Only the process of the file that holds the status check in a plain run keeps that check.
    """

    def __init__(self, spec_file):
        with open(spec_file, encoding="utf-8") as handle:
            spec = json.load(handle)
        self.results = spec["results"]
        self.paths = spec["paths"]
        self.status = spec.get("status")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session):
        plugin = sys.modules.get("pytest_mypy")
        key = getattr(plugin, "stash_key", {}).get("config") if isinstance(getattr(plugin, "stash_key", None), dict) else None
        stash = getattr(plugin, "MypyConfigStash", None)
        results = getattr(plugin, "MypyResults", None)
        run_mypy = getattr(results, "from_mypy", None)
        if key is None or stash is None or run_mypy is None or key not in session.config.stash:
            return
        session.config.stash[key] = stash(mypy_results_path=_KeptPath(self.results))
        paths = self.paths

        def over_the_run(_cls, _paths, **options):
            cwd = os.getcwd()
            return run_mypy([Path(os.path.relpath(path, cwd)) for path in paths], **options)

        results.from_mypy = classmethod(over_the_run)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        # Before -k and -m: a check no plain session holds is not one they deselect either.
        status_item = getattr(sys.modules.get("pytest_mypy"), "MypyStatusItem", None)
        if status_item is not None:
            items[:] = [item for item in items if not isinstance(item, status_item) or str(item.path) == self.status]


class _KeptPath(type(Path())):
    """The run's mypy results: pytest-mypy deletes its results file as its session ends, and the other files read it."""

    def unlink(self, missing_ok=False):
        pass


def _leave_output_dir(pytestconfig):
    """pytest-playwright's output folder, emptied once by the run, keeps what the files before this one left in it."""


def _where_plain_pytest_looks(config):
    """pytest's testpaths (as written, relative to the rootdir), python_files and the doctest text files' globs (none when
    the doctest plugin is off): what a run of the default folders leaves out."""
    doctest = config.pluginmanager.has_plugin("doctest")
    globs = (getattr(config.option, "doctestglob", None) or ["test*.txt"]) if doctest else []
    return {"testpaths": [str(entry) for entry in config.getini("testpaths")], "pythonFiles": [str(pattern) for pattern in config.getini("python_files")], "textFiles": [str(pattern) for pattern in globs]}


def _session_wide_options(option):
    """The options given to plugins that act on the session's tests as a whole, each as [plugin, option, what for].

    pytest-html, pytest-json-report and pytest-reportlog write one report of the session's tests: each file's
    process would write its own over the others'. pytest-split stores the session's durations in one file, and splits
    the session's tests into groups.
    """
    found = []
    if getattr(option, "htmlpath", None):
        found.append(["pytest-html", f"--html={option.htmlpath}", "report"])
    if getattr(option, "json_report", False) is True:
        found.append(["pytest-json-report", f"--json-report-file={getattr(option, 'json_report_file', '.report.json')}", "report"])
    if getattr(option, "report_log", None):
        found.append(["pytest-reportlog", f"--report-log={option.report_log}", "report"])
    if getattr(option, "store_durations", False) is True:
        found.append(["pytest-split", "--store-durations", "durations"])
    if getattr(option, "splits", None):
        found.append(["pytest-split", f"--splits={option.splits}", "splits"])
    if getattr(option, "cucumber_json_path", None):
        found.append(["pytest-bdd", f"--cucumberjson={option.cucumber_json_path}", "report"])
    if getattr(option, "csv_path", None):
        found.append(["pytest-csv", f"--csv={option.csv_path}", "report"])
    if getattr(option, "benchmark_json", None):
        found.append(["pytest-benchmark", f"--benchmark-json={option.benchmark_json}", "report"])
    saved = _benchmark_saved(option)
    if saved is not None:
        found.append(["pytest-benchmark", saved, "saved run"])
    return found


def _benchmark_saved(option):
    """pytest-benchmark's option that saves the session's benchmarks as one run in its storage, or None."""
    if getattr(option, "benchmark_save", None):
        return f"--benchmark-save={option.benchmark_save}"
    if getattr(option, "benchmark_autosave", None):
        return "--benchmark-autosave"
    return None


# inline-snapshot's flags that write snapshots or rewrite test sources once a session has seen its tests.
_INLINE_SNAPSHOT_WRITES = ("create", "fix", "trim", "update", "review")


def _refused_in_parallel(config):
    """Options a parallel run must refuse, each as [plugin, option, why]: one process per file would give a false result or lose files."""
    option = config.option
    refused = []
    saved = _benchmark_saved(option)
    if getattr(option, "benchmark_compare", None) is True and saved is not None:
        refused.append(["pytest-benchmark", f"--benchmark-compare with {saved}", "benchmark-compare"])
    given = _inline_snapshot_flags(config)
    if given is not None and any(flag.strip() in _INLINE_SNAPSHOT_WRITES for flag in given[1].split(",")):
        refused.append(["inline-snapshot", f"{given[0]}={given[1]}", "inline-snapshot"])
    if getattr(option, "max_suite_reruns", None) is not None:
        refused.append(["pytest-rerunfailures", f"--max-suite-reruns={option.max_suite_reruns}", "suite-reruns"])
    return refused


def _inline_snapshot_flags(config):
    """inline-snapshot's flags, where they were given: its option, else INLINE_SNAPSHOT_DEFAULT_FLAGS, else the
    pyproject's `default-flags`; None where the plugin is not loaded or none was given."""
    option = getattr(config.option, "inline_snapshot", False)
    if option is False:
        return None
    if option:
        return ("--inline-snapshot", str(option))
    if os.environ.get("INLINE_SNAPSHOT_DEFAULT_FLAGS"):
        return ("INLINE_SNAPSHOT_DEFAULT_FLAGS", os.environ["INLINE_SNAPSHOT_DEFAULT_FLAGS"])
    for folder in (config.rootpath, Path.cwd()):
        try:
            import tomllib

            with open(folder / "pyproject.toml", "rb") as handle:
                flags = tomllib.load(handle).get("tool", {}).get("inline-snapshot", {}).get("default-flags")
        except Exception:  # no file, no TOML reader (Python 3.10), a file pytest reads otherwise
            continue
        if isinstance(flags, list) and flags:
            return ("default-flags", ",".join(str(flag) for flag in flags))
    return None


# The line the listing prints once its answer is written (grimoire-run's askPytest.ts reads it, and keeps it out of the log).
_LISTED = "grimoire-run: listed the files in "


def _say_listed(config, out):
    """Prints `_LISTED` on a line of its own, after whatever pytest has written so far."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
    sys.stdout.write(f"{_LISTED}{out}\n")
    sys.stdout.flush()


# Hooks pytest calls only for the conftests of a node's own folder and above: a conftest with nothing else (and its
# fixtures, which are visible only below it) changes nothing for a file in another folder.
_FOLDER_HOOKS = frozenset(
    {
        "pytest_collect_file",
        "pytest_collect_directory",
        "pytest_ignore_collect",
        "pytest_pycollect_makemodule",
        "pytest_pycollect_makeitem",
        "pytest_generate_tests",
        "pytest_make_parametrize_id",
        "pytest_runtest_setup",
        "pytest_runtest_call",
        "pytest_runtest_teardown",
        "pytest_runtest_makereport",
        "pytest_runtest_protocol",
        "pytest_pyfunc_call",
        "pytest_fixture_setup",
        "pytest_fixture_post_finalizer",
        "pytest_markeval_namespace",
    }
)


def _conftest_folders(config):
    """{folder: conftest module} of the conftests the session has loaded so far."""
    folders = {}
    for plugin in config.pluginmanager.get_plugins():
        origin = getattr(plugin, "__file__", None) or ""
        if os.path.basename(origin) == "conftest.py":
            folders[os.path.dirname(os.path.abspath(origin))] = plugin
    return folders


# The folders of the conftests pytest loaded before its configuration (its initial conftests: those of its arguments'
# folders and the folders above them), as the listing's pytest_configure found them.
_initial_conftests = []


def _project_plugin_files(config):
    """The files of the modules registered as plugins that are the project's own code: inside the rootdir, outside any
    site-packages (an editable install's `pytest11` entry point, `-p app.plugin`, `pytest_plugins`). Not conftests,
    which --changed ties to the files below them.

    pytest-cases' tests use its fixtures without importing its plugin module: a change to the plugin ran none of them
    under --changed, which passed where plain pytest failed 25 tests (a helper's trial)."""
    root = os.path.realpath(str(config.rootpath))
    found = set()
    for _name, plugin in config.pluginmanager.list_name_plugin():
        file = getattr(plugin, "__file__", None) if inspect.ismodule(plugin) else None
        if not isinstance(file, str):
            continue
        path = os.path.realpath(file)
        parts = path.split(os.sep)
        if os.path.basename(path) == "conftest.py" or os.path.basename(path).startswith("grimoire_run_"):
            continue
        if any(part in ("site-packages", "dist-packages", "__pypackages__") for part in parts):
            continue
        if path.startswith(root + os.sep):
            found.add(path)
    return sorted(found)


def _session_conftests(config):
    """The folders of the conftests that act beyond their folder: those that define a hook acting on the whole session
    (pytest_configure, pytest_collection_modifyitems, …), and those a plain run imports before its configuration.

    pytest registers such a hook for the session once it loads the conftest,
    whichever folder the tests are in; a file's process that never walked that
    folder would miss it. And a plain run of several folders (testpaths
    `["a", "tests"]`) imports each one's conftest before any plugin's
    pytest_configure: what one does at import (registering the Hypothesis
    profile addopts names) is there for every file of the session, and a file
    of `a` alone failed with pytest's internal error (bidict's docs, a helper's
    trial).
    """
    folders = set(_initial_conftests)
    for folder, plugin in _conftest_folders(config).items():
        hooks = {name for name in dir(plugin) if name.startswith("pytest_") and callable(getattr(plugin, name, None))}
        if hooks - _FOLDER_HOOKS:
            folders.add(folder)
    return sorted(folders)


def _third_party_imported():
    """Installed packages (under a site-packages, dist-packages or __pypackages__ folder) imported since this plugin was.

    Returns their top-level names, and their deepest modules imported (each
    import of one imports its parents), in the order they were imported. Not a
    package pytest rewrote a module of: in the fork server it would be imported
    unrewritten, and each file's asserts in it would fail with less to say. Nor
    one imported after os.environ changed (a conftest that sets variables, then
    imports the package that reads them), or after logging was configured (an app
    that calls dictConfig as it is imported, then imports a library whose logger
    the configuration would have disabled, had the server imported it first).
    """
    new = [name for name in list(sys.modules) if name not in _MODULES_AT_IMPORT]
    # A package some of whose modules pytest rewrote is left whole to each file: its import could import them.
    rewritten = {name.partition(".")[0] for name in new if grimoire_run_import_times.rewritten_at_import(sys.modules.get(name))}
    # So is one imported after a conftest (or a plugin) changed os.environ or logging's configuration: it may read what
    # was set, or its logger escape the configuration, which the fork server, importing it before any conftest runs,
    # would not have.
    after_change = _import_timer.after_change if _import_timer is not None else set()
    tops = set()
    for top in {name.partition(".")[0] for name in new}:
        # grimoire-run's own modules come from a folder named site-packages too (scripts/build.mjs): not the project's to preload.
        if not top.startswith(("_", "grimoire_run")) and top not in rewritten and top not in after_change and _installed(sys.modules.get(top)):
            tops.add(top)
    modules = [name for name in new if name.partition(".")[0] in tops and _installed(sys.modules.get(name))]
    parents = {name.rpartition(".")[0] for name in modules}
    return sorted(tops), [name for name in modules if "." in name and name not in parents]


def _randomly_seed(config):
    """pytest-randomly's seed as its pytest_configure resolved it (a new one, or `last`'s from the cache), or None without it.

    Each file's process would otherwise draw its own: the run would have no one
    seed to run again with, and `--randomly-seed=last` afterwards would be
    whichever file wrote the cache last.
    """
    if not (config.pluginmanager.hasplugin("randomly") or config.pluginmanager.hasplugin("pytest_randomly")):
        return None
    seed = getattr(config.option, "randomly_seed", None)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _distributions_fingerprint():
    """A short hash of the installed distributions' folder names (`pytest_mock-3.14.0.dist-info`) on sys.path.

    Their names carry each distribution's version: installing, upgrading or
    removing one changes it. A listing of each folder, no metadata read.
    """
    names = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listed:
                names.extend(item.name for item in listed if item.name.endswith((".dist-info", ".egg-info")))
        except OSError:  # a zip, a folder that is gone
            continue
    return hashlib.sha1("\0".join(sorted(names)).encode()).hexdigest()[:12]


def _installed(module):
    """Whether a module was loaded from a file of an installed package (not the project's own, not a namespace or a stand-in)."""
    origin = getattr(module, "__file__", None)
    if not origin or getattr(module, "__spec__", None) is None:
        return False
    return in_install_folder(origin)


# pytest-xdist's -n that this process turned off, if any.
_xdist_turned_off = None


def pytest_report_header(config):
    """A serial run of the whole selection, which no listing session precedes, says in pytest's header that the -n of
    the project's addopts is off, as a run that lists its files says it before (bidict's addopts, a helper's trial)."""
    if _xdist_turned_off is None or not os.environ.get("GRIMOIRE_ANNOUNCE_COLLECTED"):
        return None
    return (
        f"grimoire-run: pytest-xdist's -n from the pytest configuration ({_xdist_turned_off} workers here) is off: this run is one pytest process, "
        "without workers (--parallel runs the files in parallel)"
    )


def _xdist_workers(option):
    """pytest-xdist's -n as configured (addopts included): None or 0 when it would not distribute."""
    value = getattr(option, "numprocesses", None)
    return value if value not in (None, 0) else None


def _env_int(name, default):
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return default


# Used only when grimoire-run did not say (its defaults.ts names the values it passes).
_DEFAULT_FAILURE_CHARS = 8000
_DEFAULT_FAILURE_DETAILS = 50
_MESSAGE_CHARS = 500


def _cut(text, limit):
    """The end of `text` (where a traceback names the error) within `limit` characters, saying what was left out."""
    if len(text) <= limit:
        return text
    kept = text[len(text) - limit :]
    return f"[{len(text) - limit} characters cut here: the log has the whole text]\n{kept}"


def _message(report, text):
    """pytest's one line about the failure: the exception and its message, as the short summary shows it."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    message = getattr(crash, "message", None)
    if not message:
        error_lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        message = error_lines[0] if error_lines else (lines[-1] if lines else "")
    first = str(message).strip().split("\n", 1)[0]
    return first[:_MESSAGE_CHARS]


class Recorder:
    """Appends what pytest reports, a JSON line per report, to GRIMOIRE_RESULTS_FILE."""

    def __init__(self, config, out):
        self.config = config
        self.out = open(out, "a", encoding="utf-8", buffering=1)
        # A process a test forked that carries on with the session (it never called os._exit) is not this one: its
        # reports would count the tests again.
        # os.getpid as this module found it: a test that patches it (celery's test_ps) must not lose its record.
        self.pid = _getpid()
        # When the collection ended (_UNPATCHED.perf_counter), None before: where the tests' part of the session begins.
        self.collected_at = None
        # Files collection went through, in its order: those with no test selected count too (as 0).
        self.collected_files = {}
        # Text files pytest's doctest plugin collected that hold no example: not test files (plain pytest says nothing of them).
        self.empty_texts = set()
        # Files pytest's --lf skipped whole (none of their tests failed last time): not run, as --changed's unchosen are not.
        self.lf_skipped = set()
        self.failure_chars = max(0, _env_int("GRIMOIRE_FAILURE_CHARS", _DEFAULT_FAILURE_CHARS))
        self.details_left = max(0, _env_int("GRIMOIRE_FAILURE_DETAILS", _DEFAULT_FAILURE_DETAILS))
        # When the phase whose report comes next began, by our own clock: at the test's start, then at each report.
        self.phase_started = None
        # pytest's terminal reporter, whose categories of the reports the records take (see _category).
        self.reporter = None
        # The test between its start and its end (setup to teardown), if any: the one a stop interrupts.
        self.running = None
        # Node ids of package and folder collectors: pytest 7 names a package by its __init__.py, which is no test file.
        self.folders = set()
        # Node ids of the tests that failed, for pytest-playwright's folders of their screenshots and traces.
        self.failed = []
        # Record lines written with the next one (see _hold_line).
        self.held = ""
        # The node id whose test records start so, and how they start (see _test_line).
        self.line_start = (None, "")
        # The session has ended (its finish record written): what runs now is the process's exit.
        self.finished = False
        # Each file's collectors' kinds (a serial run tells modules only checked for doctests from test files by them).
        self.kinds = {}

    def _failure(self, report):
        """What a failed report says: its one-line message always, its text and captured output while the budget lasts."""
        try:
            text = report.longreprtext
        except Exception:  # a plugin's longrepr that cannot render itself must not break the records
            text = ""
        detail = {"message": _message(report, text)}
        if self.details_left > 0:
            self.details_left -= 1
            detail["longrepr"] = _cut(text, self.failure_chars)
            detail["sections"] = [{"title": title, "text": _cut(content, self.failure_chars)} for title, content in getattr(report, "sections", [])]
        return detail

    def _write(self, record):
        self._write_line(_dumps(record) + "\n")

    def _write_line(self, line):
        if _getpid() == self.pid:
            if self.held:
                line, self.held = self.held + line, ""
            self.out.write(line)

    def _hold_line(self, line):
        """A record the reports need only once a later one is written (a setup that passed): one write for both."""
        if _getpid() == self.pid:
            self.held += line

    def pytest_collection_finish(self, session):
        # When the tests' part of the session begins: what a split file's parts share out (the rest each part pays again).
        self.collected_at = _UNPATCHED.perf_counter()
        counts = dict(self.collected_files)
        for item in session.items:
            path = _absolute(self.config, item.nodeid)
            counts[path] = counts.get(path, 0) + 1
        # A conftest a `python_files` pattern matched (`*`) is collected as a test module too: no test file of the run's
        # (a serial run said "NO TESTS tests/conftest.py"), unless it holds tests or doctests.
        for path in [path for path, count in counts.items() if count == 0 and os.path.basename(path) == "conftest.py" and self.kinds.get(path, set()) <= {"Module"}]:
            del counts[path]
        # The collectors of the files --doctest-modules collected, as the listing records them: grimoire-run tells the
        # modules only checked for doctests from test files by the same rule (model.ts's onlyDoctests) in either run.
        kinds = {path: sorted(names) for path, names in self.kinds.items() if "DoctestModule" in names and path in counts}
        # A collection pytest cut short (-x at a module that does not import: the session is to stop) reached only some
        # files: a serial run that learns its files from here is told so, to find the rest the way the listing does. So
        # did one an interrupt ended (`stopped`: Ctrl-C or the run's stop while a module imported, pytest ending its
        # collection on the way out), which no test follows: a serial run stopped there read "Found 18 test files" of 86, and its first
        # file "stopped while running" (a helper's trial of pendulum).
        stopped = isinstance(sys.exc_info()[1], KeyboardInterrupt)
        cut = bool(session.shouldfail or session.shouldstop) or stopped
        # The files pytest's --lf skipped whole (--debug's): a run that listed them beforehand (where pytest-cov is on)
        # counted them "cancelled, not reached" and failed a run whose every test passed (a helper's trial of janus).
        lf_skipped = sorted(self.lf_skipped)
        self._write({"t": "collected", "files": counts, **({"kinds": kinds} if kinds else {}), **({"cut": True} if cut else {}), **({"stopped": True} if stopped else {}), **({"lfSkipped": lf_skipped} if lf_skipped else {})})
        groups = _xdist_groups(self.config, session.items)
        if groups:
            self._write({"t": "groups", "files": groups})
        for plugin, tests in _linked_across_files(self.config, session.items).items():
            self._write({"t": "linked", "plugin": plugin, "tests": tests})
        if os.environ.get("GRIMOIRE_ANNOUNCE_COLLECTED"):
            # A serial run's one process, in place of the listing: where plain pytest with no arguments looks, and for what.
            self._write({"t": "ini", "rootdir": str(self.config.rootpath), **_where_plain_pytest_looks(self.config)})
            # A serial run learns its files from here: a line grimoire-run takes out of the output.
            self.out.flush()
            reporter = self.config.pluginmanager.getplugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(COLLECTED_MARKER)
            else:
                os.write(1, f"{COLLECTED_MARKER}\n".encode())

    def pytest_deselected(self, items):
        """The tests the user's selection left out (-k, -m, --deselect, --lf), by file, as pytest's summary counts them.

        Each part of a split file sees the same selection: only its `all-but` part, the one every split has, counts it.
        --last-failed's subset (`failed`) is no part: what it leaves out counts, as pytest's --lf counts its own.
        """
        subset = self.config.pluginmanager.get_plugin("grimoire-tests-subset")
        if subset is not None and subset.run != "failed" and (subset.keep_named or subset.dropping):
            return
        files = {}
        for item in items:
            path = _absolute(self.config, item.nodeid)
            files[path] = files.get(path, 0) + 1
        if files:
            self._write({"t": "deselected", "files": files})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        lf = self.config.pluginmanager.get_plugin("lfplugin")
        skipped_before = getattr(lf, "_skipped_files", None)
        outcome = yield
        # A collection that raised (stopped by grimoire-run mid-import) has no report; asking for it would raise again,
        # here, and pluggy would blame this plugin with a warning in the file's output.
        if outcome.excinfo is not None:
            return
        # pytest's --lf (--debug's) counts each file it skips whole, none of whose tests failed last time: a serial run's
        # summary called every one of them "NO TESTS" (a helper's trial).
        if isinstance(skipped_before, int) and getattr(lf, "_skipped_files", None) == skipped_before + 1 and isinstance(collector, pytest.File):
            self.lf_skipped.add(str(collector.path))
        report = outcome.get_result()
        if isinstance(collector, _FOLDER_COLLECTORS):
            self.folders.add(collector.nodeid)
        elif isinstance(collector, pytest.File):
            self.kinds.setdefault(str(collector.path), set()).add(type(collector).__name__)
        if _is_doctest_textfile(collector) and report is not None and report.passed and not report.result:
            self.empty_texts.add(str(collector.path))

    def pytest_collectreport(self, report):
        if report.failed:
            self._write({"t": "collect-error", "nodeid": report.nodeid, "path": _absolute(self.config, report.nodeid), **self._failure(report)})
            return
        # A class or other collector inside a file ("::") that passed says nothing of the file: no stat for it.
        if not report.nodeid or ("::" in report.nodeid and not report.skipped) or (report.nodeid in self.folders and not report.skipped):
            return
        path = _absolute(self.config, report.nodeid)
        if not _isfile(path):
            # A folder whose conftest skipped it: one skipped in pytest's summary, counted under the folder.
            if report.skipped and report.nodeid in self.folders:
                self.collected_files.setdefault(path, 0)
                self._write({"t": "collect-skip", "nodeid": report.nodeid, "path": path, **_skip_reason(report)})
            return
        if "::" not in report.nodeid and path not in self.empty_texts and path not in self.lf_skipped:
            self.collected_files.setdefault(path, 0)
        if report.skipped:
            # A module skipped while collecting (importorskip, skip(allow_module_level=True)): pytest's summary counts it
            # as one skipped, and so must the file's counts.
            self._write({"t": "collect-skip", "nodeid": report.nodeid, "path": path, **_skip_reason(report)})

    def pytest_runtest_logstart(self, nodeid, location):
        self.running = nodeid
        _test_running[0] = True
        self.phase_started = _UNPATCHED.perf_counter()

    def pytest_runtest_logfinish(self, nodeid, location):
        self.running = None
        _test_running[0] = False
        self.phase_started = None

    def note_stopped(self):
        """Records the stop, and the test it interrupted for the reports to name (called from the stop's handler): a session
        that ends after it ended because of it."""
        try:
            self._write({"t": "stopped"} if self.running is None else {"t": "stopped", "nodeid": self.running, "path": _absolute(self.config, self.running)})
        except Exception:  # the signal came in the middle of a write: the reports do without the name
            pass

    def _category(self, report):
        """pytest's category of the report (passed, failed, rerun, xfailed, "" for a passing setup…), as its terminal
        reporter filed it just before (this hook runs after the reporter's): asking pytest_report_teststatus again cost a
        hook call a phase. Without the reporter, or where it did not file it (a plugin's reporter of its own), it is asked."""
        reporter = self.reporter
        if reporter is None:
            reporter = self.reporter = self.config.pluginmanager.get_plugin("terminalreporter") or False
        if reporter:
            for category, reports in getattr(reporter, "stats", {}).items():
                if reports and reports[-1] is report:
                    return category
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        return status[0] if status else report.outcome

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report):
        category = self._category(report)
        # Each phase's seconds by our own clock, from its start to its report, which pytest makes as the phase ends (the
        # start of a test, or the report before): pytest's own duration reads a clock a test may have frozen (freezegun),
        # days for a test of a second. A plugin that reports a test's phases together once they ran (a rerun's, by
        # pytest-rerunfailures) gives the first its whole time: what a test's records add up to is the same.
        now = _UNPATCHED.perf_counter()
        seconds = report.duration if self.phase_started is None else now - self.phase_started
        if self.phase_started is not None:
            self.phase_started = now
        if report.failed:
            record = {"t": "test", "nodeid": report.nodeid, "path": _absolute(self.config, report.nodeid), "when": report.when, "category": category, "seconds": round(seconds, 6)}
            record.update(self._failure(report))
            if report.nodeid not in self.failed:
                self.failed.append(report.nodeid)
            self._write(record)
            return
        line = self._test_line(report.nodeid, report.when, category, seconds)
        if report.when == "setup" and not category:
            # Its seconds count only with the call's outcome, which follows (a process killed in between has no outcome
            # for the test either way): a write and its system call fewer for each test.
            self._hold_line(line)
            return
        self._write_line(line)

    def _test_line(self, nodeid, when, category, seconds):
        """A test record that reports no failure, as json.dumps writes it, put together from the test's node id and path
        encoded once for its phases: json.dumps of each phase's record was most of what a passing test's records cost
        (by timeit: 19.4 µs a test for its three records before, 7.6 µs put together so)."""
        if self.line_start[0] != nodeid:
            self.line_start = (nodeid, f'{{"t": "test", "nodeid": {_encode(nodeid)}, "path": {_encode(_absolute(self.config, nodeid))}, "when": ')
        seconds = round(seconds, 6) if math.isfinite(seconds) else 0.0
        return f"{self.line_start[1]}{_encode(when)}, \"category\": {_encode(category)}, \"seconds\": {seconds!r}}}\n"

    @pytest.hookimpl(tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter):
        """In a parallel run, `--durations` gives one list over every file, as a plain run's one session does.

        Each process ran one file (or a pack's few): its own list would be one of a hundred. It records the reports a
        merged list could show (pytest's own choice: every report with a duration, longest first, the first N, those
        under --durations-min hidden) and leaves the printing to grimoire-run, at the run's end.
        """
        option = self.config.option
        count = getattr(option, "durations", None)
        if count is None or not os.environ.get("GRIMOIRE_MERGED_DURATIONS"):
            return
        given_min = getattr(option, "durations_min", None)
        least = given_min if given_min is not None else (0.005 if self.config.get_verbosity() < 2 else 0.0)
        reports = [rep for replist in terminalreporter.stats.values() for rep in replist if hasattr(rep, "duration")]
        reports.sort(key=lambda rep: rep.duration, reverse=True)
        shown = [[rep.nodeid, rep.when, rep.duration] for rep in reports if rep.duration >= least]
        self._write({"t": "durations", "count": count, "min": least, "minGiven": given_min is not None, "shown": shown[:count] if count else shown, "hidden": len(reports) - len(shown)})
        option.durations = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        folders = _playwright_artifact_folders(self.config, self.failed)
        if folders:
            self._write({"t": "artifacts", "paths": folders})
        if _import_timer is not None:
            test_files = set(self.collected_files) | {_absolute(self.config, item.nodeid) for item in session.items}
            self._write({"t": "imports", "packages": grimoire_run_import_times.report(_import_timer, test_files, root=str(self.config.invocation_params.dir))})
        since = self.collected_at
        # The session's own, as the hooks before this one left it (a conftest's pytest_sessionfinish that fails a run
        # whose tests passed): pytest's exit code, where the argument is what the session said before them.
        status = getattr(session, "exitstatus", exitstatus)
        warned = self._warnings()
        self._write({"t": "finish", "exitstatus": int(status), **({} if since is None else {"testsSeconds": round(max(0.0, _UNPATCHED.perf_counter() - since), 4)}), **({"warnings": warned} if warned else {})})
        self.finished = True

    def _warnings(self):
        """The warnings pytest's summary counts ("3 warnings"), as the terminal reporter holds them: [owner, message,
        file, line] each, the owner the file of the test that raised it. One raised while collecting or configuring (an
        unknown mark, an ini option pytest does not know) has none, and every file's process may raise it again:
        grimoire-run counts those once for the run by what they say and where. Absent before, a run's summary said nothing of
        pytest's "1 warning" (three helpers' trials)."""
        reporter = self.config.pluginmanager.getplugin("terminalreporter")
        reports = [report for report in getattr(reporter, "stats", {}).get("warnings", ()) if getattr(report, "count_towards_summary", True)]
        said = []
        for report in reports:
            location = getattr(report, "fslocation", None)
            where = [os.path.abspath(str(location[0])), int(location[1])] if isinstance(location, tuple) and len(location) == 2 else [None, None]
            nodeid = getattr(report, "nodeid", None) or ""
            said.append([_absolute(self.config, nodeid) if nodeid else None, str(getattr(report, "message", "")).split("\n", 1)[0], *where])
        return said

    def pytest_unconfigure(self, config):
        if self.held and _getpid() == self.pid:
            self.out.write(self.held)
        self.out.close()


class DjangoDatabaseTimer:
    """pytest-django's test databases made for this file alone (files at once, no --reuse-db): the run adds them up for
    its hint. A plugin of its own, registered only then: a hook wrapper around every fixture's setup costs every test
    of every other suite (a test has a dozen fixtures)."""

    def __init__(self, recorder):
        self.recorder = recorder

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if fixturedef.argname != "django_db_setup":
            yield
            return
        names = _database_names()
        # The clock read at import: a test module's frozen time (freezegun) must not reach it.
        started = _UNPATCHED.perf_counter()
        yield
        made = _databases_made(names)
        if made is not None:
            record = {"t": "django-db", "seconds": round(max(0.0, _UNPATCHED.perf_counter() - started), 6)}
            self.recorder._write(record if made == "kept" else {**record, "memory": True})


# A session fixture quicker than this is not recorded: pytest's own (tmp_path_factory) and the like cost nothing to pack.
_SESSION_FIXTURE_MIN_SECONDS = 0.01


class SessionFixtureTimer:
    """What this file's process set up once for its session, which one plain pytest session sets up once for every
    file: the session-scoped fixtures the first test set up, each with its time and whether it is Playwright's (a
    driver, a browser), for the run's hint (--browser-server for a browser, --pack for the rest). pytest-django's own
    are its timer's (above). A plugin of its own, registered in a parallel run and unregistered once the first test is
    set up: a hook wrapper around every fixture's setup would cost every later test (a test has a dozen fixtures)."""

    def __init__(self, recorder, config):
        self.recorder = recorder
        self.config = config
        self.timed = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if fixturedef.scope != "session" or _django_fixture(fixturedef):
            yield
            return
        # The clock read at import: a test module's frozen time (freezegun) must not reach it.
        started = _UNPATCHED.perf_counter()
        # Its teardown too, at the session's end, which one plain session pays once as well (pytest-httpserver's server
        # takes 0.5 s to stop: a file's time it cost went to its last test, and no hint named --pack, a helper's trial).
        # Finalizers run last first: this one after the fixture's own teardown, the one added after it before.
        teardown = {}
        fixturedef.addfinalizer(lambda: self._torn_down(fixturedef, teardown))
        with _executables_launched() as executables:
            outcome = yield
        fixturedef.addfinalizer(lambda: teardown.setdefault("started", _UNPATCHED.perf_counter()))
        seconds = max(0.0, _UNPATCHED.perf_counter() - started)
        if seconds < _SESSION_FIXTURE_MIN_SECONDS:
            return
        value = None if outcome.excinfo is not None else outcome.get_result()
        kind = _playwright_kind(value)
        if kind and executables:
            kind["executable"] = executables[-1]
        self.timed.append({"name": fixturedef.argname, "where": self._where(fixturedef), "seconds": round(seconds, 6), **kind})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        outcome = yield
        # A test skipped by its marks (or an xfail that is not run) set nothing up: the next one does.
        if outcome.excinfo is not None and isinstance(outcome.excinfo[1], (pytest.skip.Exception, pytest.xfail.Exception)):
            return
        self.config.pluginmanager.unregister(self)
        if self.timed:
            self.recorder._write({"t": "session-fixtures", "fixtures": self.timed})

    def _torn_down(self, fixturedef, teardown):
        """A timed fixture's teardown has ended: its time, where it took a hundredth of a second or more."""
        seconds = max(0.0, _UNPATCHED.perf_counter() - teardown.get("started", _UNPATCHED.perf_counter()))
        if seconds >= _SESSION_FIXTURE_MIN_SECONDS:
            self.recorder._write({"t": "session-fixture-teardown", "name": fixturedef.argname, "where": self._where(fixturedef), "seconds": round(seconds, 6)})

    def _where(self, fixturedef):
        """The project file that defines the fixture (relative, with `/`), or the module of a plugin's."""
        code = getattr(fixturedef.func, "__code__", None)
        if code is not None:
            try:
                return Path(code.co_filename).resolve().relative_to(self.config.rootpath).as_posix()
            except ValueError:
                pass
        return getattr(fixturedef.func, "__module__", None) or ""


@contextlib.contextmanager
def _executables_launched():
    """The browsers a fixture's set-up launches with Playwright's launch(executable_path=...) (a browser installed
    apart from Playwright's own, /usr/bin/chromium): the run's --browser-server hint names it, which the served browser
    needs as --browser-executable where Playwright's own is not installed. Playwright's BrowserType is wrapped for the
    set-up only, where it is imported already."""
    executables = []
    wrapped = []
    for name in OwnLaunches._MODULES:
        browser_type = getattr(sys.modules.get(name), "BrowserType", None)
        original = getattr(browser_type, "launch", None)
        if original is None:
            continue

        def launch(*args, _original=original, **kwargs):
            path = kwargs.get("executable_path")
            if path:
                executables.append(os.fspath(path))
            return _original(*args, **kwargs)

        setattr(browser_type, "launch", functools.wraps(original)(launch))
        wrapped.append((browser_type, original))
    try:
        yield executables
    finally:
        for browser_type, original in wrapped:
            setattr(browser_type, "launch", original)


def _django_fixture(fixturedef):
    return fixturedef.argname == "django_db_setup" or (getattr(fixturedef.func, "__module__", None) or "").startswith("pytest_django")


def _playwright_kind(value):
    """`{"playwright": True}` for a Playwright object a fixture made (its driver, a browser type, a browser or a
    context), with `"browser"` naming a browser's engine; `{}` for anything else."""
    cls = type(value)
    if not (cls.__module__ or "").startswith("playwright.") or cls.__name__ not in ("Playwright", "BrowserType", "Browser", "BrowserContext"):
        return {}
    kind = {"playwright": True}
    try:
        browser_type = value.browser_type if cls.__name__ == "Browser" else value.browser.browser_type if cls.__name__ == "BrowserContext" else None
        if browser_type is not None:
            kind["browser"] = str(browser_type.name)
    except Exception:
        pass
    return kind


class OwnLaunches:
    """Under --browser-server, notes a test or conftest that launches a browser with Playwright's launch() itself (a
    StaticLiveServerTestCase's setUpClass, a hand-written fixture): it gains nothing from the served browser, which the
    run then says. Playwright's public BrowserType, sync and async, is wrapped once it is imported, before each test's
    set-up (where fixtures and setUpClass launch). pytest-playwright's own launches are noted only where a
    `connect_options` of the project's took the place of grimoire-run's and gave no endpoint (`own-connect-options`:
    py-shiny's conftest gives one only where PW_TEST_CONNECT_WS_ENDPOINT is set, and every file launched its browser
    beside the served one, unsaid); where grimoire-run's gave none, the launch options are its `own-browser` notice's.
    A plugin of its own, registered only then."""

    _MODULES = ("playwright.sync_api._generated", "playwright.async_api._generated")

    def __init__(self, recorder):
        self.recorder = recorder
        self.noted = False
        # The project's connect_options that gave pytest-playwright no endpoint: where it is defined, and the served keyword.
        self.overridden = None
        self.noted_override = False

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        outcome = yield
        if fixturedef.argname != "connect_options" or self.overridden is not None:
            return
        # grimoire-run's own (defined here), and pytest-playwright's, which grimoire-run's takes the place of.
        module = getattr(fixturedef.func, "__module__", None) or ""
        if module == __name__ or module.startswith("pytest_playwright"):
            return
        try:
            given = outcome.get_result()
        except BaseException:
            return
        if not given:
            self.overridden = _defined_in(fixturedef.func)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        for name in self._MODULES:
            browser_type = getattr(sys.modules.get(name), "BrowserType", None)
            for method in ("launch", "launch_persistent_context"):
                original = getattr(browser_type, method, None)
                if original is not None and not getattr(original, "_grimoire_noted", False):
                    setattr(browser_type, method, self._noting(original))

    def _noting(self, original):
        @functools.wraps(original)
        def launch(*args, **kwargs):
            if not _called_from("pytest_playwright"):
                if not self.noted:
                    self.noted = True
                    self.recorder._write({"t": "own-launch"})
            elif self.overridden is not None and not self.noted_override and _served_name(args) == os.environ.get("GRIMOIRE_BROWSER_NAME", "chromium"):
                self.noted_override = True
                self.recorder._write({"t": "own-connect-options", "where": self.overridden, "keyword": _endpoint_keyword()})
            return original(*args, **kwargs)

        launch._grimoire_noted = True
        return launch


def _defined_in(func):
    """The file a fixture is defined in (absolute; grimoire-run names it from the project), else its module's name."""
    try:
        return os.path.abspath(inspect.getsourcefile(func))
    except (TypeError, OSError):
        return getattr(func, "__module__", None) or "a conftest"


def _served_name(args):
    """The name of the browser a BrowserType's launch was called on (its `self`)."""
    try:
        return str(args[0].name)
    except (IndexError, AttributeError):
        return None


def _endpoint_keyword():
    """The keyword of BrowserType.connect's endpoint: `endpoint` since Playwright for Python 1.59, `ws_endpoint` before."""
    from playwright.sync_api import BrowserType

    return "endpoint" if "endpoint" in inspect.signature(BrowserType.connect).parameters else "ws_endpoint"


def _called_from(package, depth=40):
    """Whether a frame of a module whose name starts with `package` (pytest_playwright, pytest_playwright_asyncio) is among
    the callers' (within `depth` frames)."""
    frame = sys._getframe(2)
    while frame is not None and depth > 0:
        name = frame.f_globals.get("__name__", "")
        if name.startswith(package):
            return True
        frame, depth = frame.f_back, depth - 1
    return False


# pytest-playwright's launch options that a connection to the served browser honours as they are: where it runs from, how
# long a launch may take, the signals it ends on, and no sandbox (the served browser has none).
_LAUNCH_OPTIONS_SERVED_ALIKE = {"headless", "executable_path", "timeout", "handle_sigint", "handle_sigterm", "handle_sighup"}


def _launch_options_unserved(launch, served_args):
    """The names of the launch options (pytest-playwright's `browser_type_launch_args`) the served browser does not have."""
    unserved = []
    for key, value in launch.items():
        if key in _LAUNCH_OPTIONS_SERVED_ALIKE or key == "slow_mo" or (key == "chromium_sandbox" and not value):
            continue
        if key == "args" and all(arg in served_args for arg in value or ()):
            continue
        unserved.append(key)
    return sorted(unserved)


def _browser_server_fixtures(endpoint, served, served_args):
    """A plugin module with pytest-playwright's `connect_options`, pointing at the slot's browser server."""
    import types

    module = types.ModuleType("grimoire_run_browser_server")

    @pytest.fixture(scope="session")
    def connect_options(browser_name, request):
        # A run of other browsers (pytest-playwright's --browser) launches them as usual.
        if browser_name != served:
            return None
        # pytest-playwright sends its launch options to a server in a header that a browser server ignores: a session
        # that asks for what the served browser was not started with (its own arguments, a channel, a proxy) launches a
        # browser of its own, as it would without grimoire-run.
        try:
            launch = request.getfixturevalue("browser_type_launch_args") or {}
        except pytest.FixtureLookupError:
            launch = {}
        unserved = _launch_options_unserved(launch, served_args)
        if unserved:
            recorder = request.config.pluginmanager.get_plugin("grimoire-recorder")
            if recorder is not None:
                recorder._write({"t": "own-browser", "options": unserved})
            return None
        options = {_endpoint_keyword(): endpoint}
        # --slowmo: a connection slows its own calls down.
        if launch.get("slow_mo"):
            options["slow_mo"] = launch["slow_mo"]
        return options

    module.connect_options = connect_options
    return module


def _django_database_suffix(slot):
    """A plugin module with pytest-django's `django_db_modify_db_settings_xdist_suffix`, naming test databases after the slot.

    pytest-django gives each xdist worker a test database of its own (`test_shop_gw0`), and every other process the
    same one (`test_shop`): files running at once would each create it, drop it under the others, and fail. Each slot
    runs one file at a time, so a database per slot is enough, named as xdist's worker of the same number names it.
    """
    import types

    module = types.ModuleType("grimoire_run_django_databases")

    @pytest.fixture(scope="session")
    def django_db_modify_db_settings_xdist_suffix(request):
        from django.conf import settings

        # As pytest-django's own fixture: without Django settings, what asks for a database is skipped.
        if not settings.configured:
            pytest.skip("no Django settings")
        suffix = getattr(request.config, "workerinput", {}).get("workerid") or f"gw{slot}"
        # What pytest-django does for an xdist worker: SQLite in memory needs nothing, any other gets the suffix.
        for database in settings.DATABASES.values():
            name = database.get("TEST", {}).get("NAME")
            if not name:
                if database["ENGINE"] == "django.db.backends.sqlite3":
                    continue
                name = f"test_{database['NAME']}"
            if name == ":memory:":
                continue
            database.setdefault("TEST", {})["NAME"] = f"{name}_{suffix}"

    module.django_db_modify_db_settings_xdist_suffix = django_db_modify_db_settings_xdist_suffix
    return module


def _database_names():
    """Each configured alias's database NAME as Django's connections hold it now; None where they cannot be read."""
    try:
        from django.db import connections

        return {alias: connections[alias].settings_dict.get("NAME") for alias in connections}
    except Exception:
        return None


def _databases_made(names_before):
    """Which test databases django_db_setup made: "kept" where --reuse-db could keep one, "memory" where all were SQLite
    in memory (django-ninja's and django-allauth's suites have only those: files that share a process share them), None
    where it made none. Only the aliases it set up count, those whose NAME Django changed to their test database's:
    pytest-django sets up the aliases the tests use (djangorestframework-simplejwt configures an "other" that none
    does), and a project's own django_db_setup that uses an existing database sets up none. Where the names could not
    be read, every alias counts; where nothing can be read, a database was made to keep."""
    try:
        from django.db import connections

        wrappers = [connections[alias] for alias in connections]
        if names_before is not None:
            wrappers = [wrapper for wrapper in wrappers if wrapper.settings_dict.get("NAME") != names_before.get(wrapper.alias)]
        if not wrappers:
            return None
        return "kept" if any(not getattr(wrapper, "is_in_memory_db", lambda: False)() for wrapper in wrappers) else "memory"
    except Exception:
        return "kept"


def _has_plugin_module(config, package):
    """Whether a module of `package` (it, or one below it) is a registered plugin: the plugin's own, by its module."""
    names = (getattr(plugin, "__name__", None) for plugin in config.pluginmanager.get_plugins())
    return any(isinstance(name, str) and (name == package or name.startswith(package + ".")) for name in names)


def _linked_across_files(config, items):
    """Tests a plugin ties to tests outside this process, by plugin: what a process of some of the files cannot honour.

    pytest-dependency: a test whose session- or package-scoped `depends` names a test this process does not have is
    skipped as if that test had not run, where plain pytest runs both. pytest-order: an ordinal mark (`order(1)`,
    `"first"`), or one placing a test before or after another file's, orders the whole session under its default
    `--order-scope=session`; here it orders this process's tests only.
    """
    linked = {}
    if _has_plugin_module(config, "pytest_dependency"):
        names = set()
        for item in items:
            names.add(item.nodeid.replace("::()::", "::"))
            marker = item.get_closest_marker("dependency")
            if marker is not None and marker.kwargs.get("name"):
                names.add(marker.kwargs["name"])
        missing = []
        for item in items:
            marker = item.get_closest_marker("dependency")
            if marker is None or marker.kwargs.get("scope", "module") not in ("session", "package"):
                continue
            if any(name not in names for name in marker.kwargs.get("depends") or ()):
                missing.append(item.nodeid)
        if missing:
            linked["pytest-dependency"] = missing
    if _has_plugin_module(config, "pytest_order") and getattr(config.option, "order_scope", None) in (None, "session"):
        ordered = [item.nodeid for item in items if _ordered_across_files(item)]
        if ordered:
            linked["pytest-order"] = ordered
    return linked


def _xdist_groups(config, items):
    """pytest-xdist's xdist_group names of the collected tests, by file, as --dist loadgroup reads them: a mark a conftest
    added while collecting included, which the test file's source does not show. grimoire-run remembers them, and never
    runs two files of one group at the same time."""
    found = {}
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker is not None:
            name = marker.kwargs.get("name", marker.args[0] if marker.args else "default")
            found.setdefault(_absolute(config, item.nodeid), set()).add(str(name))
    return {path: sorted(names) for path, names in found.items()}


def _ordered_across_files(item):
    own_file = item.nodeid.split("::", 1)[0]
    for marker in item.iter_markers("order"):
        if marker.args or "index" in marker.kwargs:
            return True
        for key in ("before", "after"):
            names = marker.kwargs.get(key) or ()
            for name in [names] if isinstance(names, str) else names:
                if "::" in name and not own_file.endswith(name.split("::", 1)[0]):
                    return True
    return False


def _files_at_once():
    """Whether other files' processes may run beside this one (a parallel run of more than one worker)."""
    return _env_int("GRIMOIRE_WORKERS", 1) > 1


def _has_pytest_django(config):
    return _has_plugin_module(config, "pytest_django")


def _plugin_folder_out_of_pythonpath():
    """PYTHONPATH as the user's environment has it: grimoire-run put this plugin's folder first, for `-p` to find
    it; the conftests, the tests, and the Pythons they start, see the user's value (or none)."""
    value = os.environ.get("PYTHONPATH")
    if value is None:
        return
    entries = value.split(os.pathsep)
    if _PLUGIN_FOLDER not in entries:
        return
    entries.remove(_PLUGIN_FOLDER)
    if entries:
        os.environ["PYTHONPATH"] = os.pathsep.join(entries)
    else:
        del os.environ["PYTHONPATH"]


def pytest_configure(config):
    global _config, _xdist_turned_off
    _config = config
    if os.environ.get("GRIMOIRE_LIST_FILE"):
        _initial_conftests[:] = _conftest_folders(config)
    # `--split auto` never splits a module marked so (pytestmark = pytest.mark.grimoire_serial).
    config.addinivalue_line("markers", "grimoire_serial: grimoire-run --split never runs this module's tests in several processes")
    if threading.current_thread() is threading.main_thread():
        _stop_on_sigterm()
    # grimoire-run runs files in parallel itself: pytest-xdist distributing inside each process too (its
    # -n in addopts cannot be taken back on the command line) would multiply the workers. Its trylast
    # configure, which starts the workers, reads these after this hook has run.
    if getattr(config.option, "dist", "no") != "no":
        _xdist_turned_off = _xdist_workers(config.option)
        config.option.dist = "no"
        config.option.tx = []
    env = os.environ
    # Registered now, after every installed plugin: the later fixture wins, so pytest-playwright's own gives way.
    # Without pytest-playwright nothing asks for it (a hand-written conftest reads the variable itself).
    if env.get("GRIMOIRE_BROWSER_WS_ENDPOINT"):
        served_args = ["--no-sandbox", *json.loads(env.get("GRIMOIRE_BROWSER_ARGS") or "[]")]
        fixtures = _browser_server_fixtures(env["GRIMOIRE_BROWSER_WS_ENDPOINT"], env.get("GRIMOIRE_BROWSER_NAME", "chromium"), served_args)
        config.pluginmanager.register(fixtures, "grimoire-browser-server")
    # Files running at once each get a Django test database of their own slot (registered late, as above).
    django_at_once = _files_at_once() and _has_pytest_django(config)
    if django_at_once:
        config.pluginmanager.register(_django_database_suffix(env.get("GRIMOIRE_SLOT", "0")), "grimoire-django-databases")
    if env.get("GRIMOIRE_PLAYWRIGHT_DRIVER"):
        from grimoire_run_driver import use_shared_driver

        use_shared_driver(env["GRIMOIRE_PLAYWRIGHT_DRIVER"])
    if env.get("GRIMOIRE_ONLY_FILES"):
        config.pluginmanager.register(OnlyFiles(env["GRIMOIRE_ONLY_FILES"]), "grimoire-only-files")
    if env.get("GRIMOIRE_IMPORT_FIRST"):
        config.pluginmanager.register(ImportFirst(env["GRIMOIRE_IMPORT_FIRST"]), "grimoire-import-first")
    if env.get("GRIMOIRE_TESTS_SUBSET"):
        config.pluginmanager.register(TestsSubset(env["GRIMOIRE_TESTS_SUBSET"]), "grimoire-tests-subset")
    if env.get("GRIMOIRE_CLEANED_ONCE"):
        config.pluginmanager.register(CleanedOnce(), "grimoire-cleaned-once")
    if env.get("GRIMOIRE_PYTEST_CACHE_KEPT"):
        config.pluginmanager.register(CacheKeptByTheRun(), "grimoire-cache-kept")
    if env.get("GRIMOIRE_MYPY"):
        config.pluginmanager.register(SharedMypyResults(env["GRIMOIRE_MYPY"]), "grimoire-shared-mypy")
    if env.get("GRIMOIRE_LIST_FILE"):
        config.pluginmanager.register(Lister(config, env["GRIMOIRE_LIST_FILE"]), "grimoire-lister")
        _share_the_runs_folder(config)
    elif env.get("GRIMOIRE_RESULTS_FILE"):
        recorder = Recorder(config, env["GRIMOIRE_RESULTS_FILE"])
        config.pluginmanager.register(recorder, "grimoire-recorder")
        if django_at_once and not getattr(config.option, "reuse_db", False):
            config.pluginmanager.register(DjangoDatabaseTimer(recorder), "grimoire-django-database-timer")
        if _files_at_once():
            config.pluginmanager.register(SessionFixtureTimer(recorder, config), "grimoire-session-fixture-timer")
        if env.get("GRIMOIRE_BROWSER_WS_ENDPOINT"):
            config.pluginmanager.register(OwnLaunches(recorder), "grimoire-own-launches")


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo):
    # pytest formats every frame of an interrupt's traceback, about thirty of
    # its own, parsing each one's source file: half a second of CPU per process,
    # paid by every file a fail-fast stops at once. The frames that matter were
    # printed above; keep only those.
    if _stopped and len(excinfo.traceback) > _FRAMES_SHOWN + 1:
        excinfo.traceback = excinfo.traceback[-(_FRAMES_SHOWN + 1) :]
    if not _stopped and isinstance(excinfo.value, pytest.exit.Exception):
        _note_pytest_exit(excinfo.value)


def _note_pytest_exit(exited):
    """`pytest.exit()` ends the session on purpose, with its reason and exit code (pytest's "interrupted", 2, by default).

    A conftest may end it before any test (`pytest.exit("the server is not running", returncode=0)` in
    pytest_sessionstart): the listing says so instead of its answer, and a file's records say it, so that the run ends
    as plain pytest's does, not as a session cut short.
    """
    code = exited.returncode if exited.returncode is not None else int(pytest.ExitCode.INTERRUPTED)
    note = {"reason": str(exited.msg), "returncode": int(code)}
    answer = os.environ.get("GRIMOIRE_LIST_FILE")
    if answer and not os.path.exists(answer):
        with open(answer, "w", encoding="utf-8") as handle:
            json.dump({"exited": note}, handle)
    recorder = None if _config is None else _config.pluginmanager.get_plugin("grimoire-recorder")
    if recorder is not None:
        recorder._write({"t": "exit", **note})
    elif os.environ.get("GRIMOIRE_RESULTS_FILE") and not answer:
        # A conftest's pytest_configure ran before this plugin's (conftests register later, and their hooks run first):
        # no recorder yet, and the exit is all there is to record.
        with open(os.environ["GRIMOIRE_RESULTS_FILE"], "a", encoding="utf-8") as handle:
            handle.write(_dumps({"t": "exit", **note}) + "\n")
