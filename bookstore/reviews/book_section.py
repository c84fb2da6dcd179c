"""The book page's reviews: press quotes, the readers' rating, a few published reviews and the
way to write one. Written in Python as the rest of the page is
(``bookstore.catalog.book_html``); a published review itself is the macro the all-reviews page
shows too, rendered only for the few books that have reviews.

The page is cached: only published reviews appear here, and the reader's own review (any
state) and votes are ``visitor_part``s, filled in for them alone on each request.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, request, url_for
from markupsafe import Markup
from markupsafe import escape as e

from bookstore.accounts.redirects import login_url
from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.card_html import link
from bookstore.login_manager import visitor

ReaderReview = Callable[[int, str], Markup]


def reviews_section_part(
    book_reviews: Callable, reader_review: ReaderReview
) -> Callable[[PageBook], str]:
    """The book page's section, with ``book_reviews(book)`` for what it shows and
    ``reader_review(book id, slug)`` for a signed-in reader's own review."""

    def reviews_section(book: PageBook) -> str:
        found = book_reviews(book)
        press = press_reviews(found.professional) if found.professional else ""
        readers = [
            '<section class="reviews" id="reviews" aria-labelledby="reviews-heading">',
            '<h2 id="reviews-heading">Readers’ reviews</h2>',
            rating_summary(book),
            str(reader_review(book.id, book.slug))
            if visitor().is_authenticated
            else login_to_write(book.slug),
            published_reviews(found.reviews),
            more_reviews(book, len(found.reviews), found.more),
            "</section>",
        ]
        return press + "\n".join(readers)

    return reviews_section


def press_reviews(quotes) -> str:
    """The "Praise" section: quotes from the press, linked to their source when it has one."""
    figures = "\n".join(
        '<figure class="press-review">\n'
        f"<blockquote><p>{e(quote.quote)}</p></blockquote>\n"
        f"<figcaption>— {press_source(quote)}</figcaption>\n</figure>"
        for quote in quotes
    )
    return (
        '<section class="press-reviews" aria-labelledby="press-heading">\n'
        f'<h2 id="press-heading">Praise</h2>\n{figures}\n</section>\n'
    )


def press_source(quote) -> str:
    if not quote.url:
        return str(e(quote.source))
    return (
        f'<a href="{e(quote.url)}" rel="nofollow noopener" target="_blank">{e(quote.source)}'
        '<span class="visually-hidden"> (opens in a new tab)</span></a>'
    )


def stars(rating: int) -> str:
    """Filled and empty stars for the eye, the number in words for screen readers (as the
    ``stars`` macro of templates/reviews/_macros.html)."""
    return (
        f'<span class="stars" aria-hidden="true">{"★" * rating}{"☆" * (5 - rating)}</span>'
        f'<span class="visually-hidden">{rating} out of 5 stars</span>'
    )


def rating_summary(book: PageBook) -> str:
    """The average of the published reviews and their count, or "No reviews yet."."""
    count = book.review_count
    if not count:
        return "<p>No reviews yet.</p>"
    average = book.average_rating
    noun = "review" if count == 1 else "reviews"
    return (
        f'<p class="rating-summary">{stars(int(round(average)))} <strong>{e(average)}</strong> '
        f"out of 5 · {e(count)} {noun}</p>"
    )


def login_to_write(slug: str) -> str:
    """A guest's way to write a review: log in first, then the review form."""
    href = e(login_url(link("reviews.write", slug)))
    return f'<p><a href="{href}">Log in to write a review</a></p>'


def published_reviews(reviews) -> str:
    """The reviews' HTML (the macro the all-reviews page uses too); most books have none."""
    if not reviews:
        return ""
    return render_template("reviews/_published_reviews.html", reviews=reviews)


def more_reviews(book: PageBook, shown: int, more: bool) -> str:
    """Links to all the book's reviews, when there are more than the page shows."""
    if not more and shown <= 1:
        return ""
    newest = e(url_for("reviews.book_reviews_page", slug=book.slug, sort="newest"))
    if not more:
        return f'<p><a href="{newest}">See the reviews newest first</a></p>'
    every = e(url_for("reviews.book_reviews_page", slug=book.slug))
    return (
        f'<p><a href="{every}">All {e(book.review_count)} reviews</a> · '
        f'<a href="{newest}">Newest first</a></p>'
    )


def write_invitation(slug: str) -> str:
    """A signed-in reader's way to review a book they have not reviewed, in the ``your_review``
    macro's frame (templates/reviews/_macros.html, which shows a review they wrote): every
    signed-in book page has it, and the macro cost more than the rest of the reader's parts."""
    href = e(link("reviews.write", slug))
    return (
        '<div class="your-review" id="your-review">\n    \n'
        f'    <p><a class="button" href="{href}">Write a review</a></p>\n    \n  </div>'
    )


def helpful_button(review_id: int, author: str, voted: bool, csrf_token: str) -> str:
    """A reader's Helpful button under a review, or a note where they voted already: for
    signed-in readers (``views.review_helpful``) and, through the ``helpful_button`` macro of
    templates/reviews/_macros.html, for guests."""
    if voted:
        return '\n    <p class="muted">You found this helpful.</p>\n    '
    action = e(url_for("reviews.helpful", review_id=review_id))
    return (
        f'\n    <form method="post" action="{action}" class="inline-form">\n'
        f'      <input type="hidden" name="csrf_token" value="{e(csrf_token)}">\n'
        f'      <input type="hidden" name="next" value="{e(request.path)}">\n'
        '      <button type="submit" class="button-secondary">Helpful'
        f'<span class="visually-hidden">: the review by {e(author)}</span></button>\n'
        "    </form>\n    "
    )
