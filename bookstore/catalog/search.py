"""Full-text search of the catalog: title, subtitle, contributors, series, description, ISBN.

The index itself (FTS5 on SQLite, a weighted tsvector on PostgreSQL) and how it is kept current
are described in ``bookstore.catalog.search_index``. Here the user's text becomes a safe query:
it is cut to a sane length, stripped of control characters and split into word tokens (letters
and digits only), and only those tokens -- each quoted and given a prefix marker -- reach the
database's query parser. No user text is ever passed to ``MATCH`` or ``to_tsquery`` as is.

Ranking: books whose title contains every word come first, then the others; within each, by
relevance (bm25 with column weights on SQLite, ``ts_rank`` over the weighted vector on
PostgreSQL), newest first on ties and for very broad queries (see ``Matcher``).
"""

from __future__ import annotations

import difflib
import math
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from bookstore import page_cache
from bookstore.catalog import search_words
from bookstore.catalog.cards import BookList
from bookstore.catalog.isbn import check_digit, is_valid_isbn13, normalise_isbn
from bookstore.catalog.models import Book, Contributor, Edition, Series, Subject
from bookstore.catalog.search_statements import Statements
from bookstore.catalog.transliteration import spellings
from bookstore.database import built_once

MAX_QUERY_LENGTH = 200  # characters kept from the user's query (the search box allows 200)
MAX_TERMS = 10  # words kept from a query; more adds cost without changing the answer
MAX_TERM_LENGTH = 40  # longer "words" are noise (no title word is that long)
PAGE_SIZE = 20
MAX_RESULTS = 500  # counted and paged; "500+ books match" beyond, as lists say (never a full COUNT)
# PostgreSQL, newest first: how many of the newest books are looked through before the GIN
# index is asked (a page's worth of a common word is found among them at once).
NEWEST_WINDOW = 2000
NEWEST_WINDOW_MAX = 40000
COUNT_WALK = 3000  # newest books the count looks through before it asks the GIN index
COUNT_WALK_MAX = 25000  # ... at most, for words the statistics call common
WALK_FROM = 0.03  # the share of books matching from which the count walks
POSTING_PER_BOOK_WALKED = 0.25  # a GIN posting read, against a book looked through (cost)
RANGE_AT_MOST = 100000  # newest ids whose matches the GIN index is asked for before all of them
WALK_PER_FETCH = 6  # books looked through newest first for the cost of one the index found
EXPAND_AT_MOST = 64  # index words put in place of a prefix (more: the prefix match itself)
VOCABULARY_SECONDS = 300  # how long a process reuses its did-you-mean word list
NEAREST_KEPT = 10000  # did-you-mean answers kept per word list before they start again

WORD = re.compile(r"[^\W_]+")
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
    books: Sequence[Book]
    total: int
    page: int
    pages: int
    per_page: int
    isbn_match: bool = False
    total_capped: bool = False
    did_you_mean: str | None = None
    # The clear correction whose books are shown when the query as typed found none.
    corrected: str | None = None
    subjects: list[OfferedSubject] = field(default_factory=list)

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
        terms = WORD.findall(shown.lower())
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


