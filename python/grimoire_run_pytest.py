"""pytest plugin that grimoire-run loads into every pytest process it starts.

Its one job is to let grimoire-run see and steer what pytest does, without
changing what pytest decides. It never selects, skips or fails a test itself.

- SIGTERM behaves like Ctrl-C: pytest stops the running test, runs fixture
  teardowns (closing browsers and servers cleanly) and writes its reports for
  the tests that completed. Before that it prints where the test was, past
  pytest's output capture, so that a timed-out file's log shows where it hung.
  A second SIGTERM is ignored so that it cannot cut that cleanup short;
  grimoire-run follows up with SIGKILL after its grace period.
- GRIMOIRE_LIST_FILE: list the files pytest would collect, without importing
  a single test module. Directories are collected as pytest collects them
  (conftests loaded, `collect_ignore`, `--ignore`, `norecursedirs` and every
  `pytest_ignore_collect` hook applied); each file collector (a test module, a
  doctest module or text file, a plugin's YAML file) is recorded and not
  opened. The session runs nothing and writes nothing to pytest's cache.
- GRIMOIRE_ONLY_FILES: a file listing paths. Everything else under the
  collection arguments is ignored, so that grimoire-run can give a process
  the same folder arguments a plain run gets (and with them pytest's own
  rules for what a folder holds) while it runs only some of its files.
- pytest-xdist never distributes inside a grimoire-run process: the files
  already run in parallel, each in a process of its own.
- GRIMOIRE_RESULTS_FILE: each test's outcome, as pytest's own terminal
  reporter categorises it (passed, failed, skipped, xfailed, xpassed, error),
  appended as JSON lines while the tests run, so that what completed is known
  even when the process is killed.
"""

import json
import os
import signal
import sys
import threading
import traceback

import pytest

_FRAMES_SHOWN = 3
_config = None
_stopped = False
# pytest 7's Package is a File; it is a folder to walk, not a file to record.
_FOLDER_COLLECTORS = tuple(c for c in (getattr(pytest, "Package", None), getattr(pytest, "Directory", None)) if c is not None)


def _interrupt(signum, frame):
    global _stopped
    _stopped = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    capture = _config.pluginmanager.getplugin("capturemanager") if _config is not None else None
    if capture is not None:
        capture.suspend_global_capture(in_=False)
    where = "".join(traceback.format_stack(frame, limit=_FRAMES_SHOWN))
    # pytest may be half-way through a progress line; the report starts on a line of its own.
    sys.stderr.write(f"\ngrimoire-run stopped this test here:\n{where}")
    sys.stderr.flush()
    raise KeyboardInterrupt(f"stopped by grimoire-run (signal {signum})")


def _absolute(config, nodeid):
    """The file or folder a node id names, as an absolute path (node ids are relative to the rootdir)."""
    return os.path.normpath(os.path.join(str(config.rootpath), nodeid.split("::", 1)[0]))


class OnlyFiles:
    """Ignores every path that is neither a listed path nor a folder on the way to one."""

    def __init__(self, listing):
        with open(listing, encoding="utf-8") as handle:
            self.paths = {line for line in handle.read().split("\n") if line}
        self.folders = set()
        for path in self.paths:
            folder = os.path.dirname(path)
            while folder not in self.folders and os.path.dirname(folder) != folder:
                self.folders.add(folder)
                folder = os.path.dirname(folder)

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path, config):
        path = str(collection_path)
        return None if path in self.paths or path in self.folders else True


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

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector):
        if isinstance(collector, pytest.File) and not isinstance(collector, _FOLDER_COLLECTORS):
            self.files.setdefault(str(collector.path), []).append(type(collector).__name__)
            return pytest.CollectReport(collector.nodeid, "passed", None, [])
        return None

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append({"nodeid": report.nodeid, "path": _absolute(self.config, report.nodeid), "message": str(report.longrepr)})

    def pytest_collection_finish(self, session):
        config = self.config
        option = config.option
        cache = getattr(config, "cache", None)
        listing = {
            "files": [{"path": path, "kinds": kinds} for path, kinds in self.files.items()],
            "errors": self.errors,
            "rootdir": str(config.rootpath),
            "inifile": None if config.inipath is None else str(config.inipath),
            "args": [os.path.abspath(os.path.join(str(config.invocation_params.dir), arg.split("::", 1)[0])) for arg in config.args],
            "cacheDir": None if cache is None else str(getattr(cache, "_cachedir", "")) or None,
            # Where imports are looked for once conftests are loaded (`pythonpath`, conftest folders): for --changed.
            "sysPath": [os.path.abspath(entry) for entry in sys.path],
            "options": {
                "maxfail": option.maxfail,
                "lastFailed": bool(getattr(option, "lf", False)),
                "failedFirst": bool(getattr(option, "failedfirst", False)),
                "collectOnly": bool(option.collectonly),
                "xdistWorkers": _xdist_workers(option),
            },
        }
        with open(self.out, "w", encoding="utf-8") as handle:
            json.dump(listing, handle)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        return True


