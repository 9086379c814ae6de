"""The fork server's running files: reaping them, and ending them all.

Its one job is the promise grimoire-run builds on: every child the server
forks is reported `started` once, then `exited` once when it exits, and when the
server ends, `end_all` leaves nothing of any of them running (their whole
process groups get SIGTERM, then SIGKILL after the grace period), so no forked
pytest outlives the server that forked it. It never forks and never reads
requests: the server's loop does, and hands it each new child.

The children `end_all` ends are not reported: grimoire-run learns their fate
from the server's exit. Were it told of their exits first, it would take the
server for one still serving, and hand it files that no one would then run.
"""

import os
import signal
import time

# How often `end_all` looks whether the children it signalled have exited, during the grace period.
_POLL_SECONDS = 0.02


def exit_code_of(status):
    """A wait status as an exit code, a signal's as its negative number (os.waitstatus_to_exitcode, from Python 3.9)."""
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"SIG{signum}"


class Children:
    """The children forked and not yet reaped, by pid (which is also their process group), with their request ids."""

    def __init__(self, events, grace_seconds):
        self._events = events
        self._grace_seconds = grace_seconds
        self._running = {}

    def add(self, pid, request_id):
        self._running[pid] = request_id
        self._events.emit("started", id=request_id, pid=pid)

    def reap(self):
        """Reports every child that has exited, without waiting for those that have not."""
        while self._running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._report(pid, status)

    def wait_all(self):
        """Waits for every running child to exit, reporting each."""
        while self._running:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                return
            self._report(pid, status)

    def end_all(self):
        """Ends every running child's process group, and reaps each child without reporting it.

        SIGTERM first: the file's pytest stops its test, runs its fixtures'
        teardowns and writes its results (grimoire_run_pytest makes SIGTERM an
        interrupt). Once every file's pytest has exited, or the grace period is
        over, whatever is left of each group gets SIGKILL, groups whose pytest
        has exited included: what a file started and its teardown did not stop
        (a grandchild that ignores SIGTERM) has had its chance.
        """
        groups = list(self._running)
        for pid in groups:
            self._signal_group(pid, signal.SIGTERM)
        try:
            deadline = time.monotonic() + self._grace_seconds
            self._reap_quietly()
            while self._running and time.monotonic() < deadline:
                time.sleep(_POLL_SECONDS)
                self._reap_quietly()
        finally:
            for pid in groups:
                self._signal_group(pid, signal.SIGKILL)
            for pid in list(self._running):
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
                del self._running[pid]

    def _reap_quietly(self):
        for pid in list(self._running):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done == pid:
                del self._running[pid]

    def _signal_group(self, pid, signum):
        """Signals a child's process group, which outlives the child while anything of it runs.

        A child forked a moment ago may not have made its group yet; it is
        signalled itself, but only while it is unreaped: a reaped child's pid may
        already be another process's.
        """
        try:
            os.killpg(pid, signum)
        except ProcessLookupError:
            if pid in self._running:
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
        except PermissionError:
            pass

    def _report(self, pid, status):
        request_id = self._running.pop(pid, None)
        if request_id is None:
            return
        if os.WIFSIGNALED(status):
            self._events.emit("exited", id=request_id, signal=_signal_name(os.WTERMSIG(status)))
        else:
            self._events.emit("exited", id=request_id, code=exit_code_of(status))
