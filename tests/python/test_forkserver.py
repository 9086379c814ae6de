"""The fork server, started for real and spoken to as grimoire-run speaks to it.

The promises kept here: a `run` request becomes the file's own pytest process,
whose exit code grimoire-run is told; and however the server ends (stdin
closing, a stop signal, a malformed request, a failure of its own) no process
it forked, nor anything in their process groups, is left running. Every event
the server writes is checked against grimoire_run_protocol.json as it is read.
"""

import json
import os
import random
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from processes import PYTHON_DIR, python_env, running, until

import grimoire_run_protocol as protocol

GRACE_MS = 500
EVENT_TIMEOUT = 15


class Server:
    """A fork server and grimoire-run's end of it: its stdin, its stdout, and the socket its files' output goes to."""

    def __init__(self, root, env=None, argv=None, **popen):
        # A Unix socket's path must be short: pytest's tmp_path can be too long for one.
        self._socket_dir = tempfile.mkdtemp(prefix="grs-")
        self.socket_path = os.path.join(self._socket_dir, "s")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.socket_path)
        self._listener.listen(16)
        self.outputs = {}
        threading.Thread(target=self._accept, daemon=True).start()
        self.stderr_path = Path(root) / "server.stderr"
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                argv or [sys.executable, "-m", "grimoire_run_forkserver", "--grace-ms", str(GRACE_MS)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=root,
                env=env or python_env(),
                start_new_session=True,
                **popen,
            )
        self._buffer = b""
        self.events = []
        self.started = {}
        # Every pid the server said it forked, for the cleanup: ids may repeat when a test sends a bad request.
        self._forked = []

    def _accept(self):
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._read_output, args=(connection,), daemon=True).start()

    def _read_output(self, connection):
        data = b""
        with connection:
            while chunk := connection.recv(65536):
                data += chunk
        head, _, rest = data.partition(b"\n")
        self.outputs[int(head)] = rest.decode(errors="replace")

    def send(self, line):
        self.process.stdin.write(line if line.endswith(b"\n") else line + b"\n")
        self.process.stdin.flush()

    def run(self, request_id, args, cwd, **fields):
        request = {"op": "run", "id": request_id, "args": args, "set": {}, "unset": [], "cwd": str(cwd), "socket": self.socket_path, **fields}
        self.send(json.dumps(request).encode())

    def event(self):
        """The next event, checked against the protocol's description; None once the server's stdout is closed."""
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        while b"\n" not in self._buffer:
            if not selector.select(EVENT_TIMEOUT):
                pytest.fail(f"no event from the fork server within {EVENT_TIMEOUT}s; its stderr:\n{self.stderr()}")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                assert self._buffer == b"", f"the server's last line has no newline: {self._buffer!r}"
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        event = json.loads(line)
        protocol.check("events", event)
        self.events.append(event)
        if event["op"] == "started":
            self.started[event["id"]] = event["pid"]
            self._forked.append(event["pid"])
        return event

    def expect(self, op, **fields):
        event = self.event()
        assert event is not None and event["op"] == op, f"expected {op}, got {event}; stderr:\n{self.stderr()}"
        for key, value in fields.items():
            assert event[key] == value, event
        return event

    def rest(self):
        """Every event until the server closes its stdout."""
        events = []
        while (event := self.event()) is not None:
            events.append(event)
        return events

    def wait(self):
        try:
            return self.process.wait(timeout=EVENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the fork server did not exit; its stderr:\n{self.stderr()}")

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def output(self, request_id):
        until(lambda: request_id in self.outputs, f"the output of request {request_id}")
        return self.outputs[request_id]

    def close(self):
        """Whatever a failed test left: the server's group and every group it forked, killed."""
        for pid in [self.process.pid, *self._forked]:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.process.poll() is None:
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._listener.close()
        shutil.rmtree(self._socket_dir, ignore_errors=True)


@pytest.fixture
def start_server(tmp_path):
    servers = []

    def start(**options):
        server = Server(tmp_path, **options)
        servers.append(server)
        server.expect("ready", pid=server.process.pid)
        return server

    yield start
    for server in servers:
        server.close()


def project(root, files):
    root = Path(root)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


QUIET = ["-q", "-p", "no:cacheprovider"]
# A fork server told that the first request comes before its warm-up.
EARLY = [sys.executable, "-m", "grimoire_run_forkserver", "--grace-ms", str(GRACE_MS), "--first-before-warm-up"]
PASSING = {"test_one.py": "def test_one():\n    pass\n"}
# The most objects a collection leaves frozen in a process that froze none: from Python 3.12 on, a collection moves the
# immortal objects it meets into the frozen generation (a few hundred here, under a thousand), as in a fresh process.
FROZEN_BY_A_COLLECTION = 0 if sys.version_info < (3, 12) else 999
# A site hook that starts a thread in every Python: forking such a process is unsafe.
THREAD_AT_START = "import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"

# A test that starts a grandchild in its process group, records both pids, and hangs.
HANGING = """\
    import json, os, pathlib, signal, subprocess, sys, time

    def test_hang():
        {stubborn}
        grandchild = subprocess.Popen(
            [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.{grandchild}); print('ready', flush=True); time.sleep(600)"],
            stdout=subprocess.PIPE,
        )
        grandchild.stdout.readline()
        pathlib.Path("pids.tmp").write_text(json.dumps({{"child": os.getpid(), "grandchild": grandchild.pid}}))
        os.rename("pids.tmp", "pids.json")
        time.sleep(600)
"""


def hanging_project(root, grandchild_ignores_term=False, pytest_ignores_term=False):
    """The hanging test in a project of its own. Whatever ignores SIGTERM ends only by the SIGKILL that follows it."""
    text = HANGING.format(
        stubborn="signal.signal(signal.SIGTERM, signal.SIG_IGN)" if pytest_ignores_term else "",
        grandchild="SIG_IGN" if grandchild_ignores_term else "SIG_DFL",
    )
    return project(root / "hang", {"test_hang.py": text})


def start_hanging(server, root, args=()):
    """Runs the hanging test as request 1; returns the pids of its pytest and its grandchild once both run."""
    server.run(1, [*QUIET, *args, "test_hang.py"], root)
    server.expect("started", id=1)
    until(lambda: (root / "pids.json").exists(), "the hanging test to start its grandchild")
    pids = json.loads((root / "pids.json").read_text())
    assert running(pids["child"]) and running(pids["grandchild"])
    return pids


def assert_none_survive(pids):
    until(lambda: not any(running(pid) for pid in pids.values()), f"every forked process to be gone: {pids}", timeout=3)


def test_a_run_request_becomes_pytest_on_the_file_and_reports_its_exit_code(start_server, tmp_path):
    root = project(
        tmp_path / "p",
        {
            "test_pass.py": "def test_ok():\n    pass\n",
            "test_fail.py": "def test_bad():\n    assert 1 == 2\n",
            "test_empty.py": "",
        },
    )
    server = start_server()
    for request_id, name in enumerate(["test_pass.py", "test_fail.py", "test_empty.py"], start=1):
        server.run(request_id, [*QUIET, name], root)
    exits = {}
    while len(exits) < 3:
        event = server.event()
        if event["op"] == "exited":
            assert event["id"] in server.started, "exited before started"
            exits[event["id"]] = event["code"]
    assert exits == {1: 0, 2: 1, 3: 5}
    assert len(set(server.started.values()) | {server.process.pid}) == 4
    assert "1 passed" in server.output(1)
    assert "assert 1 == 2" in server.output(2)
    assert "no tests ran" in server.output(3)
    server.process.stdin.close()
    assert server.rest() == []
    assert server.wait() == 0


def test_a_forked_file_runs_as_a_fresh_python_m_pytest_would(start_server, tmp_path):
    root = project(
        tmp_path / "p",
        {
            "test_probe.py": """\
                import json, logging, os, signal, sys, tempfile

                def test_probe():
                    with open("probe.json", "w") as handle:
                        json.dump({
                            "pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgid(0), "sid": os.getsid(0),
                            "cwd": os.getcwd(), "path0": sys.path[0], "argv0": sys.argv[0], "main": sys.modules["__main__"].__file__,
                            "orig_argv": sys.orig_argv,
                            "set": os.environ.get("FROM_FILE"), "unset": os.environ.get("FROM_SERVER"), "kept": os.environ.get("KEPT"),
                            "stdin": [os.fstat(0).st_rdev, os.fstat(0).st_ino], "tempdir": tempfile.gettempdir(),
                            "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
                            "log_start": logging._startTime,
                        }, handle)
            """,
        },
    )
    server = start_server(env=python_env(FROM_SERVER="1", KEPT="2"))
    # The server worked out its own temporary folder in its warm-up; the file's is worked out from the file's environment.
    (tmp_path / "file-tmp").mkdir()
    asked_at = time.time()
    server.run(1, [*QUIET, "test_probe.py"], root, set={"FROM_FILE": "3", "TMPDIR": str(tmp_path / "file-tmp")}, unset=["FROM_SERVER"])
    pid = server.expect("started", id=1)["pid"]
    server.expect("exited", id=1, code=0)
    probe = json.loads((root / "probe.json").read_text())
    real_root = os.path.realpath(root)
    assert (probe["pid"], probe["ppid"], probe["pgid"], probe["sid"]) == (pid, server.process.pid, pid, pid)
    assert probe["cwd"] == real_root and probe["path0"] == str(root)
    assert probe["argv0"] == probe["main"] and probe["argv0"].endswith(os.path.join("pytest", "__main__.py"))
    assert probe["orig_argv"][-6:] == ["-m", "pytest", *QUIET, "test_probe.py"]
    assert (probe["set"], probe["unset"], probe["kept"]) == ("3", None, "2")
    assert probe["tempdir"] == str(tmp_path / "file-tmp")
    # logging's clock (a record's relativeCreated) starts with the file's process, not with the server's import of it.
    assert probe["log_start"] >= asked_at
    # Ctrl-C's signal raises KeyboardInterrupt, as in any fresh Python (a test that sends it to itself expects that).
    assert probe["sigint"] is True
    null = os.stat(os.devnull)
    assert probe["stdin"] == [null.st_rdev, null.st_ino]


def test_a_forked_file_sees_every_object_gc_would_show_a_fresh_process_and_sys_exit_s_message(start_server, tmp_path):
    """The server's objects are frozen out of the collector's lists; a test asking gc for objects or referrers (a leak
    check) still finds them, as in a fresh process. A conftest's sys.exit("message") prints its message."""
    root = project(
        tmp_path / "p",
        {
            "test_probe.py": """\
                import asyncio, gc, json, logging, sys

                async def referrers_of_a_local():
                    # Held by the running coroutine's frame alone: no referrer gc can see, as in a fresh process.
                    local = object()
                    return len(gc.get_referrers(local))

                def test_probe():
                    first_look = asyncio.run(referrers_of_a_local())
                    handler = logging.NullHandler()
                    logging.getLogger().addHandler(handler)
                    holders = [ref for ref in gc.get_referrers(handler) if isinstance(ref, list)]
                    with open("probe.json", "w") as handle:
                        json.dump({
                            "root_handlers_hold_it": any(ref is logging.getLogger().handlers for ref in holders),
                            "modules_refer_to_pytest": any(ref is sys.modules for ref in gc.get_referrers(sys.modules["pytest"])),
                            "frozen_after": gc.get_freeze_count(),
                            "gc_functions_back": gc.get_objects.__module__ == "gc",
                            "referrers_of_a_local": first_look,
                        }, handle)
            """,
            "exits/conftest.py": "import sys\nsys.exit('the test database is not running: start it first')\n",
            "exits/test_never.py": "def test_never():\n    pass\n",
        },
    )
    server = start_server()
    server.run(1, [*QUIET, "test_probe.py"], root)
    server.expect("started", id=1)
    server.expect("exited", id=1, code=0)
    probe = json.loads((root / "probe.json").read_text())
    # Unfrozen: none of the server's 30,000-odd objects stays frozen.
    frozen_after = probe.pop("frozen_after")
    assert frozen_after <= FROZEN_BY_A_COLLECTION, frozen_after
    assert probe == {"root_handlers_hold_it": True, "modules_refer_to_pytest": True, "gc_functions_back": True, "referrers_of_a_local": 0}
    server.run(2, [*QUIET, "exits"], root)
    server.expect("started", id=2)
    server.expect("exited", id=2, code=1)
    assert "the test database is not running: start it first" in server.output(2)


def test_an_exception_out_of_pytests_main_ends_the_file_as_the_interpreter_ends_on_one(start_server, tmp_path):
    """A conftest's pytest_unconfigure that raises (fastapi's unraisable ResourceWarning under filterwarnings=error): plain
    pytest prints the traceback, runs the exit handlers and exits 1; so does the forked file, not the internal error's 3.
    An uncaught KeyboardInterrupt ends the process by SIGINT, as the interpreter ends it."""
    root = project(
        tmp_path / "p",
        {
            "raises/conftest.py": """\
                import atexit

                atexit.register(lambda: print("the exit handler ran"))

                def pytest_unconfigure(config):
                    raise RuntimeError("unconfigure broke")
            """,
            "raises/test_ok.py": "def test_ok():\n    pass\n",
            "interrupts/conftest.py": "def pytest_unconfigure(config):\n    raise KeyboardInterrupt\n",
            "interrupts/test_ok.py": "def test_ok():\n    pass\n",
        },
    )
    plain = subprocess.run([sys.executable, "-m", "pytest", *QUIET, "raises"], cwd=root, capture_output=True, text=True, env=python_env())
    assert plain.returncode == 1
    server = start_server()
    server.run(1, [*QUIET, "raises"], root)
    server.expect("started", id=1)
    server.expect("exited", id=1, code=1)
    output = server.output(1)
    assert "RuntimeError: unconfigure broke" in output and "the exit handler ran" in output, output
    assert output.index("RuntimeError: unconfigure broke") < output.index("the exit handler ran")
    server.run(2, [*QUIET, "interrupts"], root)
    server.expect("started", id=2)
    server.expect("exited", id=2, signal="SIGINT")


def ready_after_a_first_file(start_early, root):
    """A server started as a run starts it (the listing forked before the warm-up, pytest's imports frozen then,
    uncollected), once that first file has ended and the server is ready: the next request is a run's file."""
    server = start_early()
    server.run(1, [*QUIET, "test_one.py"], root)
    seen = []
    while not {"ready", "exited"} <= set(seen):
        seen.append(server.event()["op"])
    return server


def test_a_leak_check_that_collects_and_counts_objects_twice_counts_the_same_as_in_a_fresh_process(start_early, tmp_path):
    """The server's objects, unfrozen by the test's first look, are collected at once: a count taken after the test's
    own collections does not shrink at its next ones (pyramid's leak check), and the test's gc.callbacks hear of
    no collection of the server's."""
    root = project(
        tmp_path / "p",
        {
            "test_count.py": """\
                import gc, json

                def count():
                    last = 0
                    while True:
                        collected = gc.collect()
                        if collected == last:
                            return len(gc.get_objects())
                        last = collected

                def test_count():
                    first = count()
                    second = count()
                    with open("count.json", "w") as handle:
                        json.dump([first, second], handle)
            """,
            "test_quiet.py": """\
                import gc, json

                def test_quiet():
                    heard = []
                    gc.callbacks.append(lambda phase, info: heard.append(phase))
                    looked = len(gc.get_objects())
                    gc.callbacks.clear()
                    with open("quiet.json", "w") as handle:
                        json.dump({"heard": heard, "looked": looked > 0}, handle)
            """,
            **PASSING,
        },
    )
    server = ready_after_a_first_file(start_early, root)
    for request, name in ((2, "test_count.py"), (3, "test_quiet.py")):
        server.run(request, [*QUIET, name], root)
        server.expect("started", id=request)
        server.expect("exited", id=request, code=0)
    first, second = json.loads((root / "count.json").read_text())
    assert first == second
    assert json.loads((root / "quiet.json").read_text()) == {"heard": [], "looked": True}


def test_a_tests_gc_collect_frees_what_the_server_froze_and_pytests_own_collections_leave_it_frozen(start_early, tmp_path):
    """A test's gc.collect() goes through the server's objects too, as a fresh process's does (a module a test drops
    from sys.modules is freed with its classes); pytest's own collections at the session's end leave them frozen,
    and so spare the file the copy of every page they live on."""
    root = project(
        tmp_path / "p",
        {
            "test_collects.py": """\
                import gc, json

                def test_collects():
                    before = gc.get_freeze_count()
                    wrapped = type(gc.collect).__name__
                    gc.collect()
                    with open("collects.json", "w") as handle:
                        json.dump([before, gc.get_freeze_count(), gc.collect.__name__, gc.collect.__module__, wrapped, type(gc.collect).__name__], handle)
            """,
            "test_leaves.py": """\
                import atexit, gc, json

                def note():
                    with open("leaves.json", "w") as handle:
                        json.dump(gc.get_freeze_count(), handle)

                def test_leaves():
                    atexit.register(note)
            """,
            **PASSING,
        },
    )
    server = ready_after_a_first_file(start_early, root)
    for request, name in ((2, "test_collects.py"), (3, "test_leaves.py")):
        # As every file of a run: with grimoire-run's plugin, which says when a test runs.
        records = {"GRIMOIRE_RESULTS_FILE": str(tmp_path / f"{name}.records"), "GRIMOIRE_JUNIT_XML": str(tmp_path / f"{name}.xml")}
        server.run(request, [*QUIET, "-p", "grimoire_run_pytest", name], root, set=records)
        server.expect("started", id=request)
        server.expect("exited", id=request, code=0)
    before, after, name, module, wrapped, unwrapped = json.loads((root / "collects.json").read_text())
    assert before > 10000 and after <= FROZEN_BY_A_COLLECTION, (before, after)
    assert (name, module) == ("collect", "gc")
    # Wrapped while the objects are frozen; gc's own once they are not (a stack taken in a collection shows no frame of ours).
    assert (wrapped, unwrapped) == ("function", "builtin_function_or_method")
    assert json.loads((root / "leaves.json").read_text()) > 10000


def test_a_forked_file_ends_as_a_fresh_process_does_and_leaves_the_servers_exit_handlers_alone(start_server, tmp_path):
    """At its end a file runs the exit handlers a fresh process would (its finalizers, logging's shutdown), not the server's,
    and what it wrote to a file it never closed reaches the file."""
    marks = tmp_path / "marks"
    marks.mkdir()
    root = project(
        tmp_path / "p",
        {
            # Imported by the server (--preload): an exit handler and a temporary folder of the server's own.
            "lib/serverside.py": f"""\
                import atexit, pathlib, tempfile

                FOLDER = tempfile.TemporaryDirectory(prefix="server-")
                pathlib.Path({str(marks)!r}, "server-folder").write_text(FOLDER.name)
                atexit.register(lambda: pathlib.Path({str(marks)!r}, "server-exit-handler-ran").touch())
            """,
            "test_ends.py": f"""\
                import logging, os, pathlib, tempfile

                FOLDER = tempfile.TemporaryDirectory(prefix="file-")
                pathlib.Path({str(marks)!r}, "file-folder").write_text(FOLDER.name)

                class ClosedAtExit(logging.Handler):
                    def emit(self, record):
                        pass

                    def close(self):
                        pathlib.Path({str(marks)!r}, "handler-closed").touch()
                        super().close()

                logging.getLogger("ends").addHandler(ClosedAtExit())
                LEFT_OPEN = open(os.path.join({str(marks)!r}, "left-open"), "w")

                def test_it():
                    LEFT_OPEN.write("written, never closed")
            """,
        },
    )
    env = python_env()
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(root / "lib")])
    server = start_server(env=env, argv=[sys.executable, "-m", "grimoire_run_forkserver", "--grace-ms", str(GRACE_MS), "--preload", "serverside"])
    server.run(1, [*QUIET, "test_ends.py"], root)
    server.expect("started", id=1)
    server.expect("exited", id=1, code=0)
    assert not Path((marks / "file-folder").read_text()).exists()
    assert (marks / "handler-closed").exists()
    assert (marks / "left-open").read_text() == "written, never closed"
    assert not (marks / "server-exit-handler-ran").exists()
    assert Path((marks / "server-folder").read_text()).is_dir()
    # The server's own run at its end: it skips only the interpreter's teardown of its modules.
    server.process.stdin.close()
    assert server.process.wait(timeout=30) == 0
    assert (marks / "server-exit-handler-ran").exists()
    assert not Path((marks / "server-folder").read_text()).exists()


