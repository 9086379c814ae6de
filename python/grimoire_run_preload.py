"""`preload`: third-party modules the fork server imports once, for every file to inherit.

Its one job is to make a module's import a one-off without letting anything of
one file reach another. A preloaded module is imported before any file is
forked, so it must not depend on what differs between files: a module that
reads, while it is imported, an environment variable grimoire-run sets per file
(GRIMOIRE_SLOT, E2E_BASE_URL, the managed database's URL…) would carry the
server's value into every file. Each import is watched; a module that reads
one is refused (every module its import brought in is dropped from
sys.modules, so each file imports it afresh, as without preload). A module
that cannot be imported is refused too, and so is one whose import warns: in
a file's own import, pytest's warning filters see that warning (a project's
`filterwarnings = error` makes it a failure), which an import done once in the
server would hide. Once a module is refused,
the other modules of its package in the same request are not tried. It never
imports the project's own code unless that code is named.

Taking a module back out of sys.modules does not take back what its import did
elsewhere: a filter added to a logger, an exit handler, a patched attribute of
another module. So the modules are first tried in a forked child, which
reports what it would preload and what it refuses; the server imports only
what the child preloaded. A refused module never runs in the server (before,
sanic's logging module, imported on the way to a refused package, left a
filter on its logger that made later files' own import drop their records). A
module whose import kills the child is refused too, where it would have killed
the server. The price: each preloaded module is imported twice, once in the
child and once here.

While a module is imported, the per-file variables are not in its os.environ
at all: one that asks for a per-file variable by name is refused, since it would
keep the server's answer (that there is none). A module that looks through the
whole environment (for its own prefix, say) sees none of them: kept when they
are only grimoire-run's own (GRIMOIRE_*, which a plain run does not have), but
refused when a file's environment holds one a plain run has too (a managed
server's E2E_BASE_URL, a managed database's URL), since a copy of the
environment taken at import would lack it in every file. A variable that is
the same for every file (an E2E_BASE_URL of the user's) is in the server's own
environment, not a per-file one, and a preload sees it as a file would.

A module whose import leaves a file or socket open is refused: each forked file
starts by closing what the server holds open, and would lose it (a log file
opened at import, a client's connection), or share one connection with every
other file if it kept it.

A module that keeps sys.stdin, sys.stdout or sys.stderr as its import found them
(a default argument, `def name(f=sys.stdin)`, as dnspython's Tokenizer has; a
logging handler made at import) keeps, in a plain run, pytest's capture of it:
test modules are imported while pytest captures. Imported here, it would keep the
server's own stream, and `f is sys.stdin` in a test would be false (dnspython's
trial: --preload dns failed testStdinFilename). So the streams are stand-ins while
a preload is imported, and the places that keep one afterwards (a module's or an
object's attribute, a function's default, a closure's cell, a list's item) are
noted; each forked file puts its own stream there as its pytest starts capturing
(rebind_streams_when_captured). A module that keeps one where it cannot be put
back (a tuple of its own, an object without a __dict__) is refused, and so is one
that replaces the stream itself (pytest's capture takes that back in a plain run).
"""

import faulthandler
import gc
import importlib
import io
import json
import os
import signal
import sys
import sysconfig
import types
import warnings

from grimoire_run_paths import in_install_folder

_FAILED = "its import failed"
_LEFT_OPEN = "its import left open"
# grimoire-run's own per-file variables: a plain run has none of them, so an import that sees none sees a plain run's.
_OWN_PREFIX = "GRIMOIRE_"
_OWN_CODE = "its import imported the project's own code"
_WARNS = "its import warns"
# Imported, it installs Twisted's default reactor, which a process can have one of: pytest-twisted installs the one its
# --reactor names in each file's session (an import of a Twisted library that asks for `twisted.internet.reactor`).
_TWISTED_REACTOR = "twisted.internet.reactor"
_INSTALLS_REACTOR = "its import installed Twisted's reactor, which each file's pytest-twisted installs as its --reactor says"
_KEEPS_STREAM = "its import keeps sys."
_REPLACES_STREAM = "its import replaced sys."


# Noted among the names read when an import looks through the whole environment (iterates, copies it).
_WHOLE_ENVIRONMENT = object()
# The names os.environ was asked for while a preload was imported (os.environ is of _WatchedEnviron's class then).
_read = set()
# What each module preloaded here read of the environment as it was imported: the names asked for, and "*" when it
# looked through the whole environment. A variable the project's conftests set (the listing says which) was unset then.
environment_read = {}
# Every module preloaded here, in order: a forked file's plugin checks them against the import hooks its session installs.
PRELOADED = []


