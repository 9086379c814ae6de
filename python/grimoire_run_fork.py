"""Forking one test file: the child becomes the file's own `python -m pytest` process.

Its one job is that a forked file cannot tell it was forked: its tests must see
what `python -m pytest ARGS`, started afresh in the request's folder with the
request's environment, would show them (own session and process group, default
signal handlers, argv, sys.path, a fresh __main__, its own random state and
exit handlers), because a file that behaves differently under the fork server
is a bug in grimoire-run, not in the project. The child never writes a protocol
event and never returns into the server's code: its exit status is its only
answer, read by the server's reaper.
"""

import _imp
import atexit
import functools
import gc
import io
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import types
import weakref
from importlib import _bootstrap_external

import grimoire_run_depth
import grimoire_run_main
import grimoire_run_prepared
from grimoire_run_paths import STAND_IN_FILE, hide_from_tracers

# The signals the server handles itself, with the handlers the interpreter gave them before the server did: what a
# fresh Python started by grimoire-run has (Ctrl-C's SIGINT raises KeyboardInterrupt; a signal ignored by whoever
# started the run stays ignored).
_CHILD_RESET_SIGNALS = {
    signum: signal.SIG_DFL if handler is None else handler
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
    for handler in [signal.getsignal(signum)]
}
# The interpreter and its options, as the server was started: a forked file's sys.orig_argv starts with them.
# (sys.orig_argv came with Python 3.10; before it, a fresh process has none, and a forked file gets none.)
_ORIG_ARGV = getattr(sys, "orig_argv", None)
_PYTHON_ARGV = _ORIG_ARGV[: _ORIG_ARGV.index("-m")] if _ORIG_ARGV is not None and "-m" in _ORIG_ARGV else [sys.executable]
# What a child exits with when it could not even start pytest (as pytest's own "internal error").
_BROKEN_START = 3
# The temporary folder as the server found it, before its warm-up worked one out from the server's environment
# (None: not worked out yet). A fresh process works it out from its own environment when it first needs it.
_TEMPDIR_AT_START = tempfile.tempdir
# The room for nested calls at the server module's top level (grimoire_run_depth.remaining()), where `python -m pytest`
# runs pytest's __main__; None where the server was not started as `python -m` (a test's own server).
TOP = [None]

# Random generators the server's imports seeded from the system's entropy (`random.Random()`, as Faker makes its own
# when it is imported, and it is a plugin the warm-up loads): a fresh process seeds each anew, a fork shares the
# server's state, and every file would draw the same "random" names and addresses. Each file reseeds them, as Python
# reseeds `random`'s own. One seeded with a value (`Random(42)`) keeps the state the value gave it, as it would afresh.
_entropy_seeded = weakref.WeakSet()
_seed = random.Random.seed


def _noting_seed(self, a=None, version=2):
    try:
        if a is None:
            _entropy_seeded.add(self)
        else:
            _entropy_seeded.discard(self)
    except TypeError:  # an instance of a subclass that cannot be weakly referenced or hashed: left as it is
        pass
    _seed(self, a, version)


def watch_random_generators():
    """In the server, before its first import of pytest: notes each `random.Random` seeded from entropy from then on."""
    random.Random.seed = _noting_seed


def _reseed_random_generators():
    """In the child: each generator the server's imports seeded from entropy draws a new seed, as in a fresh process."""
    random.Random.seed = _seed
    for generator in list(_entropy_seeded):
        _seed(generator)
    _entropy_seeded.clear()
    # numpy's global generator (np.random.rand and the like) is seeded from entropy as numpy is imported.
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None and callable(getattr(numpy_random, "seed", None)):
        numpy_random.seed()


