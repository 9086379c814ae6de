"""The recursion headroom of a fresh `python -m pytest`, in a process that became pytest from deeper in its stack.

Its one job: a test sees the room for nested calls a plain run gives it. A
process handed over to pytest by the early Python, or forked by the fork
server, runs pytest's `__main__` under their own frames (4 and 12 of them):
structlog's test of a deep recursion's traceback had 14 fewer frames before its
RecursionError than in a plain run, and failed. The Python that hands over
measures how deep it is (against its own module's top level, where a plain
`python -m` runs pytest's `__main__`) and raises the recursion limit by as much;
`sys.getrecursionlimit` and `sys.setrecursionlimit` go on speaking of the limit
a plain run would have, so that a test that sets 100 gets a plain run's room
under 100. (A thread a test starts, which begins at the bottom of its own stack,
gets that much more room than in a plain run: tests that recurse in a thread
are far rarer than tests that recurse.)
"""

import sys

from grimoire_run_paths import STAND_IN_FILE, hide_from_tracers

# The interpreter's own functions, and how far the limit they set is above the one the tests are told of.
_real_get = sys.getrecursionlimit
_real_set = sys.setrecursionlimit
_raised = [0]
# How much deeper than as_at_the_top's measure the module's top level is, where grimoire_run_main.run_as_main runs it:
# calibrated against a plain run's headroom (tests/integration/parity.test.ts, "room for nested calls"). It was 3
# while runpy's own frames ran the module.
_BELOW_A_MAIN_MODULE = 2


def remaining():
    """How many more nested calls fit below the caller's frame."""

    def down(depth):
        try:
            return down(depth + 1)
        except RecursionError:
            return depth

    return down(0)


def getrecursionlimit():
    return _real_get() - _raised[0]


def setrecursionlimit(limit):
    if type(limit) is int and limit >= 1:
        _real_set(limit + _raised[0])
    else:
        # What the interpreter says of a limit it refuses (a float, a string, zero or less).
        _real_set(limit)


for _function in (getrecursionlimit, setrecursionlimit):
    _function.__doc__ = getattr(sys, _function.__name__).__doc__
    _function.__module__ = "sys"


# Stand-ins of the interpreter's functions: no file of grimoire-run's a tracer measures (grimoire_run_paths).
hide_from_tracers(getrecursionlimit, setrecursionlimit, as_file=STAND_IN_FILE)


def as_at_the_top(top):
    """Called where the process is about to run pytest's `__main__` (by runpy), with what remaining() said at its own
    module's top level: raises the limit by the depth in between, which a plain run does not have."""
    deeper = max(0, top - remaining() + _BELOW_A_MAIN_MODULE)
    if deeper == 0:
        return
    _raised[0] += deeper
    _real_set(_real_get() + deeper)
    sys.getrecursionlimit = getrecursionlimit
    sys.setrecursionlimit = setrecursionlimit