class _WatchedEnviron(type(os.environ)):
    """os.environ's own class, noting the names asked for: os.environ is made one of these in place while a preload
    is imported, never replaced, since a module may keep it (rich's Console keeps `os.environ` to read COLUMNS and
    NO_COLOR from later: a copy in its place would have hidden every test's monkeypatch.setenv from it)."""

    def __getitem__(self, key):
        _read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _read.add(key)
        return super().__contains__(key)

    def __iter__(self):
        _read.add(_WHOLE_ENVIRONMENT)
        return super().__iter__()


def _watched_import(name, per_file):
    """Imports `name` with the per-file variables out of sight; returns the problem that refuses it, or None, and what
    it read of the rest of the environment (as environment_read holds it)."""
    environ = os.environ
    # Out of os.environ's mapping only: the process's own environment (putenv's) keeps them, as a subprocess sees them.
    hidden = {key: value for key, value in environ._data.items() if _per_file(environ.decodekey(key), per_file)}
    for key in hidden:
        del environ._data[key]
    _read.clear()
    # pytest (8.2 on) names itself in the environment while its main() runs, where a plain run's conftests import what
    # is preloaded here: a library that asks for it at import finds it, as it would there.
    version = None if "PYTEST_VERSION" in environ else _pytest_version()
    version_set = version is not None
    if version_set:
        environ._data[environ.encodekey("PYTEST_VERSION")] = environ.encodevalue(version)
    own_class = type(environ)
    environ.__class__ = _WatchedEnviron
    streams = _streams_stood_in()
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            importlib.import_module(name)
        problem = None if not warned else _warns(warned[0])
    except BaseException as error:  # noqa: BLE001 - whatever the import raised, the module is not preloaded
        problem = f"{_FAILED}: {type(error).__name__}: {_first_line(error)}"
    finally:
        replaced = _streams_back(streams)
        environ.__class__ = own_class
        if version_set:
            environ._data.pop(environ.encodekey("PYTEST_VERSION"), None)
        for key, value in hidden.items():
            environ._data.setdefault(key, value)
    # Names only (a module may ask with bytes, which os.environ then refuses): _WHOLE_ENVIRONMENT is said as "*".
    names = [key for key in _read if isinstance(key, str)]
    read = sorted(key for key in names if _per_file(key, per_file))
    # Variables a plain run's environment may hold too, which a copy of the whole environment taken here would lack.
    unseen = [entry for entry in per_file if not entry.startswith(_OWN_PREFIX)] if _WHOLE_ENVIRONMENT in _read else []
    others = sorted(key for key in names if not _per_file(key, per_file)) + (["*"] if _WHOLE_ENVIRONMENT in _read else [])
    _read.clear()
    if problem is None and replaced:
        problem = f"{_REPLACES_STREAM}{replaced[0]}, which pytest's capture takes back in each file's own import"
    if problem is None and read:
        problem = f"its import reads {', '.join(read)}, which each file sets for itself"
    if problem is None and unseen:
        problem = f"its import looked through the whole environment, where each file has its own {', '.join(unseen)}"
    return problem, others


# Where pytest's main() sets PYTEST_VERSION: in main itself (pytest 8.2 to 9.0), or in the _main it calls (9.1).
_MAIN_FUNCTIONS = ("main", "_main")


def _pytest_version():
    """The version pytest's main() puts in PYTEST_VERSION (pytest 8.2 on), or None for a pytest that does not."""
    pytest = sys.modules.get("pytest")
    config = sys.modules.get("_pytest.config")
    codes = [getattr(getattr(config, name, None), "__code__", None) for name in _MAIN_FUNCTIONS]
    if pytest is None or not any(code is not None and "PYTEST_VERSION" in code.co_consts for code in codes):
        return None
    return getattr(pytest, "__version__", None)


def preload(names, per_file, installed_only=lambda name: False):
    """Tries `names` in a forked child, then imports here what it preloaded; returns (preloaded, refused) as _preload does."""
    if not names:
        return [], []
    kept_there, refused_there = _tried_in_child(names, per_file, installed_only)
    preloaded, refused_here = _preload(kept_there, per_file, installed_only)
    return preloaded, refused_there + refused_here


