"""Fork server: pays for Python, pytest and its plugins once per run, not once per file.

grimoire-run starts this module once (`python -m grimoire_run_forkserver
--grace-ms N`, and `--bytecode-cache DIR` where its files get grimoire-run's
bytecode cache). It imports pytest and runs one empty pytest session in a
temporary folder, so that every plugin's imports, lazy ones included, are done.
With `--first-before-warm-up` it first waits for grimoire-run's first request
(the listing of the files, which grimoire-run awaits) and forks it as soon as
pytest is imported, so that the listing runs while the server warms up.
Then, for each test file, it forks: the child is a fresh process of its own
(own session and process group, own environment and working folder, own copy of
memory), which runs pytest exactly as `python -m pytest args` would, with its
output sent to grimoire-run through a Unix socket. The project's own code is
never imported here: nothing of it is shared between files.

This module is the server's loop, and its one job is to decide when the server
ends, and to end it the one safe way. Its parts each have a module:
grimoire_run_protocol (requests in, events out, both checked against
grimoire_run_protocol.json, where the protocol is described), grimoire_run_fork
(the child becoming the file's pytest) and grimoire_run_children (reaping, and
ending every running file's process group: SIGTERM, then SIGKILL after
`--grace-ms`).

However the loop ends, it ends every file still running before the server
exits, so that no forked pytest outlives the run that asked for it:

- stdin closes (grimoire-run is done, or gone: its end closes even when it was
  killed with SIGKILL): exit 0.
- SIGTERM, SIGHUP or SIGINT: the server then dies of that signal.
- A request the protocol does not allow: an `error` event, then exit 2. The
  server does not go on serving: grimoire-run would wait forever for the
  `started` of a request the server could not read, and a stream that carried
  one malformed line (a bug, or a line cut short) cannot be trusted to frame the
  next ones. grimoire-run sees the server exit and starts the rest afresh.
- Any exception in the loop, and events grimoire-run no longer reads: an
  `error` event (if anyone reads it), then exit 1.
"""

import atexit
import functools
import gc
import inspect
import os
import selectors
import shutil
import signal
import sys
import tempfile
import threading
import traceback

if sys.version_info < (3, 8):
    # The modules below need 3.8 (and this one must parse on older Pythons to say so): each file starts afresh.
    sys.stderr.write("the fork server needs Python 3.8 or newer; this is Python %d.%d.%d\n" % sys.version_info[:3])
    sys.exit(1)

from grimoire_run_children import Children
from grimoire_run_fork import bytecode_cache_folder, fork_file, note_server_files, note_server_imports, record_exit_handlers, use_bytecode_cache, watch_random_generators
import grimoire_run_benchmark_plugin
import grimoire_run_depth
import grimoire_run_fork
import grimoire_run_fixture_names
import grimoire_run_metadata
import grimoire_run_prepared
from grimoire_run_preload import environment_read, preload
from grimoire_run_paths import hide_own_folder
from grimoire_run_protocol import EventWriter, ProtocolError, RequestReader, parse_request
from grimoire_run_warm_up_plugins import kept_out

# Signals that end the server; it ends its files first, then dies of the signal.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
_MALFORMED_REQUEST_EXIT = 2
_FAILURE_EXIT = 1
# grimoire-run sends its first request (the listing) at once and awaits it: forked before the warm-up (see _fork_first).
_FIRST_BEFORE_WARM_UP = "--first-before-warm-up"


def _fd_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


# The warm-up's test file: the shapes a file's session goes through (fixtures, parametrize, skip, xfail,
# a failure's report), so that what pytest imports or compiles lazily on the way is done once, here.
_WARM_UP_TESTS = """\
import pytest

@pytest.fixture
def value():
    yield 1

@pytest.mark.parametrize("n", [1, 2])
def test_passes(value, n):
    assert value * n

def test_fails():
    assert [1, 2] == [1, 3]

@pytest.mark.skip(reason="warm-up")
def test_skipped():
    pass

@pytest.mark.xfail(reason="warm-up")
def test_xfails():
    assert 0

class TestGroup:
    def test_in_class(self):
        pass
"""


