#!/usr/bin/env python3
"""Bookshop: a small web app that serves as grimoire-run's example project.

Standard library only. Books live in memory (seeded at start) unless
DATABASE_URL is set, in which case they live in PostgreSQL via psycopg 3.
Sessions and carts always live in memory.

    python3 app.py --port 8000          # or: PORT=8000 python3 app.py
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import math
import os
import re
import secrets
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:  # at run time psycopg is imported only when DATABASE_URL is set
    import psycopg

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
SESSION_COOKIE = "bookshop_session"
PASSWORD = "secret"  # any username with this password may log in
MAX_TEXT_LENGTH = 200
MAX_USERNAME_LENGTH = 50
MAX_PRICE = 100_000  # fits the numeric(10, 2) column in schema.sql
MAX_QUANTITY = 99
MAX_BOOK_ID = 999_999_999  # ids beyond this cannot exist; keeps lookups within bigint
MAX_REPORT_DELAY_MS = 5000
MAX_BODY_BYTES = 64 * 1024

# (title, author, price): used by the in-memory store and by setup_db.py.
SEED_BOOKS: list[tuple[str, str, float]] = [
    ("The Left Hand of Darkness", "Ursula K. Le Guin", 12.50),
    ("Dune", "Frank Herbert", 9.99),
    ("Piranesi", "Susanna Clarke", 14.00),
    ("The Name of the Rose", "Umberto Eco", 11.25),
    ("Kindred", "Octavia E. Butler", 10.75),
]


# --------------------------------------------------------------------------
# Books and validation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Book:
    id: int
    title: str
    author: str
    price: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "author": self.author, "price": self.price}


@dataclass(frozen=True)
class BookInput:
    title: str
    author: str
    price: float


class ValidationError(Exception):
    """Invalid book data; `errors` maps each bad field to a human message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def _required_text(value: object, label: str, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors[label.lower()] = f"{label} is required."
        return ""
    text = value.strip()
    if len(text) > MAX_TEXT_LENGTH:
        errors[label.lower()] = f"{label} must be at most {MAX_TEXT_LENGTH} characters."
    return text


def _price(value: object, errors: dict[str, str], *, from_text: bool) -> float:
    # Forms send text; JSON must send a real number (a JSON string is refused).
    if from_text and isinstance(value, str):
        if not value.strip():
            errors["price"] = "Price is required."
            return 0.0
        try:
            value = float(value)
        except ValueError:
            errors["price"] = "Price must be a number."
            return 0.0
    if value is None:
        errors["price"] = "Price is required."
        return 0.0
    # bool is an int subclass: refuse it explicitly.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors["price"] = "Price must be a number."
        return 0.0
    if value < 0:
        errors["price"] = "Price must not be negative."
    elif value > MAX_PRICE:
        errors["price"] = f"Price must be at most {MAX_PRICE}."
    return round(float(value), 2)


def validate_book(title: object, author: object, price: object, *, from_text: bool = False) -> BookInput:
    """Return clean book data or raise ValidationError listing every bad field."""
    errors: dict[str, str] = {}
    clean = BookInput(
        title=_required_text(title, "Title", errors),
        author=_required_text(author, "Author", errors),
        price=_price(price, errors, from_text=from_text),
    )
    if errors:
        raise ValidationError(errors)
    return clean


# --------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------


class BookStore(Protocol):
    def list_books(self, query: str = "") -> list[Book]: ...
    def get_book(self, book_id: int) -> Book | None: ...
    def add_book(self, data: BookInput) -> Book: ...
    def delete_book(self, book_id: int) -> bool: ...


class MemoryBookStore:
    """Thread-safe in-memory store; the default, needs no database."""

    def __init__(self, seed: list[tuple[str, str, float]]) -> None:
        self._lock = threading.Lock()
        self._books: dict[int, Book] = {}
        self._next_id = 1
        for title, author, price in seed:
            self.add_book(BookInput(title, author, price))

    def list_books(self, query: str = "") -> list[Book]:
        needle = query.casefold()
        with self._lock:
            books = list(self._books.values())
        return [b for b in books if needle in b.title.casefold() or needle in b.author.casefold()]

    def get_book(self, book_id: int) -> Book | None:
        with self._lock:
            return self._books.get(book_id)

    def add_book(self, data: BookInput) -> Book:
        with self._lock:
            book = Book(self._next_id, data.title, data.author, data.price)
            self._books[book.id] = book
            self._next_id += 1
        return book

    def delete_book(self, book_id: int) -> bool:
        with self._lock:
            return self._books.pop(book_id, None) is not None


class PostgresBookStore:
    """Books in PostgreSQL (tables from schema.sql, created by setup_db.py)."""

    _COLUMNS = "id, title, author, price"

    def __init__(self, url: str) -> None:
        import psycopg  # imported here so the default mode needs no third-party package

        self._psycopg = psycopg
        self._url = url
        self._check_schema()

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        # One short connection per operation keeps this thread-safe without a
        # pool; fine for an example, a real app would use psycopg_pool.
        return self._psycopg.connect(self._url, autocommit=True)

    def _check_schema(self) -> None:
        with self._connect() as conn:
            row = conn.execute("SELECT to_regclass('books')").fetchone()
        if row is None or row[0] is None:
            raise RuntimeError("table 'books' is missing: run `python3 setup_db.py` with the same DATABASE_URL")

    @staticmethod
    def _book(row: tuple[Any, ...]) -> Book:
        book_id, title, author, price = row
        return Book(int(book_id), title, author, float(price))  # numeric arrives as Decimal

    def list_books(self, query: str = "") -> list[Book]:
        sql = f"SELECT {self._COLUMNS} FROM books"
        params: tuple[str, ...] = ()
        if query:
            # strpos rather than LIKE: no wildcard escaping to get wrong.
            sql += " WHERE strpos(lower(title), lower(%s)) > 0 OR strpos(lower(author), lower(%s)) > 0"
            params = (query, query)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY id", params).fetchall()
        return [self._book(r) for r in rows]

    def get_book(self, book_id: int) -> Book | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM books WHERE id = %s", (book_id,)).fetchone()
        return self._book(row) if row else None

    def add_book(self, data: BookInput) -> Book:
        with self._connect() as conn:
            row = conn.execute(
                f"INSERT INTO books (title, author, price) VALUES (%s, %s, %s) RETURNING {self._COLUMNS}",
                (data.title, data.author, data.price),
            ).fetchone()
        assert row is not None  # INSERT ... RETURNING always yields the new row
        return self._book(row)

    def delete_book(self, book_id: int) -> bool:
        with self._connect() as conn:
            return conn.execute("DELETE FROM books WHERE id = %s", (book_id,)).rowcount > 0


def make_store(database_url: str | None) -> BookStore:
    if database_url:
        return PostgresBookStore(database_url)
    return MemoryBookStore(SEED_BOOKS)


# --------------------------------------------------------------------------
# Sessions and carts (always in memory)
# --------------------------------------------------------------------------


@dataclass
class Session:
    username: str | None = None
    cart: dict[int, int] = field(default_factory=dict)  # book id -> quantity
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def units(self) -> int:
        with self.lock:
            return sum(self.cart.values())


class SessionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            return self._sessions.get(token)

    def create(self, session: Session | None = None) -> tuple[str, Session]:
        token = secrets.token_urlsafe(24)
        session = session or Session()
        with self._lock:
            self._sessions[token] = session
        return token, session

    def rotate(self, token: str | None, session: Session) -> str:
        """Give `session` a fresh token (on login, against session fixation)."""
        with self._lock:
            if token:
                self._sessions.pop(token, None)
        new_token, _ = self.create(session)
        return new_token

    def units_in_carts(self) -> int:
        with self._lock:
            sessions = list(self._sessions.values())
        return sum(session.units() for session in sessions)


@dataclass(frozen=True)
class CartLine:
    book: Book
    quantity: int

    @property
    def subtotal(self) -> float:
        return round(self.book.price * self.quantity, 2)


def cart_lines(session: Session | None, store: BookStore) -> list[CartLine]:
    """The session's cart; books deleted since they were added are dropped."""
    if session is None:
        return []
    with session.lock:
        items = list(session.cart.items())
    return [CartLine(book, qty) for book_id, qty in items if (book := store.get_book(book_id))]


def cart_total(lines: list[CartLine]) -> float:
    return round(sum(line.subtotal for line in lines), 2)


# --------------------------------------------------------------------------
# HTTP plumbing: requests, responses, routing
# --------------------------------------------------------------------------


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    cookies: dict[str, str]
    params: tuple[str, ...] = ()

    def form(self) -> dict[str, str]:
        fields = parse_qs(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {key: values[0] for key, values in fields.items()}

    def json(self) -> Any:
        def refuse_constant(name: str) -> Any:
            raise ValueError(f"{name} is not valid JSON")  # Python accepts NaN/Infinity; JSON does not

        try:
            return json.loads(self.body or b"null", parse_constant=refuse_constant)
        except ValueError as exc:
            raise HttpError(400, f"Request body is not valid JSON: {exc}") from exc

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json")


def html_response(page: str, status: int = 200) -> Response:
    return Response(status, page.encode())


def redirect(location: str) -> Response:
    # 303 so the browser follows a POST with a GET (post/redirect/get).
    return Response(303, b"", "text/plain; charset=utf-8", [("Location", location)])


def session_cookie(token: str) -> tuple[str, str]:
    return ("Set-Cookie", f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax")


def parse_cookies(header: str | None) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(header or "")
    except CookieError:
        return {}  # a malformed cookie header means "no session", not an error
    return {name: morsel.value for name, morsel in jar.items()}


def parse_int(value: str | None, label: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        number = int(value or "")
    except ValueError:
        raise HttpError(400, f"{label} must be an integer.") from None
    if number < minimum:
        raise HttpError(400, f"{label} must be at least {minimum}.")
    if maximum is not None and number > maximum:
        raise HttpError(400, f"{label} must be at most {maximum}.")
    return number


Handler = Callable[[Request], Response]


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
nav { display: flex; gap: 1rem; align-items: center; border-bottom: 1px solid #ccc; padding-bottom: .5rem; }
nav form { margin: 0; }
.errors, .error { color: #b00020; }
label { display: block; margin-top: .5rem; }
table { border-collapse: collapse; } td, th { padding: .25rem .75rem; text-align: left; }
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def money(amount: float) -> str:
    return f"${amount:.2f}"


def layout(title: str, content: str, session: Session | None) -> str:
    user = session.username if session else None
    account = (
        f'<span class="user">{esc(user)}</span>'
        '<form method="post" action="/logout"><button type="submit">Log out</button></form>'
        if user
        else '<a href="/login">Log in</a>'
    )
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{esc(title)} · Bookshop</title><style>{STYLE}</style></head>
<body>
<nav aria-label="Main">
  <a href="/"><strong>Bookshop</strong></a>
  <a href="/books">Books</a>
  <a href="/books/new">Add a book</a>
  <a href="/cart">Cart</a>
  {account}
</nav>
<main>
{content}
</main>
</body>
</html>
"""


def errors_html(errors: dict[str, str]) -> str:
    if not errors:
        return ""
    items = "".join(f"<li>{esc(message)}</li>" for message in errors.values())
    return f'<ul class="errors" role="alert">{items}</ul>'


def book_form_html(values: dict[str, str], errors: dict[str, str]) -> str:
    def input_field(name: str, label: str, kind: str = "text") -> str:
        extra = ' inputmode="decimal"' if name == "price" else ""
        return (
            f'<label for="{name}">{label}</label>'
            f'<input id="{name}" name="{name}" type="{kind}"{extra} value="{esc(values.get(name, ""))}">'
        )

    return f"""<h1>Add a book</h1>
{errors_html(errors)}
<form method="post" action="/books/new">
  {input_field("title", "Title")}
  {input_field("author", "Author")}
  {input_field("price", "Price")}
  <p><button type="submit">Add book</button></p>
</form>"""


def login_form_html(username: str, error: str | None) -> str:
    message = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    return f"""<h1>Log in</h1>
{message}
<form method="post" action="/login">
  <label for="username">Username</label><input id="username" name="username" value="{esc(username)}">
  <label for="password">Password</label><input id="password" name="password" type="password">
  <p><button type="submit">Log in</button></p>
</form>"""


def cart_html(lines: list[CartLine]) -> str:
    if not lines:
        return '<h1>Your cart</h1><p class="empty">Your cart is empty.</p>'
    rows = "".join(
        f"<tr><td>{esc(line.book.title)}</td><td>{line.quantity}</td>"
        f"<td>{money(line.book.price)}</td><td>{money(line.subtotal)}</td>"
        f'<td><form method="post" action="/cart/remove"><input type="hidden" name="book_id" value="{line.book.id}">'
        f'<button type="submit" aria-label="Remove {esc(line.book.title)}">Remove</button></form></td></tr>'
        for line in lines
    )
    return f"""<h1>Your cart</h1>
<table>
  <thead><tr><th>Book</th><th>Quantity</th><th>Price</th><th>Subtotal</th><th></th></tr></thead>
  <tbody>{rows}</tbody>
</table>
<p>Total: <strong data-testid="cart-total">{money(cart_total(lines))}</strong></p>"""


# --------------------------------------------------------------------------
# The application
# --------------------------------------------------------------------------


class BookshopApp:
    def __init__(self, store: BookStore) -> None:
        self.store = store
        self.sessions = SessionStore()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        book_id = r"(\d{1,9})"  # at most MAX_BOOK_ID
        for method, pattern, handler in [
            ("GET", "/", self.home),
            ("GET", "/health", self.health),
            ("GET", "/api/books", self.api_list_books),
            ("POST", "/api/books", self.api_create_book),
            ("GET", f"/api/books/{book_id}", self.api_get_book),
            ("DELETE", f"/api/books/{book_id}", self.api_delete_book),
            ("GET", "/api/cart", self.api_cart),
            ("GET", "/api/reports/sales", self.api_sales_report),
            ("GET", "/books", self.books_page),
            ("GET", "/books/new", self.new_book_page),
            ("POST", "/books/new", self.create_book_from_form),
            ("GET", f"/books/{book_id}", self.book_page),
            ("GET", "/login", self.login_page),
            ("POST", "/login", self.login),
            ("POST", "/logout", self.logout),
            ("GET", "/cart", self.cart_page),
            ("POST", "/cart/add", self.cart_add),
            ("POST", "/cart/remove", self.cart_remove),
        ]:
            self.routes.append((method, re.compile(pattern), handler))

    # -- dispatch ----------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            return self.dispatch(request)
        except HttpError as exc:
            return self.error(request, exc.status, exc.message)
        except Exception:  # report, never kill the serving thread
            traceback.print_exc()
            return self.error(request, 500, "Internal server error.")

    def dispatch(self, request: Request) -> Response:
        allowed: list[str] = []
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if not match:
                continue
            if method == request.method:
                request.params = match.groups()
                return handler(request)
            allowed.append(method)
        if allowed:
            response = self.error(request, 405, "Method not allowed.")
            response.headers.append(("Allow", ", ".join(allowed)))
            return response
        return self.error(request, 404, "Not found.")

    def error(self, request: Request, status: int, message: str) -> Response:
        if request.is_api or request.path == "/health":
            return json_response({"error": message}, status)
        page = layout("Error", f'<h1>Error {status}</h1><p class="error">{esc(message)}</p>', self.session(request))
        return html_response(page, status)

    # -- helpers -----------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def session_or_new(self, request: Request) -> tuple[Session, str | None]:
        """The request's session, creating one if needed (then also its new token)."""
        existing = self.session(request)
        if existing is not None:
            return existing, None
        token, session = self.sessions.create()
        return session, token

    def book_or_404(self, request: Request) -> Book:
        book = self.store.get_book(int(request.params[0]))
        if book is None:
            raise HttpError(404, "No such book.")
        return book

    # -- pages ---------------------------------------------------------------

    def home(self, request: Request) -> Response:
        session = self.session(request)
        if session and session.username:
            greeting = f'<p class="greeting">Hello, {esc(session.username)}!</p>'
        else:
            greeting = '<p class="greeting">Welcome! Browse the shelves, or log in to feel at home.</p>'
        content = f'<h1>Bookshop</h1>{greeting}<p><a href="/books">See all books</a></p>'
        return html_response(layout("Home", content, session))

    def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    def books_page(self, request: Request) -> Response:
        query = request.query.get("q", "").strip()
        books = self.store.list_books(query)
        items = "".join(
            f'<li><a href="/books/{b.id}">{esc(b.title)}</a> by {esc(b.author)}, {money(b.price)}</li>' for b in books
        )
        listing = f'<ul class="books">{items}</ul>' if books else '<p class="empty">No books found.</p>'
        content = f"""<h1>Books</h1>
<form method="get" action="/books" role="search">
  <label for="q">Search</label><input id="q" name="q" value="{esc(query)}">
  <button type="submit">Search</button>
</form>
{listing}"""
        return html_response(layout("Books", content, self.session(request)))

    def book_page(self, request: Request) -> Response:
        book = self.book_or_404(request)
        content = f"""<h1>{esc(book.title)}</h1>
<p class="author">by {esc(book.author)}</p>
<p class="price">{money(book.price)}</p>
<form method="post" action="/cart/add">
  <input type="hidden" name="book_id" value="{book.id}">
  <button type="submit">Add to cart</button>
</form>"""
        return html_response(layout(book.title, content, self.session(request)))

    def new_book_page(self, request: Request) -> Response:
        return html_response(layout("Add a book", book_form_html({}, {}), self.session(request)))

    def create_book_from_form(self, request: Request) -> Response:
        form = request.form()
        try:
            data = validate_book(form.get("title"), form.get("author"), form.get("price", ""), from_text=True)
        except ValidationError as exc:
            page = layout("Add a book", book_form_html(form, exc.errors), self.session(request))
            # 422, not 200: scripts can tell a rejected form from a fresh one.
            return html_response(page, 422)
        book = self.store.add_book(data)
        return redirect(f"/books/{book.id}")

    # -- login ---------------------------------------------------------------

    def login_page(self, request: Request) -> Response:
        return html_response(layout("Log in", login_form_html("", None), self.session(request)))

    def login(self, request: Request) -> Response:
        form = request.form()
        username = form.get("username", "").strip()
        if not username or len(username) > MAX_USERNAME_LENGTH or form.get("password") != PASSWORD:
            page = layout("Log in", login_form_html(username, "Invalid username or password."), self.session(request))
            return html_response(page, 422)
        # Keep the visitor's cart, but under a fresh token.
        session = self.session(request) or Session()
        with session.lock:
            session.username = username
        token = self.sessions.rotate(request.cookies.get(SESSION_COOKIE), session)
        response = redirect("/")
        response.headers.append(session_cookie(token))
        return response

    def logout(self, request: Request) -> Response:
        session = self.session(request)
        if session is not None:
            with session.lock:
                session.username = None
        return redirect("/")

    # -- cart ----------------------------------------------------------------

    def cart_page(self, request: Request) -> Response:
        session = self.session(request)
        return html_response(layout("Cart", cart_html(cart_lines(session, self.store)), session))

    def cart_add(self, request: Request) -> Response:
        form = request.form()
        book_id = parse_int(form.get("book_id"), "book_id", minimum=1, maximum=MAX_BOOK_ID)
        quantity = parse_int(form.get("quantity") or "1", "quantity", minimum=1, maximum=MAX_QUANTITY)
        if self.store.get_book(book_id) is None:
            raise HttpError(400, "No such book.")
        session, new_token = self.session_or_new(request)
        with session.lock:
            session.cart[book_id] = min(session.cart.get(book_id, 0) + quantity, MAX_QUANTITY)
        response = redirect("/cart")
        if new_token:
            response.headers.append(session_cookie(new_token))
        return response

    def cart_remove(self, request: Request) -> Response:
        book_id = parse_int(request.form().get("book_id"), "book_id", minimum=1, maximum=MAX_BOOK_ID)
        session = self.session(request)
        if session is not None:
            with session.lock:
                session.cart.pop(book_id, None)
        return redirect("/cart")

    # -- JSON API --------------------------------------------------------------

    def api_list_books(self, request: Request) -> Response:
        books = self.store.list_books(request.query.get("q", "").strip())
        return json_response([b.to_json() for b in books])

    def api_get_book(self, request: Request) -> Response:
        return json_response(self.book_or_404(request).to_json())

    def api_create_book(self, request: Request) -> Response:
        payload = request.json()
        if not isinstance(payload, dict):
            raise HttpError(400, "Request body must be a JSON object.")
        try:
            data = validate_book(payload.get("title"), payload.get("author"), payload.get("price"))
        except ValidationError as exc:
            return json_response({"error": str(exc), "fields": exc.errors}, 400)
        book = self.store.add_book(data)
        response = json_response(book.to_json(), 201)
        response.headers.append(("Location", f"/api/books/{book.id}"))
        return response

    def api_delete_book(self, request: Request) -> Response:
        if not self.store.delete_book(int(request.params[0])):
            raise HttpError(404, "No such book.")
        return Response(204, content_type="application/json")

    def api_cart(self, request: Request) -> Response:
        lines = cart_lines(self.session(request), self.store)
        items = [
            {
                "book_id": line.book.id,
                "title": line.book.title,
                "price": line.book.price,
                "quantity": line.quantity,
                "subtotal": line.subtotal,
            }
            for line in lines
        ]
        count = sum(line.quantity for line in lines)
        return json_response({"items": items, "count": count, "total": cart_total(lines)})

    def api_sales_report(self, request: Request) -> Response:
        """A deliberately slow report: sleeps `delay_ms` (capped) like a heavy query would."""
        delay_ms = min(parse_int(request.query.get("delay_ms") or "0", "delay_ms"), MAX_REPORT_DELAY_MS)
        time.sleep(delay_ms / 1000)
        books = self.store.list_books()
        value = round(sum(b.price for b in books), 2)
        return json_response(
            {
                "report": "sales",
                "delay_ms": delay_ms,
                "book_count": len(books),
                "inventory_value": value,
                "units_in_carts": self.sessions.units_in_carts(),
                "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------


class BookshopServer(ThreadingHTTPServer):
    daemon_threads = True  # a slow report in flight must not delay shutdown

    def __init__(self, port: int, app: BookshopApp, *, access_log: bool) -> None:
        super().__init__((HOST, port), RequestHandler)
        self.app = app
        self.access_log = access_log


class RequestHandler(BaseHTTPRequestHandler):
    server: BookshopServer
    server_version = "Bookshop/1.0"

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        # Silent by default: parallel test runs would otherwise flood the terminal.
        if self.server.access_log:
            super().log_message(format, *args)

    def _handle(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.send_error(413 if length > 0 else 400)
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query={key: values[0] for key, values in parse_qs(url.query).items()},
            headers=self.headers,
            body=self.rfile.read(length),
            cookies=parse_cookies(self.headers.get("Cookie")),
        )
        self._send(self.server.app.handle(request))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        # The client may have gone away (e.g. a test timed out): nothing to do then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(response.body)


def resolve_port(cli_port: int | None, env: Mapping[str, str]) -> int:
    if cli_port is not None:
        return cli_port
    return int(env.get("PORT") or DEFAULT_PORT)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Bookshop example web app.")
    parser.add_argument(
        "--port", type=int, help=f"port to listen on (default: $PORT, else {DEFAULT_PORT}; 0 = any free port)"
    )
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds serve_forever() so the socket gets closed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        port = resolve_port(args.port, os.environ)
        app = BookshopApp(make_store(os.environ.get("DATABASE_URL")))
        server = BookshopServer(port, app, access_log=args.access_log)
    except Exception as exc:  # bad PORT, database unreachable, port in use...
        print(f"bookshop: cannot start: {exc}", file=sys.stderr)
        return 1

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    print(f"Bookshop listening on http://{HOST}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