def _tried_in_child(names, per_file, installed_only):
    """What _preload would do with `names`, found in a forked child that then exits: (preloaded, refused)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            # Not the server's: the signals end it as they end any process, and its imports' output is not shown twice.
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            faulthandler.disable()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            preloaded, refused = _preload(names, per_file, installed_only)
            with os.fdopen(write_fd, "w") as out:
                json.dump({"preloaded": preloaded, "refused": refused}, out)
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as answer:
        text = answer.read()
    _, status = os.waitpid(pid, 0)
    try:
        tried = json.loads(text)
        return tried["preloaded"], tried["refused"]
    except (ValueError, KeyError, TypeError):
        # It died while importing them (a crash in an extension module, say): none is imported here.
        how = f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit code {os.WEXITSTATUS(status)}"
        return [], [{"module": name, "reason": f"{_FAILED}: the process that tried it ended ({how})"} for name in names]


def _preload(names, per_file, installed_only=lambda name: False):
    """Imports each module of `names`; returns (preloaded, refused), refused as the protocol sends them.

    Each refusal is `{"module": name, "reason": why}`, with `"untried": True` for
    a module not tried because another of its package was refused before it, and
    `"ownCode": True` for one refused only because its import brought in the
    project's own code (`installed_only`), which a --preload naming it may take.

    `per_file`: environment variable names, or prefixes ending in `*`, that differ between files.
    `installed_only(name)`: whether to refuse the module if its import brought in
    code of neither an installed package nor Python's own (the project's: a
    settings module some package reads at import), as auto-preload must; a
    package named in --preload, and its modules, may be the project's own.
    """
    preloaded, refused = [], []
    # A package one of whose modules was refused: its other modules are not tried. Each would import, then drop again,
    # what the refused one brought in (the package itself, most often), and be refused the same way: a Django models
    # module before django.setup(); an installed package that imports the project's code (IPython's modules, every
    # one of which imports Pygments, in Pygments' own checkout: a second each, for a hundred modules).
    refused_in = {}
    for name in names:
        package = name.partition(".")[0]
        if package in refused_in:
            why, own_code = refused_in[package]
            refused.append({"module": name, "reason": f"not tried: {why}", "untried": True, **({"ownCode": True} if own_code else {})})
            continue
        before = set(sys.modules)
        # A name new to sys.modules for a module it held already is no new code: `multiprocessing` files `__main__`
        # (here the server's own module) as `__mp_main__` too, and uvicorn, which imports it, was refused for it.
        held = {id(module) for module in sys.modules.values()}
        open_before = _open_descriptors()
        streams_before = _stream_refcounts()
        problem, read = _watched_import(name, per_file)
        if problem is None:
            problem = _left_open(_open_descriptors() - open_before)
        if problem is None and _TWISTED_REACTOR in sys.modules and _TWISTED_REACTOR not in before:
            problem = _INSTALLS_REACTOR
        if problem is None and installed_only(name):
            own = sorted(module for module in set(sys.modules) - before if id(sys.modules.get(module)) not in held and not _installed_or_python(sys.modules.get(module)))
            if own:
                problem = f"{_OWN_CODE} ({', '.join(own[:3])}{', …' if len(own) > 3 else ''})"
        problem = _streams_kept(streams_before, noted=problem is None) or problem
        if problem is None:
            preloaded.append(name)
            PRELOADED.append(name)
            if read:
                environment_read[name] = read
            continue
        for module in set(sys.modules) - before:
            del sys.modules[module]
        own_code = problem.startswith(_OWN_CODE)
        refused.append({"module": name, "reason": problem, **({"ownCode": True} if own_code else {})})
        refused_in[package] = (f"{name}, of the same package, {_in_short(problem)}", own_code)
    return preloaded, refused


def _first_line(error):
    """An error's first line, "…" after it where there is more (pydantic's ValidationError: 28 lines, one a setting)."""
    lines = str(error).strip().splitlines()
    return "" if not lines else lines[0] + (" …" if len(lines) > 1 else "")


def _open_descriptors():
    """The process's open file descriptors (Linux, where the fork server runs)."""
    try:
        listed = os.listdir("/proc/self/fd")
    except OSError:
        return set()
    # The listing's own descriptor is among them, closed by now.
    return {int(fd) for fd in listed if _is_open(int(fd))}


