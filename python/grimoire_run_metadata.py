"""Installed packages' metadata, read and parsed once per run in the fork server instead of once per file.

Its one job: every pytest session reads the metadata of the installed
distributions, and a forked file should not have to read and parse the same
files the server already did. `-p NAME` and plugin autoload scan every
distribution's entry points, the session's header reads each plugin's name and
version (METADATA, parsed as an e-mail message), and assertion rewriting reads
every plugin's file list (RECORD). With this machine's plugins installed that
was about a third of a forked tiny file's CPU.

What it remembers is only ever what the file would read: a distribution's
text files, and its parsed metadata, entry points and file list, each with the
state of every file it was read from (inode, size, modification and change
times), which every call checks with one `stat` a file. Only a file that has
not changed for a second is remembered: a file's times are kept at the
kernel's tick, so one written twice within a tick (a test that rewrites a
METADATA in place) could keep its times, but never after a second. A caller
gets a metadata message and a file list of its own, as it would from a fresh
read. It never remembers which distributions there are (importlib.metadata's
own business, cached by the folders' modification times already), never
touches a distribution that is not a folder (a zip's), and does not remember a
file list where importlib.metadata leaves out the files that are not there
(Python 3.12 and later): that depends on every file it lists.
"""

import importlib.metadata as metadata
import os
import time

_remembered = {}
_MISSING = object()
# The dependency lists of the values being worked out, innermost last: each file read is added to all of them.
_tracking = []
_SETTLED_NS = 1_000_000_000
# The read_text install() put in place, which the remembered values were read with.
_read_text = [None]


def _state(path):
    """What tells a file's versions apart; None when there is no file to read."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


def _settled(state):
    """A file that is not there, or has not changed for a second: a later change gives it other times."""
    return state is None or time.time_ns() - max(state[2], state[3]) > _SETTLED_NS


def _folder(distribution):
    path = getattr(distribution, "_path", None)
    if path is None:
        return None
    try:
        return os.fspath(path)
    except TypeError:
        return None


def _depend_on(files):
    for dependencies in _tracking:
        dependencies.extend(files)


def _remember_text(read_text):
    def read(distribution, filename):
        folder = _folder(distribution)
        if folder is None:
            _depend_on([(None, None)])  # a zip's: nothing that uses it is remembered
            return read_text(distribution, filename)
        path = os.path.join(folder, filename) if filename else folder
        state = _state(path)
        _depend_on([(path, state)])
        key = ("text", path)
        found = _remembered.get(key)
        if found is not None and found[0] == state:
            return found[1]
        text = read_text(distribution, filename)
        # Read after its state: a file changed in between is remembered under its old state, which no later call matches.
        if _settled(state):
            _remembered[key] = (state, text)
        return text

    read.grimoire_remembered = True
    return read


def _remember(what, compute, copy=lambda value: value):
    """`compute` remembered per distribution folder, as long as every file it read is as it was.

    Only where the distribution reads its files with the read_text installed here: a test that patches
    PathDistribution.read_text (a spy counting the reads, a RECORD made to read as missing, an OSError for METADATA), or
    a subclass that overrides it, gets what its read_text gives, as in a plain run (flake8's trial: a remembered
    METADATA answered a test that expected its patched read_text to raise)."""

    def get(distribution):
        folder = _folder(distribution)
        if folder is None or type(distribution).read_text is not _read_text[0]:
            _depend_on([(None, None)])
            return compute(distribution)
        key = (what, folder)
        found = _remembered.get(key)
        if found is not None and all(_state(path) == state for path, state in found[0]):
            _depend_on(found[0])
            return copy(found[1])
        dependencies = []
        _tracking.append(dependencies)
        try:
            value = compute(distribution)
        finally:
            _tracking.pop()
        _depend_on(dependencies)
        # Nothing read (a Python whose importlib.metadata reads otherwise), or a zip's: not remembered.
        if dependencies and all(path is not None and _settled(state) for path, state in dependencies):
            _remembered[key] = (tuple(dependencies), value)
        return copy(value)

    return get


def _copy_message(message):
    """A message of the caller's own: one that adds or removes a header changes no other caller's."""
    if message is None:
        return None
    clone = object.__new__(type(message))
    vars(clone).update(vars(message))
    # An email.message.Message's own lists: its headers, and the defects its parse found.
    for name in ("_headers", "defects"):
        if isinstance(vars(message).get(name), list):
            setattr(clone, name, list(vars(message)[name]))
    return clone


def _copy_list(found):
    return None if found is None else list(found)


def _checks_files_exist(files):
    """Whether importlib.metadata's file list leaves out the files that are not there (Python 3.12 and later)."""

    def names(code):
        yield from code.co_names
        for constant in code.co_consts:
            if hasattr(constant, "co_names"):
                yield from names(constant)

    return "exists" in set(names(files.fget.__code__))


def install():
    """Makes importlib.metadata remember what it reads of a distribution folder, in this process and those it forks.

    Returns what undoes it (None when it was installed already)."""
    if getattr(metadata.PathDistribution.read_text, "grimoire_remembered", False):
        return None
    names = ["metadata", "entry_points"] + ([] if _checks_files_exist(metadata.Distribution.files) else ["files"])
    originals = [(metadata.PathDistribution, "read_text")] + [(metadata.Distribution, name) for name in names]
    originals = [(owner, name, vars(owner).get(name, _MISSING)) for owner, name in originals]
    metadata.PathDistribution.read_text = _read_text[0] = _remember_text(metadata.PathDistribution.read_text)
    # The entry points are immutable; a message and a list the caller may change: each gets its own.
    copies = {"metadata": _copy_message, "entry_points": lambda value: value, "files": _copy_list}
    for name in names:
        setattr(metadata.Distribution, name, property(_remember(name, getattr(metadata.Distribution, name).fget, copies[name])))

    def undo():
        for owner, name, original in originals:
            if original is not _MISSING:
                setattr(owner, name, original)
            elif name in vars(owner):
                delattr(owner, name)
        _remembered.clear()
        _read_text[0] = None

    return undo
