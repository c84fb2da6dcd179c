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
from bookstore.catalog.search import WORD, Matcher, parse_query, query_spellings
from bookstore.catalog.transliteration import fold_yo, plain_letters

TITLES = 5
PEOPLE = 3
SERIES = 2
CANDIDATES = 40  # books looked at for matching people and series
MIN_LENGTH = 2  # characters typed before anything is suggested
RANK_AT_MOST = 200  # title matches ranked by relevance; more are listed newest first


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
    matcher = Matcher(session, query.terms)
    if matcher.nothing:  # no word of the catalog starts so: no title, person or series either
        return []
    # Ranking thousands of title matches ("th") costs more than it tells: newest first then.
    ranked = matcher.count("title", cap=RANK_AT_MOST) <= RANK_AT_MOST
    title_ids = matcher.tier_ids("title", ranked, TITLES, 0)
    groups = [query_spellings(t) for t in query.terms]
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
    words = WORD.findall(plain_letters(fold_yo(" ".join(names).lower())))
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
            "WHERE s.document @@ q LIMIT :limit"
        )
    else:
        words = " AND ".join(
            "(" + " OR ".join(f'"{t}"*' if len(t) > 1 else f'"{t}"' for t in group) + ")"
            for group in groups
        )
        query = "{people series} : (" + words + ")"
        # Newest first, straight from the index: ranking every match would cost more than it
        # tells for two letters typed.
        sql = (
            "SELECT rowid FROM book_search WHERE book_search MATCH :m "
            "ORDER BY rowid DESC LIMIT :limit"
        )
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