def _is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _left_open(descriptors):
    """What refuses a module whose import left these descriptors open, or None when it left none."""
    if not descriptors:
        return None
    names = []
    for fd in sorted(descriptors):
        try:
            names.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            names.append(f"descriptor {fd}")
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return f"{_LEFT_OPEN} {shown}, which each forked file would lose (or share with every other file)"


def _in_short(problem):
    """What refused a module, as the note on its package's other modules says it."""
    if problem.startswith(_FAILED):
        return "failed to import"
    if problem.startswith(_OWN_CODE):
        return "imported the project's own code"
    if problem.startswith(_WARNS):
        return "warned at import"
    if problem.startswith(_LEFT_OPEN):
        return "left a file or socket open"
    if problem.startswith((_KEEPS_STREAM, _REPLACES_STREAM)):
        return "kept or replaced a standard stream"
    if problem == _INSTALLS_REACTOR:
        return "installed Twisted's reactor"
    return "read a variable each file sets"


_PYTHONS_OWN = tuple(os.path.join(os.path.realpath(path), "") for path in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})


def _installed_or_python(module):
    """Whether a module is an installed package's (site-packages, dist-packages, __pypackages__), Python's own, or has no file to tell."""
    origin = getattr(module, "__file__", None)
    if not origin:
        return True
    real = os.path.realpath(origin)
    return in_install_folder(real) or real.startswith(_PYTHONS_OWN)


def _warns(warning):
    """A warning at import: each file's own import is where pytest's filters see it (`filterwarnings = error` makes it
    a failure), and a preload would take it out of their sight."""
    message = str(warning.message).splitlines()[0] if str(warning.message) else ""
    return f"{_WARNS} ({warning.category.__name__}: {message}), and pytest's warning filters decide what that does in each file"


def _per_file(key, per_file):
    return any(key.startswith(entry[:-1]) if entry.endswith("*") else key == entry for entry in per_file)


_STREAM_NAMES = ("stdin", "stdout", "stderr")
# The stand-in for each of sys.stdin, sys.stdout and sys.stderr that preloads are imported with, made once (a module
# imported in a later preload request may keep the same stand-in): its own object over the stream's descriptor.
_stand_ins = {}
# What held a stand-in when an import was last looked at (see _streams_kept).
_known_holders = []
# Where the preloads imported so far keep a stand-in: (how, owner, key, stream name), `how` one of "item" (owner[key]),
# "attribute" (setattr(owner, key, …)), "default" (owner.__defaults__[key]) or "cell" (owner.cell_contents).
stream_bindings = []


def _stand_in(stream):
    """A stream of its own over `stream`'s descriptor, as it reads or writes (its encoding, errors, buffering)."""
    try:
        fd = stream.fileno()
        reading = "r" in getattr(stream, "mode", "w")
        raw = io.open(fd, "rb" if reading else "wb", buffering=-1 if reading else 0, closefd=False)
        return io.TextIOWrapper(raw, encoding=stream.encoding, errors=stream.errors, line_buffering=getattr(stream, "line_buffering", False), write_through=not reading)
    except (AttributeError, OSError, ValueError, TypeError):
        return None  # no descriptor (a stream of a test harness's own): left as it is


def _streams_stood_in():
    """Puts the stand-ins in sys's place for an import; returns the streams they stand in for."""
    streams = {name: getattr(sys, name, None) for name in _STREAM_NAMES}
    for name, stream in streams.items():
        if name not in _stand_ins and stream is not None:
            stand_in = _stand_in(stream)
            if stand_in is not None:
                _stand_ins[name] = stand_in
        if name in _stand_ins:
            setattr(sys, name, _stand_ins[name])
    return streams


def _streams_back(streams):
    """Puts the streams back in sys; returns the names of those the import replaced with a stream of its own."""
    replaced = [name for name in _stand_ins if getattr(sys, name, None) is not _stand_ins[name]]
    for name in _stand_ins:
        stand_in = _stand_ins[name]
        if getattr(stand_in, "writable", lambda: False)():
            try:
                stand_in.flush()
            except (OSError, ValueError):
                pass
        setattr(sys, name, streams[name])
    return replaced


def _stream_refcounts():
    """How many references each stand-in has: one more after an import means the import keeps it somewhere."""
    return {name: sys.getrefcount(_stand_ins[name]) for name in list(_stand_ins)}