# What use_bytecode_cache changed, to undo in a file that is not given the cache: None while it changed nothing.
_bytecode_cache = None
# The folder the import system and pytest keep bytecode in (use_bytecode_cache): None when there is none.
_cache_folder = None
# How grimoire-run gives a forked file the folder (src/config/bytecodeCache.ts's BYTECODE_CACHE_VARIABLE).
_BYTECODE_CACHE_VARIABLE = "GRIMOIRE_BYTECODE_CACHE"


# Bound once, at the server's start: a test that patches `builtins.open`, `os.stat` or `os.getcwd` and then imports a
# module lazily must not change where, or whether, the import finds its bytecode (typer's `test_file_error` patches
# `open` to raise, and its lazy import then failed under the fork server alone). Held in a namespace, which pyfakefs
# does not look into: it binds every module attribute that is a file-system function to its fake file system's.
_FILES = types.SimpleNamespace(open=io.open, stat=os.stat, getcwd=os.getcwd)


def _exists(path):
    try:
        _FILES.stat(path)
        return True
    except (OSError, ValueError):
        return False


def bytecode_cache_folder():
    """The folder use_bytecode_cache gave, or None."""
    return _cache_folder


def use_bytecode_cache(folder):
    """The import system and pytest keep bytecode in `folder`, except where it is compiled already.

    With a cache folder Python looks for bytecode only there: the modules of Python's own library and of installed
    packages, compiled beside their sources when they were installed, would be compiled again from source on a run
    whose folder is empty. A module that has its bytecode beside its source is read from there, as before; the
    rest (the project's modules, which the environment said not to compile beside them) go to the folder, by the
    path PYTHONPYCACHEPREFIX would give them. Only the imports and pytest's rewriting use it: `sys.pycache_prefix`
    stays as the environment has it, so that code that compiles on purpose (`py_compile`, alembic's sourceless
    scripts) writes where it would in a plain run.

    Called again (the fork server calls it at its start, then once it has imported pytest, and a file given the same
    folder calls it too), it changes only what is not changed yet: pytest's rewrite cache, once pytest is imported.
    """
    global _bytecode_cache, _cache_folder
    import importlib._bootstrap_external as external

    _cache_folder = folder
    if _bytecode_cache is None:
        place = external.cache_from_source

        def cache_from_source(path, debug_override=None, *, optimization=None):
            beside = place(path, debug_override, optimization=optimization)
            folder = _cache_folder
            try:
                if folder is None or _exists(beside):
                    return beside
                tag = None if _just_written(path) else _content_tag(path)
                if tag is not None:
                    head = os.path.dirname(path)
                    if not os.path.isabs(head):
                        head = os.path.join(_FILES.getcwd(), head)
                    stem, _, rest = os.path.basename(beside).partition(".")
                    return os.path.join(folder, head.lstrip(os.sep), f"{stem}.{tag}.{rest}")
            except Exception:
                # Whatever a test has patched, the import goes on: compiled from its source, as below.
                pass
            # No bytecode at all (the import system neither reads nor writes any), as without the folder.
            raise NotImplementedError("written moments ago, or unreadable: its bytecode is not kept")

        _bytecode_cache = {"cache_from_source": place, "dont_write_bytecode": sys.dont_write_bytecode, "get_cache_dir": None}
        external.cache_from_source = hide_from_tracers(cache_from_source)
    sys.dont_write_bytecode = False
    # pytest keeps the modules it rewrites (test modules, conftests, plugins) by the same rule: one a run that could
    # write bytecode left beside its source is read from there; the rest go where pytest puts them under a prefix.
    rewrite = sys.modules.get("_pytest.assertion.rewrite")
    cache_dir, tail = getattr(rewrite, "get_cache_dir", None), getattr(rewrite, "PYC_TAIL", None)
    if _bytecode_cache["get_cache_dir"] is None and cache_dir is not None and isinstance(tail, str):

        def get_cache_dir(file_path):
            beside = file_path.parent / "__pycache__"
            folder = _cache_folder
            tag = None if folder is None or _exists(beside / (file_path.name[:-3] + tail)) else _content_tag(file_path)
            if tag is None:
                return cache_dir(file_path)
            return type(file_path)(folder).joinpath(*file_path.parts[1:-1], tag)

        _bytecode_cache["get_cache_dir"] = cache_dir
        rewrite.get_cache_dir = hide_from_tracers(get_cache_dir)


