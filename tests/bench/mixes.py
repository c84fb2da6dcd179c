"""The URLs each load mix requests, drawn at random from the whole catalog.

A mix is a list of paths that the load generator walks through in order (each client from its
own starting point), so nearly every request of a "cold" mix is the first for its URL: book
pages of random books, browse pages with random page numbers, sorts and filters, and searches
for one to three random words of the catalog (some Cyrillic). A fifth of a cold mix comes from
a small set of popular pages (home, the first browse pages, a few books and searches), as on a
real shop; a "hot" mix is only those popular pages.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import func, select

from bookstore.catalog.listing import MAX_PAGE, SORTS
from bookstore.catalog.models import Book, Format, Subject, book_subjects
from bookstore.extensions import db

WORDS = re.compile(r"[^\W\d_]{3,}")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
POPULAR_SHARE = 0.2  # of a cold mix's requests that go to the popular pages
POPULAR_PAGES = 50
SHARES = (("book", 0.5), ("browse", 0.25), ("search", 0.25))
SAMPLED_BOOKS = 3000  # books whose words make the searches


@dataclass
class CatalogSample:
    """What the URLs are made of, read once from the database."""

    slugs: list[str]
    words: list[str]
    cyrillic: list[str]
    subjects: list[tuple[str, int]]  # slug, pages of its list that the mix may ask for
    formats: list[str]
    last_page: int  # of the unfiltered browse list (MAX_PAGE at most)


def sample_catalog(rng: random.Random, page_size: int = 24) -> CatalogSample:
    """Every book's slug and the words of a few thousand random books (in an app context)."""
    slugs = list(db.session.scalars(select(Book.slug).order_by(Book.id)))
    low, high = db.session.execute(select(func.min(Book.id), func.max(Book.id))).one()
    return CatalogSample(
        slugs=slugs,
        **catalog_words(rng, low or 0, high or 0),
        subjects=[
            (slug, max(1, min(50, count // page_size)))
            for slug, count in db.session.execute(
                select(Subject.slug, func.count())
                .join(book_subjects, book_subjects.c.subject_id == Subject.id)
                .group_by(Subject.slug)
                .order_by(Subject.slug)
            )
        ],
        formats=[f.value for f in Format],
        last_page=max(1, min(MAX_PAGE, len(slugs) // page_size)),
    )


def catalog_words(rng: random.Random, low: int, high: int) -> dict[str, list[str]]:
    """Words of titles, descriptions and original titles of random books: Latin and Cyrillic."""
    ids = rng.sample(range(low, high + 1), min(SAMPLED_BOOKS, high - low + 1)) if high else []
    rows = db.session.execute(
        select(Book.title, Book.description, Book.original_title).where(Book.id.in_(ids))
    ).all()
    words: set[str] = set()
    for row in rows:
        words.update(w.lower() for text in row if text for w in WORDS.findall(text))
    cyrillic = sorted(w for w in words if CYRILLIC.search(w))
    return {"words": sorted(words - set(cyrillic)), "cyrillic": cyrillic}


def search_text(sample: CatalogSample, rng: random.Random) -> str:
    """One to three random catalog words; one query in ten is Cyrillic."""
    pool = sample.cyrillic if sample.cyrillic and rng.random() < 0.1 else sample.words
    return " ".join(rng.sample(pool, min(len(pool), rng.choice((1, 1, 2, 2, 3)))))


def _book(sample: CatalogSample, rng: random.Random) -> str:
    return f"/books/{rng.choice(sample.slugs)}"


def _browse(sample: CatalogSample, rng: random.Random) -> str:
    args: dict[str, str | int] = {}
    kind = rng.random()
    last = sample.last_page
    if kind < 0.2 and sample.subjects:
        args["subject"], last = rng.choice(sample.subjects)
    elif kind < 0.4:
        args["format"], last = rng.choice(sample.formats), max(1, min(50, last // 20))
    sort = rng.choice(list(SORTS))
    if sort != "newest":
        args["sort"] = sort
    args["page"] = rng.randint(1, last)
    return "/books?" + urlencode(args)


def _search(sample: CatalogSample, rng: random.Random) -> str:
    query = {"q": search_text(sample, rng)}
    if rng.random() < 0.1:
        query["page"] = str(rng.randint(2, 5))
    return "/search?" + urlencode(query)


_MAKERS = {"book": _book, "browse": _browse, "search": _search}


def random_url(sample: CatalogSample, rng: random.Random) -> str:
    """One random URL of the mix: a book, a browse page or a search."""
    kind = rng.choices([k for k, _ in SHARES], [w for _, w in SHARES])[0]
    return _MAKERS[kind](sample, rng)


def popular_urls(sample: CatalogSample, count: int = POPULAR_PAGES) -> list[str]:
    """The shop's most visited pages: always the same ones for a catalog (fixed seed)."""
    rng = random.Random(0)  # noqa: S311  (load test, not secrets)
    urls = ["/", "/books", "/books?sort=title", "/books?sort=price", "/books?page=2"]
    while len(urls) < count:
        urls.append(random_url(sample, rng))
    return urls[:count]


def cold_mix(sample: CatalogSample, seed: int, count: int) -> list[str]:
    """``count`` URLs: most new random ones, POPULAR_SHARE of them popular pages."""
    rng = random.Random(seed)  # noqa: S311
    popular = popular_urls(sample)
    seen: set[str] = set(popular)
    urls = []
    while len(urls) < count:
        if rng.random() < POPULAR_SHARE:
            urls.append(rng.choice(popular))
            continue
        for _try in range(50):  # a new URL, unless the catalog is too small to have one
            url = random_url(sample, rng)
            if url not in seen:
                break
        seen.add(url)
        urls.append(url)
    return urls


def hot_mix(sample: CatalogSample, seed: int, count: int) -> list[str]:
    """``count`` requests spread over the popular pages only."""
    rng = random.Random(seed)  # noqa: S311
    popular = popular_urls(sample)
    return [rng.choice(popular) for _ in range(count)]
