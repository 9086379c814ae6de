"""The worker slot's shared Playwright driver, for Playwright for Python.

Playwright for Python starts a driver (a Node.js process, `cli.js run-driver`)
for every `sync_playwright()` and speaks length-prefixed JSON on its stdin
and stdout. Loading that driver costs about half a second of CPU, paid by
every pytest process. With --browser-server, the slot's browser server also
serves driver sessions on a Unix socket (GRIMOIRE_PLAYWRIGHT_DRIVER); this
points Playwright's pipe at that socket instead of starting a process. The
session's first frame carries this process's environment, which its own
driver would have inherited. If the socket cannot be reached (the slot's
browser server is gone), Playwright starts its own driver, as it would
without grimoire-run.

It changes nothing else: the protocol, the objects and every test's
browser context are Playwright's own.
"""

import asyncio
import json
import os


class _DriverInput:
    """The driver's stdin, as Playwright writes to it. Closing it ends the session the way a driver's stdin
    closing ends a driver: the slot's driver closes what the session left open, then closes the socket."""

    def __init__(self, writer):
        self._writer = writer

    def write(self, data):
        self._writer.write(data)

    def close(self):
        if self._writer.is_closing():
            return
        try:
            self._writer.write_eof()
        except OSError:
            self._writer.close()


class _SharedDriverProcess:
    """The part of an asyncio subprocess that Playwright's PipeTransport uses, over the socket."""

    pid = None
    returncode = None

    def __init__(self, reader, writer):
        self.stdout = reader
        self.stdin = _DriverInput(writer)
        self._writer = writer

    async def communicate(self, input=None):
        # As waiting for a driver's exit does: the session's browsers are closed once the socket ends.
        self.stdin.close()
        try:
            while await self.stdout.read(65536):
                pass
        except OSError:
            pass
        self._writer.close()
        self.returncode = 0
        return None, None

    async def wait(self):
        await self.communicate()
        return 0

    def kill(self):
        self._writer.transport.abort()

    terminate = kill


class _AsyncioWithSharedDriver:
    """asyncio, as Playwright's transport module sees it: starting a driver connects to the slot's instead."""

    def __init__(self, socket_path):
        self._socket_path = socket_path

    def __getattr__(self, name):
        return getattr(asyncio, name)

    async def create_subprocess_exec(self, *args, **kwargs):
        if args[2:3] == ("run-driver",):
            try:
                reader, writer = await asyncio.open_unix_connection(self._socket_path, limit=kwargs.get("limit", 2**16))
            except OSError:
                pass
            else:
                env = kwargs.get("env") or os.environ
                body = json.dumps({"env": dict(env)}).encode()
                writer.write(len(body).to_bytes(4, "little") + body)
                return _SharedDriverProcess(reader, writer)
        return await asyncio.create_subprocess_exec(*args, **kwargs)


def use_shared_driver(socket_path):
    """Points Playwright's driver pipe at the socket; False when this Playwright's transport is not the one known."""
    try:
        from playwright._impl import _transport
    except ImportError:
        return False
    current = getattr(_transport, "asyncio", None)
    if isinstance(current, _AsyncioWithSharedDriver):
        current._socket_path = socket_path
        return True
    if current is not asyncio or not hasattr(_transport, "PipeTransport"):
        return False
    _transport.asyncio = _AsyncioWithSharedDriver(socket_path)
    return True
