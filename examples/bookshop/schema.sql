-- Bookshop schema. Safe to run repeatedly: setup_db.py applies it on every run.
-- Only books live in the database; sessions and carts stay in the app's memory.
CREATE TABLE IF NOT EXISTS books (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    author     text NOT NULL CHECK (length(author) BETWEEN 1 AND 200),
    price      numeric(10, 2) NOT NULL CHECK (price >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
