"""Importing the catalog CSV: plan every change first, then apply all of it or nothing.

A plan reads the database in chunks (by ISBN), never row by row, and refuses the whole file if
any row is bad, naming each row and its error. Applying writes with bulk statements, so 100,000
rows take seconds, not minutes. Stock counts become "import" ledger entries.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, insert, select, text, update

from bookstore import page_cache
from bookstore.accounts.models import User
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Contributor,
    ContributorRole,
    Edition,
    Format,
    Series,
    StockMovement,
    Subject,
    book_subjects,
)
from bookstore.catalog.search_index import (
    merge_search_index,
    paused_search_index,
    reindex_books,
)
from bookstore.catalog.transliteration import search_aliases
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.inventory.signals import announce_stock_added
from bookstore.slugs import make_slug
from bookstore.staff.audit import record
from bookstore.staff.csv_format import CatalogRow, ParsedFile, RowError

CHUNK = 5000
ANALYZE_AFTER = 1000
BOOK_FIELDS = ("title", "subtitle", "description", "languages")
EDITION_FIELDS = {"price_cents": "price_cents", "pages": "pages", "published_on": "published_on"}


@dataclass
class EditionUpdate:
    edition_id: int
    isbn13: str
    changes: dict
    stock_delta: int = 0
    on_hand: int = 0  # what the plan saw, so a concurrent change is noticed


@dataclass
class NewEdition:
    row: CatalogRow
    book_key: str  # lower-cased title: rows with the same title make one book
    book_id: int | None = None  # an existing book, when the title already exists


@dataclass
class ImportPlan:
    updates: list[EditionUpdate] = field(default_factory=list)
    new_editions: list[NewEdition] = field(default_factory=list)
    book_updates: dict[int, dict] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def new_books(self) -> int:
        return len({n.book_key for n in self.new_editions if n.book_id is None})

    @property
    def stock_changes(self) -> int:
        return sum(1 for u in self.updates if u.stock_delta) + sum(
            1 for n in self.new_editions if n.row.stock
        )

    def summary(self) -> str:
        changed = sum(1 for u in self.updates if u.changes or u.stock_delta)
        return (
            f"{self.new_books} new book(s), {len(self.new_editions)} new edition(s), "
            f"{changed} edition(s) changed, {self.stock_changes} stock change(s)"
        )


EXISTING = select(
    Edition.id,
    Edition.isbn13,
    Edition.book_id,
    Edition.format,
    Edition.on_hand,
    Edition.reserved,
    Edition.price_cents,
    Edition.pages,
    Edition.published_on,
    Book.title,
    Book.subtitle,
    Book.description,
    Book.languages,
    Book.original_title,
).join(Book, Book.id == Edition.book_id)


def _insert_rows(target, rows: list[dict]) -> None:
    """Insert many rows: PostgreSQL's COPY (one stream), elsewhere one executemany."""
    if not rows:
        return
    table = getattr(target, "__table__", target)
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    # COPY bypasses SQLAlchemy, so the columns' Python-side defaults are filled in here.
    defaults = {
        column.name: column.default.arg if column.default.is_scalar else column.default.arg(None)
        for column in table.c
        if column.name not in rows[0] and column.default is not None
    }
    columns = [*rows[0], *defaults]
    rows = [{**defaults, **row} for row in rows]
    names = ", ".join(f'"{table.c[name].name}"' for name in columns)
    page_cache.note_change(connection)  # COPY is invisible to the engine's events
    raw = connection.connection.driver_connection
    if raw is None:
        raise RuntimeError("COPY needs the driver's connection, and this one has none")
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_plain(row[name]) for name in columns])


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan_import(parsed: ParsedFile) -> ImportPlan:
    """Compare the file with the database; no writes. Errors make the plan unusable."""
    plan = ImportPlan(errors=list(parsed.errors))
    rows = parsed.rows
    # Plain rows, not ORM objects: a plan of 100,000 rows must not build 100,000 objects.
    existing = {}
    for chunk in _chunks([r.isbn13 for r in rows]):
        for found in db.session.execute(EXISTING.where(Edition.isbn13.in_(chunk))):
            existing[found.isbn13] = found
    new_rows = [r for r in rows if r.isbn13 not in existing]
    titles = {r.title.lower() for r in new_rows if r.title}
    known_books: dict[str, tuple[int, set[Format]]] = {}
    for chunk in _chunks(sorted(titles)):
        same_titles = db.session.execute(
            select(Book.id, func.lower(Book.title), Edition.format)
            .outerjoin(Edition, Edition.book_id == Book.id)
            .where(func.lower(Book.title).in_(chunk))
        )
        for book_id, title, fmt in same_titles:
            entry = known_books.setdefault(title, (book_id, set()))
            if entry[0] == book_id and fmt is not None:
                entry[1].add(Format(fmt))
    formats_in_file: dict[str, set[Format]] = {}
    for row in rows:
        edition = existing.get(row.isbn13)
        if edition is not None:
            _plan_update(plan, row, edition)
        else:
            _plan_new(plan, row, known_books, formats_in_file)
    return plan


