"""Readers' review pages: write or edit a review, delete it, vote, all reviews of a book, and
the reader's own reviews. The book page shows its reviews through ``book_reviews`` (its section
is written in ``book_section``).

Only published words appear on public (cached) pages; a reader's own review in any state and
their votes show to them alone, through ``visitor_part``s filled in on each request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import Row

from bookstore import page_cache
from bookstore.accounts.closing import register_closure
from bookstore.accounts.export import register_export
from bookstore.accounts.models import User
from bookstore.accounts.redirects import safe_next
from bookstore.accounts.sections import register_account_section
from bookstore.accounts.sessions import has_none_on_public_page, read_with_user
from bookstore.catalog.book_html import register_book_section
from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.models import Book
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db, limiter
from bookstore.login_manager import visitor
from bookstore.page_cache import cached_page
from bookstore.reviews import services
from bookstore.reviews.book_section import helpful_button, reviews_section_part, write_invitation
from bookstore.reviews.forms import EmptyForm, ReviewForm
from bookstore.reviews.jsonld import register_jsonld
from bookstore.reviews.models import Review

bp = Blueprint("reviews", __name__)
BOOK_PAGE_REVIEWS = 5
LIMIT_MESSAGE = "You have sent many reviews or votes in a short time. Wait a while, then try again."


@bp.record_once
def _wire(state) -> None:
    register_jsonld(state.app)
    register_book_section(state.app, reviews_section_part(book_reviews, reader_review), order=10)
    register_account_section(
        state.app,
        "reviews/_account_reviews.html",
        lambda user: {"counts": services.review_counts(cast(User, user))},
        order=40,
    )
    register_closure(state.app, removes=services.forget_reader)
    register_export(state.app, "reviews", services.reviews_data)
    register_export(state.app, "helpful_votes", services.helpful_votes_data)


def review_limit() -> str:
    """Reviews written or edited per reader (``REVIEW_RATELIMIT``)."""
    return current_app.config.get("REVIEW_RATELIMIT") or os.environ.get(
        "REVIEW_RATELIMIT", "10/hour"
    )


def vote_limit() -> str:
    """Helpful votes per reader (``REVIEW_VOTE_RATELIMIT``)."""
    return current_app.config.get("REVIEW_VOTE_RATELIMIT") or os.environ.get(
        "REVIEW_VOTE_RATELIMIT", "60/hour"
    )


def _reader_key() -> str:
    # A signed-in reader is counted whatever network they use; anyone else by address.
    if current_user.is_authenticated:
        return f"reader:{current_user.id}"
    return f"ip:{get_remote_address()}"


@dataclass
class BookReviews:
    """What the book page shows of its reviews (the same for every visitor)."""

    reviews: list[Review]
    more: bool
    professional: list[Row]  # services.professional_reviews_of


def book_reviews(book: Book | PageBook) -> BookReviews:
    """For the book page's section: the most helpful reviews and press quotes."""
    page = services.shown_reviews(book)
    shown = page.first_page.reviews[:BOOK_PAGE_REVIEWS]
    return BookReviews(
        reviews=shown, more=book.review_count > len(shown), professional=page.professional
    )


@read_with_user("has_reviews")
def _has_reviews(user_id, _now):
    """Whether the reader wrote any review, read with them (see reader_review)."""
    return services.reviewed_any(user_id)


@read_with_user("has_votes")
def _has_votes(user_id, _now):
    """Whether the reader found any review helpful, read with them (see review_helpful)."""
    return services.voted_any(user_id)


@page_cache.visitor_part("reader-review")
def reader_review(places: list[tuple]) -> list[Markup]:
    """A signed-in reader's own review (any state) of each (book id, slug) place, or the
    invitation to write one: one query, none for a reader who never wrote a review."""
    user = visitor()
    if not user.is_authenticated:
        return [Markup() for _ in places]
    mine = (
        {}
        if has_none_on_public_page("has_reviews")
        else services.review_states_of(user, [book_id for book_id, _slug in places])
    )
    # The invitation is written in Python (most readers, most books); a review, by the macro.
    render = get_template_attribute("reviews/_macros.html", "your_review") if mine else None
    return [
        render(slug, mine[book_id])
        if render is not None and book_id in mine
        else Markup(write_invitation(slug))  # noqa: S704  (escaped there)
        for book_id, slug in places
    ]


@bp.app_template_global("helpful_button_html")
def helpful_button_html(review_id: int, author: str, voted: bool, csrf_token: str) -> Markup:
    """``book_section.helpful_button`` for templates (the guests' ``helpful_button`` macro)."""
    return Markup(helpful_button(review_id, author, voted, csrf_token))  # noqa: S704  (escaped there)


