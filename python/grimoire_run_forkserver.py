"""Fork server: pays for Python, pytest and its plugins once per run, not once per file.

grimoire-run starts this module once (`python -m grimoire_run_forkserver`).
It imports pytest and runs one empty pytest session in a temporary folder, so
that every plugin's imports, lazy ones included, are done. Then, for each test
file, it forks: the child is a fresh process of its own (own session and
process group, own environment and working folder, own copy of memory), which
runs `pytest.main(args)` exactly as `python -m pytest args` would, with its
output sent to grimoire-run through a Unix socket. The project's own code is
never imported here: nothing of it is shared between files.

Protocol: JSON lines. grimoire-run writes `{"op": "run", "id", "args", "set",
"unset", "cwd", "socket", "stdin"}` on stdin (`set`/`unset`: the file's changes to the
environment this server was started with); this writes `{"op": "ready"}`, `{"op": "unusable",
"reason"}`, `{"op": "started", "id", "pid"}` and `{"op": "exited", "id",
"code"}` or `{..., "signal"}` on stdout. Closing stdin ends the server.

If grimoire-run is gone (its end of stdin closes even when it was killed with
SIGKILL) or this server is sent SIGTERM or SIGHUP while files still run, it
ends their process groups (SIGTERM, then SIGKILL after `--grace-ms`) before it
exits: no forked pytest outlives the run that asked for it.
"""

import atexit
import gc
import json
import os
import random
import runpy
import selectors
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import types

_CHILD_RESET_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
# The interpreter and its options, as this server was started: a forked file's sys.orig_argv starts with them.
_PYTHON_ARGV = sys.orig_argv[: sys.orig_argv.index("-m")] if "-m" in sys.orig_argv else [sys.executable]


# grimoire-run's stdin, when it handed it over: fd 3, checked before this server opens a descriptor of its own.
_STDIN_FD = None


def _fd_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _warm_up():
    """One pytest session over an empty folder, its output discarded."""
    import pytest

    saved_path = list(sys.path)
    saved_out, saved_err = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        with tempfile.TemporaryDirectory(prefix="grimoire-warm-") as folder:
            ini = os.path.join(folder, "pytest.ini")
            with open(ini, "w") as handle:
                handle.write("[pytest]\n")
            pytest.main([folder, "-c", ini, "-q", "-p", "no:cacheprovider", "-p", "grimoire_run_pytest"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (null, saved_out, saved_err):
            os.close(fd)
        sys.path[:] = saved_path
        # The session's plugin made SIGTERM an interrupt; this process wants the default back.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_child(request):
    """In the forked child: become the file's own pytest process. Never returns."""
    code = 3
    try:
        os.setsid()
        for signum in _CHILD_RESET_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        # A serial run's child takes grimoire-run's own stdin (pdb, breakpoint()), handed to this server as fd 3.
        stdin = os.dup(_STDIN_FD) if request.get("stdin") == "inherit" and _STDIN_FD is not None else os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        # The server's own descriptors (its protocol pipes, its selector) are not the file's business.
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(request["socket"])
        connection.sendall(f"{request['id']}\n".encode())
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(connection.fileno(), 1)
        os.dup2(connection.fileno(), 2)
        connection.close()
        os.chdir(request["cwd"])
        # The server's environment is what the Python command (a wrapper, a virtualenv) made of
        # grimoire-run's; the file's own changes to grimoire-run's go on top of it.
        for key in request["unset"]:
            os.environ.pop(key, None)
        os.environ.update(request["set"])
        # As `python -m pytest` from that folder would have it: pytest's __main__ runs as __main__ (code
        # that derives its program name from it, like click's, sees what it would see), argv[0] is its
        # file, sys.path[0] the working folder.
        sys.argv = ["-m", *request["args"]]
        sys.orig_argv = [*_PYTHON_ARGV, "-m", "pytest", *request["args"]]
        sys.path[0] = request["cwd"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        sys.stdout.reconfigure(line_buffering=True, write_through=True)
        sys.stderr.reconfigure(line_buffering=True, write_through=True)
        # A fork shares its parent's random state; a fresh process would not.
        random.seed()
        # Exit handlers registered in this server are not the file's; those its session registers are.
        atexit._clear()
        try:
            runpy._run_module_as_main("pytest", alter_argv=True)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        # What the interpreter does on its way out: wait for the threads the tests left, then exit handlers.
        threading._shutdown()
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(int(code))


def _end_children(children, grace_seconds):
    """Ends the process groups of the children still running, and reaps them. Emits nothing: no one listens."""

    def signal_groups(signum):
        for pid in children:
            try:
                os.killpg(pid, signum)
            except (ProcessLookupError, PermissionError):
                pass

    def reap_exited():
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done == pid:
                del children[pid]

    signal_groups(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    reap_exited()
    while children and time.monotonic() < deadline:
        time.sleep(0.02)
        reap_exited()
    signal_groups(signal.SIGKILL)
    for pid in list(children):
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        del children[pid]


def _grace_seconds(argv):
    """`--grace-ms N` from grimoire-run's --kill-grace, in seconds."""
    if "--grace-ms" in argv:
        return int(argv[argv.index("--grace-ms") + 1]) / 1000
    return 5.0


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"SIG{signum}"


def main():
    global _STDIN_FD
    _STDIN_FD = 3 if _fd_open(3) else None
    grace_seconds = _grace_seconds(sys.argv)
    events = os.fdopen(os.dup(1), "w", buffering=1)
    commands = os.fdopen(os.dup(0), "rb", buffering=0)
    # Stray prints of plugins must not corrupt the protocol: stdout goes where stderr goes.
    os.dup2(2, 1)

    def emit(**event):
        events.write(json.dumps(event) + "\n")
        events.flush()

    try:
        _warm_up()
    except BaseException:
        emit(op="unusable", reason="the warm-up pytest session failed:\n" + traceback.format_exc())
        return
    if threading.active_count() > 1:
        emit(op="unusable", reason="a plugin started a thread at import, and forking a process with threads is unsafe")
        return
    # Everything imported so far moves out of the garbage collector's reach: a child's collections
    # (pytest runs several at the end of every session) then skip it, instead of touching every one of
    # those objects and so copying the pages they live on. A third of a tiny file's cost, measured.
    gc.collect()
    gc.freeze()

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    stop = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: stop.append(signum))
    selector = selectors.DefaultSelector()
    selector.register(commands, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    children = {}
    pending = b""
    emit(op="ready", pid=os.getpid())

    def reap():
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            request_id = children.pop(pid, None)
            if request_id is None:
                continue
            if os.WIFSIGNALED(status):
                emit(op="exited", id=request_id, signal=_signal_name(os.WTERMSIG(status)))
            else:
                emit(op="exited", id=request_id, code=os.waitstatus_to_exitcode(status))

    while not stop:
        for key, _ in selector.select():
            if key.fileobj is commands:
                chunk = os.read(commands.fileno(), 65536)
                if not chunk:
                    # Closed: grimoire-run is done with this server, or gone.
                    _end_children(children, grace_seconds)
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    request = json.loads(line)
                    pid = os.fork()
                    if pid == 0:
                        _run_child(request)
                    children[pid] = request["id"]
                    emit(op="started", id=request["id"], pid=pid)
            else:
                try:
                    os.read(wake_read, 4096)
                except BlockingIOError:
                    pass
                reap()
        reap()
    _end_children(children, grace_seconds)
    # Dies of the signal it was sent, as it would have without this cleanup.
    signal.signal(stop[0], signal.SIG_DFL)
    os.kill(os.getpid(), stop[0])


if __name__ == "__main__":
    main()
