"""The home page and the navigation bar."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_home_page_has_title_and_navigation(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile("Bookshop"))
    expect(page.get_by_role("heading", name="Bookshop")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for name, href in [("Books", "/books"), ("Add a book", "/books/new"), ("Cart", "/cart"), ("Log in", "/login")]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)


def test_navigation_reaches_the_books_page(page: Page) -> None:
    page.goto("/")
    page.get_by_role("navigation").get_by_role("link", name="Books", exact=True).click()
    expect(page).to_have_url(re.compile(r"/books$"))
    expect(page.get_by_role("heading", name="Books")).to_be_visible()