def _streams_kept(counts_before, noted=True):
    """Notes where the import just made keeps a stand-in (`noted`: a module kept, not one refused); returns the problem
    that refuses the import if it keeps one where none can be put back, or None.

    Only a stand-in with more references than before the import is looked for (gc.get_referrers reads every object
    the collector tracks: tens of milliseconds in a server that imported pytest, for each of many preloads). What
    was found is remembered (and kept alive, so that its id stays its own): a later import is not blamed for it.
    """
    counts = _stream_refcounts()
    found = []
    for name in list(_stand_ins):
        if counts[name] <= counts_before.get(name, 0):
            continue
        stand_in = _stand_ins[name]
        known = {id(holder) for holder in _known_holders}
        holders = [holder for holder in gc.get_referrers(stand_in) if holder is not _stand_ins and not isinstance(holder, types.FrameType) and id(holder) not in known]
        _known_holders.extend(holders)
        for holder in holders:
            places = _places(holder, stand_in, name, ours={id(holders), id(_known_holders)})
            if places is None and noted:
                return f"{_KEEPS_STREAM}{name} in a {type(holder).__name__} where each file could not be given pytest's capture of it"
            found.extend(places or ())
    if noted:
        stream_bindings.extend(found)
    return None


def _places(holder, stand_in, name, ours):
    """Where `holder` keeps `stand_in`, as stream_bindings notes it; None where it cannot be put back. `ours`: the ids of
    the lists the search itself holds `holder` in.

    Loops, not comprehensions: one that named `holder` would make it a closure's cell here, one more holder of it.
    """
    places = []
    if isinstance(holder, (dict, list)):
        how, owner = "item", holder
        if isinstance(holder, dict):
            for referrer in gc.get_referrers(holder):
                # A class's namespace is changed through the class, which then forgets what it looked up.
                if isinstance(referrer, type) and _namespace_is(referrer, holder):
                    how, owner = "attribute", referrer
        for key, value in holder.items() if isinstance(holder, dict) else enumerate(holder):
            if value is stand_in:
                places.append((how, owner, key, name))
    elif isinstance(holder, types.CellType):
        places.append(("cell", holder, None, name))
    elif isinstance(holder, tuple):
        # A function's defaults, held by the function alone, are put back as its defaults anew.
        for owner in gc.get_referrers(holder):
            if id(owner) in ours or isinstance(owner, types.FrameType):
                continue
            if getattr(owner, "__defaults__", None) is not holder:
                return None
            for index, value in enumerate(holder):
                if value is stand_in:
                    places.append(("default", owner, index, name))
    else:
        # An object whose attributes Python keeps in the object itself (3.11's inline values, __slots__).
        names = set(getattr(holder, "__dict__", None) or ())
        for cls in type(holder).__mro__:
            names.update(_slots(cls))
        for key in names:
            if getattr(holder, key, None) is stand_in:
                places.append(("attribute", holder, key, name))
    return places or None


def _namespace_is(cls, namespace):
    """Whether `namespace` is the dict behind the class's __dict__ (a mappingproxy, which never shows it)."""
    proxy = cls.__dict__
    return len(proxy) == len(namespace) and all(key in namespace and namespace[key] is proxy[key] for key in proxy)


def _slots(cls):
    slots = cls.__dict__.get("__slots__", ())
    return (slots,) if isinstance(slots, str) else tuple(slots)


def rebind_streams(current=None):
    """Puts this process's own sys.stdin, sys.stdout and sys.stderr where the preloads keep a stand-in for them."""
    current = current or {name: getattr(sys, name, None) for name in _STREAM_NAMES}
    for how, owner, key, name in stream_bindings:
        stream = current[name]
        if how == "item":
            owner[key] = stream
        elif how == "attribute":
            setattr(owner, key, stream)
        elif how == "cell":
            owner.cell_contents = stream
        else:
            defaults = list(owner.__defaults__)
            defaults[key] = stream
            owner.__defaults__ = tuple(defaults)


def rebind_streams_when_captured():
    """In a forked file, before its pytest starts: the preloads' kept streams are this process's own now, and pytest's
    capture of them once it starts capturing (where a plain run imports the test modules and what they import)."""
    if not stream_bindings:
        return
    rebind_streams()
    capture = sys.modules.get("_pytest.capture")
    manager = getattr(capture, "CaptureManager", None)
    start = getattr(manager, "start_global_capturing", None)
    if start is None:
        return

    def start_global_capturing(self, *args, **kwargs):
        manager.start_global_capturing = start
        result = start(self, *args, **kwargs)
        rebind_streams()
        return result

    manager.start_global_capturing = start_global_capturing