def _drop_bytecode_cache():
    """In a file not given the cache, forked from a server that uses it: bytecode as the file's environment says."""
    global _bytecode_cache, _cache_folder
    if _bytecode_cache is None:
        return
    import importlib._bootstrap_external as external

    external.cache_from_source = _bytecode_cache["cache_from_source"]
    sys.dont_write_bytecode = _bytecode_cache["dont_write_bytecode"]
    if _bytecode_cache["get_cache_dir"] is not None:
        sys.modules["_pytest.assertion.rewrite"].get_cache_dir = _bytecode_cache["get_cache_dir"]
    _bytecode_cache = None
    _cache_folder = None


# A source modified less than this long ago gets no bytecode in grimoire-run's folder (see _just_written).
_RECENT_SECONDS = 10


def _content_tag(path):
    """What a source's bytecode in grimoire-run's folder is filed under besides its path: a hash of its content, or
    None when it cannot be read.

    Python and pytest take bytecode for current when its recorded modification
    second and size match the source's. A source replaced by another of the same
    size and date (`cp -p`, `rsync -t`, an archive, a second edit within the
    second) would run its old code, where the environment (PYTHONDONTWRITEBYTECODE)
    had every run compile it afresh. Filed under its content, bytecode is only
    ever found for the source it was compiled from; reading the source to hash it
    costs a fraction of compiling it.
    """
    try:
        with _FILES.open(path, "rb") as source:
            return _imp.source_hash(_bootstrap_external._RAW_MAGIC_NUMBER, source.read()).hex()
    except (OSError, ValueError):
        return None


def _just_written(path):
    """Whether `path` was modified in the last _RECENT_SECONDS (or is dated ahead).

    Python trusts bytecode whose recorded modification second and size match the
    source's. Beside the source, a module a test writes into a scratch folder
    loses its bytecode with the folder; in the cache folder the bytecode
    outlives it, and the same module written again within the same second and
    the same size would run the old code (alembic's suite writes and removes
    its scripts so). A module written moments ago is compiled afresh instead.
    """
    try:
        return _FILES.stat(path).st_mtime >= time.time() - _RECENT_SECONDS
    except (OSError, ValueError):
        return False


# What the bytecode cache's hooks call at every import of a module with no bytecode beside it.
hide_from_tracers(_exists, _content_tag, _just_written)

# Exit handlers the server registered after it started (its imports, its warm-up session): see _fresh_exit_handlers.
_registered_by_server = []
_atexit_register = atexit.register


def record_exit_handlers():
    """In the server, before it imports anything of pytest's: notes each exit handler registered from now on."""

    def register(func, *args, **kwargs):
        _registered_by_server.append(func)
        return _atexit_register(func, *args, **kwargs)

    atexit.register = register


def _fresh_exit_handlers():
    """In the child: the exit handlers a fresh process would run at its end, as far as they can be told apart.

    Kept: those registered before the server started (site, .pth files,
    sitecustomize: every Python process registers them), logging's shutdown
    (closes the child's own handlers, as any process that imported logging
    does), multiprocessing's (joins the file's own children), and the function that runs weakref finalizers marked for exit, for
    the finalizers the file makes (a test module's TemporaryDirectory is
    removed at exit, as in a fresh process), not the server's. Dropped: every
    other handler the server registered, which acts on the server's resources,
    not the file's; those the file's session registers are the file's.
    """
    atexit.register = _atexit_register
    logging = sys.modules.get("logging")
    # multiprocessing's joins the process's own children and runs its finalizers: the file's, once the server's are
    # dropped (a non-daemonic Process a test started was killed at the file's end where the server had imported it).
    multiprocessing_util = sys.modules.get("multiprocessing.util")
    if multiprocessing_util is not None:
        getattr(multiprocessing_util, "_finalizer_registry", {}).clear()
    keep = [getattr(logging, "shutdown", None), weakref.finalize._exitfunc, getattr(multiprocessing_util, "_exit_function", None)]
    for func in _registered_by_server:
        if not any(func == kept for kept in keep):
            atexit.unregister(func)
    for info in list(weakref.finalize._registry.values()):
        info.atexit = False


