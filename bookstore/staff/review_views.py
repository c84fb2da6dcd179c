"""Staff screens for readers' reviews (the moderation queue: approve, reject with a reason,
withdraw) and for press quotes. Every decision lands in the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from bookstore.catalog.isbn import normalise_isbn
from bookstore.catalog.models import Book, Edition
from bookstore.errors import BookstoreError, InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.reviews import moderation
from bookstore.reviews.forms import ApproveForm, EmptyForm, ProfessionalReviewForm, RejectForm
from bookstore.reviews.forms import revision_of as form_revision
from bookstore.reviews.models import ProfessionalReview, Review, ReviewState
from bookstore.staff.audit import record, snapshot
from bookstore.staff.views import bp, page_number, paginate

REVIEW_FIELDS = ["state", "rating", "title", "body", "rejection_reason", "published_at"]
PRESS_FIELDS = ["book_id", "quote", "source", "url"]


def _state_arg() -> ReviewState:
    try:
        return ReviewState(request.args.get("state", "pending"))
    except ValueError:
        abort(404)


@bp.get("/reviews")
def reviews() -> ResponseReturnValue:
    state = _state_arg()
    page = page_number()
    rows, has_next = paginate(moderation.moderation_query(state), page)
    waiting = db.session.scalar(
        select(func.count(Review.id)).where(Review.state == ReviewState.PENDING)
    )
    return render_template(
        "staff/reviews.html",
        reviews=rows,
        state=state,
        states=list(ReviewState),
        waiting=waiting,
        page=page,
        has_next=has_next,
        approve_form=ApproveForm(),
        reject_form=RejectForm(),
    )


def _back() -> ResponseReturnValue:
    return redirect(url_for("staff.reviews", state=request.args.get("state", "pending")), 303)


@bp.post("/reviews/<int:review_id>/approve")
def review_approve(review_id: int) -> ResponseReturnValue:
    form = ApproveForm()
    if not form.validate_on_submit():
        flash("The form expired: try again.", "error")
        return _back()
    try:
        before = snapshot(moderation.get_review(review_id), REVIEW_FIELDS)
        review = moderation.approve(review_id, form_revision(form), actor=current_user)
        record(
            current_user,
            "review.approve",
            review,
            before=before,
            after=snapshot(review, REVIEW_FIELDS),
            summary=f"Approved a review of {review.book.title} by {review.user.email}",
        )
    except NotFound:
        db.session.rollback()
        abort(404)
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Published the review of “{review.book.title}”.", "success")
    return _back()


@bp.post("/reviews/<int:review_id>/reject")
def review_reject(review_id: int) -> ResponseReturnValue:
    form = RejectForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return _back()
    withdraw = request.form.get("withdraw") == "1"
    try:
        review = moderation.get_review(review_id)
        before = snapshot(review, REVIEW_FIELDS)
        if withdraw:
            review = moderation.withdraw(review_id, form.reason.data or "", actor=current_user)
        else:
            review = moderation.reject(
                review_id, form_revision(form), form.reason.data or "", actor=current_user
            )
        record(
            current_user,
            "review.withdraw" if withdraw else "review.reject",
            review,
            before=before,
            after=snapshot(review, REVIEW_FIELDS),
            summary=f"{'Withdrew' if withdraw else 'Rejected'} a review of {review.book.title}: "
            f"{review.rejection_reason}",
        )
    except NotFound:
        db.session.rollback()
        abort(404)
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            f"{'Withdrew' if withdraw else 'Rejected'} the review of “{review.book.title}”; "
            "the reader is told why.",
            "success",
        )
    return _back()


# --- press quotes ------------------------------------------------------------------------------


@bp.get("/press-reviews")
def press_reviews() -> ResponseReturnValue:
    page = page_number()
    rows, has_next = paginate(moderation.professional_query(), page)
    return render_template(
        "staff/press_reviews.html", quotes=rows, page=page, has_next=has_next, form=EmptyForm()
    )


def _book_by_isbn(raw: str) -> Book:
    book = db.session.scalar(
        select(Book).join(Edition).where(Edition.isbn13 == normalise_isbn(raw)).limit(1)
    )
    if book is None:
        raise InvalidInput("No edition in the catalog has that ISBN.")
    return book


def _press_screen(quote: ProfessionalReview | None) -> ResponseReturnValue:
    form = ProfessionalReviewForm(obj=quote)
    if quote is not None and not form.is_submitted():
        form.isbn.data = quote.book.editions[0].isbn13 if quote.book.editions else ""
    if form.validate_on_submit():
        before = snapshot(quote, PRESS_FIELDS) if quote else None
        try:
            saved = moderation.save_professional_review(
                quote,
                book=_book_by_isbn(form.isbn.data or ""),
                quote=form.quote.data or "",
                source=form.source.data or "",
                url=form.url.data or "",
            )
            record(
                current_user,
                "press_review.edit" if quote else "press_review.create",
                saved,
                before=before,
                after=snapshot(saved, PRESS_FIELDS),
                summary=f"Press review from {saved.source} on {saved.book.title}",
                entity_type="press_review",
            )
        except BookstoreError as error:
            db.session.rollback()
            field = form.url if "link" in str(error) else form.isbn
            field.errors = [*field.errors, str(error)]
        else:
            db.session.commit()
            flash(f"Saved the press review from {saved.source}.", "success")
            return redirect(url_for("staff.press_reviews"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/press_review_form.html", form=form, quote=quote), status


@bp.route("/press-reviews/new", methods=["GET", "POST"])
def press_review_new() -> ResponseReturnValue:
    return _press_screen(None)


@bp.route("/press-reviews/<int:quote_id>", methods=["GET", "POST"])
def press_review_edit(quote_id: int) -> ResponseReturnValue:
    try:
        quote = moderation.get_professional_review(quote_id)
    except NotFound:
        abort(404)
    return _press_screen(quote)


@bp.post("/press-reviews/<int:quote_id>/delete")
def press_review_delete(quote_id: int) -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        flash("The form expired: try again.", "error")
        return redirect(url_for("staff.press_reviews"), 303)
    try:
        quote = moderation.get_professional_review(quote_id)
    except NotFound:
        abort(404)
    record(
        current_user,
        "press_review.delete",
        quote,
        before=snapshot(quote, PRESS_FIELDS),
        summary=f"Deleted the press review from {quote.source} on {quote.book.title}",
        entity_type="press_review",
    )
    db.session.delete(quote)
    db.session.commit()
    flash("Deleted the press review.", "success")
    return redirect(url_for("staff.press_reviews"), 303)
