"""Smoke tests: the server is up, answers quickly and serves its home page."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bookshop_client import HttpClient


def test_health_reports_ok(client: HttpClient) -> None:
    response = client.get("/health")
    assert response.status == 200
    assert response.headers.get_content_type() == "application/json"
    assert response.json() == {"status": "ok"}


def test_home_page_links_to_every_section(client: HttpClient) -> None:
    response = client.get("/")
    assert response.status == 200
    assert response.headers.get_content_type() == "text/html"
    for link in ('href="/books"', 'href="/books/new"', 'href="/cart"', 'href="/login"'):
        assert link in response.text


def test_unknown_api_route_is_a_json_404(client: HttpClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status == 404
    assert "error" in response.json()


def test_health_answers_while_a_slow_report_runs(client: HttpClient) -> None:
    # The server is threaded: one slow request must not hold up the others.
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(client.get, "/api/reports/sales?delay_ms=450")
        time.sleep(0.05)  # let the slow request reach the server first
        assert client.get("/health").status == 200
        assert not slow.done(), "/health waited for the slow report"
        assert slow.result().status == 200
