"""pytest plugin that grimoire-run loads into every pytest process it starts.

It makes SIGTERM behave like Ctrl-C: pytest then stops the running test,
runs fixture teardowns (closing browsers and servers cleanly), prints where
it was, and writes its JUnit report for the tests that completed. A second
SIGTERM is ignored so that it cannot cut that cleanup short; grimoire-run
follows up with SIGKILL after its grace period if the process is still there.
"""

import signal
import threading


def _interrupt(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt(f"stopped by grimoire-run (signal {signum})")


def pytest_configure(config):
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
