"""Which of a plugin's names are fixtures: found once per run in the fork server instead of once per file.

Its one job: every pytest session's fixture manager looks through every name of
every registered plugin for fixture definitions (`dir()` of pytest's forty-odd
plugin modules and of each plugin object's class, a few thousand attribute
reads), and finds the same few dozen fixtures each time. A forked file's
fixture manager is shown only the names that were fixtures, and does with them
exactly what it would have done: pytest's own code still reads each one and
registers it.

What it remembers is only what the server's warm-up session saw: plugin
modules and classes the server imported, which a file inherits unchanged.
Whatever a file imports itself (its conftests, its test modules, a plugin only
its command line names) is looked through in full, as always. So is a
remembered module or class that no longer binds every name to what it bound in
the server: a plugin's pytest_configure that turns a module global into a
fixture, say.
"""

import builtins
import types

# id(holder) -> (holder, a copy of its namespace then, the names worth pytest's look).
_remembered = {}
_remembering = False


def _namespace(holder):
    try:
        return vars(holder)
    except TypeError:
        return None


def _unchanged(namespace, then):
    """Whether a namespace still binds every name to the very object it did (a dict comparison: identity first, in C)."""
    try:
        return namespace == then
    except Exception:  # a value replaced by one whose == cannot answer
        return False


def _remembered_dir(fixtures):
    safe_getattr, getfixturemarker = fixtures.safe_getattr, fixtures.getfixturemarker

    def names_of(holder):
        """A module's or a class's names; only those that are fixtures while it binds what the server saw."""
        entry = _remembered.get(id(holder))
        namespace = _namespace(holder)
        if entry is not None and entry[0] is holder and namespace is not None and _unchanged(namespace, entry[1]):
            return list(entry[2])
        names = builtins.dir(holder)
        if _remembering and namespace is not None:
            fixtures_only = tuple(name for name in names if getfixturemarker(safe_getattr(holder, name, None)) is not None)
            _remembered[id(holder)] = (holder, dict(namespace), fixtures_only)
        return names

    def dir_(holder):
        if isinstance(holder, (type, types.ModuleType)):
            return names_of(holder)
        # A plugin object: pytest reads its fixtures on its class (pytest 7 on the object, whose own attributes are checked too).
        own = getattr(holder, "__dict__", {})
        return sorted({*names_of(type(holder)), *(name for name, value in own.items() if getfixturemarker(value) is not None)})

    return dir_


def install():
    """In the server, before its warm-up session: the fixture manager's dir() remembers what it finds from now on.

    Does nothing where pytest's fixtures module has not the helpers it is written for.
    Returns what undoes it (None when it did nothing).
    """
    global _remembering
    import _pytest.fixtures as fixtures

    if not (hasattr(fixtures, "safe_getattr") and hasattr(fixtures, "getfixturemarker")):
        return None
    _remembering = True
    if "dir" in vars(fixtures):
        return None
    fixtures.dir = _remembered_dir(fixtures)

    def undo():
        global _remembering
        _remembering = False
        if "dir" in vars(fixtures):
            del fixtures.dir

    return undo


def stop_remembering():
    """After the warm-up: what the server saw is remembered; a file's own holders are never added."""
    global _remembering
    _remembering = False