def _memoize_pluggy_introspection():
    """pluggy reads every hook function's signature each time a plugin registers, in every session:
    pure for a given function, so it is worked out once here, for the run's every file.

    Only the call pluggy 1.x makes everywhere, `varnames(func)`, is remembered; a
    call with more (a later pluggy's keywords, which may warn) goes to pluggy's own
    function each time. Returns what undoes it (None when there was nothing to do)."""
    try:
        import pluggy._hooks as hooks
    except ImportError:
        return None
    original = getattr(hooks, "varnames", None)
    if original is None or getattr(original, "grimoire_memoized", False):
        return None
    by_callable = functools.lru_cache(maxsize=None)(original)
    by_method = {}

    def varnames(func, *args, **kwargs):
        if args or kwargs:
            return original(func, *args, **kwargs)
        # A plugin registered per session (the terminal reporter, JUnit's, the plugin's own) is a new instance each
        # time, so its bound methods are new objects: their names depend only on the function they bind.
        if inspect.ismethod(func):
            names = by_method.get(func.__func__)
            if names is None:
                names = by_method[func.__func__] = original(func)
            return names
        try:
            return by_callable(func)
        except TypeError:  # an unhashable callable object
            return original(func)

    varnames.grimoire_memoized = True
    hooks.varnames = varnames

    def undo():
        if hooks.varnames is varnames:
            hooks.varnames = original

    return undo


# What the server remembers of a session for every file's (pluggy's introspection, the installed packages'
# metadata, the plugins' fixture names, pytest-benchmark's look at the repository): each returns what undoes it, for a
# warm-up that fails with them.
_MEMORIES = (
    lambda: _memoize_pluggy_introspection(),
    lambda: grimoire_run_metadata.install(),
    lambda: grimoire_run_fixture_names.install(),
    lambda: grimoire_run_benchmark_plugin.install(),
)


def _use_server_bytecode_cache():
    """`--bytecode-cache DIR` (grimoire-run's bytecode cache, given where the environment says not to write bytecode):
    the server's own imports use it too, as its forked files do.

    Most of what the server imports has its bytecode beside its source, but
    pytest rewrites the asserts of every module of an installed plugin's
    package as it is imported, and keeps the result only where it may write
    bytecode: without a place, the warm-up rewrote all of Hypothesis (which its
    plugin imports at the end of a session) at every run, 0.7 s instead of
    0.23 s (measured). Called again once pytest is imported, for pytest's rewrite
    cache; a file not given the cache drops it (grimoire_run_fork).
    """
    folder = _option(sys.argv, "--bytecode-cache")
    if folder:
        use_bytecode_cache(folder)


def _freeze_imports():
    """Moves what the server has imported so far (pytest, and the plugins once warmed up) out of the garbage collector's reach.

    A pytest session runs collections as it goes and five more at its end
    (pytest's unraisable-exception check): each goes through every object the
    process holds, pytest's own modules included, though none of them is ever
    garbage. Frozen first, the listing forked before the warm-up and the warm-up
    itself, both on the way to the first file, go only through their own
    (docs/performance.md has the figures). Objects made later are collected as
    before.
    """
    gc.freeze()


def _warm_up(args):
    """One pytest session shaped like a file's (JUnit, the plugin's records, a failure), its output discarded.

    `args`: the run's pytest arguments, as its first request gave them (empty when
    there was none). The plugins the project turns off, and those that are its own
    code, stay out of it (grimoire_run_warm_up_plugins).

    The memories that spare every file part of its session are installed first.
    A warm-up that fails with them (a pytest or pluggy they were not written for)
    is tried once more without them: each file then does that part itself, as
    plain pytest does, instead of the run losing the fork server. Returns why
    they were dropped (or None), and the plugins it left out.
    """
    # A Python without pytest says so here, before any memory asks for its parts.
    import pytest

    note_server_imports()
    _use_server_bytecode_cache()
    _freeze_imports()
    undos = [undo for undo in (memory() for memory in _MEMORIES) if undo is not None]
    kept = kept_out(args, os.getcwd())
    off = [arg for name in kept for arg in ("-p", f"no:{name}")]
    try:
        if _warm_up_session(off) != pytest.ExitCode.INTERNAL_ERROR:
            return None, kept
        why = "pytest ended the warm-up session with an internal error (exit code 3)"
    except Exception:
        why = traceback.format_exc()
    for undo in reversed(undos):
        undo()
    _warm_up_session(off)
    return why, kept


