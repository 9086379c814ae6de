"""Shared fixtures: where the server is, and a tiny HTTP client for it.

The suites never start the app themselves: they test the server whose address
is in E2E_BASE_URL, so any number of pytest processes can share one server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.error import URLError

import pytest

# Found through `pythonpath = tests` in pytest.ini: a plain module, because
# "from conftest import ..." is ambiguous with two conftest.py files.
from bookshop_client import HttpClient, MakeBook

BASE_URL_ENV = "E2E_BASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    # Registered here, in the root conftest, because pytest only accepts
    # options from conftest files it loads before parsing the command line.
    parser.addoption("--headed", action="store_true", default=False, help="show the browser in e2e tests")
    parser.addoption(
        "--tracing",
        choices=("off", "on", "retain-on-failure"),
        default="off",
        help="record a Playwright trace of each e2e test (kept beside the file's log under grimoire-run)",
    )


@pytest.fixture(scope="session")
def base_url() -> str:
    """The running server's address, checked once per session with /health."""
    url = os.environ.get(BASE_URL_ENV, "").strip().rstrip("/")
    if not url:
        pytest.fail(
            f"{BASE_URL_ENV} is not set. Start the app (python3 app.py --port 8000) and run "
            f"{BASE_URL_ENV}=http://127.0.0.1:8000 python3 -m pytest",
            pytrace=False,
        )
    try:
        HttpClient(url, timeout=5).get("/health")
    except (URLError, OSError) as exc:
        pytest.fail(f"No server answers at {BASE_URL_ENV}={url} ({exc}). Is the app running?", pytrace=False)
    return url


@pytest.fixture
def client(base_url: str) -> HttpClient:
    """A fresh client, hence a fresh cookie session, per test."""
    return HttpClient(base_url)


@pytest.fixture
def unique() -> str:
    """A short unique tag, so parallel test files never collide on data."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def make_book(client: HttpClient, unique: str) -> Iterator[MakeBook]:
    """Factory creating books through the API; deletes them after the test."""
    created: list[int] = []

    def make(title: str | None = None, author: str | None = None, price: float = 10.0) -> dict[str, Any]:
        payload = {
            "title": title or f"Book {unique}-{len(created)}",
            "author": author or f"Author {unique}",
            "price": price,
        }
        response = client.post("/api/books", json=payload)
        assert response.status == 201, response.text
        book: dict[str, Any] = response.json()
        created.append(book["id"])
        return book

    yield make
    for book_id in created:
        client.delete(f"/api/books/{book_id}")  # 404 is fine: the test may have deleted it
