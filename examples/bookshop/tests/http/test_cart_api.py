"""Carts belong to a session cookie; /api/cart shows what the cart page shows."""

from __future__ import annotations

import pytest

from bookshop_client import HttpClient, MakeBook


def add_to_cart(client: HttpClient, book_id: int, quantity: int = 1) -> None:
    response = client.post("/cart/add", form={"book_id": book_id, "quantity": quantity}, follow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/cart"


def cart_book_ids(client: HttpClient) -> list[int]:
    return [item["book_id"] for item in client.get("/api/cart").json()["items"]]


def test_new_visitor_has_an_empty_cart(client: HttpClient) -> None:
    assert client.get("/api/cart").json() == {"items": [], "count": 0, "total": 0}


def test_adding_sets_a_session_and_accumulates_quantity(client: HttpClient, make_book: MakeBook) -> None:
    book = make_book(price=8.25)
    add_to_cart(client, book["id"], quantity=2)
    assert any(cookie.name == "bookshop_session" for cookie in client.cookies)
    add_to_cart(client, book["id"])

    cart = client.get("/api/cart").json()

    assert cart["items"] == [
        {"book_id": book["id"], "title": book["title"], "price": 8.25, "quantity": 3, "subtotal": 24.75}
    ]
    assert (cart["count"], cart["total"]) == (3, 24.75)


def test_total_sums_many_lines(client: HttpClient, make_book: MakeBook) -> None:
    prices = [round(0.35 * n, 2) for n in range(1, 16)]
    for price in prices:
        add_to_cart(client, make_book(price=price)["id"])
    cart = client.get("/api/cart").json()
    assert cart["count"] == len(prices)
    assert cart["total"] == pytest.approx(sum(prices))


def test_remove_drops_the_line(client: HttpClient, make_book: MakeBook) -> None:
    keep, drop = make_book(), make_book()
    add_to_cart(client, keep["id"])
    add_to_cart(client, drop["id"])
    assert client.post("/cart/remove", form={"book_id": drop["id"]}, follow_redirects=False).status == 303
    assert cart_book_ids(client) == [keep["id"]]


def test_carts_are_private_to_each_session(base_url: str, client: HttpClient, make_book: MakeBook) -> None:
    add_to_cart(client, make_book()["id"])
    assert cart_book_ids(HttpClient(base_url)) == []


def test_deleted_book_leaves_the_cart(client: HttpClient, make_book: MakeBook) -> None:
    book = make_book()
    add_to_cart(client, book["id"])
    client.delete(f"/api/books/{book['id']}")
    assert cart_book_ids(client) == []


def test_adding_an_unknown_book_is_refused(client: HttpClient) -> None:
    for book_id in ("999999999", "99999999999999999999", "abc", "0", ""):
        assert client.post("/cart/add", form={"book_id": book_id}).status == 400, book_id


def test_cart_page_shows_lines_and_total(client: HttpClient, make_book: MakeBook) -> None:
    book = make_book(price=2.5)
    add_to_cart(client, book["id"], quantity=2)
    page = client.get("/cart").text
    assert f"<td>{book['title']}</td>" in page
    assert '<strong data-testid="cart-total">$5.00</strong>' in page


def test_sales_report_counts_units_in_carts(client: HttpClient, make_book: MakeBook) -> None:
    add_to_cart(client, make_book()["id"], quantity=4)
    # A slow report (2 s), as a real one aggregating every cart would be.
    report = client.get("/api/reports/sales?delay_ms=2000").json()
    assert report["units_in_carts"] >= 4  # other sessions' carts count too
