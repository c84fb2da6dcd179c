"""The floor: a cold catalog page's bare input and output, with none of the shop around it.

``make bench`` serves this app the way it serves the shop and hello, on the same database,
with the cold mix's URLs (``--no-floor`` skips it): its share of hello's throughput is the
most any cold page could reach on this machine with the shop's stack (Flask under gunicorn's
sync workers, the database's driver, Redis). Each request does only what a page-cache miss
cannot avoid:

- the page cache's lookup: one Redis round trip (a GET, and noting the view) when REDIS_URL is
  set, else a dictionary in the process;
- two statements on the database's own driver, no SQLAlchemy: the asked book's row (by the
  slug in a book page's path, else a random book) and 24 books' card columns;
- about 15 KB of escaped HTML, as long as a cold page of the shop.

No session, no user, no URL building, no hooks, no page kept. Not a shop: a yardstick.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
from typing import Any

from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)
CARDS = 24
PAGE_BYTES = 15_000  # a cold page of the shop: 14-21 KB
VIEW_NOTE_SECONDS = 600  # the notes leave Redis by themselves
_local = threading.local()  # each worker's connections (made after the fork)


class _Links:
    """This process's database connection and page-cache store."""

    def __init__(self) -> None:
        url = os.environ["DATABASE_URL"]
        if url.startswith("sqlite:"):
            self.db: Any = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            self.mark = "?"
        else:
            import psycopg

            self.db = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
            self.db.autocommit = True
            self.mark = "%s"
        redis_url = os.environ.get("REDIS_URL")
        if redis_url:
            import redis

            self.redis: Any = redis.Redis.from_url(redis_url)
        else:
            self.redis = None
            self.pages: dict[str, int] = {}
        low, high = self.db.execute("SELECT min(id), max(id) FROM books").fetchone()
        self.low, self.high = low or 0, high or 0
        mark = self.mark
        self.by_slug = f"SELECT id, title, subtitle, description FROM books WHERE slug = {mark}"
        self.by_id = f"SELECT id, title, subtitle, description FROM books WHERE id = {mark}"
        self.cards = (
            "SELECT id, title, slug, cover_image, published_on, min_price_cents FROM books "
            f"WHERE id IN ({', '.join([mark] * CARDS)})"
        )


def _links() -> _Links:
    links = getattr(_local, "links", None)
    if links is None:
        links = _local.links = _Links()
    return links


def _looked_up(links: _Links, key: str) -> None:
    if links.redis is not None:
        pipe = links.redis.pipeline(transaction=False)
        pipe.get("floor:page:" + key)
        pipe.set("floor:seen:" + key, 1, nx=True, ex=VIEW_NOTE_SECONDS)  # as the shop notes a view
        pipe.execute()
    else:
        links.pages[key] = links.pages.get(key, 0) + 1


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def page(path: str) -> str:
    links = _links()
    _looked_up(links, request.full_path)
    rng = random.Random()  # noqa: S311  (load test, not secrets)
    if path.startswith("books/"):
        book = links.db.execute(links.by_slug, (path.removeprefix("books/"),)).fetchone()
    else:
        book = links.db.execute(links.by_id, (rng.randint(links.low, links.high),)).fetchone()
    ids = [rng.randint(links.low, links.high) for _ in range(CARDS)]
    cards = links.db.execute(links.cards, ids).fetchall()
    parts = ["<!doctype html><html lang=en><title>Floor</title><main>"]
    if book:
        parts.append(f"<h1>{escape(book[1])}</h1><p>{escape(book[2] or '')}</p>")
        parts.append(f"<div>{escape(book[3] or '')}</div>")
    for card in cards:
        price = card[5] or 0
        parts.append(
            f'<li class="card"><a href="/books/{escape(card[2])}">'
            f'<img src="/covers/{escape(card[3] or "none")}" alt="" width="120" height="180">'
            f"<h3>{escape(card[1])}</h3></a><p>{escape(str(card[4] or ''))}</p>"
            f'<p class="price">${price // 100}.{price % 100:02d}</p>'
            f'<form method="post" action="/cart"><input type="hidden" name="book" '
            f'value="{card[0]}"><button>Add to cart</button></form></li>'
        )
    parts.append("</main>")
    body = "".join(parts)
    return body + "<footer>" + " " * max(0, PAGE_BYTES - len(body)) + "</footer>"
