"""Forms: a reader's review, and staff's moderation and press-quote forms."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from bookstore.reviews.models import MAX_BODY, MAX_QUOTE, MAX_REASON, MAX_SOURCE, MAX_TITLE, MAX_URL

RATINGS = [
    SelectChoice(5, "5 stars: loved it"),
    SelectChoice(4, "4 stars"),
    SelectChoice(3, "3 stars"),
    SelectChoice(2, "2 stars"),
    SelectChoice(1, "1 star"),
]


RATING_MESSAGE = "Choose a rating from 1 to 5 stars."


class RatingField(RadioField):
    """Five radio buttons; anything but 1 to 5 gets the same plain message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(RATING_MESSAGE) from None

    def pre_validate(self, form):
        if self.data not in (1, 2, 3, 4, 5):
            raise ValidationError(RATING_MESSAGE)


class ReviewForm(FlaskForm):
    rating = RatingField(
        "Your rating", choices=RATINGS, coerce=int, validators=[InputRequired(RATING_MESSAGE)]
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
