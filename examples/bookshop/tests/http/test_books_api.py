"""The books JSON API and the HTML pages that show the same data."""

from __future__ import annotations

from bookshop_client import HttpClient, MakeBook


def test_create_returns_the_book_and_its_location(client: HttpClient, unique: str) -> None:
    response = client.post("/api/books", json={"title": f"Created {unique}", "author": "A. Writer", "price": 12.5})
    assert response.status == 201
    book = response.json()
    assert (book["title"], book["author"], book["price"]) == (f"Created {unique}", "A. Writer", 12.5)
    assert response.headers["Location"] == f"/api/books/{book['id']}"
    assert client.get(response.headers["Location"]).json() == book
    client.delete(f"/api/books/{book['id']}")


def test_list_contains_created_books(client: HttpClient, make_book: MakeBook) -> None:
    ids = {make_book()["id"] for _ in range(3)}
    listed = {book["id"] for book in client.get("/api/books").json()}
    assert ids <= listed  # other test files add books too: never compare counts


def test_search_matches_title_and_author_case_insensitively(
    client: HttpClient, make_book: MakeBook, unique: str
) -> None:
    by_title = make_book(title=f"Moonlit {unique} Atlas")
    by_author = make_book(author=f"Quill {unique}")
    other = make_book(title="Something else", author="Someone else")

    found = {book["id"] for book in client.get(f"/api/books?q={unique.upper()}").json()}

    assert by_title["id"] in found
    assert by_author["id"] in found
    assert other["id"] not in found


def test_delete_removes_the_book(client: HttpClient, make_book: MakeBook) -> None:
    book = make_book()
    assert client.delete(f"/api/books/{book['id']}").status == 204
    assert client.get(f"/api/books/{book['id']}").status == 404
    assert client.delete(f"/api/books/{book['id']}").status == 404


def test_many_books_round_trip(client: HttpClient, make_book: MakeBook, unique: str) -> None:
    # A bulk scenario, like a catalogue import: lots of small requests.
    books = [make_book(title=f"Volume {n} {unique}", price=n) for n in range(1, 41)]
    for book in books:
        assert client.get(f"/api/books/{book['id']}").json() == book
    found = client.get(f"/api/books?q={unique}").json()
    assert sorted(book["price"] for book in found) == [float(n) for n in range(1, 41)]


def test_html_pages_list_and_show_a_book_escaped(client: HttpClient, make_book: MakeBook, unique: str) -> None:
    book = make_book(title=f"<i>Bold</i> {unique}", price=3.5)
    escaped_title = f"&lt;i&gt;Bold&lt;/i&gt; {unique}"

    listing = client.get("/books").text
    assert f'<a href="/books/{book["id"]}">{escaped_title}</a>' in listing

    page = client.get(f"/books/{book['id']}").text
    assert f"<h1>{escaped_title}</h1>" in page
    assert "$3.50" in page
    assert "<i>Bold</i>" not in page


def test_form_creates_a_book_and_redirects_to_it(client: HttpClient, unique: str) -> None:
    form = {"title": f"Form {unique}", "author": "Form Author", "price": "4.20"}
    response = client.post("/books/new", form=form, follow_redirects=False)
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/books/")
    book = client.get("/api" + location).json()
    assert (book["title"], book["price"]) == (f"Form {unique}", 4.2)
    client.delete("/api" + location)


def test_new_book_counts_in_the_inventory_report(client: HttpClient, make_book: MakeBook) -> None:
    book = make_book(price=42.0)
    # The report is slow on purpose, like a heavy query over the catalogue.
    report = client.get("/api/reports/sales?delay_ms=1200").json()
    assert report["book_count"] >= 1
    assert report["inventory_value"] >= book["price"]  # never an exact total: files run side by side