def search_books(
    session: Session, raw_query: str | None, page: int = 1, *, correct: bool = True
) -> SearchResults:
    """Search the catalog; a page of books with the total, and suggestions when nothing matched.

    When nothing matches and one spelling from the catalog's words clearly fixes the query, the
    books of that spelling are shown at once (``corrected``) unless ``correct`` is False."""
    query = parse_query(raw_query)
    page = max(page, 1)
    results = SearchResults(query, [], 0, 1, 0, PAGE_SIZE)
    if query.is_empty:
        results.subjects = _subjects(session)
        return results

    if query.isbn:
        book_id = session.scalar(select(Edition.book_id).where(Edition.isbn13 == query.isbn))
        if book_id is not None:
            results.books = BookList([book_id])
            results.total, results.pages, results.isbn_match = 1, 1, True
            return results

    matcher = Matcher(session, query.terms)
    total = matcher.count(page=page)
    if total == 0:
        suggestion = _correction(session, query, page=page if correct else None)
        if suggestion is not None and suggestion.clear and correct:
            # The correction's own count (for this page) stands: its books are shown.
            results.corrected = suggestion.text
            matcher, total = suggestion.matcher, suggestion.total
        elif suggestion is not None:
            results.did_you_mean = suggestion.text
    results.total_capped = total > MAX_RESULTS
    shown = min(total, MAX_RESULTS)
    pages = max((shown + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page, pages)
    offset = (page - 1) * PAGE_SIZE
    limit = min(PAGE_SIZE, shown - offset)  # never past the MAX_RESULTS that were counted
    ids = matcher.page_ids(offset=offset, limit=limit, ranked=not results.total_capped)
    # The page's cards load what they show (and only for cards not kept): see catalog.cards.
    results.books = BookList(ids)
    results.total, results.page, results.pages = shown, page, pages
    if total == 0:
        results.subjects = _subjects(session)
    return results


def count_matches(session: Session, terms: tuple[str, ...]) -> int:
    """How many books match every term as a prefix (counting stops after MAX_RESULTS)."""
    if not terms:
        return 0
    return Matcher(session, terms).count()


class Matcher:
    """Counts and pages of the books matching a query's terms, in two tiers.

    Books whose title has every word come first, then the others: each tier is one indexed
    query with its own LIMIT, so a page never sorts the whole match set. Within a tier books
    are ranked by relevance (bm25 / ts_rank) -- unless more than MAX_RESULTS books match, when
    ranking them all would cost more than it tells (a query like "the"): then newest first,
    which the indexes give without a sort. PostgreSQL keeps a title-only vector for the first
    tier (asking the weighted vector for weight A would recheck every candidate row).
    """

    def __init__(self, session: Session, terms: tuple[str, ...]):
        self.session = session
        self.statements = Statements(session)
        self.postgres = self.statements.postgres
        self.ranked_page: tuple[int, list[int]] | None = None  # (offset, ids) found by count
        # PostgreSQL, broad queries: the share of books matching, per tier, as the count saw.
        self.density: dict[str, float] = {}
        self.books = 0
        # PostgreSQL: the share of books matching (and by title), as ANALYZE's statistics say.
        self.guess: float | None = None
        self.guess_title: float | None = None
        self.catalog = 0.0  # PostgreSQL: books in the catalog, as ANALYZE counted them
        # PostgreSQL: the share of books having the rarest of the words (any spelling).
        self.rarest: float | None = None
        # Each term is looked for in every spelling (Cyrillic words in Latin, ё as е): any
        # spelling may match, and every term must.
        groups = [query_spellings(t) for t in terms]
        self.nothing = False  # a word that no book has: no statement needs to run
        self.checked = False  # SQLite: the index's words used were checked against the index
        self.structure: bytes | None = None  # SQLite: the index's structure the count saw
        if self.postgres:
            # Letters and digits only (see parse_query): no tsquery operator comes from the user,
            # and the index's words put in their place are letters and digits too.
            # The statement that looks the words up also turns off, for this transaction,
            # seq scans: a capped count streams matches under a LIMIT, and on the planner's
            # guess of how many books match it may walk the table instead of the index, and
            # those guesses run high (59,000 books read at 1,000,000 for a Cyrillic word's 501
            # matches); the search statements all have an index to use. And the JIT compiler,
            # which a seq scan's cost would start (50+ ms).
            known = _index_words(self.statements, [t for group in groups for t in group])
            alternatives = []
            for group in groups:
                plain = {t: [f"{t}:*" if len(t) > 1 else t] for t in group}
                found = dict.fromkeys(w for t in group for w in known.get(t, plain[t]))
                self.nothing = self.nothing or not found
                alternatives.append(list(found))
            query = " & ".join("(" + " | ".join(group) + ")" for group in alternatives)
            self.match = {"all": query, "title": query}
            shares, self.catalog = _word_shares(session)
            self.guess = _guess_density(shares.get("document", {}), alternatives)
            self.rarest = _rarest_share(shares.get("document", {}), alternatives)
            self.guess_title = _guess_density(shares.get("title_document", {}), alternatives)
        else:
            self.groups = groups
            connection = self.statements.connection()
            self._sqlite_match(search_words.index_words(connection, _flat(groups)))

    def _sqlite_match(self, found: search_words.IndexWords | None) -> None:
        """The FTS5 queries: quoted strings of letters and digits (nothing typed is syntax).

        A word's prefix becomes the index's words it starts (``search_words``) where they are
        known. Ranking keeps one phrase per spelling, as bm25 scores phrases: a prefix that
        starts one word becomes that word (the same rows and hits, so the same score); one
        that starts several stays a prefix there. ``self.words``: the words used, when any."""
        starts = found.starts if found else {}
        match, ranked, used = [], [], False
        title_groups: list[list[str]] = []
        for group in self.groups:
            words: list[str] = []
            for t in group:
                known = starts.get(t)
                words += [f'"{w}"' for w in known] if known is not None else [_phrase(t)]
            if not words:  # no book has any of them: the prefixes find nothing, cheaply
                words = [_phrase(t) for t in group]
            ones = [
                f'"{known[0]}"' if (known := starts.get(t)) is not None and len(known) == 1
                else _phrase(t)
                for t in group
            ]  # fmt: skip
            prefixes = [_phrase(t) for t in group]
            used = used or words != prefixes or ones != prefixes
            match.append("(" + " OR ".join(dict.fromkeys(words)) + ")")
            ranked.append("(" + " OR ".join(ones) + ")")
            title_groups.append(list(dict.fromkeys(words)))
        self.words = found if used else None
        self.title_groups = title_groups  # the phrases of each word, for _no_title_match
        self.match = {"all": " AND ".join(match), "title": f"title : ({' AND '.join(match)})"}
        self.rank_match = {
            "all": " AND ".join(ranked),
            "title": f"title : ({' AND '.join(ranked)})",
        }

    def _sqlite_checked(self, structure: bytes | None) -> bool:
        """Whether the index's words used were read under the index's ``structure`` now; if
        not, the match is built again from words read afresh (or from the prefixes)."""
        if self.words is None or self.words.structure == structure:
            return True
        connection = self.statements.connection()
        search_words.forget(connection, structure)
        again = search_words.index_words(connection, _flat(self.groups))
        self._sqlite_match(again if again and again.structure == structure else None)
        return False

    def count(self, tier: str = "all", *, page: int | None = None, cap: int = MAX_RESULTS) -> int:
        """Matches in ``tier``, counted up to ``cap`` + 1.

        With ``page`` (PostgreSQL): the same statement ranks that page of results when no more
        than MAX_RESULTS match, so ``page_ids`` needs no second pass over the index."""
        if self.nothing:
            return 0
        params = {"m": self.match[tier], "cap": cap + 1}
        if not self.postgres:
            # The index's structure comes with the count, from the same snapshot.
            while True:
                structure, total = self.statements.rows(_SQLITE_COUNT, params)[0]
                if self._sqlite_checked(structure):
                    self.checked, self.structure = True, structure
                    return total
                params["m"] = self.match[tier]
        last_page = -(-MAX_RESULTS // PAGE_SIZE)
        if self.postgres and tier == "all" and page is not None and page <= last_page:
            offset = (page - 1) * PAGE_SIZE
            params |= {"max": MAX_RESULTS, "limit": PAGE_SIZE, "offset": offset}
            params["walk"] = walk = self._count_walk()
            rows = self.statements.rows(_PG_COUNT_AND_RANK, params)
            total, titled, span, books, newest, newest_titled, newest_from = rows[0][:7]
            if total <= MAX_RESULTS:
                self.ranked_page = (offset, [row[7] for row in rows if row[7] is not None])
            elif books:
                self.books = books
                self.density = _densities(
                    (total, titled, span),
                    (newest, newest_titled, books - newest_from + 1 if newest > MAX_RESULTS
                     else min(walk, books)),
                    {"all": self.guess, "title": self.guess_title},
                )  # fmt: skip
            return total
        return self.statements.ids(_PG_COUNT[tier], params)[0]

    def page_ids(self, *, offset: int, limit: int, ranked: bool) -> list[int]:
        """Book ids of one page: the title tier, then the rest.

        The title tier is asked for everything up to the page's end; when it ends sooner, it
        returned all its matches, and the rest are the first books of all matches in the same
        order less those (every title match is a match): no count of the title tier and no
        "match but not in the title" query, which costs a query engine far more."""
        if limit <= 0:
            return []
        if ranked and self.ranked_page is not None and self.ranked_page[0] == offset:
            return self.ranked_page[1][:limit]
        end = offset + limit
        title = [] if self._no_title_match() else self.tier_ids("title", ranked, end, 0)
        if len(title) == end:
            return title[offset:]
        in_title = set(title)
        rest = [i for i in self.tier_ids("all", ranked, end, 0) if i not in in_title]
        return (title + rest)[offset:end]

    def _no_title_match(self) -> bool:
        """SQLite, after the count: whether one of the words is in no book's title, so that no
        title has them all (``search_words.in_titles``, known from earlier searches while the
        index stays as the count saw it)."""
        if self.postgres or not self.checked or self.nothing:
            return False
        connection = self.statements.connection()
        phrases = _flat(self.title_groups)
        titled = search_words.in_titles(connection, self.structure, phrases)
        return titled is not None and not all(
            any(titled[p] for p in group) for group in self.title_groups
        )

    def tier_ids(self, tier: str, ranked: bool, limit: int, offset: int) -> list[int]:
        """Book ids of one tier ("title" or "all"), by relevance or newest first."""
        if self.nothing:
            return []
        params = {"m": self.match[tier], "limit": limit, "offset": offset}
        if not self.postgres:
            if not self.checked:  # no count came first to check the index's words
                connection = self.statements.connection()
                while not self._sqlite_checked(search_words.structure(connection)):
                    pass
                self.checked = True
            params["m"] = (self.rank_match if ranked else self.match)[tier]
            sql = _SQLITE_IDS[tier, ranked]
            return self.statements.ids(sql, params)
        # Unprepared: planned for these words (see _PLANS_BACK).
        if not ranked and (window := self._newest_window(tier, offset + limit)):
            # Newest first: the newest books, when they hold the page's matches, answer it
            # from the primary key alone; a query whose matches are rarer asks the GIN index.
            sql = _PG_NEWEST[tier]
            ids = self.statements.ids(sql, {**params, "window": window}, prepared=False)
            if len(ids) == limit:
                return ids
        if not ranked and (floor := self._newest_floor(tier, offset + limit)):
            # The index's matches among the newest ids only (the primary key's range and the
            # GIN index ANDed), sorted: when they fill the page they are the newest of all.
            sql = _PG_IDS_SINCE[tier]
            ids = self.statements.ids(sql, {**params, "floor": floor}, prepared=False)
            if len(ids) == limit:
                return ids
        return self.statements.ids(_PG_IDS[tier, ranked], params, prepared=False)

    def _newest_floor(self, tier: str, end: int) -> int:
        """An id above which ``end`` matches likely lie (0: not worth a try), by the density."""
        density = self.density.get(tier)
        if not density:
            return 0
        span = int(end / density * 2) + 1000
        return self.books - span if span <= RANGE_AT_MOST else 0

    def _count_walk(self) -> int:
        """How many of the newest books the count looks through before it asks the GIN index.

        Gathering a word's postings costs about as much per match as looking through a book,
        so a word in more than one book in WALK_FROM is counted faster by walking until the
        cap (as far as the statistics' share says it takes); a rarer one goes to the index at
        once. Without statistics (a new catalog): a short walk."""
        if self.guess is None:
            return COUNT_WALK
        if self.guess < WALK_FROM:
            return 0
        walk = min(COUNT_WALK_MAX, int(1.3 * (MAX_RESULTS + 1) / self.guess) + 100)
        # The index's share of the work grows with the catalog, the walk's does not: in a
        # smaller catalog a word in one book in 30 has fewer postings than the walk reads
        # books (3,000 against 21,000 at 100,000 books: 2 ms against 9-16). From 1,000,000
        # books on, WALK_FROM decides alone.
        if walk > self.guess * self.catalog > 0:
            return 0
        # The walk stops at the cap, so walking further costs more only when the words are
        # rarer together than guessed, and then the index is asked after all: the walk goes
        # on while it costs less than the index's answer would, which reads the postings of
        # the rarest word (the others are skipped through), each about a fourth of the cost
        # of looking through a book. The guess of words found together runs high, and a walk
        # that stopped short paid for both (at 1,000,000 books "first daily": 5,806 books
        # walked for 263 of the 501 matches, then 25 ms in the index; 11,600 books find them).
        postings = (self.rarest or 0.0) * self.catalog
        return min(COUNT_WALK_MAX, max(walk, int(postings * POSTING_PER_BOOK_WALKED)))

    def _newest_window(self, tier: str, end: int) -> int:
        """How many of the newest books to look through for ``end`` matches (0: ask the index).

        Looking through a book costs about a sixth of fetching one the index found, which
        must be done for every match before the newest can be picked: walk when the matches
        are dense enough, by the density the count saw (a guess: the index answers anyway)."""
        density = self.density.get(tier)
        if density is None:
            return min(NEWEST_WINDOW_MAX, NEWEST_WINDOW + end * 50)
        if density <= 0:
            return 0
        walk = int(end / density * 1.5) + 100
        if walk > NEWEST_WINDOW_MAX or walk > WALK_PER_FETCH * density * self.books:
            return 0
        return walk


_shares_cache: dict[int, tuple[float, dict[str, dict[str, float]], float]] = {}


def _word_shares(session: Session) -> tuple[dict[str, dict[str, float]], float]:
    """Per vector (document, title_document): its most common words and the share of books
    that have each, as ANALYZE found them; and the number of books it counted (0: unknown)."""
    # A cache, not state: any process may rebuild it; a few minutes stale is harmless.
    key = id(session.get_bind().engine)
    cached = _shares_cache.get(key)
    if cached and time.monotonic() - cached[0] < VOCABULARY_SECONDS:
        return cached[1], cached[2]
    rows = session.execute(text(_PG_SHARES)).all()
    shares = {column: dict(zip(words, freqs, strict=False)) for column, words, freqs, _ in rows}
    books = max((row[3] for row in rows), default=0.0)
    _shares_cache[key] = (time.monotonic(), shares, books)
    return shares, books


def _guess_density(shares: dict[str, float], groups: list[list[str]]) -> float | None:
    """The share of books matching every group of words, by ANALYZE's shares of each.

    None without statistics; a word not among the common ones counts as none (it is rarer
    than WALK_FROM anyway). A prefix match counts the common words it starts."""
    if not shares:
        return None
    each = _group_shares(shares, groups)
    # Between independent words (the product) and words that always come together (the
    # rarest's share): a catalog's common words keep company.
    return math.sqrt(math.prod(each) * min(each))


def _rarest_share(shares: dict[str, float], groups: list[list[str]]) -> float | None:
    """The share of books having the rarest group of words, by ANALYZE (None without)."""
    return min(_group_shares(shares, groups), default=None) if shares else None


def _group_shares(shares: dict[str, float], groups: list[list[str]]) -> list[float]:
    """Each group's share of books (any of its words), by ANALYZE's shares of its words: a
    word not among the common ones counts as none, a prefix as the common words it starts."""
    each = []
    for group in groups:
        share = 0.0
        for word in group:
            if word.endswith(":*"):
                share += sum(f for w, f in shares.items() if w.startswith(word[:-2]))
            else:
                share += shares.get(word, 0.0)
        each.append(min(share, 1.0))
    return each


def _densities(
    sample: tuple[int, int, int],
    newest: tuple[int, int, int],
    guesses: dict[str, float | None],
) -> dict[str, float]:
    """The share of books that match, per tier, for sizing newest-first walks (a guess).

    ``newest``: matches (all, in the title) among the newest books the count looked through,
    and how many it looked through: the very books a walk reads, so they tell best once a few
    matched. ``sample``: the matches the index found, read in table order, which follows the
    ids closely, and the span of ids they came from. ``guesses``: the statistics' (ANALYZE),
    for a tier with too few matches in either to tell."""
    found: dict[str, float] = {}
    for tier, index in (("all", 0), ("title", 1)):
        guess = guesses.get(tier)
        if newest[index] >= 3 or not sample[2]:
            found[tier] = newest[index] / max(newest[2], 1)
        elif sample[index] >= 10 or guess is None:
            found[tier] = sample[index] / sample[2]
        else:
            found[tier] = guess
    return found


def _index_words(statements: Statements, spellings: list[str]) -> dict[str, list[str]]:
    """The index's words that each spelling starts (PostgreSQL), for those it can tell.

    A GIN prefix match (``famil:*``) first gathers the postings of every word with that prefix;
    asking for the words themselves (``family | familiar``) lets the index skip through them.
    A spelling is left out (and keeps its prefix match) when it is one letter (matched as a
    whole word), digits only (ISBNs are not in the word list), starts more than
    EXPAND_AT_MOST words, or when the configuration or the index's words are not plain
    letters and digits (an e-mail address or a hyphenated word starts with it): the answer is
    the same either way. An empty list: no book has a word that starts so."""
    asked = [s for s in dict.fromkeys(spellings) if len(s) > 1 and not s.isdigit()]
    # The same statement sets the search's settings (see Matcher): it always runs.
    rows = statements.rows(_PG_INDEX_WORDS, {"words": asked, "most": EXPAND_AT_MOST + 1})
    found: dict[str, list[str]] = {}
    for spelling, lexemes, starts in rows:
        if spelling is None or len(lexemes) != 1 or not WORD.fullmatch(lexemes[0]):
            continue
        if len(starts) <= EXPAND_AT_MOST and all(WORD.fullmatch(w) for w in starts):
            found[spelling] = starts
    return found


def _phrase(spelling: str) -> str:
    """An FTS5 phrase for one spelling: words that start so (one letter: that word)."""
    return f'"{spelling}"*' if len(spelling) > 1 else f'"{spelling}"'


def _flat(groups: list[list[str]]) -> list[str]:
    return [t for group in groups for t in group]


def query_spellings(term: str) -> list[str]:
    """The forms of a query word to look for (itself, ё as е, Latin spellings of Cyrillic)."""
    # Transliterations are letters too; the check keeps it so whatever a schema emits.
    return [s for s in spellings(term) if WORD.fullmatch(s)] or [term]


_PG_SHARES = (
    "SELECT s.attname, CAST(CAST(s.most_common_elems AS text) AS text[]), "
    "s.most_common_elem_freqs, c.reltuples FROM pg_stats s, pg_class c "
    "WHERE s.schemaname = current_schema() AND s.tablename = 'book_search' "
    "AND s.attname IN ('document', 'title_document') AND s.most_common_elems IS NOT NULL "
    "AND s.most_common_elem_freqs IS NOT NULL AND c.oid = CAST('book_search' AS regclass)"
)
# Each spelling as the search configuration writes it (unaccented, lower case), and the index's
# words it starts, in byte order as the GIN prefix match compares them (the column is "C").
# The settings hold for the rest of the search's transaction (plan_cache_mode: until the count
# has been planned, see _PLANS_BACK).
_PG_INDEX_WORDS = """
SELECT x.spelling, x.lexemes, x.starts FROM (
  SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true),
    set_config('plan_cache_mode', 'force_custom_plan', true)
) AS settings(seqscan, jit, plans)
LEFT JOIN LATERAL (
  SELECT a.spelling, n.lexemes, coalesce(w.starts, '{}') AS starts
  FROM unnest(CAST(:words AS text[])) AS a(spelling)
  CROSS JOIN LATERAL (
    SELECT tsvector_to_array(to_tsvector('bookstore_search', a.spelling)) AS lexemes) AS n
  LEFT JOIN LATERAL (SELECT array_agg(t.lexeme) AS starts FROM (
    SELECT lexeme FROM book_search_terms
    WHERE cardinality(n.lexemes) = 1 AND lexeme >= n.lexemes[1]
      AND lexeme < n.lexemes[1] || chr(1114111)
    ORDER BY lexeme LIMIT :most) AS t) AS w ON true
) AS x ON true
"""
# The statements, spelled out from fixed fragments (the user's terms are only ever a parameter).
_PG_WHERE = {
    "all": "s.document @@ q",
    "title": "s.title_document @@ q",
}
_PG_FROM = "FROM book_search s, to_tsquery('bookstore_search', :m) AS q WHERE "
# psycopg prepares a statement it has run a few times, and PostgreSQL would then settle on one
# plan for every query's words: the count (prepared, as parsing it costs) is planned for its
# own words under the index-words statement's force_custom_plan, and puts the setting back as
# it runs, so that the page's other prepared statements (its cards) keep their plans; the
# statements after it are sent unprepared (``Statements.rows(..., prepared=False)``), planned
# for their own words all the same. The shop leaves plan_cache_mode at its default. (A query
# with a word that no book has runs no count: its page has no cards.)
_PLANS_BACK = "(SELECT set_config('plan_cache_mode', 'auto', true)) AS plans_back(mode)"
_PG_COUNT = {
    tier: f"SELECT count(*) FROM (SELECT 1 {_PG_FROM}{where} LIMIT :cap) AS hits, {_PLANS_BACK}"  # noqa: S608
    for tier, where in _PG_WHERE.items()
}
# The count, in one statement. A broad query's cap is reached among the newest books (w) at
# once; otherwise the GIN index finds the matches (m), and when no more than MAX_RESULTS
# match, the asked page is ranked from them (title matches first, then by relevance, newest on
# ties). Also: how densely the matches lie (their count, title ones, and the span of ids they
# came from) and the newest id, for ``Matcher._newest_window``.
_PG_COUNT_AND_RANK = f"""
WITH w AS MATERIALIZED (
  SELECT s.book_id, s.title_document @@ q AS in_title
  FROM (SELECT book_id, document, title_document FROM book_search
        ORDER BY book_id DESC LIMIT :walk) AS s, to_tsquery('bookstore_search', :m) AS q
  WHERE s.document @@ q LIMIT :cap),
m AS MATERIALIZED (
  SELECT s.book_id, s.document, s.title_document @@ q AS in_title
  FROM book_search s, to_tsquery('bookstore_search', :m) AS q
  WHERE s.document @@ q AND (SELECT count(*) FROM w) < :cap LIMIT :cap),
hits AS (
  SELECT book_id, in_title FROM w WHERE (SELECT count(*) FROM w) >= :cap
  UNION ALL SELECT book_id, in_title FROM m),
n AS (SELECT count(*) AS total, count(*) FILTER (WHERE in_title) AS titled,
      max(book_id) - min(book_id) + 1 AS span FROM hits)
SELECT n.total, n.titled, n.span, (SELECT max(book_id) FROM book_search),
  (SELECT count(*) FROM w), (SELECT count(*) FILTER (WHERE in_title) FROM w),
  (SELECT min(book_id) FROM w), p.book_id
FROM n CROSS JOIN {_PLANS_BACK} LEFT JOIN LATERAL (
  SELECT m.book_id FROM m, to_tsquery('bookstore_search', :m) AS q WHERE n.total <= :max
  ORDER BY m.in_title DESC, ts_rank(m.document, q) DESC, m.book_id DESC
  LIMIT :limit OFFSET :offset) AS p ON true
"""  # noqa: S608 (fixed fragments)
_PG_ORDER = {True: "ts_rank(s.document, q) DESC, s.book_id DESC", False: "s.book_id DESC"}
_PG_NEWEST = {
    tier: "SELECT s.book_id FROM (SELECT book_id, document, title_document FROM book_search "  # noqa: S608
    "ORDER BY book_id DESC LIMIT :window) AS s, to_tsquery('bookstore_search', :m) AS q "
    "WHERE " + where + " ORDER BY s.book_id DESC LIMIT :limit OFFSET :offset"
    for tier, where in _PG_WHERE.items()
}
_PG_IDS = {
    (tier, ranked): "SELECT s.book_id " + _PG_FROM + where + " ORDER BY " + order
    + " LIMIT :limit OFFSET :offset"
    for tier, where in _PG_WHERE.items()
    for ranked, order in _PG_ORDER.items()
}  # fmt: skip
# Newest first, when more than MAX_RESULTS match and a walk through the newest books would read
# too many (``Matcher._newest_window``): "+ 0" keeps the planner off the primary key (walking
# every book took seconds at 1,000,000): the GIN index finds the matches, and only they are
# sorted.
for _tier in _PG_WHERE:
    _PG_IDS[_tier, False] = _PG_IDS[_tier, False].replace("s.book_id DESC", "s.book_id + 0 DESC")
_PG_IDS_SINCE = {
    tier: _PG_IDS[tier, False].replace(" ORDER BY", " AND s.book_id > :floor ORDER BY")
    for tier in _PG_WHERE
}
_SQLITE_FROM = "FROM book_search WHERE book_search MATCH :m"
_SQLITE_COUNT = (
    f"SELECT ({search_words.STRUCTURE}), count(*) FROM (SELECT 1 "  # noqa: S608
    + _SQLITE_FROM
    + " LIMIT :cap) AS hits"
)
_SQLITE_ORDER = {True: "rank, rowid DESC", False: "rowid DESC"}
_SQLITE_IDS = {
    (tier, ranked): "SELECT rowid " + _SQLITE_FROM + " ORDER BY " + order
    + " LIMIT :limit OFFSET :offset"
    for tier in _PG_WHERE
    for ranked, order in _SQLITE_ORDER.items()
}  # fmt: skip


SUBJECTS_OFFERED = 12  # subjects a search offers when it finds nothing (the first by name)


@dataclass(frozen=True, slots=True)
class OfferedSubject:
    """A subject offered when a search finds nothing (what its link shows)."""

    slug: str
    name: str


def _subjects(session: Session) -> list[OfferedSubject]:
    """The subjects to browse instead; while a cacheable page renders, kept by this process
    while the catalog stays the same (the same for every search that finds nothing)."""
    if page_cache.part_scope() is None:
        return _read_subjects(session)
    return page_cache.kept_while_unchanged("search-subjects", lambda: _read_subjects(session))


def _read_subjects(session: Session) -> list[OfferedSubject]:
    rows = session.execute(_subjects_query()).all()
    return [OfferedSubject(slug, name) for slug, name in rows]


@built_once
def _subjects_query() -> Select:
    return select(Subject.slug, Subject.name).order_by(Subject.name).limit(SUBJECTS_OFFERED)


CLEAR_MARGIN = 0.08  # how much closer the best spelling must be than the next to be "clear"


def did_you_mean(session: Session, query: SearchQuery) -> str | None:
    """A close spelling from the catalog's own words that finds books, or None."""
    found = _correction(session, query)
    return found.text if found else None


@dataclass(frozen=True)
class Correction:
    """A close spelling that finds books (``total``, counted by ``matcher``), and whether it
    is the one clear choice."""

    text: str
    clear: bool
    matcher: Matcher
    total: int


def _correction(
    session: Session, query: SearchQuery, *, page: int | None = None
) -> Correction | None:
    """A close spelling that finds books, and whether it is the one clear choice; a clear
    one is counted for ``page`` (see ``Matcher.count``), so that its books can be shown.

    Cheap on purpose: it runs only when nothing matched, and compares against a bounded
    vocabulary (subject, series and contributor names, and titles of the newest books). A
    word's correction is clear when no other word of the vocabulary comes nearly as close.
    """
    vocabulary = _vocabulary(session)
    if not vocabulary.words:
        return None
    corrected, clear = [], True
    for term in query.terms:
        if term in vocabulary.words or term.isdigit() or len(term) < 3:
            corrected.append(term)
            continue
        close = _closest(term, vocabulary)
        if not close:
            corrected.append(term)
            continue
        corrected.append(close[0][1])
        if len(close) > 1 and close[0][0] - close[1][0] < CLEAR_MARGIN:
            clear = False
    if tuple(corrected) == query.terms:
        return None
    text_ = " ".join(corrected)
    # As the corrected text parses (a word corrected into another one already there counts once).
    matcher = Matcher(session, parse_query(text_).terms)
    total = matcher.count(page=page if clear else None)
    if total == 0:
        return None
    return Correction(text_, clear, matcher, total)


def _closest(term: str, vocabulary: Vocabulary) -> list[tuple[float, str]]:
    """The two words nearest to ``term`` (similarity, word), best first; kept with the
    vocabulary, as the same misspellings and words outside it come again and again."""
    found = vocabulary.nearest.get(term)
    if found is None:
        if len(vocabulary.nearest) >= NEAREST_KEPT:
            vocabulary.nearest.clear()
        found = vocabulary.nearest[term] = _nearest(term, vocabulary)
    return found


def _nearest(term: str, vocabulary: Vocabulary, cutoff: float = 0.75) -> list[tuple[float, str]]:
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(term)
    size, letters = len(term), _letters(term)
    scored = []
    for length, words in vocabulary.by_length.items():
        # difflib's real_quick_ratio, then its quick_ratio (the letters in common, counted
        # with repeats) as a set intersection: the same figures for a fraction of the cost.
        if 2.0 * min(length, size) / (length + size) < cutoff:
            continue
        for word, its_letters in words:
            if 2.0 * len(its_letters & letters) / (length + size) < cutoff:
                continue
            matcher.set_seq1(word)
            if (ratio := matcher.ratio()) >= cutoff:
                scored.append((ratio, word))
    # Search matches the start of words: "murder" finds "murders" too, so a longer word that
    # starts with another candidate is no rival to it.
    found = {word for _ratio, word in scored}
    scored = [
        (ratio, word)
        for ratio, word in scored
        if not any(word != other and word.startswith(other) for other in found)
    ]
    return sorted(scored, key=lambda item: (-item[0], item[1]))[:2]


def _letters(word: str) -> frozenset[tuple[str, int]]:
    """A word's letters with repeats told apart: ("a", 1), ("a", 2) for a second "a"."""
    seen: dict[str, int] = {}
    for ch in word:
        seen[ch] = seen.get(ch, 0) + 1
    return frozenset((ch, n) for ch, count in seen.items() for n in range(1, count + 1))


@dataclass(frozen=True)
class Vocabulary:
    """The did-you-mean words, by length, each with its letters (see ``_closest``)."""

    words: frozenset[str]
    by_length: dict[int, list[tuple[str, frozenset[tuple[str, int]]]]]
    # The answers of ``_closest`` so far, by term (a cache: the words above never change).
    nearest: dict[str, list[tuple[float, str]]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, words: set[str]) -> Vocabulary:
        by_length: dict[int, list[tuple[str, frozenset[tuple[str, int]]]]] = {}
        for word in sorted(words):
            by_length.setdefault(len(word), []).append((word, _letters(word)))
        return cls(frozenset(words), by_length)


_vocabulary_cache: dict[str, tuple[float, Vocabulary]] = {}


def _vocabulary(session: Session, limit: int = 2000) -> Vocabulary:
    # A cache, not state: any process may rebuild it; a few minutes stale is harmless.
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    cached = _vocabulary_cache.get(key)
    if cached and time.monotonic() - cached[0] < VOCABULARY_SECONDS:
        return cached[1]
    names: list[str] = []
    names += session.scalars(select(Subject.name).limit(limit)).all()
    names += session.scalars(select(Series.name).limit(limit)).all()
    names += session.scalars(select(Contributor.name).order_by(Contributor.id).limit(limit)).all()
    names += session.scalars(
        select(Book.title).order_by(Book.published_on.desc(), Book.id.desc()).limit(limit)
    ).all()
    words = Vocabulary.of({w for name in names for w in WORD.findall(name.lower()) if len(w) >= 3})
    _vocabulary_cache[key] = (time.monotonic(), words)
    return words
