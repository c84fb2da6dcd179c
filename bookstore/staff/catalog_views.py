"""Staff screens for books, editions, covers and stock."""

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bookstore.catalog.models import Book, BookContributor, Edition, Format, StockMovement
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db
from bookstore.inventory import ledger
from bookstore.inventory.availability import free_copies
from bookstore.money import plain_amount
from bookstore.staff import catalog_admin
from bookstore.staff.audit import record
from bookstore.staff.cover_images import remove_cover, store_cover
from bookstore.staff.forms import (
    AdjustStockForm,
    BookForm,
    ConfirmForm,
    CoverForm,
    EditionForm,
    ReceiveStockForm,
)
from bookstore.staff.views import bp


def _or_404(getter, ident):
    try:
        return getter(ident)
    except NotFound:
        abort(404)


def _book_input(form: BookForm) -> catalog_admin.BookInput:
    return catalog_admin.BookInput(
        title=form.title.data,
        subtitle=form.subtitle.data or "",
        description=form.description.data or "",
        original_title=form.original_title.data or "",
        languages=form.languages.data,
        published_on=form.published_on.data,
        series=form.series.data or "",
        series_position=form.series_position.data,
        subjects=form.subject_names,
        contributors=tuple(form.parsed_contributors),
        featured=form.featured.data,
    )


@bp.route("/books/new", methods=["GET", "POST"])
def book_new():
    form = BookForm()
    if form.validate_on_submit():
        try:
            book = catalog_admin.create_book(_book_input(form), actor=current_user)
        except BookstoreError as exc:
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Added {book.title}. Now add its editions.", "success")
            return redirect(url_for("staff.book", book_id=book.id), 303)
    return render_template(
        "staff/book_form.html", form=form, book=None
    ), 400 if form.errors else 200


def _form_from_book(book: Book) -> BookForm:
    form = BookForm(obj=book)
    if request.method == "GET":
        form.series.data = book.series.name if book.series else ""
        form.subjects.data = "; ".join(s.name for s in book.subjects)
        form.contributors.data = "\n".join(
            f"{c.contributor.name} | {c.role.value}" for c in book.credits
        )
    return form


@bp.route("/books/<int:book_id>", methods=["GET", "POST"])
def book(book_id: int):
    book = db.session.scalar(
        select(Book)
        .where(Book.id == book_id)
        .options(
            selectinload(Book.editions),
            selectinload(Book.subjects),
            selectinload(Book.credits).selectinload(BookContributor.contributor),
        )
    )
    if book is None:
        abort(404)
    form = _form_from_book(book)
    if form.validate_on_submit():
        try:
            catalog_admin.update_book(book, _book_input(form), actor=current_user)
        except BookstoreError as exc:
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("staff.book", book_id=book.id), 303)
    return (
        render_template(
            "staff/book_form.html",
            form=form,
            book=book,
            cover_form=CoverForm(),
            confirm=ConfirmForm(),
        ),
        400 if form.errors else 200,
    )


def _edition_input(form: EditionForm) -> catalog_admin.EditionInput:
    return catalog_admin.EditionInput(
        format=Format(form.format.data),
        isbn13=form.isbn13.data,
        price_cents=form.price.required_cents(),
        pages=form.pages.data,
        published_on=form.published_on.data,
        low_stock_threshold=form.low_stock_threshold.data,
        out_of_print=form.out_of_print.data,
    )


@bp.route("/books/<int:book_id>/editions/new", methods=["GET", "POST"])
def edition_new(book_id: int):
    book = _or_404(catalog_admin.get_book, book_id)
    form = EditionForm()
    if form.validate_on_submit():
        try:
            edition = catalog_admin.create_edition(book, _edition_input(form), actor=current_user)
        except BookstoreError as exc:
            form.isbn13.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Edition added. Receive its stock below.", "success")
            return redirect(url_for("staff.edition", edition_id=edition.id), 303)
    return (
        render_template("staff/edition_form.html", form=form, book=book, edition=None),
        400 if form.errors else 200,
    )


