"""pytest plugin that grimoire-run loads into every pytest process it starts.

It makes SIGTERM behave like Ctrl-C: pytest then stops the running test,
runs fixture teardowns (closing browsers and servers cleanly), and writes its
JUnit report for the tests that completed. Before that it prints where the
test was, so that a timed-out file's log shows where it hung. A second SIGTERM
is ignored so that it cannot cut that cleanup short; grimoire-run follows up
with SIGKILL after its grace period if the process is still there.
"""

import signal
import sys
import threading
import traceback

_FRAMES_SHOWN = 3


def _interrupt(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    where = "".join(traceback.format_stack(frame, limit=_FRAMES_SHOWN))
    sys.stderr.write(f"grimoire-run stopped this test here:\n{where}")
    sys.stderr.flush()
    raise KeyboardInterrupt(f"stopped by grimoire-run (signal {signum})")


def pytest_configure(config):
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