def _xdist_workers(option):
    """pytest-xdist's -n as configured (addopts included): None or 0 when it would not distribute."""
    value = getattr(option, "numprocesses", None)
    return value if value not in (None, 0) else None


class Recorder:
    """Appends what pytest reports, a JSON line per report, to GRIMOIRE_RESULTS_FILE."""

    def __init__(self, config, out):
        self.config = config
        self.out = open(out, "a", encoding="utf-8", buffering=1)
        # Files collection went through, in its order: those with no test selected count too (as 0).
        self.collected_files = {}

    def _write(self, record):
        self.out.write(json.dumps(record) + "\n")

    def pytest_collection_finish(self, session):
        counts = dict(self.collected_files)
        for item in session.items:
            path = _absolute(self.config, item.nodeid)
            counts[path] = counts.get(path, 0) + 1
        self._write({"t": "collected", "files": counts})

    def pytest_collectreport(self, report):
        if report.failed:
            self._write({"t": "collect-error", "nodeid": report.nodeid, "path": _absolute(self.config, report.nodeid)})
        elif "::" not in report.nodeid and report.nodeid:
            path = _absolute(self.config, report.nodeid)
            if os.path.isfile(path):
                self.collected_files.setdefault(path, 0)

    def pytest_runtest_logreport(self, report):
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        category = status[0] if status else report.outcome
        self._write(
            {
                "t": "test",
                "nodeid": report.nodeid,
                "path": _absolute(self.config, report.nodeid),
                "when": report.when,
                "category": category,
                "seconds": round(report.duration, 6),
            }
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self._write({"t": "finish", "exitstatus": int(exitstatus)})

    def pytest_unconfigure(self, config):
        self.out.close()


def pytest_configure(config):
    global _config
    _config = config
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    # grimoire-run runs files in parallel itself: pytest-xdist distributing inside each process too (its
    # -n in addopts cannot be taken back on the command line) would multiply the workers. Its trylast
    # configure, which starts the workers, reads these after this hook has run.
    if getattr(config.option, "dist", "no") != "no":
        config.option.dist = "no"
        config.option.tx = []
    env = os.environ
    if env.get("GRIMOIRE_ONLY_FILES"):
        config.pluginmanager.register(OnlyFiles(env["GRIMOIRE_ONLY_FILES"]), "grimoire-only-files")
    if env.get("GRIMOIRE_LIST_FILE"):
        config.pluginmanager.register(Lister(config, env["GRIMOIRE_LIST_FILE"]), "grimoire-lister")
    elif env.get("GRIMOIRE_RESULTS_FILE"):
        config.pluginmanager.register(Recorder(config, env["GRIMOIRE_RESULTS_FILE"]), "grimoire-recorder")


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo):
    # pytest formats every frame of an interrupt's traceback, about thirty of
    # its own, parsing each one's source file: half a second of CPU per process,
    # paid by every file a fail-fast stops at once. The frames that matter were
    # printed above; keep only those.
    if _stopped and len(excinfo.traceback) > _FRAMES_SHOWN + 1:
        excinfo.traceback = excinfo.traceback[-(_FRAMES_SHOWN + 1) :]
