"""pytest plugin that grimoire-run loads into every pytest process it starts.

It makes SIGTERM behave like Ctrl-C: pytest then stops the running test,
runs fixture teardowns (closing browsers and servers cleanly), and writes its
JUnit report for the tests that completed. Before that it prints where the
test was, past pytest's output capture, so that a timed-out file's log shows
where it hung. A second SIGTERM is ignored so that it cannot cut that cleanup
short; grimoire-run follows up with SIGKILL after its grace period if the
process is still there.

For a pack (several quick files sharing one process), grimoire-run passes the
files' common folder and lists the files in GRIMOIRE_PACK_LIST: collecting a
folder is far cheaper for pytest than resolving dozens of file arguments, and
everything outside the list is ignored here.
"""

import os
import signal
import sys
import threading
import traceback

import pytest

_FRAMES_SHOWN = 3
_config = None
_stopped = False
_pack_files = None
_pack_folders = None


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


def pytest_configure(config):
    global _config, _pack_files, _pack_folders
    _config = config
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    _pack_files = _pack_folders = None
    listing = os.environ.get("GRIMOIRE_PACK_LIST")
    if listing:
        with open(listing, encoding="utf-8") as handle:
            _pack_files = {line for line in handle.read().split("\n") if line}
        _pack_folders = set()
        for file in _pack_files:
            folder = os.path.dirname(file)
            while folder not in _pack_folders and os.path.dirname(folder) != folder:
                _pack_folders.add(folder)
                folder = os.path.dirname(folder)


def pytest_ignore_collect(collection_path, config):
    if _pack_files is None:
        return None
    path = str(collection_path)
    return None if path in _pack_files or path in _pack_folders else True


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo):
    # pytest formats every frame of an interrupt's traceback, about thirty of
    # its own, parsing each one's source file: half a second of CPU per process,
    # paid by every file a fail-fast stops at once. The frames that matter were
    # printed above; keep only those.
    if _stopped and len(excinfo.traceback) > _FRAMES_SHOWN + 1:
        excinfo.traceback = excinfo.traceback[-(_FRAMES_SHOWN + 1) :]