def _warm_up_session(off):
    import pytest

    saved_path = list(sys.path)
    saved_environ = dict(os.environ)
    saved_out, saved_err = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        with tempfile.TemporaryDirectory(prefix="grimoire-warm-") as folder:
            # Settings in a pyproject.toml, where most projects keep theirs: pytest imports its TOML parser to read
            # one (tomllib, and a few regular expressions compiled at its import), here once instead of in every file.
            ini = os.path.join(folder, "pyproject.toml")
            with open(ini, "w") as handle:
                handle.write("[tool.pytest.ini_options]\n")
            with open(os.path.join(folder, "test_warm_up.py"), "w") as handle:
                handle.write(_WARM_UP_TESTS)
            os.environ["GRIMOIRE_RESULTS_FILE"] = os.path.join(folder, "records")
            # The plugins a parallel run's file registers: their hooks' signatures are read here once (pluggy), and
            # their code run once, not in every file.
            only = os.path.join(folder, "only")
            with open(only, "w") as handle:
                handle.write(os.path.join(folder, "test_warm_up.py") + "\n")
            os.environ.update(GRIMOIRE_ONLY_FILES=only, GRIMOIRE_CLEANED_ONCE="1", GRIMOIRE_PYTEST_CACHE_KEPT="1")
            args = [folder, "-c", ini, "-o", f"cache_dir={folder}/cache", *off, "-p", "grimoire_run_pytest", f"--junitxml={folder}/junit.xml"]
            try:
                return pytest.main(args, plugins=[_warm_up_threads()])
            finally:
                _forget_bytecode_of(folder)
    finally:
        for name in [name for name in sys.modules if name == "test_warm_up" or name.startswith("test_warm_up.")]:
            del sys.modules[name]
        grimoire_run_fixture_names.stop_remembering()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (null, saved_out, saved_err):
            os.close(fd)
        sys.path[:] = saved_path
        # grimoire-run's folder is no module folder of the files' (pkgutil.iter_modules()): out of sys.path once the
        # warm-up has imported the plugin through pytest's import hook (which keeps its bytecode in the server's cache).
        hide_own_folder()
        os.environ.clear()
        os.environ.update(saved_environ)
        # The session's plugin made SIGTERM an interrupt (and signal's functions hide it); this process wants the default back.
        plugin = sys.modules.get("grimoire_run_pytest")
        if plugin is not None:
            plugin.default_sigterm()
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _warm_up_threads():
    """A plugin that keeps the warm-up session from starting what no file of it needs: a thread would leave the server
    unable to fork.

    pytest-rerunfailures, wherever pytest-xdist is installed too, starts a socket server thread at every session's
    configuration, for xdist workers to report reruns to (each forked file starts its own, as a plain session does).
    In the warm-up it gets its no-op store instead, for that session only.
    """
    import pytest

    class WarmUpThreads:
        def __init__(self):
            self.undo = []

        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(self, config):
            rerunfailures = sys.modules.get("pytest_rerunfailures")
            server = getattr(rerunfailures, "ServerStatusDB", None)
            quiet = getattr(rerunfailures, "StatusDB", None)
            if isinstance(server, type) and isinstance(quiet, type):
                rerunfailures.ServerStatusDB = quiet
                self.undo.append(lambda: setattr(rerunfailures, "ServerStatusDB", server))

        def pytest_unconfigure(self, config):
            while self.undo:
                self.undo.pop()()

    return WarmUpThreads()


