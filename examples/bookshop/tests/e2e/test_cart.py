"""Shopping: adding books to the cart, totals, removing, and privacy between visitors."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from bookshop_client import MakeBook


def add_from_book_page(page: Page, book_id: int) -> None:
    page.goto(f"/books/{book_id}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))


def cart_row(page: Page, title: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=title, exact=True))


def test_added_book_appears_in_the_cart(page: Page, make_book: MakeBook) -> None:
    book = make_book(price=6.4)
    add_from_book_page(page, book["id"])
    expect(cart_row(page, book["title"])).to_contain_text("$6.40")
    expect(page.get_by_test_id("cart-total")).to_have_text("$6.40")


def test_total_adds_up_several_books(page: Page, make_book: MakeBook) -> None:
    books = [make_book(price=price) for price in (4.25, 10.0, 0.5)]
    for book in books:
        add_from_book_page(page, book["id"])
    add_from_book_page(page, books[0]["id"])  # a second copy

    expect(cart_row(page, books[0]["title"])).to_contain_text("$8.50")
    expect(page.get_by_test_id("cart-total")).to_have_text("$19.00")


def test_removing_a_line_updates_the_total(page: Page, make_book: MakeBook) -> None:
    keep, drop = make_book(price=3.0), make_book(price=7.0)
    add_from_book_page(page, keep["id"])
    add_from_book_page(page, drop["id"])
    expect(page.get_by_test_id("cart-total")).to_have_text("$10.00")

    cart_row(page, drop["title"]).get_by_role("button", name="Remove").click()

    expect(cart_row(page, drop["title"])).to_have_count(0)
    expect(page.get_by_test_id("cart-total")).to_have_text("$3.00")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()


def test_carts_are_private_to_each_visitor(page: Page, browser: Browser, base_url: str, make_book: MakeBook) -> None:
    book = make_book()
    add_from_book_page(page, book["id"])

    other = browser.new_context(base_url=base_url)  # another visitor: no shared cookies
    try:
        stranger = other.new_page()
        stranger.goto("/cart")
        expect(stranger.get_by_text("Your cart is empty.")).to_be_visible()
    finally:
        other.close()
    page.reload()
    expect(cart_row(page, book["title"])).to_have_count(1)