# The modules a fresh `python -m pytest` has imported once pytest is (None until the server has imported it), and the
# server's own imports beyond them (its warm-up's plugins, its preloads): see _quiet_rewrite_warning_for_server_imports.
_fresh_imports = None
_server_imports = frozenset()
# Imported by pytest itself as it configures a session (its builtin plugins), in a fresh process as in the server.
_PYTEST_OWN = frozenset({"pytest", "_pytest", "pluggy"})


def note_server_imports():
    """In the server: notes what it has imported, the first call once it has imported pytest (what a fresh pytest has).

    Called again after each import of its own (the warm-up, each preload), before the next file is forked.
    """
    global _fresh_imports, _server_imports
    if _fresh_imports is None:
        _fresh_imports = frozenset(sys.modules)
        return
    stdlib = getattr(sys, "stdlib_module_names", frozenset())
    _server_imports = frozenset(
        name for name in sys.modules if name not in _fresh_imports and name.partition(".")[0] not in stdlib and name.partition(".")[0] not in _PYTEST_OWN
    )


def _quiet_rewrite_warning_for_server_imports():
    """In the child: pytest's "Module already imported so cannot be rewritten" is not said of a module the server imported.

    pytest rewrites the asserts of a module it is told to (`-p NAME`,
    `pytest_plugins`, `register_assert_rewrite`) if it imports it afterwards,
    and warns when the module was imported before. A fresh process would not
    have imported a plugin of the server's warm-up (an editable install's,
    which pytest does not rewrite unless told to) or a preload yet: the warning
    is the server's doing, and under `filterwarnings = error` it would fail
    every file. Such a module keeps its asserts as they are. pytest leaves out
    of that warning the modules its hook has rewritten (`_rewritten_names`):
    each hook the file's session makes starts with the server's modules there.
    Not by wrapping the warning: it names the line `stacklevel` frames up,
    which one more frame would move into pytest.
    """
    if not _server_imports:
        return
    hook = getattr(sys.modules.get("_pytest.assertion.rewrite"), "AssertionRewritingHook", None)
    init = getattr(hook, "__init__", None)
    if init is None:
        return

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        rewritten = getattr(self, "_rewritten_names", None)
        if isinstance(rewritten, dict):
            # Only ever read for the modules the hook itself loaded (their resources), which these are not.
            for name in _server_imports:
                rewritten.setdefault(name, None)

    hook.__init__ = __init__


# Whether the server's objects are still frozen in this child, whether they have had the collections a fresh process's
# long-lived objects have had (see _settle), whether the child is asking gc for itself (its hooks then do nothing), and
# the ids of the server's open files, once unfrozen: not the file's to flush at its end.
_server_objects = {"frozen": False, "settled": True, "ours": False, "files": frozenset()}
_collect = gc.collect


