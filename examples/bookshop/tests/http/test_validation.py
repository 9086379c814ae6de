"""Bad input is refused with a 400 (API) or the form again (HTML), and never stored."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest

from bookshop_client import HttpClient

VALID = {"title": "Valid title", "author": "Valid author", "price": 5}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        pytest.param({"title": None}, "title", "Title is required.", id="missing-title"),
        pytest.param({"author": "   "}, "author", "Author is required.", id="blank-author"),
        pytest.param({"price": -0.01}, "price", "Price must not be negative.", id="negative-price"),
        pytest.param({"price": "12"}, "price", "Price must be a number.", id="string-price"),
        pytest.param({"price": True}, "price", "Price must be a number.", id="bool-price"),
    ],
)
def test_invalid_book_is_refused(client: HttpClient, change: dict[str, Any], field: str, message: str) -> None:
    payload = {key: value for key, value in {**VALID, **change}.items() if value is not None}
    response = client.post("/api/books", json=payload)
    assert response.status == 400
    body = response.json()
    assert body["fields"] == {field: message}
    assert message in body["error"]


def test_every_bad_field_is_reported_at_once(client: HttpClient) -> None:
    response = client.post("/api/books", json={"price": -1})
    assert response.status == 400
    assert set(response.json()["fields"]) == {"title", "author", "price"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b"[1, 2]", id="not-an-object"),
        pytest.param(b'{"title": "t", "author": "a", "price": NaN}', id="nan-price"),
    ],
)
def test_body_must_be_a_json_object(client: HttpClient, body: bytes) -> None:
    response = client.post("/api/books", data=body)
    assert response.status == 400
    assert response.json()["error"]


def test_form_errors_rerender_the_form_keeping_values(client: HttpClient, unique: str) -> None:
    title = f"Kept {unique}"
    response = client.post("/books/new", form={"title": title, "author": "", "price": "abc"})
    assert response.status == 422
    assert "Author is required." in response.text
    assert "Price must be a number." in response.text
    assert f'value="{title}"' in response.text
    assert client.get(f"/api/books?q={quote(title)}").json() == []


def test_validation_answers_while_reports_are_busy(client: HttpClient) -> None:
    # Two slow reports occupy server threads; refusing bad input must not wait for them.
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = [pool.submit(client.get, "/api/reports/sales?delay_ms=900") for _ in range(2)]
        time.sleep(0.05)
        for _ in range(5):
            assert client.post("/api/books", json={"title": "", "author": "", "price": -1}).status == 400
        assert not any(report.done() for report in reports), "validation waited for the reports"
        assert [report.result().status for report in reports] == [200, 200]
