"""The sitemap: an index of fixed-size chunks, so 100,000 books never make one huge response."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import func, select

from bookstore.catalog.models import Book, Contributor, Series, Subject
from bookstore.extensions import db
from bookstore.journal.models import Post

# Well under the protocol's 50,000 URLs per file, and quick to render.
CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class SitemapKind:
    name: str
    model: Any
    endpoint: str


KINDS = {
    kind.name: kind
    for kind in (
        SitemapKind("books", Book, "catalog.book"),
        SitemapKind("authors", Contributor, "catalog.contributor"),
        SitemapKind("series", Series, "catalog.series"),
        SitemapKind("subjects", Subject, "catalog.subject"),
        SitemapKind("journal", Post, "journal.post"),
    )
}


def _visible(kind: SitemapKind, stmt, now: datetime):
    if kind.model is Post:
        return stmt.where(Post.published_at.is_not(None), Post.published_at <= now)
    return stmt


def chunk_counts(kinds: list[str], now: datetime) -> dict[str, int]:
    """How many chunks each kind needs, counted in one query."""
    counts = [
        _visible(KINDS[name], select(func.count()).select_from(KINDS[name].model), now)
        .scalar_subquery()
        .label(name)
        for name in kinds
    ]
    if not counts:
        return {}
    row = db.session.execute(select(*counts)).one()
    return {name: -(-getattr(row, name) // CHUNK_SIZE) for name in kinds}


def chunk_entries(name: str, number: int, now: datetime) -> list[tuple[str, datetime | None]]:
    """(slug, last modified) of one chunk, in id order; empty past the end."""
    kind = KINDS[name]
    model = kind.model
    lastmod = getattr(model, "updated_at", None)
    columns = [model.slug, lastmod] if lastmod is not None else [model.slug]
    stmt = _visible(kind, select(*columns), now).order_by(model.id)
    rows = db.session.execute(stmt.offset((number - 1) * CHUNK_SIZE).limit(CHUNK_SIZE))
    return [(row[0], row[1] if len(row) > 1 else None) for row in rows]


_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset_xml(urls: list[tuple[str, datetime | None]]) -> str:
    """A ``<urlset>`` document; built as a string because a chunk holds 10,000 URLs."""
    lines = [_HEAD, f"<urlset {_NS}>\n"]
    for loc, lastmod in urls:
        modified = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{escape(loc)}</loc>{modified}</url>\n")
    lines.append("</urlset>\n")
    return "".join(lines)


def index_xml(locations: list[str]) -> str:
    """A ``<sitemapindex>`` document listing sitemap files."""
    lines = [_HEAD, f"<sitemapindex {_NS}>\n"]
    lines += [f"  <sitemap><loc>{escape(loc)}</loc></sitemap>\n" for loc in locations]
    lines.append("</sitemapindex>\n")
    return "".join(lines)