def test_a_forked_file_that_unfreezes_the_servers_objects_flushes_its_own_files_at_its_end_and_never_the_servers(start_server, tmp_path):
    """A test's look at the collector unfreezes what the server holds; the file's end flushes the files its tests left
    open, not the server's (their buffered writes are the server's to make). The files forked once the server has noted
    its own files tell them apart without listing every object (their first collection as quick as a plain run's)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    root = project(
        tmp_path / "p",
        {
            "test_collects.py": f"""\
                import gc, os, sys

                LEFT_OPEN = open(os.path.join({str(marks)!r}, "left-open-" + os.environ["WHICH"]), "w")

                def test_it():
                    # Unfreezes the server's objects (as a test's gc.collect does, where grimoire-run's plugin is loaded).
                    assert len(gc.get_objects()) > 10000
                    LEFT_OPEN.write("written, never closed")
                    fork = sys.modules["grimoire_run_fork"]
                    noted = fork._server_files is not None
                    # The server's own streams are known as the server's; the file's own file is not.
                    known = lambda handle: id(handle) in fork._server_objects["files"] or (noted and handle in fork._server_files)
                    with open(os.path.join({str(marks)!r}, "noted-" + os.environ["WHICH"]), "w") as out:
                        out.write(f"{{noted}} {{known(sys.__stderr__)}} {{known(LEFT_OPEN)}}")
            """,
        },
    )
    server = start_server()
    for which in (1, 2):
        server.run(which, [*QUIET, "test_collects.py"], root, set={"WHICH": str(which)})
        server.expect("started", id=which)
        server.expect("exited", id=which, code=0)
        assert (marks / f"left-open-{which}").read_text() == "written, never closed"
    # The first file was forked before the server noted its files, the second after: each tells them apart.
    assert [(marks / f"noted-{which}").read_text() for which in (1, 2)] == ["False True False", "True True False"]


def test_a_forked_files_standard_streams_are_buffered_as_a_fresh_processs_started_by_grimoire_run(start_server, tmp_path):
    """grimoire-run starts every Python with PYTHONUNBUFFERED: a fresh one writes straight through, with no line buffering
    (a forked file's said it line-buffered, a difference a helper's probe of Python 3.13 found)."""
    probe = "import json, sys; print(json.dumps([[s.line_buffering, s.write_through, type(s.buffer).__name__] for s in (sys.__stdout__, sys.__stderr__)]))"
    root = project(
        tmp_path / "p",
        {
            "test_streams.py": """\
                import json, os, sys

                def test_streams():
                    streams = [[s.line_buffering, s.write_through, type(s.buffer).__name__] for s in (sys.__stdout__, sys.__stderr__)]
                    with open(os.environ["OUT"], "w") as out:
                        json.dump(streams, out)
            """,
        },
    )
    env = python_env(PYTHONUNBUFFERED="1")
    fresh = subprocess.run([sys.executable, "-c", probe], env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    server = start_server(env=env)
    server.run(1, [*QUIET, "test_streams.py"], root, set={"OUT": str(tmp_path / "streams.json")})
    server.expect("started", id=1)
    server.expect("exited", id=1, code=0)
    assert json.loads((tmp_path / "streams.json").read_text()) == json.loads(fresh) == [[False, True, "FileIO"]] * 2


def test_each_forked_file_draws_its_own_seed_for_the_generators_the_servers_imports_seeded_from_entropy(start_server, tmp_path):
    """Faker makes its own `random.Random()` as it is imported (and it is a plugin the warm-up loads): every file forked
    from the server drew the same fake names and addresses, and collided on a shared database's unique keys. A
    generator seeded with a value keeps the state the value gave it, as in a fresh process."""
    root = project(
        tmp_path / "p",
        {
            # Imported by the server (--preload).
            "lib/fakelib.py": """\
                import random

                ENTROPY = random.Random()
                FIXED = random.Random(42)
                LATER_FIXED = random.Random()
                LATER_FIXED.seed(7)

                class Generator(random.Random):
                    pass

                SUBCLASSED = Generator()
            """,
            "test_draws.py": """\
                import json, os, random

                import fakelib

                def test_draws():
                    assert random.Random.seed.__qualname__ == "Random.seed"
                    draws = {name: getattr(fakelib, name).random() for name in ("ENTROPY", "FIXED", "LATER_FIXED", "SUBCLASSED")}
                    with open(os.environ["OUT"], "w") as handle:
                        json.dump(draws, handle)
            """,
        },
    )
    env = python_env()
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(root / "lib")])
    server = start_server(env=env, argv=[sys.executable, "-m", "grimoire_run_forkserver", "--grace-ms", str(GRACE_MS), "--preload", "fakelib"])
    for file_id in (1, 2, 3):
        server.run(file_id, [*QUIET, "test_draws.py"], root, set={"OUT": str(tmp_path / f"draws-{file_id}.json")})
        server.expect("started", id=file_id)
        server.expect("exited", id=file_id, code=0)
    draws = [json.loads((tmp_path / f"draws-{file_id}.json").read_text()) for file_id in (1, 2, 3)]
    assert len({draw["ENTROPY"] for draw in draws}) == 3
    assert len({draw["SUBCLASSED"] for draw in draws}) == 3
    assert {draw["FIXED"] for draw in draws} == {random.Random(42).random()}
    assert {draw["LATER_FIXED"] for draw in draws} == {random.Random(7).random()}


def test_a_forked_file_sees_the_fixtures_a_fresh_pytest_sees(start_server, tmp_path):
    """What the server does once per run (the plugins' fixtures found, grimoire-run's plugin registered) hides none."""
    root = project(
        tmp_path / "p",
        {
            "conftest.py": "import pytest\n\n@pytest.fixture\ndef from_conftest():\n    return 1\n",
            "demo_plugin.py": "import pytest\n\n@pytest.fixture\ndef from_plugin():\n    return 2\n",
            "test_uses.py": "def test_uses(from_conftest, from_plugin, tmp_path, capsys, monkeypatch):\n    pass\n",
        },
    )
    plugins = [*QUIET, "-p", "grimoire_run_pytest", "-p", "demo_plugin"]
    listing = [*plugins, "--fixtures", "test_uses.py"]
    fresh = subprocess.run([sys.executable, "-m", "pytest", *listing], cwd=root, env=python_env(), capture_output=True, text=True, check=True).stdout
    server = start_server()
    # The second and third files take the config the server prepared after the first.
    for request_id, args in ((1, listing), (2, listing), (3, [*plugins, "test_uses.py"])):
        server.run(request_id, args, root)
        server.expect("started", id=request_id)
        server.expect("exited", id=request_id, code=0)

    def fixtures_listed(output):
        return [line for line in output.splitlines() if not re.search(r" in [0-9.]+s\b", line)]

    assert "from_plugin" in fresh and "tmp_path" in fresh
    assert fixtures_listed(server.output(1)) == fixtures_listed(fresh)
    assert fixtures_listed(server.output(2)) == fixtures_listed(fresh)


def test_stdin_inherit_hands_the_file_grimoire_runs_own_stdin(start_server, tmp_path):
    root = project(
        tmp_path / "p",
        {
            "test_read.py": """\
                import os, pathlib

                def test_read():
                    pathlib.Path(os.environ["OUT"]).write_text(input() if os.environ["OUT"] == "inherited" else repr(open(0).read()))
            """,
        },
    )
    handed_read, handed_write = os.pipe()
    os.write(handed_write, b"typed at the terminal\n")
    os.close(handed_write)
    # grimoire-run hands its stdin to the server as fd 3.
    hand_over = f"import os, sys; os.dup2({handed_read}, 3); os.execv(sys.executable, [sys.executable, '-m', 'grimoire_run_forkserver', '--grace-ms', '{GRACE_MS}'])"
    try:
        server = start_server(argv=[sys.executable, "-c", hand_over], pass_fds=(handed_read,))
    finally:
        os.close(handed_read)
    server.run(1, [*QUIET, "-s", "test_read.py"], root, stdin="ignore", set={"OUT": "ignored"})
    server.expect("started", id=1)
    server.expect("exited", id=1, code=0)
    server.run(2, [*QUIET, "-s", "test_read.py"], root, stdin="inherit", set={"OUT": "inherited"})
    server.expect("started", id=2)
    server.expect("exited", id=2, code=0)
    assert (root / "ignored").read_text() == "''"
    assert (root / "inherited").read_text() == "typed at the terminal"


@pytest.mark.parametrize(
    "line, mentions, grandchild_ignores_term",
    [
        pytest.param(b"this is not JSON", "not JSON", True, id="not JSON"),
        pytest.param(json.dumps({"op": "run", "id": 2, "args": [], "set": {}, "unset": [], "cwd": "/"}).encode(), "socket is missing", False, id="missing field"),
        pytest.param(json.dumps({"op": "run", "id": 2, "args": "-q", "set": {}, "unset": [], "cwd": "/", "socket": "/s"}).encode(), "args", False, id="wrong type"),
        pytest.param(None, "id 1 was used before", False, id="reused id"),
    ],
)
def test_a_malformed_request_is_refused_and_the_server_ends_its_files_and_exits(start_server, tmp_path, line, mentions, grandchild_ignores_term):
    root = hanging_project(tmp_path, grandchild_ignores_term=grandchild_ignores_term)
    server = start_server()
    pids = start_hanging(server, root)
    if line is None:
        server.run(1, [*QUIET, "test_hang.py"], root)
    else:
        server.send(line)
    error = server.expect("error")
    assert mentions in error["reason"]
    # A server that ends does not report the files it ends: grimoire-run learns their fate from its exit.
    assert server.rest() == []
    assert server.wait() == 2
    assert_none_survive(pids)
    assert "malformed request" in server.stderr().strip().splitlines()[-1]


def test_a_refused_request_is_named_by_its_id_when_it_has_one(start_server, tmp_path):
    server = start_server()
    server.send(json.dumps({"op": "run", "id": 9, "args": [], "set": {}, "unset": [], "cwd": str(tmp_path)}).encode())
    assert server.expect("error", id=9)
    assert server.rest() == []
    assert server.wait() == 2


def test_closing_stdin_ends_running_files_with_sigkill_after_the_grace_period(start_server, tmp_path):
    root = hanging_project(tmp_path, pytest_ignores_term=True)
    server = start_server()
    pids = start_hanging(server, root)
    closed = time.monotonic()
    server.process.stdin.close()
    assert server.rest() == []
    assert server.wait() == 0
    assert time.monotonic() - closed >= GRACE_MS / 1000
    assert_none_survive(pids)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_ends_running_files_then_the_server_dies_of_it(start_server, tmp_path, signum):
    root = hanging_project(tmp_path)
    server = start_server()
    # With grimoire-run's plugin, the file's pytest turns SIGTERM into an interrupt and says where it stopped.
    pids = start_hanging(server, root, args=["-p", "grimoire_run_pytest"])
    server.process.send_signal(signum)
    assert server.rest() == []
    assert server.wait() == -signum
    assert_none_survive(pids)
    assert "grimoire-run stopped this test" in server.output(1)


# The server as grimoire-run starts it, but with forking made to fail at the second request.
FAILING_FORK = """\
import sys
import grimoire_run_forkserver as server

