"""Logging in and out."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_login_greets_the_user_by_name(page: Page, unique: str) -> None:
    name = f"reader-{unique}"
    log_in(page, name, "secret")
    expect(page.get_by_text(f"Hello, {name}!")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


def test_wrong_password_shows_an_error(page: Page, unique: str) -> None:
    log_in(page, f"reader-{unique}", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Invalid username or password.")
    expect(page.get_by_label("Username")).to_have_value(f"reader-{unique}")
    page.goto("/")
    expect(page.get_by_text("Hello,")).to_have_count(0)


def test_logout_forgets_the_user(page: Page, unique: str) -> None:
    name = f"leaver-{unique}"
    log_in(page, name, "secret")
    expect(page.get_by_text(f"Hello, {name}!")).to_be_visible()

    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_text(f"Hello, {name}!")).to_have_count(0)
