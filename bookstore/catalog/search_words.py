"""SQLite search: the index's own words that a typed prefix starts, kept per process.

FTS5 answers a prefix longer than its prefix indexes (``"years"*``; the index keeps prefixes of
two and three characters) by merging the whole position lists of every word with that prefix
before it looks at a single row: 1.4 ms for a common word in 100,000 books where ``"years"``
stops after the 501 rows a count wants (0.04 ms). So ``search.Matcher`` asks for the words
themselves (``"mikhail" OR "mikhailova"``), as it does on PostgreSQL with ``book_search_terms``.

The words come from ``fts5vocab``, which reads each word's postings to count them (as slow as
the prefix query once), so they are kept per engine, together with the index's structure
record (``book_search_data`` id 10) they were read under: every write that reaches the index
changes that record, and ``Matcher`` reads it in its first statement and looks the words up
again when it changed. Writes not yet flushed (this connection's own open write transaction)
are not in the record: such a connection keeps the prefix queries.

Kept the same way: which words occur in some book's title (``in_titles``). A title-only
query (the first tier of results) reads the position list of every row of every word to find
those in the title column, which costs most when the answer is none (a person's name:
3 ms for one in 100,000 books); a word that is in no title needs no title query at all.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Engine

PREFIX_INDEXED = 3  # prefixes up to this many characters have an FTS5 prefix index
EXPAND_AT_MOST = 64  # words put in place of a prefix (more: the prefix query itself)
KEPT_AT_MOST = 20000  # prefixes kept per engine before the list starts again

STRUCTURE = "SELECT block FROM book_search_data WHERE id = 10"
_VOCABULARY = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.book_search_words "
    "USING fts5vocab(main, 'book_search', 'instance')"
)
# The words each spelling starts, one after another: each the first at or after the one before
# (its first posting is read, never all of them as the 'row' vocabulary does to count them),
# with the structure record, so both come from one snapshot. Terms never hold a NUL, so the
# first word after ``w`` is the first at or after ``w || char(1)``.
_LOOKUP = f"""
WITH RECURSIVE asked(spelling, below) AS (
  SELECT value, value || char(1114111) FROM json_each(:spellings)),
found(spelling, below, term, n) AS (
  SELECT spelling, below, (SELECT term FROM temp.book_search_words
    WHERE term >= asked.spelling AND term < asked.below LIMIT 1), 1 FROM asked
  UNION ALL
  SELECT spelling, below, (SELECT term FROM temp.book_search_words
    WHERE term >= found.term || char(1) AND term < found.below LIMIT 1), n + 1
  FROM found WHERE term IS NOT NULL AND n <= :most)
SELECT ({STRUCTURE}), spelling, term FROM found
"""  # noqa: S608 (constants)


# Whether each phrase (JSON array) occurs in some title, with the structure record, from one
# snapshot; each check stops at the first title that has it.
_TITLED = f"""
SELECT ({STRUCTURE}), value,
  EXISTS (SELECT 1 FROM book_search WHERE book_search MATCH 'title : ' || value)
FROM json_each(:phrases)
"""  # noqa: S608 (constants)


@dataclass
class IndexWords:
    """Words of the index by the prefix they start (None: too many, keep the prefix query),
    as they were when the index's structure record was ``structure``."""

    structure: bytes | None = None
    starts: dict[str, tuple[str, ...] | None] = field(default_factory=dict)


@dataclass
class TitleWords:
    """Whether each phrase occurs in some book's title, as when the structure record was
    ``structure``."""

    structure: bytes | None = None
    titled: dict[str, bool] = field(default_factory=dict)


_kept: weakref.WeakKeyDictionary[Engine, IndexWords] = weakref.WeakKeyDictionary()
_titled: weakref.WeakKeyDictionary[Engine, TitleWords] = weakref.WeakKeyDictionary()


def worth_expanding(spelling: str) -> bool:
    """Whether a query word's prefix query costs more than its words (longer than the prefix
    indexes; one character is matched as a whole word anyway)."""
    return len(spelling) > PREFIX_INDEXED


def index_words(connection: Connection, spellings: list[str]) -> IndexWords | None:
    """The index's words that each spelling starts, or None where they cannot be trusted (an
    open write transaction, whose unflushed writes the structure record does not show)."""
    driver = connection.connection.driver_connection
    if driver is None or getattr(driver, "in_transaction", True):
        return None
    # Each engine's words are replaced whole, never emptied in place: a thread that holds
    # them sees words and structure record that belong together.
    kept = _kept.get(connection.engine) or IndexWords()
    missing = [s for s in dict.fromkeys(spellings) if worth_expanding(s) and s not in kept.starts]
    if missing:
        if not connection.info.get(_VOCABULARY):  # a temporary table, one per connection
            connection.exec_driver_sql(_VOCABULARY)
            connection.info[_VOCABULARY] = True
        # On the driver's connection, as search's other statements (see search_statements).
        rows = driver.execute(
            _LOOKUP, {"spellings": json.dumps(missing), "most": EXPAND_AT_MOST}
        ).fetchall()
        if rows[0][0] != kept.structure or len(kept.starts) + len(missing) > KEPT_AT_MOST:
            # The index changed (what was kept may miss its new words), or the list is full.
            kept = IndexWords(rows[0][0])
        words: dict[str, list[str]] = {s: [] for s in missing}
        for _structure, spelling, term in rows:
            if term is not None:
                words[spelling].append(term)
        for spelling, starts in words.items():
            kept.starts[spelling] = tuple(starts) if len(starts) <= EXPAND_AT_MOST else None
        _kept[connection.engine] = kept
    wanted = {s: kept.starts[s] for s in dict.fromkeys(spellings) if s in kept.starts}
    return IndexWords(kept.structure, wanted)


def forget(connection: Connection, structure: bytes | None) -> None:
    """Drop the words kept for this engine unless they were read under ``structure``."""
    kept = _kept.get(connection.engine)
    if kept is not None and kept.structure != structure:
        _kept[connection.engine] = IndexWords(structure)


def structure(connection: Connection) -> bytes | None:
    """The index's structure record now (it changes with every write that reaches the index)."""
    driver: Any = connection.connection.driver_connection
    rows = driver.execute(STRUCTURE).fetchall()
    return rows[0][0] if rows else None


def in_titles(
    connection: Connection, structure: bytes | None, phrases: list[str]
) -> dict[str, bool] | None:
    """Whether each FTS5 phrase (``"word"`` or ``"prefix"*``) occurs in some book's title, as
    the index was under ``structure``; None when that cannot be told (the index has changed
    since, or an open write transaction, whose writes the structure record does not show)."""
    driver = connection.connection.driver_connection
    if driver is None or getattr(driver, "in_transaction", True):
        return None
    kept = _titled.get(connection.engine)
    if kept is None or kept.structure != structure:
        kept = TitleWords(structure)
    missing = [p for p in dict.fromkeys(phrases) if p not in kept.titled]
    if missing:
        rows = driver.execute(_TITLED, {"phrases": json.dumps(missing)}).fetchall()
        if rows[0][0] != structure:
            return None
        if len(kept.titled) + len(missing) > KEPT_AT_MOST:
            kept = TitleWords(structure)
        for _structure, phrase, found in rows:
            kept.titled[phrase] = bool(found)
        # Replaced whole when the index changed, never emptied in place (see index_words).
        _titled[connection.engine] = kept
    return {p: kept.titled[p] for p in phrases}
