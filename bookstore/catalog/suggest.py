"""Suggestions as the shopper types: titles, authors (and other contributors) and series.

Everything comes out of the search index, so the cost does not grow with the catalog: the best
title matches, then the people and series of a bounded number of books whose people or series
match. Every word typed must match (as the start of a word, in either script, see
``transliteration``), as in search itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from bookstore.catalog.models import Book, BookContributor
from bookstore.catalog.search import _WORD, _Matcher, _spellings, parse_query
from bookstore.catalog.transliteration import fold_yo, plain_letters

TITLES = 5
PEOPLE = 3
SERIES = 2
CANDIDATES = 40  # books looked at for matching people and series
MIN_LENGTH = 2  # characters typed before anything is suggested


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "title", "person" or "series"
    label: str
    slug: str
    detail: str = ""


def suggest(session: Session, raw_query: str | None) -> list[Suggestion]:
    """Up to TITLES titles, PEOPLE people and SERIES series matching what was typed so far."""
    query = parse_query(raw_query)
    if query.is_empty or len(query.text) < MIN_LENGTH or query.isbn:
        return []
    matcher = _Matcher(session, query.terms)
    title_ids = matcher._ids("title", True, TITLES, 0)
    groups = [_spellings(t) for t in query.terms]
    people_ids = _people_or_series_book_ids(session, groups)
    books = _books(session, list(dict.fromkeys(title_ids + people_ids)))
    found = [
        Suggestion("title", book.title, book.slug, ", ".join(p.name for p in book.authors))
        for book in (books[i] for i in title_ids if i in books)
    ]
    people: dict[str, Suggestion] = {}
    series: dict[str, Suggestion] = {}
    for book_id in people_ids:
        book = books.get(book_id)
        if book is None:
            continue
        for credit in book.credits:
            person = credit.contributor
            if _matches(groups, person.name, person.search_aliases):
                people.setdefault(person.slug, Suggestion("person", person.name, person.slug))
        if book.series and _matches(groups, book.series.name, book.series.search_aliases):
            series.setdefault(
                book.series.slug, Suggestion("series", book.series.name, book.series.slug)
            )
    return found + list(people.values())[:PEOPLE] + list(series.values())[:SERIES]


def _matches(groups: list[list[str]], *names: str) -> bool:
    """Every group has a spelling that starts a word of ``names``."""
    words = _WORD.findall(plain_letters(fold_yo(" ".join(names).lower())))
    return all(any(w.startswith(s) for s in group for w in words) for group in groups)


def _people_or_series_book_ids(session: Session, groups: list[list[str]]) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        # Weight B holds the people and series; a bounded LIMIT keeps the recheck small.
        query = " & ".join(
            "(" + " | ".join(f"{t}:*B" if len(t) > 1 else f"{t}:B" for t in group) + ")"
            for group in groups
        )
        sql = (
            "SELECT s.book_id FROM book_search s, to_tsquery('bookstore_search', :m) AS q "
            "WHERE s.document @@ q ORDER BY s.book_id DESC LIMIT :limit"
        )
    else:
        words = " AND ".join(
            "(" + " OR ".join(f'"{t}"*' if len(t) > 1 else f'"{t}"' for t in group) + ")"
            for group in groups
        )
        query = "{people series} : (" + words + ")"
        sql = "SELECT rowid FROM book_search WHERE book_search MATCH :m ORDER BY rank LIMIT :limit"
    return list(session.execute(text(sql), {"m": query, "limit": CANDIDATES}).scalars())


def _books(session: Session, ids: list[int]) -> dict[int, Book]:
    if not ids:
        return {}
    books = session.scalars(
        select(Book)
        .where(Book.id.in_(ids))
        .options(
            selectinload(Book.credits).joinedload(BookContributor.contributor),
            joinedload(Book.series),
        )
    ).unique()
    return {book.id: book for book in books}