def _see_server_objects_when_asked():
    """The server froze what it holds out of the collector's reach: gc.get_objects and gc.get_referrers skip frozen
    objects, and gc.collect never frees them. A test looking for a leak (who refers to the root logger's handler?)
    saw none and passed; one that drops a module from sys.modules and collects saw its classes live on (a helper's
    probe on Python 3.13). The first call of gc.get_objects or gc.get_referrers, or of gc.collect while a test runs
    (not pytest's own collections at the session's end), unfreezes them, as they are in a fresh process; files that
    never ask keep the collections that skip them. For the first two, an audit hook, which runs before the call and
    is gone when it looks: a Python function in gc's place would itself have been a frame the call finds (trio's test
    that no cyclic garbage refers to a coroutine). gc.collect has no audit event: it is wrapped, under its own name,
    until the objects are unfrozen (gc's own then: a stack taken in a collection showed the wrapper's frame, asgiref's
    garbage collection tests in a helper's trial).

    Unfrozen, they are also settled before the first look: the collections the test made before it looked skipped
    them, and a frozen tuple or dict that holds nothing a collection tracks is untracked only by the first collection
    that sees it. A leak check that collects, counts gc.get_objects(), collects and counts again (pyramid's) saw the
    second count a few hundred objects short under the fork server.
    """
    _server_objects["frozen"] = True

    def unfreeze_on_first_look(event, args):
        if not _server_objects["ours"] and event in ("gc.get_objects", "gc.get_referrers") and (_server_objects["frozen"] or not _server_objects["settled"]):
            _server_objects["ours"] = True
            try:
                if _server_objects["frozen"]:
                    _unfreeze()
                    unwrap()
                _settle()
            finally:
                _server_objects["ours"] = False

    def collect(generation=2):
        if _server_objects["frozen"] and not _server_objects["ours"] and _test_running():
            _server_objects["ours"] = True
            try:
                _unfreeze()
                unwrap()
            finally:
                _server_objects["ours"] = False
        return _collect(generation)

    def unwrap():
        # Unless a test has put its own in its place since.
        if gc.collect is collect:
            gc.collect = _collect

    functools.update_wrapper(collect, _collect)
    # What a test's first gc.collect runs of grimoire-run's: none of it a file a tracer measures.
    hide_from_tracers(unwrap, _test_running, _unfreeze, _settle, _buffered_files, as_file=STAND_IN_FILE)
    gc.collect = hide_from_tracers(collect, as_file=STAND_IN_FILE)
    sys.addaudithook(unfreeze_on_first_look)


def _test_running():
    """Whether a test of the file's session is running (its setup, call or teardown), by grimoire-run's plugin."""
    plugin = sys.modules.get("grimoire_run_pytest")
    running = getattr(plugin, "test_running", None)
    return callable(running) and running()


def _unfreeze():
    if _server_files is None:
        # Forked before the server noted its files: they are what unfreezing adds to the collector's lists.
        own = {id(handle) for handle in _buffered_files()}
        gc.unfreeze()
        _server_objects["files"] = frozenset(id(handle) for handle in _buffered_files()) - own
    else:
        gc.unfreeze()
    _server_objects["frozen"] = False
    _server_objects["settled"] = False


# The server's open files whose writes a buffer may hold, held weakly: noted once (note_server_files), and inherited by
# the files forked after it, whose end does not flush them. None before.
_server_files = None


def note_server_files():
    """In the server, once its first files are on their way: the open files it holds, which a forked file's end leaves
    to the server.

    A forked file that unfreezes the server's objects (a test's gc.collect or gc.get_objects) told them apart by
    listing every object it then held, each one's page copied as it was looked at: its first gc.collect took 26-34 ms
    where plain pytest's took 10-14 (tornado's suite, 41,000 objects), and tornado's test that a collection ends within
    0.2 s failed now and then on a loaded machine (a helper's trial). Noted here once, the server lists them while
    its first files run; what it holds is frozen again, with what it has made since its last freeze.
    """
    global _server_files
    if _server_files is not None:
        return
    gc.unfreeze()
    try:
        files = weakref.WeakSet()
        for handle in _buffered_files():
            try:
                files.add(handle)
            except TypeError:  # a file object that takes no weak reference: its end flushes it, as before
                pass
        _server_files = files
    finally:
        gc.freeze()