def _plan_update(plan: ImportPlan, row: CatalogRow, edition) -> None:
    """``edition`` is a row of EXISTING: the edition's columns and its book's."""
    if row.format is not None and row.format != Format(edition.format):
        plan.errors.append(
            RowError(
                row.line,
                f"ISBN {row.isbn13} is a {Format(edition.format).value}; "
                "an import cannot change its format",
            )
        )
        return
    changes = {
        column: getattr(row, attr)
        for attr, column in EDITION_FIELDS.items()
        if getattr(row, attr) is not None and getattr(row, attr) != getattr(edition, column)
    }
    delta = 0
    if row.stock is not None:
        if not Format(edition.format).is_physical:
            plan.errors.append(RowError(row.line, "ebooks have no stock; leave stock empty"))
            return
        if row.stock < edition.reserved:
            plan.errors.append(
                RowError(
                    row.line,
                    f"stock {row.stock} is below the {edition.reserved} copies reserved for orders",
                )
            )
            return
        delta = row.stock - edition.on_hand
    book_changes = {
        name: getattr(row, name)
        for name in BOOK_FIELDS
        if getattr(row, name) is not None and getattr(row, name) != getattr(edition, name)
    }
    if "title" in book_changes:
        # Bulk writes skip the ORM's listeners: the search spellings are kept here.
        book_changes["search_aliases"] = search_aliases(row.title, edition.original_title)
    if book_changes:
        plan.book_updates.setdefault(edition.book_id, {}).update(book_changes)
    plan.updates.append(EditionUpdate(edition.id, edition.isbn13, changes, delta, edition.on_hand))


def _plan_new(plan, row: CatalogRow, known_books, formats_in_file) -> None:
    title, fmt = row.title, row.format
    if title is None or fmt is None or row.price_cents is None:
        required = (("title", title), ("format", fmt), ("price", row.price_cents))
        names = ", ".join(name for name, value in required if value is None)
        plan.errors.append(RowError(row.line, f"a new ISBN needs {names}"))
        return
    if row.stock is not None and not fmt.is_physical:
        plan.errors.append(RowError(row.line, "ebooks have no stock; leave stock empty"))
        return
    key = title.lower()
    book_id, formats = known_books.get(key, (None, set()))
    taken = formats | formats_in_file.setdefault(key, set())
    if fmt in taken:
        plan.errors.append(
            RowError(row.line, f"{title} already has a {fmt.value} edition with another ISBN")
        )
        return
    formats_in_file[key].add(fmt)
    plan.new_editions.append(NewEdition(row=row, book_key=key, book_id=book_id))


@dataclass
class ImportResult:
    books_created: int = 0
    editions_created: int = 0
    editions_updated: int = 0
    stock_entries: int = 0


