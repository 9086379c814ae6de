"""Adding a book through the HTML form."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from bookshop_client import HttpClient


def fill_book_form(page: Page, title: str, author: str, price: str) -> None:
    page.goto("/books/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Author").fill(author)
    page.get_by_label("Price").fill(price)
    page.get_by_role("button", name="Add book").click()


def test_adding_a_book_shows_its_page(page: Page, client: HttpClient, unique: str) -> None:
    title = f"Browser Book {unique}"
    fill_book_form(page, title, "Ada Playwright", "15.5")

    expect(page).to_have_url(re.compile(r"/books/\d+$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text("by Ada Playwright")).to_be_visible()
    expect(page.get_by_text("$15.50")).to_be_visible()
    client.delete("/api" + page.url.removeprefix(client.base_url))


def test_new_book_is_listed_and_searchable(page: Page, client: HttpClient, unique: str) -> None:
    title = f"Findable {unique}"
    fill_book_form(page, title, "Searchable Author", "3")
    book_path = page.url.removeprefix(client.base_url)

    page.goto("/books")
    page.get_by_label("Search").fill(unique)
    page.get_by_role("button", name="Search").click()

    results = page.locator("ul.books li")
    expect(results).to_have_count(1)  # the tag is unique: no other file can match it
    results.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(re.escape(book_path) + "$"))
    client.delete("/api" + book_path)


def test_invalid_form_shows_errors_and_keeps_input(page: Page, unique: str) -> None:
    title = f"Unpriced {unique}"
    fill_book_form(page, title, "", "free")

    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("Author is required.")
    expect(errors).to_contain_text("Price must be a number.")
    expect(page.get_by_label("Title")).to_have_value(title)
    expect(page.get_by_label("Price")).to_have_value("free")