def _thread_starters():
    """Where the threads other than this one come from (their target's module), for the reason the server gives."""
    starters = []
    for thread in threading.enumerate():
        if thread is threading.current_thread():
            continue
        target = getattr(thread, "_target", None)
        owner = getattr(target, "__self__", None)
        if inspect.ismodule(owner):  # a builtin function's __self__: time.sleep's is the time module
            module = owner.__name__
        elif owner is not None:  # a bound method: its class's module
            module = type(owner).__module__
        else:
            module = getattr(target, "__module__", None)
        starters.append(module or type(thread).__module__ or "?")
    return sorted(set(starters))


def _option(argv, name):
    """`NAME VALUE` on the command line: the value, or None when not given."""
    if name not in argv or argv.index(name) + 1 >= len(argv):
        return None
    return argv[argv.index(name) + 1]


def _forget_bytecode_of(folder):
    """The warm-up's own test module, compiled into the bytecode cache (--bytecode-cache) under its temporary folder's
    name: removed with the folder, so that the cache does not keep one per run."""
    prefix = bytecode_cache_folder()
    if prefix:
        shutil.rmtree(os.path.join(prefix, os.path.abspath(folder).lstrip(os.sep)), ignore_errors=True)


def _list_option(argv, name):
    """`NAME a,b,c` on the command line, as a list; empty when not given."""
    return [item for item in (_option(argv, name) or "").split(",") if item]


def _grace_seconds(argv):
    """`--grace-ms N`: grimoire-run's --kill-grace, in seconds. Required: the run has one grace period, Node's."""
    try:
        return int(_option(argv, "--grace-ms")) / 1000
    except (TypeError, ValueError):
        sys.stderr.write("usage: python -m grimoire_run_forkserver --grace-ms MILLISECONDS\n")
        raise SystemExit(2) from None


class _Wakeups:
    """Turns signals into something the loop's select sees: a child exiting (SIGCHLD), or a stop signal.

    The handlers only take note, so that a signal never interrupts the loop (or
    the ending of the children) half-way through a step.
    """

    def __init__(self):
        self.stop_signal = None
        self.fd, write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for signum in _STOP_SIGNALS:
            signal.signal(signum, self._stop)

    def _stop(self, signum, _frame):
        if self.stop_signal is None:
            self.stop_signal = signum

    def drain(self):
        try:
            while os.read(self.fd, 4096):
                pass
        except BlockingIOError:
            pass


def _serve(requests, events, children, wakeups, inherited_stdin, first):
    """Forks a child for each `run` request (and imports what a `preload` request names), and reaps the children as they exit, until the server must end.

    `first`: what the server read before it warmed up (see _fork_first), or None.
    Returns the signal that stopped it, or None once stdin closed or the events
    are no longer read. Raises ProtocolError for a request the protocol does not
    allow, or whose id was used before: two files answering to one id would be
    told apart by no one (the requests that came before it are served).
    """
    ids = set()
    files_forked = []

    def serve(line):
        request = parse_request(line)
        if request["op"] == "preload":
            _preload_more(request, events)
            return
        if request["id"] in ids:
            raise ProtocolError(f"run: id {request['id']} was used before")
        ids.add(request["id"])
        children.add(fork_file(request, inherited_stdin), request["id"])
        files_forked.append(request["id"])
        # While the child runs: pytest's own start for the next files (once per run; see grimoire_run_prepared).
        grimoire_run_prepared.prepare(request["args"])

    if first is not None:
        if first.forked:
            ids.add(first.request["id"])
            grimoire_run_prepared.prepare(first.request["args"])
        for line in first.lines[1:] if first.forked else first.lines:
            serve(line)
    # The file forked before the warm-up may have ended during it, before any SIGCHLD could wake the loop.
    children.reap()
    selector = selectors.DefaultSelector()
    selector.register(requests, selectors.EVENT_READ)
    selector.register(wakeups.fd, selectors.EVENT_READ)
    while wakeups.stop_signal is None and not events.gone:
        for key, _ in selector.select():
            if key.fileobj is requests:
                lines = requests.read_lines()
                if lines is None:
                    return None
                for line in lines:
                    serve(line)
                # Once the first files are on their way: not before them, nor between two of them asked for at once.
                if files_forked:
                    note_server_files()
            else:
                wakeups.drain()
        children.reap()
    return wakeups.stop_signal


