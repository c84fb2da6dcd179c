"""Full-text search of the catalog: title, subtitle, contributors, series, description, ISBN.

The index itself (FTS5 on SQLite, a weighted tsvector on PostgreSQL) and how it is kept current
are described in ``bookstore.catalog.search_index``. Here the user's text becomes a safe query:
it is cut to a sane length, stripped of control characters and split into word tokens (letters
and digits only), and only those tokens -- each quoted and given a prefix marker -- reach the
database's query parser. No user text is ever passed to ``MATCH`` or ``to_tsquery`` as is.

Ranking: books whose title contains every word come first, then by relevance (bm25 with column
weights on SQLite, ``ts_rank`` over the weighted vector on PostgreSQL), then by id.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from bookstore.catalog.isbn import check_digit, is_valid_isbn13, normalise_isbn
from bookstore.catalog.models import Book, BookContributor, Contributor, Edition, Series, Subject

MAX_QUERY_LENGTH = 200  # characters kept from the user's query (the search box allows 200)
MAX_TERMS = 10  # words kept from a query; more adds cost without changing the answer
MAX_TERM_LENGTH = 40  # longer "words" are noise (no title word is that long)
PAGE_SIZE = 20

_WORD = re.compile(r"[^\W_]+")
_ISBN_LIKE = re.compile(r"[0-9][0-9\s\-\u2010\u2011\u2013]*[0-9Xx]")


@dataclass(frozen=True)
class SearchQuery:
    """A user's query, cleaned: the text to show back, the word tokens, an exact ISBN."""

    text: str
    terms: tuple[str, ...]
    isbn: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.terms


@dataclass
class SearchResults:
    query: SearchQuery
    books: list[Book]
    total: int
    page: int
    pages: int
    per_page: int
    isbn_match: bool = False
    did_you_mean: str | None = None
    subjects: list[Subject] = field(default_factory=list)

    @property
    def first_rank(self) -> int:
        """The position (1-based) of the first book on this page."""
        return (self.page - 1) * self.per_page + 1


def clean_text(raw: str | None) -> str:
    """The query as we show it back: NFKC, no control characters, single spaces, capped."""
    if not raw:
        return ""
    raw = unicodedata.normalize("NFKC", raw[: MAX_QUERY_LENGTH * 4])
    # Control, format, surrogate and private-use characters (incl. NUL) become spaces.
    raw = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in raw)
    return " ".join(raw.split())[:MAX_QUERY_LENGTH].strip()


def parse_query(raw: str | None) -> SearchQuery:
    """Turn the user's text into a ``SearchQuery`` (pure; never raises)."""
    shown = clean_text(raw)
    isbn = _as_isbn13(shown)
    if _ISBN_LIKE.fullmatch(shown):
        # "978-1-880100-81-3" or a partial "979 8" searches as one number, not as pieces.
        terms = [normalise_isbn(shown).lower().rstrip("x")]
    else:
        terms = _WORD.findall(shown.lower())
    unique: list[str] = []
    for term in terms:
        if term and len(term) <= MAX_TERM_LENGTH and term not in unique:
            unique.append(term)
    return SearchQuery(text=shown, terms=tuple(unique[:MAX_TERMS]), isbn=isbn)


def _as_isbn13(text_: str) -> str | None:
    """The ISBN-13 that ``text_`` spells (ISBN-10 converted), if it spells one."""
    if not _ISBN_LIKE.fullmatch(text_ or ""):
        return None
    digits = normalise_isbn(text_).upper()
    if len(digits) == 13 and is_valid_isbn13(digits):
        return digits
    if len(digits) == 10 and digits[:9].isdigit() and _isbn10_ok(digits):
        body = "978" + digits[:9]
        return body + check_digit(body)
    return None


def _isbn10_ok(digits: str) -> bool:
    values = [10 if ch == "X" else int(ch) for ch in digits if ch.isdigit() or ch == "X"]
    if len(values) != 10 or "X" in digits[:9]:
        return False
    return sum((10 - i) * v for i, v in enumerate(values)) % 11 == 0


# --- the database side ------------------------------------------------------------------------