def apply_import(
    plan: ImportPlan, *, actor: User | None, progress: Callable[[int], None] = lambda n: None
) -> ImportResult:
    """Write a clean plan with bulk statements; flushes, never commits."""
    if plan.errors:
        raise ValueError("a plan with errors cannot be applied")
    result = ImportResult()
    now = utcnow()
    actor_id = actor.id if actor else None
    connection = db.session.connection()
    # The search index is rebuilt once for the books touched, not by a trigger per row.
    with paused_search_index(connection):
        touched = _write(plan, result, now, actor_id, progress)
        if touched:
            reindex_books(connection, min(touched), max(touched))
    if connection.dialect.name == "postgresql" and len(plan.new_editions) > ANALYZE_AFTER:
        # Fresh statistics after a bulk load, or the planner keeps treating these tables as
        # small and the next import's lookups by ISBN crawl.
        connection.execute(text("ANALYZE books, editions, book_contributors, stock_movements"))
    if len(plan.new_editions) > ANALYZE_AFTER:
        merge_search_index(connection)  # SQLite: one FTS5 segment again after a bulk load
    if actor is not None:
        record(
            actor,
            "catalog.import",
            "csv",
            entity_type="catalog",
            after={
                "books_created": result.books_created,
                "editions_created": result.editions_created,
                "editions_updated": result.editions_updated,
                "stock_entries": result.stock_entries,
            },
            summary=plan.summary(),
        )
    db.session.flush()
    db.session.expire_all()
    return result


def _write(plan: ImportPlan, result: ImportResult, now, actor_id, progress) -> set[int]:
    """Every write of the import; returns the ids of the books whose search entry changed."""
    for chunk in _chunks([u for u in plan.updates if u.changes]):
        db.session.execute(update(Edition), [{"id": u.edition_id, **u.changes} for u in chunk])
        result.editions_updated += len(chunk)
        progress(len(chunk))
    book_changes = [{"id": k, **v, "updated_at": now} for k, v in plan.book_updates.items()]
    for chunk in _chunks(book_changes):
        db.session.execute(update(Book), chunk)
    stock_updates = [u for u in plan.updates if u.stock_delta]
    # Set the counted stock only where on_hand is still what the plan saw, and never below
    # the reserved copies: a sale in between makes the import stop rather than miscount.
    set_stock = (
        update(Edition.__table__)
        .where(
            Edition.__table__.c.id == bindparam("eid"),
            Edition.__table__.c.on_hand == bindparam("planned"),
            Edition.__table__.c.reserved <= bindparam("stock"),
        )
        .values(on_hand=bindparam("stock"))
    )
    for chunk in _chunks(stock_updates):
        params = [
            {"eid": u.edition_id, "planned": u.on_hand, "stock": u.on_hand + u.stock_delta}
            for u in chunk
        ]
        changed = db.session.connection().execute(set_stock, params).rowcount
        if changed != len(chunk):
            raise InvalidInput(
                "Stock changed while the file was being imported (an order came in). "
                "Nothing was imported: run the import again."
            )
        _insert_rows(
            StockMovement,
            [
                {
                    "edition_id": u.edition_id,
                    "delta": u.stock_delta,
                    "reason": "import",
                    "note": "CSV import",
                    "actor_id": actor_id,
                    "created_at": now,
                }
                for u in chunk
            ],
        )
        result.stock_entries += len(chunk)
        announce_stock_added(u.edition_id for u in chunk if u.stock_delta > 0)
        progress(len(chunk))
    touched = set(plan.book_updates) | _create_new(plan, result, now, actor_id, progress)
    return touched


def _lookup_or_create(model, names: set[str], now) -> dict[str, int]:
    """Ids of named series/subjects/contributors (by name), creating the missing ones."""
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(names)):
        for row_id, name in db.session.execute(
            select(model.id, model.name).where(model.name.in_(chunk))
        ):
            ids[name] = row_id
    missing = sorted(names - ids.keys())
    if missing:
        slugs = set(db.session.scalars(select(model.slug)))
        values = []
        for name in missing:
            slug = base = make_slug(name)
            n = 2
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            slugs.add(slug)
            value = {"name": name, "slug": slug}
            if hasattr(model, "search_aliases"):  # people and series; subjects have none
                value["search_aliases"] = search_aliases(name)
            values.append(value)
        for chunk in _chunks(values):
            _insert_rows(model, chunk)
        for chunk in _chunks(missing):
            for row_id, name in db.session.execute(
                select(model.id, model.name).where(model.name.in_(chunk))
            ):
                ids[name] = row_id
    return ids


