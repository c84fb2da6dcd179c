"""schema.org ``review`` entries for the book page's JSON-LD (``aggregateRating`` comes from
the catalog, which keeps the rating on the book)."""

from __future__ import annotations

from flask import Flask

from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.jsonld import register_book_jsonld
from bookstore.reviews import services

JSONLD_REVIEWS = 5


def review_entries(book: PageBook) -> list[dict]:
    """The most helpful published reviews, then the press quotes, as schema.org ``Review``s."""
    entries: list[dict] = []
    shown = services.shown_reviews(book)
    for review in shown.first_page.reviews[:JSONLD_REVIEWS]:
        entry: dict = {
            "@type": "Review",
            "author": {"@type": "Person", "name": services.public_name(review.user.name)},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": review.published_rating,
                "bestRating": 5,
                "worstRating": 1,
            },
            "reviewBody": review.published_body,
        }
        if review.published_at:
            entry["datePublished"] = review.published_at.date().isoformat()
        if review.published_title:
            entry["name"] = review.published_title
        entries.append(entry)
    for quote in shown.professional:
        press: dict = {
            "@type": "Review",
            "author": {"@type": "Organization", "name": quote.source},
            "reviewBody": quote.quote,
        }
        if quote.url:
            press["url"] = quote.url
        entries.append(press)
    return entries


def _add_reviews(book: PageBook, data: dict) -> None:
    if entries := review_entries(book):
        data["review"] = entries


def register_jsonld(app: Flask) -> None:
    """Add the reviews to every book page's JSON-LD."""
    register_book_jsonld(app, _add_reviews)