fork_file = server.fork_file
requests = []

def fork_once(request, inherited_stdin):
    requests.append(request)
    if len(requests) > 1:
        raise OSError("fork failed, as under a process limit")
    return fork_file(request, inherited_stdin)

server.fork_file = fork_once
sys.argv = ["grimoire_run_forkserver", "--grace-ms", "{grace_ms}"]
sys.exit(server.main())
"""


def test_a_failure_in_the_loop_ends_running_files_and_says_why(start_server, tmp_path):
    root = hanging_project(tmp_path)
    server = start_server(argv=[sys.executable, "-c", FAILING_FORK.format(grace_ms=GRACE_MS)])
    pids = start_hanging(server, root)
    server.run(2, [*QUIET, "test_hang.py"], root)
    error = server.expect("error")
    assert "fork failed, as under a process limit" in error["reason"]
    assert server.rest() == []
    assert server.wait() == 1
    assert_none_survive(pids)
    assert "OSError: fork failed" in server.stderr()


def test_a_server_that_cannot_fork_safely_says_so_and_exits(tmp_path):
    site = project(tmp_path / "site", {"sitecustomize.py": THREAD_AT_START})
    server = Server(tmp_path, env=python_env(PYTHONPATH=f"{PYTHON_DIR}{os.pathsep}{site}"))
    try:
        unusable = server.expect("unusable")
        assert "started a thread" in unusable["reason"]
        assert server.rest() == []
        assert server.wait() == 0
    finally:
        server.close()


# pytest-rerunfailures' shape where pytest-xdist is installed: a socket server thread started at every session's configure.
RERUNFAILURES = """\
import threading, time

