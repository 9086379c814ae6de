"""The slow sales report: its delay is honoured and validated, and it never blocks others."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bookshop_client import HttpClient, MakeBook


def timed_report(client: HttpClient, delay_ms: int) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    response = client.get(f"/api/reports/sales?delay_ms={delay_ms}")
    assert response.status == 200, response.text
    return response.json(), time.monotonic() - started


def test_report_without_delay_is_immediate(client: HttpClient) -> None:
    report, elapsed = timed_report(client, 0)
    assert (report["report"], report["delay_ms"]) == ("sales", 0)
    assert elapsed < 1.0  # well below any deliberate delay, with room for a busy machine


@pytest.mark.parametrize("delay_ms", [500, 1500])
def test_report_takes_at_least_its_delay(client: HttpClient, delay_ms: int) -> None:
    report, elapsed = timed_report(client, delay_ms)
    assert report["delay_ms"] == delay_ms
    assert elapsed >= delay_ms / 1000


def test_report_counts_books_and_their_value(client: HttpClient, make_book: MakeBook) -> None:
    make_book(price=19.99)
    report, _ = timed_report(client, 300)
    # Other files add and delete books at the same time: sanity checks only.
    assert report["book_count"] >= 1
    assert report["inventory_value"] >= 19.99
    assert isinstance(report["units_in_carts"], int)


def test_reports_run_concurrently(client: HttpClient) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(lambda _: timed_report(client, 1000)[0], range(3)))
    assert [report["delay_ms"] for report in reports] == [1000] * 3
    assert time.monotonic() - started < 2.5  # one at a time would take 3 s


def test_invalid_delay_is_refused(client: HttpClient) -> None:
    for delay in ("-5", "soon", "1.5"):
        response = client.get(f"/api/reports/sales?delay_ms={delay}")
        assert response.status == 400, delay
        assert "delay_ms" in response.json()["error"]