def _edition_page(edition: Edition, form: EditionForm, status: int = 200):
    ledger = db.session.scalars(
        select(StockMovement)
        .where(StockMovement.edition_id == edition.id)
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
        .limit(200)
    )
    return (
        render_template(
            "staff/edition_form.html",
            form=form,
            book=edition.book,
            edition=edition,
            ledger=list(ledger),
            free=free_copies([edition.id]).get(edition.id),
            receive_form=ReceiveStockForm(prefix="receive"),
            adjust_form=AdjustStockForm(prefix="adjust"),
            confirm=ConfirmForm(),
        ),
        status,
    )


@bp.route("/editions/<int:edition_id>", methods=["GET", "POST"])
def edition(edition_id: int):
    edition = _or_404(catalog_admin.get_edition, edition_id)
    form = EditionForm(obj=edition)
    if request.method == "GET":
        form.format.data = edition.format.value
        form.price.data = plain_amount(edition.price_cents)
    if form.validate_on_submit():
        try:
            catalog_admin.update_edition(edition, _edition_input(form), actor=current_user)
        except BookstoreError as exc:
            form.isbn13.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("staff.edition", edition_id=edition.id), 303)
    return _edition_page(edition, form, 400 if form.errors else 200)


@bp.post("/editions/<int:edition_id>/active")
def edition_active(edition_id: int):
    edition = _or_404(catalog_admin.get_edition, edition_id)
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        catalog_admin.set_edition_active(edition, active, actor=current_user)
        db.session.commit()
        flash("Back on sale." if active else "Retired: no longer sold; history kept.", "success")
    return redirect(url_for("staff.edition", edition_id=edition.id), 303)


def _stock_change(edition_id: int, form, change, done: str):
    """Validate a stock form, apply ``change(edition, form)`` with an audit entry, go back.

    ``change`` returns the ledger row it wrote; ``done`` is the message, formatted with the form.
    """
    edition = _or_404(catalog_admin.get_edition, edition_id)
    back = redirect(url_for("staff.edition", edition_id=edition.id), 303)
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return back
    before = {"on_hand": edition.on_hand, "reserved": edition.reserved}
    try:
        movement = change(edition, form)
    except BookstoreError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back
    db.session.refresh(edition)
    record(
        current_user,
        f"stock.{movement.reason}",
        edition,
        before=before,
        after={"on_hand": edition.on_hand, "reserved": edition.reserved},
        summary=f"{movement.delta:+d} {edition.book.title} ({edition.format.value})",
    )
    db.session.commit()
    flash(done.format(form=form), "success")
    return back


@bp.post("/editions/<int:edition_id>/receive")
def edition_receive(edition_id: int):
    return _stock_change(
        edition_id,
        ReceiveStockForm(prefix="receive"),
        lambda edition, form: ledger.receive_stock(
            edition.id, form.quantity.data, actor_id=current_user.id, note=form.note.data or ""
        ),
        "Received {form.quantity.data} copies.",
    )


@bp.post("/editions/<int:edition_id>/adjust")
def edition_adjust(edition_id: int):
    return _stock_change(
        edition_id,
        AdjustStockForm(prefix="adjust"),
        lambda edition, form: ledger.adjust_stock(
            edition.id,
            form.delta.data,
            reason=form.reason.data,
            actor_id=current_user.id,
            note=form.note.data or "",
        ),
        "Stock changed by {form.delta.data:+d}.",
    )


def _first_error(form) -> str:
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return "Please check the form."


@bp.post("/books/<int:book_id>/cover")
def book_cover(book_id: int):
    book = _or_404(catalog_admin.get_book, book_id)
    form = CoverForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return redirect(url_for("staff.book", book_id=book.id), 303)
    folder = Path(current_app.config["COVER_DIR"])
    try:
        cover = store_cover(form.cover.data.read(), folder)
    except BookstoreError as exc:
        flash(f"Cover refused: {exc}", "error")
        return redirect(url_for("staff.book", book_id=book.id), 303)
    old = book.cover_image
    book.cover_image = cover.filename("large")
    record(
        current_user,
        "book.cover",
        book,
        before={"cover_image": old},
        after={"cover_image": book.cover_image},
        summary=book.title,
    )
    db.session.commit()
    if old:
        remove_cover(old.removesuffix("-large.jpg"), folder)
    flash("Cover uploaded.", "success")
    return redirect(url_for("staff.book", book_id=book.id), 303)
