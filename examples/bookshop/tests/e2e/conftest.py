"""Playwright fixtures in the style of pytest-playwright (which is not required).

- `browser` (session): one Chromium per pytest process, closed at session end;
  under `grimoire-run --browser-server chromium`, the worker slots' shared
  Chromium instead (GRIMOIRE_BROWSER_WS_ENDPOINT), connected in milliseconds.
- `context` / `page` (function): a fresh browser context per test, so cookies
  (the session, the cart) never leak from one test to the next.
- On failure, a full-page screenshot goes to $GRIMOIRE_ARTIFACTS_DIR if set,
  and with `--tracing retain-on-failure` (or `on`) a Playwright trace too
  (open it with `playwright show-trace FILE.zip`).
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
    endpoint = os.environ.get("GRIMOIRE_BROWSER_WS_ENDPOINT")
    executable = find_chromium()
    if endpoint is None and executable is None:
        pytest.skip("Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH")
    playwright = sync_playwright().start()
    try:
        if endpoint:
            # Closing a connected browser only disconnects: the server keeps it for the slots' next files.
            browser = playwright.chromium.connect(endpoint)
        else:
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
def context(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    # base_url lets tests write page.goto("/books").
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    tracing = request.config.getoption("tracing")
    if tracing != "off":
        context.tracing.start(screenshots=True, snapshots=True, sources=True)
    try:
        yield context
    finally:
        if tracing != "off":
            report = request.node.stash.get(CALL_REPORT, None)
            failed = report is None or report.failed
            trace = artifact_path(request.node.nodeid, ".zip") if tracing == "on" or failed else None
            context.tracing.stop(path=str(trace) if trace is not None else None)
        context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        save_screenshot(page, request.node.nodeid)


def artifact_path(nodeid: str, suffix: str) -> Path | None:
    """Where a test's screenshot or trace goes: grimoire-run's artifacts folder for the file, if any."""
    folder = os.environ.get(ARTIFACTS_ENV)
    if not folder:
        return None
    # The node id, made file-name safe, is unique across files run in parallel.
    path = Path(folder) / (re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_") + suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def save_screenshot(page: Page, nodeid: str) -> None:
    path = artifact_path(nodeid, ".png")
    if path is None:
        return
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # a screenshot must never hide the real failure
        print(f"could not save screenshot {path}: {exc}")
