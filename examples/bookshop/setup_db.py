#!/usr/bin/env python3
"""Create the Bookshop tables and seed books in the database named by DATABASE_URL.

    createdb bookshop
    DATABASE_URL=postgresql://localhost/bookshop python3 setup_db.py

Idempotent: the schema uses IF NOT EXISTS and each seed book is inserted only
if no book with the same title and author exists, so running it twice is safe.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from app import SEED_BOOKS

SCHEMA = Path(__file__).with_name("schema.sql")

SEED_SQL = """
INSERT INTO books (title, author, price)
SELECT %(title)s, %(author)s, %(price)s
WHERE NOT EXISTS (SELECT 1 FROM books WHERE title = %(title)s AND author = %(author)s)
"""


def setup(url: str) -> int:
    """Apply the schema and seed; return how many seed books were inserted."""
    import psycopg

    with psycopg.connect(url) as conn:  # one transaction, committed on success
        # Serialise concurrent runs so two of them cannot both seed.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('bookshop-setup'))")
        conn.execute(SCHEMA.read_text())
        inserted = 0
        for title, author, price in SEED_BOOKS:
            cursor = conn.execute(SEED_SQL, {"title": title, "author": author, "price": price})
            inserted += cursor.rowcount
    return inserted


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("setup_db.py: set DATABASE_URL, e.g. postgresql://localhost/bookshop", file=sys.stderr)
        return 2
    try:
        inserted = setup(url)
    except Exception as exc:  # psycopg.Error, missing psycopg, unreadable schema...
        print(f"setup_db.py: {exc}", file=sys.stderr)
        return 1
    print(f"Bookshop database ready: schema applied, {inserted} seed book(s) inserted.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
