"""Playwright for Python pointed at the slot's shared driver (grimoire_run_driver).

Where the slot's socket cannot be reached, Playwright starts its own driver, as
it would without grimoire-run. The shared sessions themselves are tested
against a real browser server in tests/integration/browserServers.test.ts.
"""

import asyncio

import pytest

playwright = pytest.importorskip("playwright")

from grimoire_run_driver import _AsyncioWithSharedDriver, use_shared_driver  # noqa: E402


@pytest.fixture
def transport(monkeypatch):
    from playwright._impl import _transport

    monkeypatch.setattr(_transport, "asyncio", asyncio)
    return _transport


def test_points_playwrights_transport_at_the_socket_once(transport, tmp_path):
    assert use_shared_driver(str(tmp_path / "a.sock"))
    assert isinstance(transport.asyncio, _AsyncioWithSharedDriver)
    # Called again (a pack of files in one process), it moves to the new socket rather than wrapping itself.
    assert use_shared_driver(str(tmp_path / "b.sock"))
    assert transport.asyncio._socket_path == str(tmp_path / "b.sock")
    # Everything else is asyncio's own.
    assert transport.asyncio.subprocess.PIPE is asyncio.subprocess.PIPE


def test_starts_its_own_driver_when_the_socket_is_gone(transport, tmp_path):
    from playwright.sync_api import sync_playwright

    use_shared_driver(str(tmp_path / "gone.sock"))
    with sync_playwright() as started:
        assert started.chromium.name == "chromium"


def test_leaves_an_unknown_transport_alone(transport, monkeypatch, tmp_path):
    monkeypatch.setattr(transport, "asyncio", object())
    assert not use_shared_driver(str(tmp_path / "a.sock"))