class _First:
    """What the server read before its warm-up: the lines, the first one's request, and whether that one was forked then.

    The lines not forked then are served once the server is ready.
    """

    def __init__(self, lines, request, forked):
        self.lines = lines
        self.request = request
        self.forked = forked


def _fork_first(requests, children, inherited_stdin):
    """`--first-before-warm-up`: waits for grimoire-run's first request and forks it at once; returns a _First, or None if stdin closed first.

    grimoire-run's first request is its listing of the files, which it then
    awaits: forked as soon as pytest is imported, the listing runs while the
    server warms up, instead of after. The child is forked before any of the
    server's memories of a session are made (grimoire_run_fixture_names,
    grimoire_run_metadata, the prepared config): it starts as pytest does.
    """
    lines = []
    while not lines:
        read = requests.read_lines()
        if read is None:
            return None
        lines = read
    request = parse_request(lines[0])
    if request["op"] != "run":
        raise ProtocolError(f"{request['op']}: the first request of a server started with {_FIRST_BEFORE_WARM_UP} must be `run`")
    try:
        import pytest  # noqa: F401 - what the child is forked for: pytest imported once, by the server
    except ImportError:
        # The warm-up fails the same way and says so; grimoire-run then starts the request afresh.
        return _First(lines, request, forked=False)
    note_server_imports()
    _use_server_bytecode_cache()
    _freeze_imports()
    # A process with threads is not forked (the server then says it is unusable, or serves the request once ready).
    if threading.active_count() > 1:
        return _First(lines, request, forked=False)
    children.add(fork_file(request, inherited_stdin), request["id"])
    return _First(lines, request, forked=True)


def _unusable(events, children, reason):
    """Says the server cannot fork files, once the file it forked before the warm-up, if any, has ended and been reported."""
    children.wait_all()
    events.emit("unusable", reason=reason)


def _preload_more(request, events):
    """A `preload` request: imports what it names (a module the server has already counts as neither), then answers.

    An import that starts a thread makes forking unsafe: the answer says so, and
    grimoire-run sends no more files (a thread cannot be taken back).
    """
    wanted = [name for name in request["modules"] if name not in sys.modules]
    if not wanted:
        # Nothing imported, nothing new to freeze: the collection _preload_watched ends with would only delay the first file.
        events.emit("preloaded", preloaded=[], refused=[])
        return
    # Auto-preload never imports the project's own code; a package named in --preload, followed into its modules, may be it.
    named = {name.partition(".")[0] for name in _list_option(sys.argv, "--preload")}
    preloaded, refused, unsafe = _preload_watched(wanted, request["perFileEnv"], installed_only=lambda name: name.partition(".")[0] not in named)
    events.emit("preloaded", preloaded=preloaded, refused=refused, **({} if unsafe is None else {"unsafe": unsafe}))


def _preload_watched(modules, per_file, installed_only=lambda name: False):
    """Preloads `modules`, then moves everything imported so far out of the garbage collector's reach.

    Returns what was preloaded, what was refused (as the protocol sends it), and
    why forking is now unsafe (an import started a thread), or None. The freeze:
    a child's collections (pytest runs several at the end of every session) then
    skip those objects, instead of touching every one of them and so copying the
    pages they live on. A third of a tiny file's cost, measured.
    """
    threads = threading.active_count()
    preloaded, refused = preload(modules, per_file, installed_only)
    note_server_imports()
    unsafe = None
    if threading.active_count() > threads:
        unsafe = f"a module it preloaded ({', '.join(preloaded)}) started a thread, and forking a process with threads is unsafe"
    gc.collect()
    gc.freeze()
    return preloaded, refused, unsafe