def _settle():
    """The unfrozen objects' collections (see _collect_quietly), once."""
    _collect_quietly()
    _server_objects["settled"] = True


# Collections the unfrozen objects get at most: a tuple is untracked once what it holds is, one level per collection.
_UNTRACKING_COLLECTIONS = 8


def _collect_quietly():
    """Full collections, until one leaves as many tracked objects as the one before (a tuple of tuples of strings is
    untracked only by the second collection that sees it), that the test's gc.callbacks do not hear of and its
    gc.set_debug flags do not act on."""
    callbacks, flags = list(gc.callbacks), gc.get_debug()
    gc.callbacks.clear()
    gc.set_debug(0)
    try:
        tracked = None
        for _ in range(_UNTRACKING_COLLECTIONS):
            _collect()
            now = len(gc.get_objects())
            if now == tracked:
                break
            tracked = now
    finally:
        gc.set_debug(flags)
        gc.callbacks.extend(callbacks)


def _buffered_files():
    """The open files the collector lists whose writes a buffer may hold: text ones first, so that what they flush into
    their buffer is flushed in turn."""
    text, binary = [], []
    for obj in gc.get_objects():
        kind = type(obj)  # not isinstance: it would ask a proxy object for its __class__
        if issubclass(kind, io.TextIOWrapper):
            text.append(obj)
        elif issubclass(kind, (io.BufferedWriter, io.BufferedRandom)):
            binary.append(obj)
    return text + binary


def _flush_files_left_open():
    """What a fresh process's shutdown does for a file its tests opened and never closed: writes still buffered reach it.

    The child ends with os._exit (it must not unwind into the server's code),
    which skips the interpreter's teardown. Only the file's own objects are
    looked at: the server's were frozen out of the collector's lists, or,
    where a test's gc.get_objects unfroze them, noted as the server's then.
    """
    _server_objects["ours"] = True
    for handle in _buffered_files():
        if id(handle) in _server_objects["files"] or (_server_files is not None and handle in _server_files):
            continue
        try:
            if not handle.closed:
                handle.flush()
        except Exception:
            pass


def fork_file(request, inherited_stdin):
    """Forks the child for a checked `run` request; returns its pid. In the child, never returns.

    `inherited_stdin`: the descriptor of grimoire-run's own stdin, or None when it was not handed over.
    """
    # The output's connection is made before the fork: grimoire-run, once it hears that the child started, knows its
    # output is on the way, however soon the child ends (its exit and its connection reach grimoire-run by two paths).
    output = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        output.connect(request["socket"])
        output.sendall(f"{request['id']}\n".encode())
        pid = os.fork()
    except BaseException:
        output.close()
        raise
    if pid == 0:
        try:
            become_pytest(request, inherited_stdin, output)
        finally:
            # Whatever happens, the child never runs the server's loop as a second server.
            os._exit(_BROKEN_START)
    output.close()
    return pid


