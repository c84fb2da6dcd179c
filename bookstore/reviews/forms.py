"""Forms: a reader's review, and staff's moderation and press-quote forms."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField, URLField
from wtforms.validators import InputRequired, Length, Optional

from bookstore.reviews.models import MAX_BODY, MAX_QUOTE, MAX_REASON, MAX_SOURCE, MAX_TITLE, MAX_URL

RATINGS = [(5, "5 stars: loved it"), (4, "4 stars"), (3, "3 stars"), (2, "2 stars"), (1, "1 star")]


class ReviewForm(FlaskForm):
    rating = RadioField(
        "Your rating",
        choices=RATINGS,
        coerce=int,
        validators=[InputRequired("Choose a rating from 1 to 5 stars.")],
    )
    title = StringField(
        "Title (optional)",
        validators=[Optional(), Length(max=MAX_TITLE)],
        render_kw={"maxlength": MAX_TITLE},
    )
    body = TextAreaField(
        "Your review",
        validators=[
            InputRequired("Write your review."),
            Length(max=MAX_BODY, message=f"Keep your review under {MAX_BODY:,} characters."),
        ],
        description=f"Plain text, up to {MAX_BODY:,} characters. No links or formatting.",
        render_kw={"maxlength": MAX_BODY, "rows": 8},
    )


class EmptyForm(FlaskForm):
    """A POST-only button (delete, helpful): the form checks its CSRF token."""


class ApproveForm(FlaskForm):
    revision = HiddenField(validators=[InputRequired()])


class RejectForm(FlaskForm):
    revision = HiddenField()
    reason = TextAreaField(
        "Reason (sent to the reader)",
        validators=[InputRequired("Give the reader a reason."), Length(max=MAX_REASON)],
        render_kw={"maxlength": MAX_REASON, "rows": 2},
    )


class ProfessionalReviewForm(FlaskForm):
    isbn = StringField(
        "Book (ISBN of any edition)",
        validators=[InputRequired("Give the ISBN of one of the book's editions."), Length(max=20)],
    )
    quote = TextAreaField(
        "Quote",
        validators=[InputRequired("Type the quote."), Length(max=MAX_QUOTE)],
        render_kw={"maxlength": MAX_QUOTE, "rows": 4},
    )
    source = StringField(
        "Source (publication, critic)",
        validators=[InputRequired("Name the source."), Length(max=MAX_SOURCE)],
        render_kw={"maxlength": MAX_SOURCE},
    )
    url = URLField(
        "Link to the review (optional)",
        validators=[Optional(), Length(max=MAX_URL)],
        description="A web address starting with https:// or http://.",
        render_kw={"maxlength": MAX_URL},
    )


def revision_of(form: FlaskForm) -> int:
    """The review revision a moderation form carries (0, which matches none, if garbled)."""
    raw = str(form.revision.data or "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0