class StatusDB:
    pass

class ServerStatusDB(StatusDB):
    def __init__(self):
        threading.Thread(target=self.run_server, daemon=True).start()

    def run_server(self):
        time.sleep(600)

def pytest_configure(config):
    config.failures_db = ServerStatusDB()
"""


def test_a_warm_up_leaves_pytest_rerunfailures_thread_to_the_files_and_the_server_forks(tmp_path):
    site = project(tmp_path / "site", {"pytest_rerunfailures.py": RERUNFAILURES})
    root = project(tmp_path / "p", {"test_db.py": "import threading\n\ndef test_db(pytestconfig):\n    assert type(pytestconfig.failures_db).__name__ == 'ServerStatusDB'\n    assert threading.active_count() == 2\n"})
    server = Server(tmp_path, env=python_env(PYTHONPATH=f"{PYTHON_DIR}{os.pathsep}{site}", PYTEST_PLUGINS="pytest_rerunfailures"))
    try:
        server.expect("ready", pid=server.process.pid)
        server.run(1, [*QUIET, "test_db.py"], root)
        server.expect("started", id=1)
        assert server.expect("exited", id=1)["code"] == 0, server.output(1)
    finally:
        server.close()


def test_a_server_a_plugin_left_a_thread_in_says_whose(tmp_path):
    poller = "import threading, time\n\nclass Poller:\n    def run(self):\n        time.sleep(600)\n\nthreading.Thread(target=Poller().run, daemon=True).start()\n"
    site = project(tmp_path / "site", {"poller_plugin.py": poller})
    server = Server(tmp_path, env=python_env(PYTHONPATH=f"{PYTHON_DIR}{os.pathsep}{site}", PYTEST_PLUGINS="poller_plugin"))
    try:
        assert "a plugin started a thread (poller_plugin) as pytest loaded or configured it" in server.expect("unusable")["reason"]
    finally:
        server.close()


@pytest.fixture
def start_early(tmp_path):
    """Starts servers with --first-before-warm-up (not awaiting `ready`: the first request comes before it), with a site hook if given."""
    servers = []

    def start(sitecustomize=None, python_flags=()):
        env = None
        if sitecustomize is not None:
            site = project(tmp_path / "site", {"sitecustomize.py": sitecustomize})
            env = python_env(PYTHONPATH=f"{PYTHON_DIR}{os.pathsep}{site}")
        server = Server(tmp_path, argv=[sys.executable, *python_flags, *EARLY[1:]], env=env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def assert_ends_cleanly(server):
    assert server.rest() == []
    assert server.wait() == 0


def test_with_first_before_warm_up_the_first_request_is_forked_before_ready_and_the_rest_after(start_early, tmp_path):
    root = project(tmp_path / "p", {**PASSING, "test_two.py": "def test_two():\n    assert False\n"})
    server = start_early()
    # Both sent at once, as grimoire-run may: the first is forked before the warm-up, the second once ready.
    server.run(1, [*QUIET, "test_one.py"], root)
    server.run(2, [*QUIET, "test_two.py"], root)
    ops = []
    while sum(op[0] == "exited" for op in ops) < 2:
        event = server.event()
        ops.append((event["op"], event.get("id")))
    assert ops.index(("started", 1)) < ops.index(("ready", None)) < ops.index(("started", 2)), ops
    assert {e["id"]: e["code"] for e in server.events if e["op"] == "exited"} == {1: 0, 2: 1}
    assert "1 passed" in server.output(1)
    assert "1 failed" in server.output(2)
    server.process.stdin.close()
    assert_ends_cleanly(server)


def test_with_first_before_warm_up_a_server_that_cannot_warm_up_reports_the_first_file_before_it_says_so(start_early, tmp_path):
    root = project(tmp_path / "p", PASSING)
    # The warm-up calls pytest.main; a forked file runs pytest's own main, which this leaves alone.
    server = start_early("import pytest\ndef broken(*args, **kwargs):\n    raise RuntimeError('no warm-up here')\npytest.main = broken\n")
    server.run(1, [*QUIET, "test_one.py"], root)
    server.expect("started", id=1)
    server.expect("exited", id=1, code=0)
    assert "no warm-up here" in server.expect("unusable")["reason"]
    assert "1 passed" in server.output(1)
    assert_ends_cleanly(server)


def test_with_first_before_warm_up_a_process_with_threads_forks_nothing(start_early, tmp_path):
    root = project(tmp_path / "p", PASSING)
    server = start_early(THREAD_AT_START)
    server.run(1, [*QUIET, "test_one.py"], root)
    # Not forked: grimoire-run starts it afresh once told the server is unusable.
    assert "started a thread" in server.expect("unusable")["reason"]
    assert_ends_cleanly(server)


def test_with_first_before_warm_up_a_python_without_pytest_forks_nothing(start_early, tmp_path):
    # -S: no site-packages, so no pytest; grimoire-run's own modules come from PYTHONPATH.
    server = start_early(python_flags=["-S"])
    server.run(1, [*QUIET, "test_one.py"], project(tmp_path / "p", PASSING))
    assert "No module named 'pytest'" in server.expect("unusable")["reason"]
    assert_ends_cleanly(server)


def test_with_first_before_warm_up_stdin_closed_before_any_request_ends_the_server(start_early):
    server = start_early()
    server.process.stdin.close()
    assert_ends_cleanly(server)


def test_pluggy_reads_a_plugin_methods_names_once_however_many_instances_register(monkeypatch):
    """Per-session plugins are new instances each file; their bound methods must still hit the memo."""
    import pluggy._hooks as hooks

    import grimoire_run_forkserver

    calls = []
    original = hooks.varnames

    def counting(func):
        calls.append(func)
        return original(func)

    monkeypatch.setattr(hooks, "varnames", counting)
    grimoire_run_forkserver._memoize_pluggy_introspection()

    class Plugin:
        def pytest_configure(self, config, extra=None):
            pass

    def pytest_unconfigure(config):
        pass

    names = [hooks.varnames(Plugin().pytest_configure) for _ in range(3)] + [hooks.varnames(pytest_unconfigure) for _ in range(2)]
    assert names == [(("config",), ("extra",))] * 3 + [(("config",), ())] * 2
    assert len(calls) == 2


def test_pluggy_gets_every_call_with_more_than_the_function_as_it_made_it(monkeypatch):
    """A later pluggy's keywords (varnames(func, legacy_noself=True), which may warn) are pluggy's own to answer, each time."""
    import pluggy._hooks as hooks

    import grimoire_run_forkserver

    calls = []

    def newer(func, *, legacy_noself=False):
        calls.append(legacy_noself)
        return (("arg",), ())

    monkeypatch.setattr(hooks, "varnames", newer)
    undo = grimoire_run_forkserver._memoize_pluggy_introspection()

    def hook(arg):
        pass

    assert [hooks.varnames(hook, legacy_noself=True) for _ in range(2)] + [hooks.varnames(hook) for _ in range(2)] == [(("arg",), ())] * 4
    assert calls == [True, True, False]
    undo()
    assert hooks.varnames is newer


WARM_UP_WITH_A_BROKEN_MEMORY = """
import sys
import pluggy._hooks as hooks
import grimoire_run_forkserver as server