def search_books(session: Session, raw_query: str | None, page: int = 1) -> SearchResults:
    """Search the catalog; a page of books with the total, and suggestions when nothing matched."""
    query = parse_query(raw_query)
    page = max(page, 1)
    results = SearchResults(query, [], 0, 1, 0, PAGE_SIZE)
    if query.is_empty:
        results.subjects = _subjects(session)
        return results

    if query.isbn:
        book_id = session.scalar(select(Edition.book_id).where(Edition.isbn13 == query.isbn))
        if book_id is not None:
            results.books = _load_books(session, [book_id])
            results.total, results.pages, results.isbn_match = 1, 1, True
            return results

    total = count_matches(session, query.terms)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page, pages)
    ids = _matching_ids(session, query.terms, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    results.books = _load_books(session, ids)
    results.total, results.page, results.pages = total, page, pages
    if total == 0:
        results.did_you_mean = did_you_mean(session, query)
        results.subjects = _subjects(session)
    return results


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _fts5_query(terms: tuple[str, ...], column: str | None = None) -> str:
    # Terms hold only letters and digits, so quoting them cannot break out of the string.
    words = " ".join(f'"{t}"*' if len(t) > 1 else f'"{t}"' for t in terms)
    return f"{column} : ({words})" if column else words


def _tsquery(terms: tuple[str, ...], weights: str = "") -> str:
    # Letters and digits only (see parse_query): no tsquery operator can come from the user.
    return " & ".join(f"{t}:*{weights}" if len(t) > 1 else f"{t}:{weights}" for t in terms)


def count_matches(session: Session, terms: tuple[str, ...]) -> int:
    """How many books match every term (as a prefix)."""
    if not terms:
        return 0
    if _is_postgres(session):
        sql = (
            "SELECT count(*) FROM book_search WHERE document @@ to_tsquery('bookstore_search', :q)"
        )
        params = {"q": _tsquery(terms)}
    else:
        sql = "SELECT count(*) FROM book_search WHERE book_search MATCH :q"
        params = {"q": _fts5_query(terms)}
    return session.execute(text(sql), params).scalar_one()


def _matching_ids(session: Session, terms: tuple[str, ...], limit: int, offset: int) -> list[int]:
    if _is_postgres(session):
        sql = """
            SELECT s.book_id
            FROM book_search s,
                 to_tsquery('bookstore_search', :q) AS q,
                 to_tsquery('bookstore_search', :title_q) AS title_q
            WHERE s.document @@ q
            ORDER BY (s.document @@ title_q) DESC, ts_rank(s.document, q) DESC, s.book_id
            LIMIT :limit OFFSET :offset
        """
        params = {"q": _tsquery(terms), "title_q": _tsquery(terms, "A")}
    else:
        sql = """
            SELECT rowid FROM book_search
            WHERE book_search MATCH :q
            ORDER BY (rowid IN (SELECT rowid FROM book_search WHERE book_search MATCH :title_q))
                     DESC, rank, rowid
            LIMIT :limit OFFSET :offset
        """
        params = {"q": _fts5_query(terms), "title_q": _fts5_query(terms, "title")}
    params.update(limit=limit, offset=offset)
    return list(session.execute(text(sql), params).scalars())


def _load_books(session: Session, ids: list[int]) -> list[Book]:
    """The books with what a result card shows, in the order of ``ids`` (constant queries)."""
    if not ids:
        return []
    books = session.scalars(
        select(Book)
        .where(Book.id.in_(ids))
        .options(
            selectinload(Book.credits).joinedload(BookContributor.contributor),
            selectinload(Book.editions),
            joinedload(Book.series),
        )
    ).unique()
    by_id = {book.id: book for book in books}
    return [by_id[i] for i in ids if i in by_id]


def _subjects(session: Session, limit: int = 12) -> list[Subject]:
    return list(session.scalars(select(Subject).order_by(Subject.name).limit(limit)))


def did_you_mean(session: Session, query: SearchQuery) -> str | None:
    """A close spelling from the catalog's own words that finds books, or None.

    Cheap on purpose: it runs only when nothing matched, and compares against a bounded
    vocabulary (subject, series and contributor names, and titles of the newest books).
    """
    vocabulary = _vocabulary(session)
    if not vocabulary:
        return None
    corrected = []
    for term in query.terms:
        if term in vocabulary or term.isdigit() or len(term) < 3:
            corrected.append(term)
            continue
        close = difflib.get_close_matches(term, vocabulary, n=1, cutoff=0.75)
        corrected.append(close[0] if close else term)
    if tuple(corrected) == query.terms:
        return None
    if count_matches(session, tuple(corrected)) == 0:
        return None
    return " ".join(corrected)


def _vocabulary(session: Session, limit: int = 2000) -> list[str]:
    names: list[str] = []
    names += session.scalars(select(Subject.name).limit(limit)).all()
    names += session.scalars(select(Series.name).limit(limit)).all()
    names += session.scalars(select(Contributor.name).order_by(Contributor.id).limit(limit)).all()
    names += session.scalars(
        select(Book.title).order_by(Book.published_on.desc(), Book.id.desc()).limit(limit)
    ).all()
    words = {w for name in names for w in _WORD.findall(name.lower()) if len(w) >= 3}
    return sorted(words)


def index_size(session: Session) -> int:
    """Books in the search index (for checks and the benchmark)."""
    return session.execute(select(func.count()).select_from(text("book_search"))).scalar_one()
