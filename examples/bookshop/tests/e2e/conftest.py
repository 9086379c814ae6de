"""Playwright fixtures in the style of pytest-playwright (which is not required).

- `browser` (session): one Chromium per pytest process, closed at session end.
- `context` / `page` (function): a fresh browser context per test, so cookies
  (the session, the cart) never leak from one test to the next.
- On failure, a full-page screenshot goes to $GRIMOIRE_ARTIFACTS_DIR if set.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# Quiet, offline-friendly Chromium: without these it phones home (updates,
# sync, field trials) and, on a closed network, logs refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000  # fail fast: a local app answers in milliseconds
ARTIFACTS_ENV = "GRIMOIRE_ARTIFACTS_DIR"

# Each test's call-phase report, so the page fixture knows whether it failed.
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    return next((path for path in CHROMIUM_CANDIDATES if shutil.which(path)), None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture(scope="session")
def browser(pytestconfig: pytest.Config) -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=not pytestconfig.getoption("headed"),
            args=CHROMIUM_ARGS,
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()  # also ends the Playwright driver process


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    # base_url lets tests write page.goto("/books").
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        save_screenshot(page, request.node.nodeid)


def save_screenshot(page: Page, nodeid: str) -> None:
    folder = os.environ.get(ARTIFACTS_ENV)
    if not folder:
        return
    # The node id, made file-name safe, is unique across files run in parallel.
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_") + ".png"
    path = Path(folder) / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # a screenshot must never hide the real failure
        print(f"could not save screenshot {path}: {exc}")