original = hooks.varnames

def broken_memory():
    def varnames(func):
        raise TypeError("a memory written for another pluggy")
    hooks.varnames = varnames
    def undo():
        hooks.varnames = original
    return undo

server._MEMORIES = (broken_memory,) + server._MEMORIES
dropped, _ = server._warm_up([])
print("restored" if hooks.varnames is original else "still broken")
print(dropped.strip().splitlines()[-1])
"""


def test_a_warm_up_that_fails_with_the_memories_runs_again_without_them(tmp_path):
    """A pytest or pluggy a memory was not written for costs the files that memory, not the fork server."""
    result = subprocess.run([sys.executable, "-c", WARM_UP_WITH_A_BROKEN_MEMORY], cwd=tmp_path, env=python_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["restored", "TypeError: a memory written for another pluggy"]


WARM_UP_THEN_LIST_TOML = """
import sys
import grimoire_run_forkserver as server

server._warm_up([])
print(sorted(name for name in sys.modules if name.split(".")[0] in ("tomllib", "tomli")))
"""


def test_the_warm_up_reads_a_pyproject_toml_so_no_file_imports_the_toml_parser_again(tmp_path):
    """Most projects keep pytest's settings in pyproject.toml, and pytest imports its TOML parser only to read one: the server has it imported before any file is forked."""
    result = subprocess.run([sys.executable, "-c", WARM_UP_THEN_LIST_TOML], cwd=tmp_path, env=python_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    parser = "tomllib" if sys.version_info >= (3, 11) else "tomli"
    assert parser in eval(result.stdout.strip())


def test_the_prepared_config_is_out_of_the_garbage_collectors_reach(monkeypatch):
    """Every file's session runs collections at its end; they must not go through (and so copy) the config it inherited."""
    import gc

    import grimoire_run_prepared

    monkeypatch.setattr(grimoire_run_prepared, "_prepared", None)
    frozen = gc.get_freeze_count()
    try:
        grimoire_run_prepared.prepare(["-p", "no:cacheprovider", "tests"])
        config = grimoire_run_prepared._prepared[1]
        assert gc.get_freeze_count() > frozen
        assert not any(obj is config for obj in gc.get_objects())
    finally:
        gc.unfreeze()


def test_a_prepared_config_is_taken_only_by_a_get_config_call_it_was_made_for(monkeypatch):
    """pytest 9.1's get_config also takes the program's name: a file takes the prepared config only when it asks for the same."""
    import types

    import grimoire_run_prepared

    made = []

    class Config:
        InvocationParams = types.SimpleNamespace

    def get_config(args=None, plugins=None, *, prog=None):
        made.append(prog)
        return types.SimpleNamespace(pluginmanager=types.SimpleNamespace(register=lambda *_: None), prog=prog)

    fake = types.SimpleNamespace(get_config=get_config, Config=Config)
    import _pytest

    monkeypatch.setitem(sys.modules, "_pytest.config", fake)
    monkeypatch.setattr(_pytest, "config", fake)
    monkeypatch.setattr(grimoire_run_prepared, "_prepared", None)
    monkeypatch.setattr(grimoire_run_prepared.gc, "freeze", lambda: None)
    grimoire_run_prepared.prepare(["-q", "tests"])
    assert made == ["python -m pytest"]
    prepared = grimoire_run_prepared._prepared[1]
    grimoire_run_prepared.take(["-q", "tests"])
    assert fake.get_config(["-q", "tests"], None, prog="python -m pytest") is prepared
    grimoire_run_prepared.take(["-q", "tests"])
    assert fake.get_config(["-q", "tests"], None, prog="pytest.main()") is not prepared
    assert made == ["python -m pytest", "pytest.main()"]


FREEZE_PROBE = """\
import gc, pathlib, pytest

def test_probe():
    # Whether pytest's objects were in the collector's reach: nothing frozen (gc.get_objects would unfreeze them).
    pathlib.Path("frozen.txt").write_text(str(gc.get_freeze_count() == 0))
"""


def test_the_listing_forked_before_the_warm_up_does_not_go_through_pytests_objects_when_it_collects_garbage(start_early, tmp_path):
    """The listing is on the way to the first file: its collections skip what the server imported, as every later file's do."""
    root = project(tmp_path / "p", {"test_probe.py": FREEZE_PROBE})
    server = start_early()
    server.run(1, [*QUIET, "test_probe.py"], root)
    ops = []
    while not {"exited", "ready"} <= set(ops):
        ops.append(server.event()["op"])
    assert ops.index("started") < ops.index("ready"), ops
    assert [e["code"] for e in server.events if e["op"] == "exited"] == [0], server.output(1)
    assert (root / "frozen.txt").read_text() == "False"
    server.process.stdin.close()
    assert_ends_cleanly(server)


WARM_UP_SEES_FROZEN = """
import gc, pytest
import grimoire_run_forkserver as server

session = server._warm_up_session

def probe(off):
    print(any(obj is pytest.main for obj in gc.get_objects()))
    return session(off)

server._warm_up_session = probe
server._warm_up([])
"""


def test_the_warm_up_does_not_go_through_pytests_objects_when_it_collects_garbage(tmp_path):
    """The warm-up is on the way to the first file too: it starts with pytest's imports frozen."""
    result = subprocess.run([sys.executable, "-c", WARM_UP_SEES_FROZEN], cwd=tmp_path, env=python_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]


BYTECODE_PROBE = """\
import json, os, sys

def test_probe():
    with open("bytecode.json", "w") as handle:
        json.dump([sys.dont_write_bytecode, sys.pycache_prefix, os.environ.get("PYTHONDONTWRITEBYTECODE"), "GRIMOIRE_BYTECODE_CACHE" in os.environ], handle)
"""


def test_with_a_bytecode_cache_the_servers_imports_keep_their_rewritten_bytecode_and_a_file_not_given_it_writes_none(start_server, tmp_path):
    """pytest rewrites every module of a plugin's package as it is imported, and keeps the result only where it may
    write bytecode: the server's warm-up (which imports grimoire-run's plugin with -p) keeps it in the cache, so that
    the next run's warm-up reads it. A file the run does not give the cache starts as its environment says."""
    cache = tmp_path / "cache"
    root = project(tmp_path / "p", {"test_probe.py": BYTECODE_PROBE})
    argv = [sys.executable, "-m", "grimoire_run_forkserver", "--grace-ms", str(GRACE_MS), "--bytecode-cache", str(cache)]
    server = start_server(env=python_env(PYTHONDONTWRITEBYTECODE="1"), argv=argv)
    assert [path.name for path in cache.rglob("grimoire_run_pytest.*-pytest-*.pyc")], sorted(str(p) for p in cache.rglob("*"))
    # Not the warm-up's own test module, in a temporary folder of its own each run: the cache would keep one per run.
    assert not [path for path in cache.rglob("*") if "grimoire-warm-" in str(path)]
    server.run(1, [*QUIET, "test_probe.py"], root)
    server.expect("started", id=1)
    server.expect("exited", id=1, code=0)
    assert json.loads((root / "bytecode.json").read_text()) == [True, None, "1", False]
    assert not list(root.rglob("*.pyc"))
    server.run(2, [*QUIET, "test_probe.py"], root, set={"GRIMOIRE_BYTECODE_CACHE": str(cache)})
    server.expect("started", id=2)
    server.expect("exited", id=2, code=0)
    # Written by the imports and pytest, into the folder; sys.pycache_prefix as the environment has it (py_compile's),
    # and the environment the user's, for the processes the tests start.
    assert json.loads((root / "bytecode.json").read_text()) == [False, None, "1", False]
    server.process.stdin.close()
    assert server.wait() == 0


def test_exit_code_of_reads_a_wait_status_as_waitstatus_to_exitcode_does_before_python_3_9():
    """os.waitstatus_to_exitcode came with Python 3.9; the server reads its children's statuses on 3.8 too."""
    from grimoire_run_children import exit_code_of

    for code in (0, 3):
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        assert exit_code_of(os.waitpid(pid, 0)[1]) == code
    pid = os.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    status = os.waitpid(pid, 0)[1]
    assert exit_code_of(status) == -signal.SIGKILL == os.waitstatus_to_exitcode(status)
