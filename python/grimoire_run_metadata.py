"""Installed packages' metadata, read and parsed once per run in the fork server instead of once per file.

Its one job: every pytest session reads the metadata of the installed
distributions, and a forked file should not have to read and parse the same
files the server already did. `-p NAME` and plugin autoload scan every
distribution's entry points, the session's header reads each plugin's name and
version (METADATA, parsed as an e-mail message), and assertion rewriting reads
every plugin's file list (RECORD). With this machine's plugins installed that
was about a third of a forked tiny file's CPU.

What it remembers is only ever what the file would read: a distribution's
text files, its parsed metadata, entry points and file list, each under the
distribution's folder and that folder's modification time. Installing,
upgrading or removing a package replaces its `.dist-info` folder, so a file
that changes the installed packages sees the change. It never remembers which
distributions there are (that is importlib.metadata's own business, cached by
the folders' modification times already), and never touches a distribution
that is not a folder (a zip's).
"""

import importlib.metadata as metadata
import os

_remembered = {}
_MISSING = object()


def _key(distribution, what):
    """(what, folder, modification time) for a distribution in a folder; None when it is not one."""
    path = getattr(distribution, "_path", None)
    if path is None:
        return None
    try:
        return (what, os.fspath(path), os.stat(path).st_mtime_ns)
    except (OSError, TypeError):
        return None


def _remember(what, compute):
    def read(distribution, *args):
        key = _key(distribution, (what, *args))
        if key is None:
            return compute(distribution, *args)
        value = _remembered.get(key, _MISSING)
        if value is _MISSING:
            value = _remembered[key] = compute(distribution, *args)
        return value

    return read


def install():
    """Makes importlib.metadata remember what it reads of a distribution folder, in this process and those it forks.

    Returns what undoes it (None when it was installed already)."""
    if getattr(metadata.PathDistribution.read_text, "grimoire_remembered", False):
        return None
    originals = [(metadata.PathDistribution, "read_text")] + [(metadata.Distribution, name) for name in ("metadata", "entry_points", "files")]
    originals = [(owner, name, vars(owner).get(name, _MISSING)) for owner, name in originals]
    read_text = _remember("text", metadata.PathDistribution.read_text)
    read_text.grimoire_remembered = True
    metadata.PathDistribution.read_text = read_text
    for name in ("metadata", "entry_points"):
        setattr(metadata.Distribution, name, property(_remember(name, getattr(metadata.Distribution, name).fget)))
    files = _remember("files", metadata.Distribution.files.fget)
    # A list the caller may change: each gets a copy of its own.
    metadata.Distribution.files = property(lambda distribution: None if (found := files(distribution)) is None else list(found))

    def undo():
        for owner, name, original in originals:
            if original is not _MISSING:
                setattr(owner, name, original)
            elif name in vars(owner):
                delattr(owner, name)
        _remembered.clear()

    return undo