def become_pytest(request, inherited_stdin, output):
    """In the forked child: become the file's own pytest process, its stdout and stderr the `output` socket. Never returns."""
    code = _BROKEN_START
    interrupted = False
    try:
        os.setsid()
        for signum, handler in _CHILD_RESET_SIGNALS.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(-1)
        # A serial run's child takes grimoire-run's own stdin (pdb, breakpoint()), handed to the server as fd 3.
        stdin = os.dup(inherited_stdin) if request.get("stdin") == "inherit" and inherited_stdin is not None else os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(output.fileno(), 1)
        os.dup2(output.fileno(), 2)
        output.close()
        # The server's own descriptors (its protocol pipes, its selector) are not the file's business.
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        os.chdir(request["cwd"])
        # The server's environment is what the Python command (a wrapper, a virtualenv) made of
        # grimoire-run's; the file's own changes to grimoire-run's go on top of it.
        for key in request["unset"]:
            os.environ.pop(key, None)
        os.environ.update(request["set"])
        # Bytecode: the server imported as the user's environment says (not writing it, from the compiled files pip
        # left); a file given a cache folder (grimoire-run's bytecode cache) has its imports and pytest's rewriting use
        # it. The folder is not the tests' business: their environment, and their subprocesses', stays the user's.
        cache = os.environ.pop(_BYTECODE_CACHE_VARIABLE, None)
        if cache:
            use_bytecode_cache(cache)
        else:
            _drop_bytecode_cache()
        # As `python -m pytest` from that folder would have it: pytest's __main__ runs as __main__ (code
        # that derives its program name from it, like click's, sees what it would see), argv[0] is its
        # file, sys.path[0] the working folder.
        sys.argv = ["-m", *request["args"]]
        if _ORIG_ARGV is not None:
            sys.orig_argv = [*_PYTHON_ARGV, "-m", "pytest", *request["args"]]
        sys.path[0] = request["cwd"]
        grimoire_run_main.fresh_main()
        for stream in (sys.stdout, sys.stderr):
            # What a fresh process started by grimoire-run has (PYTHONUNBUFFERED): writes go straight to the
            # descriptor. Line buffering only where the server's stream has a buffer of its own to flush.
            unbuffered = isinstance(getattr(stream, "buffer", None), io.FileIO)
            stream.reconfigure(line_buffering=stream.line_buffering if unbuffered else True, write_through=True)
        # A fork shares its parent's random state and its parent's temporary folder; a fresh process would not.
        random.seed()
        _reseed_random_generators()
        tempfile.tempdir = _TEMPDIR_AT_START
        # logging counts a record's relativeCreated from its import, which a fresh process makes as pytest starts:
        # from the fork, not from the server's start (minutes ago, late in a long run).
        logging = sys.modules.get("logging")
        if logging is not None and isinstance(getattr(logging, "_startTime", None), (int, float)):
            # Seconds as a float up to Python 3.12, nanoseconds as an int from 3.13.
            logging._startTime = time.time_ns() if isinstance(logging._startTime, int) else time.time()
        # Exit handlers registered in the server are not the file's; those its session registers are.
        _fresh_exit_handlers()
        _see_server_objects_when_asked()
        _quiet_rewrite_warning_for_server_imports()
        # What a preload keeps of sys.stdin, sys.stdout or sys.stderr is the file's own, and pytest's capture of it
        # once that starts, as in a plain run's import of it (grimoire_run_preload).
        preloads = sys.modules.get("grimoire_run_preload")
        if preloads is not None:
            preloads.rebind_streams_when_captured()
        grimoire_run_prepared.take(request["args"])
        if TOP[0] is not None:
            grimoire_run_depth.as_at_the_top(TOP[0])
        try:
            grimoire_run_main.run_as_main("pytest")
        except SystemExit as exit_:
            if exit_.code is None or isinstance(exit_.code, int):
                code = exit_.code or 0
            else:
                # As the interpreter does with sys.exit("message"): the message to stderr, exit code 1.
                print(exit_.code, file=sys.stderr)
                code = 1
        except BaseException as error:  # noqa: BLE001 - raised out of pytest's main (a conftest's pytest_unconfigure)
            # As the interpreter does with an exception nothing caught: its traceback through sys.excepthook, exit
            # code 1, the way out below all the same (fastapi's unraisable ResourceWarning under filterwarnings=error,
            # raised at pytest's unconfigure: plain pytest exits 1, where this said an internal error, 3). Ctrl-C's
            # KeyboardInterrupt ends the process by the signal, as the interpreter ends it.
            sys.excepthook(type(error), error, error.__traceback__)
            code = 1
            interrupted = isinstance(error, KeyboardInterrupt)
        # What the interpreter does on its way out: wait for the threads the tests left, then exit handlers.
        threading._shutdown()
        atexit._run_exitfuncs()
        _flush_files_left_open()
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            if interrupted:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGINT)
            os._exit(int(code))