@page_cache.visitor_part("review-helpful")
def review_helpful(places: list[tuple]) -> list[Markup]:
    """The Helpful button of each (review id, author id, author's name) place for a signed-in
    reader: nothing under their own review, a note where they voted already. One query."""
    user = visitor()
    if not user.is_authenticated:
        return [Markup() for _ in places]
    voted = (
        set()
        if has_none_on_public_page("has_votes")
        else services.voted_on(user, [review_id for review_id, _author, _name in places])
    )
    token = page_cache.csrf_token()
    return [
        Markup()
        if author_id == user.id
        else Markup(helpful_button(review_id, name, review_id in voted, token))  # noqa: S704
        for review_id, author_id, name in places
    ]


# For every template: Jinja globals, not a context processor run for each template rendered.
bp.add_app_template_global(services.public_name, "reviewer_name")
bp.add_app_template_global(reader_review, "reader_review")
bp.add_app_template_global(review_helpful, "review_helpful")


def _book_or_404(slug: str) -> Book:
    try:
        return services.find_book(slug)
    except NotFound as exc:
        abort(404, description=str(exc))


@bp.route("/books/<slug>/review", methods=["GET", "POST"])
@login_required
@limiter.limit(review_limit, key_func=_reader_key, methods=["POST"], error_message=LIMIT_MESSAGE)
def write(slug: str) -> ResponseReturnValue:
    """Write a review of the book, or edit the one already written."""
    book = _book_or_404(slug)
    review = services.review_of(current_user, book.id)
    form = ReviewForm(obj=review if review and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.write_review(
                current_user,
                book,
                rating=form.rating.data,
                title=form.title.data or "",
                body=form.body.data or "",
            )
        except BookstoreError as error:
            db.session.rollback()
            form.body.errors = [*form.body.errors, str(error)]
        else:
            db.session.commit()
            flash(
                "Thank you: your review is waiting for moderation. It appears on the book's "
                "page once our staff approve it; we will email you.",
                "success",
            )
            return redirect(url_for("catalog.book", slug=book.slug, _anchor="your-review"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "reviews/write.html",
        book=book,
        review=review,
        form=form,
        verified=services.has_bought(current_user, book.id),
        shown_as=services.public_name(current_user.name),
    ), status


@bp.post("/reviews/<int:review_id>/delete")
@login_required
def delete(review_id: int) -> ResponseReturnValue:
    """Delete one of the reader's own reviews."""
    if not EmptyForm().validate_on_submit():
        flash("Your form expired: try again.", "error")
        return redirect(url_for("reviews.mine"), 303)
    try:
        book = services.delete_review(current_user, review_id)
    except BookstoreError as error:
        db.session.rollback()
        abort(404, description=str(error))
    db.session.commit()
    flash(f"Your review of “{book.title}” is deleted.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("reviews.mine"), 303)


@bp.post("/reviews/<int:review_id>/helpful")
@limiter.limit(vote_limit, key_func=_reader_key, error_message=LIMIT_MESSAGE)
def helpful(review_id: int) -> ResponseReturnValue:
    """Mark someone's published review as helpful (once per reader)."""
    target = safe_next(request.form.get("next")) or url_for("reviews.mine")
    if not current_user.is_authenticated:
        # Back to the page the button was on once logged in (this URL takes only POSTs).
        flash("Log in to mark reviews as helpful.")
        return redirect(url_for("accounts.login", next=target))
    if not EmptyForm().validate_on_submit():
        flash("Your form expired: try again.", "error")
        return redirect(target, 303)
    try:
        services.vote_helpful(current_user, review_id)
    except NotFound as error:
        db.session.rollback()
        abort(404, description=str(error))
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Thank you: your vote is counted.", "success")
    return redirect(target, 303)


@bp.get("/books/<slug>/reviews")
@cached_page(params=("sort", "page"))
def book_reviews_page(slug: str) -> ResponseReturnValue:
    """All of a book's published reviews, most helpful or newest first, a page at a time."""
    book = _book_or_404(slug)
    raw_page = request.args.get("page", "1")
    try:
        sort = services.parse_sort(request.args.get("sort"))
        if not raw_page.isdigit() or len(raw_page) > 6:
            raise NotFound("There is no such page of reviews.")
        page = services.published_reviews(book, sort=sort, page=int(raw_page))
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("reviews/list.html", book=book, page=page, sorts=services.SORTS)


@bp.get("/account/reviews")
@login_required
def mine() -> ResponseReturnValue:
    """The reader's own reviews and where each stands."""
    return render_template(
        "reviews/mine.html", reviews=services.reviews_by(current_user), form=EmptyForm()
    )
