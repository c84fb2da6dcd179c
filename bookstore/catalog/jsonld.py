"""schema.org ``Book`` data for a book page (JSON-LD, read by search engines)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from flask import Flask

from bookstore.catalog.availability import edition_availability
from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.models import ContributorRole, Format
from bookstore.catalog.services import BookDetail

_PARTS_KEY = "bookstore.book_jsonld_parts"

BOOK_FORMATS = {
    Format.PAPERBACK: "https://schema.org/Paperback",
    Format.HARDCOVER: "https://schema.org/Hardcover",
    Format.EBOOK: "https://schema.org/EBook",
}


def decimal_price(cents: int) -> str:
    """Cents as the decimal string schema.org expects: ``1600`` becomes ``'16.00'``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def book_jsonld(
    detail: BookDetail,
    *,
    today: date,
    low_stock_threshold: int,
    currency: str,
    url: str,
    image: str,
    person_url: Callable[[str], str],
    lapsed: Mapping[int, int] | None = None,
) -> dict:
    """The ``Book`` object with authors, ISBN and one ``Offer`` per edition for sale."""
    book = detail.book

    def people(role: ContributorRole) -> list[dict]:
        return [
            {"@type": "Person", "name": c.contributor.name, "url": person_url(c.contributor.slug)}
            for c in book.credits
            if c.role is role
        ]

    lapsed = lapsed or {}
    offers, examples = [], []
    for edition in detail.editions:
        state = edition_availability(edition, today, low_stock_threshold, lapsed.get(edition.id, 0))
        offer = {
            "@type": "Offer",
            "price": decimal_price(edition.price_cents),
            "priceCurrency": currency,
            "availability": state.state.schema_url,
            "sku": edition.isbn13,
            "url": url,
        }
        if state.release_date:
            offer["availabilityStarts"] = state.release_date.isoformat()
        offers.append(offer)
        example: dict[str, object] = {
            "@type": "Book",
            "isbn": edition.isbn13,
            "bookFormat": BOOK_FORMATS[edition.format],
            "offers": offer,
        }
        if edition.pages:
            example["numberOfPages"] = edition.pages
        examples.append(example)

    data: dict = {
        "@context": "https://schema.org",
        "@type": "Book",
        "name": book.title,
        "url": url,
        "image": image,
        "inLanguage": book.language_codes,
    }
    if book.subtitle:
        data["alternativeHeadline"] = book.subtitle
    if book.description:
        data["description"] = book.description
    if book.published_on:
        data["datePublished"] = book.published_on.isoformat()
    if authors := people(ContributorRole.AUTHOR):
        data["author"] = authors
    if translators := people(ContributorRole.TRANSLATOR):
        data["translator"] = translators
    if illustrators := people(ContributorRole.ILLUSTRATOR):
        data["illustrator"] = illustrators
    if editors := people(ContributorRole.EDITOR):
        data["editor"] = editors
    if detail.editions:
        data["isbn"] = detail.editions[0].isbn13
        data["offers"] = offers
        data["workExample"] = examples
    if book.series is not None:
        data["isPartOf"] = {"@type": "BookSeries", "name": book.series.name}
        if book.series_position:
            data["position"] = book.series_position
    if book.subjects:
        data["genre"] = [s.name for s in book.subjects]
    if book.review_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{book.rating_total / book.review_count:.1f}",
            "reviewCount": book.review_count,
            "bestRating": 5,
            "worstRating": 1,
        }
    return data


def register_book_jsonld(app: Flask, part: Callable[[PageBook, dict], None]) -> None:
    """Let a feature above the catalog add to every book page's JSON-LD (reviews do)."""
    app.extensions.setdefault(_PARTS_KEY, []).append(part)


def add_registered_parts(app: Flask, book: PageBook, data: dict) -> dict:
    """``data`` with what each registered feature adds for ``book``."""
    for part in app.extensions.get(_PARTS_KEY, []):
        part(book, data)
    return data
