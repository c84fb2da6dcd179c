"""The demo catalog: the publisher's books and journal posts from ``demo_data.json``.

Loading is an upsert keyed by slug (books, posts, people, series, subjects, tags) and by ISBN
(editions), so running it again changes nothing. Opening stock is written once, when an edition
is created, as a ledger row; later runs never touch stock that the shop may have sold since.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bookstore.catalog.isbn import validate_isbn13
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
)
from bookstore.dbtypes import utcnow
from bookstore.demo.codes import load_demo_codes
from bookstore.demo.deals import load_demo_deals
from bookstore.demo.reviews import load_demo_reviews
from bookstore.demo.shipping import load_demo_shipping_rates
from bookstore.demo.tax import load_demo_tax_rates
from bookstore.extensions import db
from bookstore.journal.models import Post, Tag
from bookstore.money import parse_amount
from bookstore.slugs import make_slug

DATA_FILE = Path(__file__).with_name("demo_data.json")
# A forthcoming title whose date has passed by the time the demo is loaded moves this far ahead,
# so the demo always shows a preorder.
FORTHCOMING_LEAD = timedelta(days=120)
STOCK_REASON = "demo"


@dataclass
class DemoReport:
    """What one run of the loader did."""

    books_created: int = 0
    books_updated: int = 0
    editions_created: int = 0
    editions_updated: int = 0
    posts_created: int = 0
    posts_updated: int = 0
    deals_created: int = 0
    reviews_created: int = 0
    codes_created: int = 0
    tax_rates_created: int = 0
    shipping_rates_created: int = 0
    skipped: bool = False

    @property
    def changed(self) -> int:
        return (
            self.books_created
            + self.books_updated
            + self.editions_created
            + self.editions_updated
            + self.posts_created
            + self.posts_updated
            + self.deals_created
            + self.reviews_created
            + self.codes_created
            + self.tax_rates_created
            + self.shipping_rates_created
        )

    def summary(self) -> str:
        return (
            f"Demo catalog: {self.books_created} books added, {self.books_updated} updated; "
            f"{self.editions_created} editions added, {self.editions_updated} updated; "
            f"{self.posts_created} journal posts added, {self.posts_updated} updated; "
            f"{self.deals_created} member deals added; {self.reviews_created} reviews added; "
            f"{self.codes_created} promotion codes added; "
            f"{self.tax_rates_created} sales tax rates added; "
            f"{self.shipping_rates_created} shipping rates abroad added."
        )


def read_demo_data(path: Path = DATA_FILE) -> dict[str, Any]:
    """The parsed demo data file (the project's own copy; nothing is read from elsewhere)."""
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def demo_slug(text: str, max_length: int = 80) -> str:
    """A slug without apostrophe breaks: "Russia's Spine" gives ``russias-spine``."""
    return make_slug(text.replace("'", "").replace("\u2019", ""), max_length)


def book_slug(title: str) -> str:
    """The slug a demo book is stored under (its key for upserts)."""
    return demo_slug(title, max_length=120)


def forthcoming_date(planned: date, stored: date | None, today: date) -> date:
    """Keep a forthcoming title in the future whatever the day the demo is loaded."""
    if planned > today:
        return planned
    if stored is not None and stored > today:
        return stored
    return today + FORTHCOMING_LEAD


def load_demo(
    *,
    if_empty: bool,
    echo: Callable[[str], Any] = print,
    today: date | None = None,
    data: dict[str, Any] | None = None,
) -> DemoReport:
    """Upsert the demo books, editions, posts and member deals, then commit once.

    With ``if_empty`` nothing happens when the catalog already has a book.
    """
    if if_empty and db.session.scalar(select(Book.id).limit(1)) is not None:
        echo("The catalog already has books: the demo catalog was not loaded.")
        return DemoReport(skipped=True)
    data = data if data is not None else read_demo_data()
    loader = _Loader(today or utcnow().date(), data.get("series", {}))
    for entry in data["books"]:
        loader.upsert_book(entry)
    for entry in data.get("posts", []):
        loader.upsert_post(entry)
    loader.report.deals_created = load_demo_deals(utcnow())
    loader.report.reviews_created = load_demo_reviews()
    loader.report.codes_created = load_demo_codes(utcnow())
    loader.report.tax_rates_created = load_demo_tax_rates()
    loader.report.shipping_rates_created = load_demo_shipping_rates()
    db.session.commit()
    echo(loader.report.summary())
    return loader.report


def _assign(obj: object, values: dict[str, Any]) -> bool:
    """Set only the attributes that differ, so an unchanged row gets no UPDATE."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class _Loader:
    """One run: caches of the rows already in the database, filled by one query per table."""

    def __init__(self, today: date, series_notes: dict[str, str]) -> None:
        self.today = today
        self.series_notes = series_notes
        self.report = DemoReport()
        session = db.session
        self.subjects = {s.slug: s for s in session.scalars(select(Subject))}
        self.contributors = {c.slug: c for c in session.scalars(select(Contributor))}
        self.series = {s.slug: s for s in session.scalars(select(Series))}
        self.tags = {t.slug: t for t in session.scalars(select(Tag))}
        self.books_by_title: dict[str, Book] = {}

    # -- lookups that create what is missing -------------------------------------------------

    def subject(self, name: str) -> Subject:
        slug = demo_slug(name)
        if slug not in self.subjects:
            self.subjects[slug] = Subject(name=name, slug=slug)
            db.session.add(self.subjects[slug])
        return self.subjects[slug]

    def contributor(self, name: str) -> Contributor:
        slug = demo_slug(name)
        if slug not in self.contributors:
            self.contributors[slug] = Contributor(name=name, slug=slug)
            db.session.add(self.contributors[slug])
        return self.contributors[slug]

    def series_named(self, name: str) -> Series:
        slug = demo_slug(name)
        series = self.series.get(slug)
        if series is None:
            series = self.series[slug] = Series(name=name, slug=slug)
            db.session.add(series)
        _assign(series, {"description": self.series_notes.get(name, series.description or "")})
        return series

    def tag(self, name: str) -> Tag:
        slug = demo_slug(name)
        if slug not in self.tags:
            self.tags[slug] = Tag(name=name, slug=slug)
            db.session.add(self.tags[slug])
        return self.tags[slug]

    # -- books -------------------------------------------------------------------------------

    def upsert_book(self, entry: dict[str, Any]) -> Book:
        slug = book_slug(entry["title"])
        book = db.session.scalar(
            select(Book)
            .where(Book.slug == slug)
            .options(
                selectinload(Book.credits),
                selectinload(Book.subjects),
                selectinload(Book.editions),
            )
        )
        created = book is None
        if book is None:
            book = Book(slug=slug, title=entry["title"])
            db.session.add(book)
        published = date.fromisoformat(entry["published"]) if entry["published"] else None
        if entry.get("forthcoming") and published is not None:
            published = forthcoming_date(published, book.published_on, self.today)
        series = entry.get("series")
        changed = _assign(
            book,
            {
                "title": entry["title"],
                "subtitle": entry.get("subtitle", ""),
                "original_title": entry.get("original_title", ""),
                "description": entry["description"],
                "languages": entry.get("languages", "en"),
                "published_on": published,
                "featured": bool(entry.get("featured")),
                "series": self.series_named(series[0]) if series else None,
                "series_position": series[1] if series else None,
            },
        )
        changed |= self._set_subjects(book, entry["subjects"])
        changed |= self._set_credits(book, entry["contributors"])
        for edition_entry in entry["editions"]:
            self._upsert_edition(book, edition_entry)
        if created:
            self.report.books_created += 1
        elif changed:
            self.report.books_updated += 1
        self.books_by_title[entry["title"]] = book
        return book

    def _set_subjects(self, book: Book, names: list[str]) -> bool:
        wanted = [self.subject(name) for name in names]
        if {s.slug for s in book.subjects} == {s.slug for s in wanted}:
            return False
        book.subjects = wanted
        return True

    def _set_credits(self, book: Book, contributors: list[list[str]]) -> bool:
        wanted = [
            (self.contributor(name), ContributorRole(role), position)
            for position, (name, role) in enumerate(contributors)
        ]
        current = [(c.contributor.slug, c.role, c.position) for c in book.credits]
        if current == [(person.slug, role, pos) for person, role, pos in wanted]:
            return False
        if book.credits:
            # Remove the old credits first: a credit's key (book, person, role) may come back.
            book.credits.clear()
            db.session.flush()
        for person, role, position in wanted:
            book.credits.append(BookContributor(contributor=person, role=role, position=position))
        return True

    def _upsert_edition(self, book: Book, entry: dict[str, Any]) -> None:
        isbn = validate_isbn13(entry["isbn13"])
        fmt = Format(entry["format"])
        edition = next((e for e in book.editions if e.isbn13 == isbn), None)
        if edition is None:
            edition = next((e for e in book.editions if e.format is fmt), None)
        if edition is None:
            edition = db.session.scalar(select(Edition).where(Edition.isbn13 == isbn))
            if edition is not None:
                raise ValueError(f"ISBN {isbn} of the demo book {book.title!r} is already used.")
        values = {
            "format": fmt,
            "isbn13": isbn,
            "price_cents": parse_amount(entry["price_usd"]),
            "pages": entry.get("pages"),
            "published_on": (
                date.fromisoformat(entry["published"]) if entry.get("published") else None
            ),
        }
        if edition is None:
            edition = Edition(on_hand=0, reserved=0, **values)
            book.editions.append(edition)
            stock = entry.get("stock") or 0
            if fmt.is_physical and stock > 0:
                edition.on_hand = stock
                db.session.add(
                    StockMovement(
                        edition=edition,
                        delta=stock,
                        reason=STOCK_REASON,
                        note="Opening stock of the demo catalog",
                    )
                )
            self.report.editions_created += 1
        elif _assign(edition, values):
            self.report.editions_updated += 1

    # -- journal -----------------------------------------------------------------------------

    def upsert_post(self, entry: dict[str, Any]) -> Post:
        post = db.session.scalar(
            select(Post)
            .where(Post.slug == entry["slug"])
            .options(selectinload(Post.tags), selectinload(Post.books))
        )
        created = post is None
        if post is None:
            post = Post(slug=entry["slug"], title=entry["title"])
            db.session.add(post)
        changed = _assign(
            post,
            {
                "title": entry["title"],
                "summary": entry.get("summary", ""),
                "body_markdown": entry["body"],
                "image_credit": entry.get("image_credit", ""),
                "published_at": datetime.fromisoformat(entry["published"]),
            },
        )
        tags = [self.tag(name) for name in entry.get("tags", [])]
        if {t.slug for t in post.tags} != {t.slug for t in tags}:
            post.tags = tags
            changed = True
        books = [self.books_by_title[title] for title in entry.get("books", [])]
        if {b.slug for b in post.books} != {b.slug for b in books}:
            post.books = books
            changed = True
        if created:
            self.report.posts_created += 1
        elif changed:
            self.report.posts_updated += 1
        return post
