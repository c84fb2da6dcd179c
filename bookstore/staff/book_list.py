"""The staff books list: a row per edition with its cover, sortable columns, price and stock
changed in place (a small form per row) and bulk actions on the ticked rows."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import SQLColumnExpression, false, func, or_, select
from sqlalchemy.orm import selectinload

from bookstore.catalog.isbn import normalise_isbn
from bookstore.catalog.models import Book, Edition, Format
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db
from bookstore.inventory.availability import free_copies, free_copies_sql
from bookstore.money import plain_amount
from bookstore.staff import bulk_edits, catalog_admin
from bookstore.staff.dashboard import low_stock_query
from bookstore.staff.forms import BulkEditForm, QuickEditForm
from bookstore.staff.views import bp, page_number

PAGE_SIZE = 50
BOOK_FILTERS = {
    "low-stock": "Low stock",
    "out-of-stock": "Out of stock",
    "preorder": "Preorders",
    "no-cover": "No cover",
    "retired": "Retired editions",
}
# Column -> what it sorts by (ties: title, then edition).
SORTS: dict[str, Callable[[], SQLColumnExpression[Any]]] = {
    "title": lambda: Book.title,
    "isbn": lambda: Edition.isbn13,
    "price": lambda: Edition.price_cents,
    "stock": free_copies_sql,
    "published": lambda: func.coalesce(Edition.published_on, Book.published_on),
}


@dataclass(frozen=True)
class Row:
    book: Book
    edition: Edition | None
    form: QuickEditForm | None


def _books_matching(q: str, show: str):
    """The ids of the books that match the search and filter (a subquery)."""
    query = select(Book.id)
    if q:
        digits = normalise_isbn(q)
        pattern = f"%{q.replace('%', '').replace('_', '')[:100]}%"
        isbn_match = select(Edition.book_id).where(Edition.isbn13.like(f"%{digits[:13]}%"))
        query = query.where(
            or_(Book.title.ilike(pattern), Book.id.in_(isbn_match) if digits.isdigit() else false())
        )
    if show == "low-stock":
        threshold = current_app.config["LOW_STOCK_THRESHOLD"]
        query = query.where(
            Book.id.in_(low_stock_query(threshold).with_only_columns(Edition.book_id))
        )
    elif show == "out-of-stock":
        query = query.where(
            Book.id.in_(
                select(Edition.book_id).where(
                    Edition.format != Format.EBOOK,
                    Edition.active.is_(True),
                    free_copies_sql() <= 0,
                )
            )
        )
    elif show == "preorder":
        today = utcnow().date()
        query = query.where(
            or_(
                Book.published_on > today,
                Book.id.in_(select(Edition.book_id).where(Edition.published_on > today)),
            )
        )
    elif show == "no-cover":
        query = query.where(Book.cover_image.is_(None))
    elif show == "retired":
        query = query.where(Book.id.in_(select(Edition.book_id).where(Edition.active.is_(False))))
    return query


def book_rows_query(q: str, show: str, sort: str, descending: bool):
    """(book, edition) rows, a book without editions as one row with no edition."""
    key = SORTS.get(sort, SORTS["title"])()
    key = key.desc() if descending else key.asc()
    return (
        select(Book, Edition)
        .outerjoin(Edition, Edition.book_id == Book.id)
        .where(Book.id.in_(_books_matching(q, show)))
        .order_by(key.nulls_last(), Book.title, Book.id, Edition.id)
    )


def _row_form(edition: Edition) -> QuickEditForm:
    return QuickEditForm(
        prefix=f"e{edition.id}",
        formdata=None,
        data={
            "price": plain_amount(edition.price_cents),
            "on_hand": edition.on_hand if edition.is_physical else None,
            "on_hand_seen": edition.on_hand if edition.is_physical else None,
        },
    )


def _bulk_form() -> BulkEditForm:
    form = BulkEditForm(prefix="bulk")
    form.action.choices = [("", "Choose an action")] + list(bulk_edits.ACTIONS.items())
    return form


@bp.get("/books")
def books():
    q = request.args.get("q", "").strip()[:200]
    show = request.args.get("show", "")
    show = show if show in BOOK_FILTERS else ""
    sort = request.args.get("sort", "title")
    sort = sort if sort in SORTS else "title"
    descending = request.args.get("dir") == "desc"
    page = page_number()
    found = db.session.execute(
        book_rows_query(q, show, sort, descending)
        .options(selectinload(Book.subjects))
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    rows = [
        Row(book=book, edition=edition, form=_row_form(edition) if edition else None)
        for book, edition in found[:PAGE_SIZE]
    ]
    return render_template(
        "staff/books.html",
        rows=rows,
        q=q,
        show=show,
        sort=sort,
        descending=descending,
        filters=BOOK_FILTERS,
        page=page,
        has_next=len(found) > PAGE_SIZE,
        bulk_form=_bulk_form(),
        free=free_copies(row.edition.id for row in rows if row.edition),
    )


def _back_to_list():
    """Back to the list as it was (its search, filter, sort and page); only a list URL."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != url_for("staff.books"):
        target = url_for("staff.books")
    return redirect(target, 303)


@bp.post("/editions/<int:edition_id>/quick")
def edition_quick_edit(edition_id: int):
    try:
        edition = catalog_admin.get_edition(edition_id)
    except NotFound:
        abort(404)
    form = QuickEditForm(prefix=f"e{edition.id}")
    label = f"{edition.book.title} ({edition.format.value})"
    if not form.validate_on_submit():
        field = next((f for f in form if f.errors), None)
        problem = f"{field.label.text}: {field.errors[0]}" if field else "Please check the row."
        flash(f"{label} not changed. {problem}", "error")
        return _back_to_list()
    try:
        changes = bulk_edits.quick_edit(
            edition,
            price_cents=form.price.required_cents(),
            on_hand=form.on_hand.data,
            on_hand_seen=form.on_hand_seen.data,
            actor=current_user,
        )
    except BookstoreError as exc:
        db.session.rollback()
        flash(f"{label} not changed: {exc}", "error")
        return _back_to_list()
    db.session.commit()
    if changes:
        stock_note = f", {edition.on_hand} on hand" if "stock" in changes else ""
        flash(f"Saved {label}: {plain_amount(edition.price_cents)}{stock_note}.", "success")
    else:
        flash(f"{label}: nothing to change.", "info")
    return _back_to_list()


@bp.post("/books/bulk")
def books_bulk():
    form = _bulk_form()
    ids = [int(v) for v in request.form.getlist("edition") if v.isdigit()][:500]
    if not form.validate_on_submit():
        flash("Choose an action for the selected rows.", "error")
        return _back_to_list()
    try:
        changed = bulk_edits.apply_bulk(
            form.action.data, ids, form.value.data or "", actor=current_user
        )
    except BookstoreError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_list()
    db.session.commit()
    what = bulk_edits.ACTIONS[form.action.data].lower()
    flash(f"{what.capitalize()}: {changed} record(s) changed, each in the audit log.", "success")
    return _back_to_list()
