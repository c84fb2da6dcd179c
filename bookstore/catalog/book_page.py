"""The book page's values for its layout (title, description, canonical link, JSON-LD) around
its content (templates/catalog/book.html, put together by catalog/kept_layout.py)."""

from __future__ import annotations

from flask import current_app
from jinja2.filters import do_truncate
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.filters import author_names
from bookstore.catalog.kept_layout import page_in_layout
from bookstore.social import social_tags

TEMPLATE = "catalog/book.html"


def book_page(
    book: PageBook, content: Markup, jsonld: dict, canonical: str, cover: str | None
) -> str:
    """The book page's HTML: ``content`` in the layout, with the book's title, description,
    link preview (``cover``: the uploaded cover's address, if any), canonical link and
    JSON-LD in its head."""
    env = current_app.jinja_env
    title = f"{book.title} by {author_names(book)}" if book.authors else book.title  # type: ignore[arg-type]
    description = do_truncate(env, book.description or book.title, 160)
    first = book.editions[0] if book.editions else None
    return page_in_layout(
        TEMPLATE,
        title=title,
        description=description,
        social=social_tags(
            kind="book",
            title=title,
            description=description,
            url=canonical,
            image=cover,
            image_alt=f"The cover of {book.title}",
            properties=[
                ("book:isbn", first.isbn13 if first else None),
                ("book:release_date", book.published_on.isoformat() if book.published_on else None),
            ],
        ),
        canonical=canonical,
        jsonld=htmlsafe_json_dumps(
            jsonld, dumps=env.policies["json.dumps_function"], **env.policies["json.dumps_kwargs"]
        ),
        content=content,
    )