def _create_new(plan: ImportPlan, result: ImportResult, now, actor_id, progress) -> set[int]:
    """Insert the new books and editions; returns the ids of every book given an edition."""
    if not plan.new_editions:
        return set()
    first_row: dict[str, CatalogRow] = {}
    for new in plan.new_editions:
        if new.book_id is None:
            first_row.setdefault(new.book_key, new.row)
    series_ids = _lookup_or_create(Series, {r.series for r in first_row.values() if r.series}, now)
    slugs = set(db.session.scalars(select(Book.slug)))
    book_values = []
    for row in first_row.values():
        if row.title is None:  # _plan_new refuses a new ISBN without a title
            raise RuntimeError(f"Line {row.line}: a new book without a title reached the import")
        slug = base = make_slug(row.title)
        n = 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        book_values.append(
            {
                "title": row.title,
                "subtitle": row.subtitle or "",
                "slug": slug,
                "description": row.description or "",
                "original_title": "",
                "search_aliases": search_aliases(row.title),
                "languages": row.languages or "en",
                "published_on": row.published_on,
                "series_id": series_ids.get(row.series) if row.series else None,
                "series_position": row.series_position if row.series else None,
                "featured": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    book_ids: dict[str, int] = {}
    for chunk in _chunks(book_values):
        _insert_rows(Book, chunk)
        for book_id, slug in db.session.execute(
            select(Book.id, Book.slug).where(Book.slug.in_([v["slug"] for v in chunk]))
        ):
            book_ids[slug] = book_id
    key_to_id = {
        key: book_ids[values["slug"]] for key, values in zip(first_row, book_values, strict=True)
    }
    result.books_created = len(key_to_id)
    _link_people_and_subjects(first_row, key_to_id, now)
    edition_values = [
        {
            "book_id": new.book_id or key_to_id[new.book_key],
            "format": new.row.format,
            "isbn13": new.row.isbn13,
            "price_cents": new.row.price_cents,
            "pages": new.row.pages,
            "published_on": new.row.published_on,
            "on_hand": new.row.stock or 0,
            "reserved": 0,
            "out_of_print": False,
            "active": True,
            "created_at": now,
        }
        for new in plan.new_editions
    ]
    for chunk in _chunks(edition_values):
        _insert_rows(Edition, chunk)
        result.editions_created += len(chunk)
        progress(len(chunk))
    stocked = [v["isbn13"] for v in edition_values if v["on_hand"]]
    for chunk in _chunks(stocked):
        rows = db.session.execute(
            select(Edition.id, Edition.on_hand).where(Edition.isbn13.in_(chunk))
        ).all()
        _insert_rows(
            StockMovement,
            [
                {
                    "edition_id": edition_id,
                    "delta": on_hand,
                    "reason": "import",
                    "note": "CSV import",
                    "actor_id": actor_id,
                    "created_at": now,
                }
                for edition_id, on_hand in rows
            ],
        )
        result.stock_entries += len(rows)
    return set(key_to_id.values()) | {n.book_id for n in plan.new_editions if n.book_id}


def _link_people_and_subjects(first_row, key_to_id, now) -> None:
    people = {name for row in first_row.values() for name in (row.authors or [])}
    subjects = {name for row in first_row.values() for name in (row.subjects or [])}
    person_ids = _lookup_or_create(Contributor, people, now) if people else {}
    subject_ids = _lookup_or_create(Subject, subjects, now) if subjects else {}
    credits, links = [], []
    for key, row in first_row.items():
        for position, name in enumerate(dict.fromkeys(row.authors or [])):
            credits.append(
                {
                    "book_id": key_to_id[key],
                    "contributor_id": person_ids[name],
                    "role": ContributorRole.AUTHOR,
                    "position": position,
                }
            )
        for name in dict.fromkeys(row.subjects or []):
            links.append({"book_id": key_to_id[key], "subject_id": subject_ids[name]})
    _insert_rows(BookContributor, credits)
    _insert_rows(book_subjects, links)