def main():
    watch_random_generators()
    record_exit_handlers()
    _use_server_bytecode_cache()
    # grimoire-run's stdin, when it handed it over: fd 3, checked before this server opens a descriptor of its own.
    inherited_stdin = 3 if _fd_open(3) else None
    grace_seconds = _grace_seconds(sys.argv)
    events = EventWriter(os.dup(1))
    requests = RequestReader(os.dup(0))
    # Stray prints of plugins must not corrupt the protocol: stdout goes where stderr goes.
    os.dup2(2, 1)
    children = Children(events, grace_seconds)

    first = None
    if _FIRST_BEFORE_WARM_UP in sys.argv:
        try:
            first = _fork_first(requests, children, inherited_stdin)
        except ProtocolError as error:
            events.emit("error", reason=f"malformed request: {error.reason}", **({} if error.request_id is None else {"id": error.request_id}))
            return _MALFORMED_REQUEST_EXIT
        if first is None:
            return 0
    # A thread the Python's own start-up left (a sitecustomize, a .pth file) is no plugin's.
    started_before = _thread_starters()
    try:
        dropped, kept = _warm_up([] if first is None else first.request.get("args", []))
    except BaseException:
        _unusable(events, children, "the warm-up pytest session failed:\n" + traceback.format_exc())
        return 0
    if threading.active_count() > 1:
        whose = f"the Python's start-up started a thread ({', '.join(started_before)})" if started_before else f"a plugin started a thread ({', '.join(_thread_starters())}) as pytest loaded or configured it"
        _unusable(events, children, f"{whose}, and forking a process with threads is unsafe")
        return 0
    preloaded, refused, unsafe = _preload_watched(_list_option(sys.argv, "--preload"), _list_option(sys.argv, "--per-file-env"))
    if unsafe is not None:
        _unusable(events, children, unsafe)
        return 0

    wakeups = _Wakeups()
    stop_signal = None
    exit_code = 0
    try:
        plain = {} if dropped is None else {"plain": dropped.strip().splitlines()[-1]}
        # What the --preload modules read of the environment as they were imported: the run compares it with what the
        # project's conftests set, which they did not see.
        reads = {name: environment_read[name] for name in preloaded if name in environment_read}
        events.emit("ready", pid=os.getpid(), preloaded=preloaded, refused=refused, **({"keptOut": kept} if kept else {}), **({"environReads": reads} if reads else {}), **plain)
        stop_signal = _serve(requests, events, children, wakeups, inherited_stdin, first)
        if stop_signal is None and events.gone:
            exit_code = _FAILURE_EXIT
    except ProtocolError as error:
        exit_code = _MALFORMED_REQUEST_EXIT
        ending = f"malformed request: {error.reason}"
        sys.stderr.write(f"grimoire-run fork server: {ending}; ending its running files and exiting\n")
        events.emit("error", reason=ending, **({} if error.request_id is None else {"id": error.request_id}))
    except BaseException:
        exit_code = _FAILURE_EXIT
        failure = traceback.format_exc()
        sys.stderr.write(failure)
        events.emit("error", reason=f"the fork server failed:\n{failure}")
    finally:
        children.end_all()
    sys.stderr.flush()
    if stop_signal is not None:
        # Dies of the signal it was sent, as it would have without this cleanup.
        signal.signal(stop_signal, signal.SIG_DFL)
        os.kill(os.getpid(), stop_signal)
    return exit_code


def _exit(code):
    """Ends the server: its exit handlers run, its output is flushed, and the interpreter's teardown of every module
    pytest and the preloads imported (a hundredth of a second, which every run waited for) is skipped."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    # Where `python -m pytest` runs pytest's __main__: each forked file's tests get the room for nested calls it has there.
    grimoire_run_fork.TOP[0] = grimoire_run_depth.remaining()
    _exit(main())
