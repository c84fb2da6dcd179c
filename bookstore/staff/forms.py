"""Back-office forms. Prices are typed in dollars and cents and converted once, here."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from bookstore.catalog.isbn import normalise_isbn, validate_isbn13
from bookstore.catalog.models import ContributorRole, Format
from bookstore.errors import InvalidISBN
from bookstore.money import parse_amount

# Empty rows a delivery or count form starts with (and adds at a time without JavaScript).
BATCH_ROWS = 10

ADJUST_REASONS = [
    SelectChoice("count", "Stock count"),
    SelectChoice("damage", "Damaged"),
    SelectChoice("return", "Customer return"),
    SelectChoice("correction", "Correction"),
]


class PriceField(StringField):
    """A dollars-and-cents amount typed by a person; ``.cents`` holds the integer value."""

    cents: int | None = None

    def pre_validate(self, form):
        self.cents = None
        if not (self.data or "").strip():
            return
        try:
            self.cents = parse_amount(self.data)
        except ValueError:
            raise ValidationError(
                "Enter a price such as 16.00 (no more than two decimals)."
            ) from None

    def required_cents(self) -> int:
        """The amount of a required field once its form has validated."""
        if self.cents is None:
            raise ValueError(f"{self.name} has no amount: read it only after the form validates")
        return self.cents


class BookForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    subtitle = StringField("Subtitle", validators=[Optional(), Length(max=300)])
    original_title = StringField("Original title", validators=[Optional(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])
    languages = StringField(
        "Languages",
        default="en",
        description="Two-letter codes separated by spaces, e.g. 'en' or 'en ru'.",
        validators=[DataRequired(), Length(max=40)],
    )
    published_on = DateField("Publication date", validators=[Optional()])
    series = StringField("Series", validators=[Optional(), Length(max=200)])
    series_position = IntegerField(
        "Position in series", validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    subjects = StringField(
        "Subjects", description="Separated by semicolons.", validators=[Length(max=500)]
    )
    contributors = TextAreaField(
        "Contributors",
        description="One per line as 'Name | role' (author, translator, illustrator, editor, "
        "introduction).",
        validators=[Length(max=5000)],
    )
    featured = BooleanField("Featured on the home page")

    def validate_languages(self, field):
        codes = field.data.replace(",", " ").split()
        if not codes or not all(len(c) == 2 and c.isalpha() for c in codes):
            raise ValidationError("Use two-letter language codes such as 'en' or 'en ru'.")
        field.data = " ".join(c.lower() for c in codes)

    def validate_contributors(self, field):
        self.parsed_contributors = []
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, _, role = line.partition("|")
            role = (role.strip() or "author").lower()
            try:
                parsed_role = ContributorRole(role)
            except ValueError:
                raise ValidationError(f"Line {number}: unknown role {role!r}.") from None
            if not name.strip() or len(name.strip()) > 200:
                raise ValidationError(f"Line {number}: give the contributor's name.")
            self.parsed_contributors.append((name.strip(), parsed_role))

    @property
    def subject_names(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in (self.subjects.data or "").split(";") if s.strip())


class EditionForm(FlaskForm):
    format = SelectField("Format", choices=[SelectChoice(f.value, f.label) for f in Format])
    isbn13 = StringField("ISBN-13", validators=[DataRequired(), Length(max=20)])
    price = PriceField("Price (USD)", validators=[DataRequired()])
    pages = IntegerField("Pages", validators=[Optional(), NumberRange(min=1, max=100_000)])
    published_on = DateField(
        "Publication date of this edition",
        description="Leave empty to use the book's date. A future date makes it a preorder.",
        validators=[Optional()],
    )
    low_stock_threshold = IntegerField(
        "Low-stock threshold",
        description="Leave empty for the shop's default.",
        validators=[Optional(), NumberRange(min=0, max=10_000)],
    )
    out_of_print = BooleanField("Out of print")

    def validate_isbn13(self, field):
        try:
            field.data = validate_isbn13(normalise_isbn(field.data))
        except InvalidISBN as exc:
            raise ValidationError(str(exc)) from None


class ReceiveStockForm(FlaskForm):
    quantity = IntegerField(
        "Copies received", validators=[InputRequired(), NumberRange(min=1, max=100_000)]
    )
    note = StringField("Note (supplier, delivery note)", validators=[Optional(), Length(max=500)])


class AdjustStockForm(FlaskForm):
    delta = IntegerField(
        "Change in copies on hand",
        description="Negative to remove copies, e.g. -2.",
        validators=[InputRequired(), NumberRange(min=-100_000, max=100_000)],
    )
    reason = SelectField("Reason", choices=ADJUST_REASONS)
    note = StringField("Note", validators=[Optional(), Length(max=500)])

    def validate_delta(self, field):
        if field.data == 0:
            raise ValidationError("A change of zero changes nothing.")


class CoverForm(FlaskForm):
    cover = FileField("Cover image (JPEG, PNG or WebP)", validators=[FileRequired()])


class ImportForm(FlaskForm):
    file = FileField("Catalog CSV file", validators=[FileRequired()])
    dry_run = BooleanField("Dry run: show what would change without changing anything")


class ConfirmForm(FlaskForm):
    """An empty form for POST buttons, so they are CSRF-checked."""


class ShipForm(FlaskForm):
    carrier = StringField("Carrier", validators=[DataRequired(), Length(max=60)])
    tracking = StringField("Tracking number", validators=[Optional(), Length(max=100)])


class RefundForm(FlaskForm):
    scope = SelectField(
        "Refund",
        choices=[
            SelectChoice("order", "The whole order (what is left of it)"),
            SelectChoice("lines", "Only the copies chosen below"),
        ],
    )
    reason = StringField("Reason", validators=[Optional(), Length(max=300)])
    restock = BooleanField("Put the copies back in stock (a 'return' ledger entry)")
    # Set by the confirmation page: the first submission only shows the amount.
    confirmed = HiddenField(default="")


class ReviewForm(FlaskForm):
    decision = SelectField(
        "Decision",
        choices=[
            SelectChoice("accept", "Accept the payment: the order is paid"),
            SelectChoice("cancel", "Cancel the order and refund the payment"),
        ],
    )
    note = StringField("Note for the order's history", validators=[DataRequired(), Length(max=500)])


class PostForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    summary = StringField("Summary", validators=[Optional(), Length(max=500)])
    body_markdown = TextAreaField("Text (Markdown)", validators=[Optional(), Length(max=100_000)])
    # Not called "image": the form is filled from the post, whose "image" is a file name.
    picture = FileField(
        "Picture",
        description="JPEG, PNG or WebP; checked, stripped of metadata and resized to 600 "
        "pixels wide. Shown at the top of the post and in the weekly digest.",
    )
    image_alt = StringField(
        "Describe the picture",
        description="For readers who cannot see it (alt text); required with a picture.",
        validators=[Optional(), Length(max=300)],
    )
    remove_image = BooleanField("Remove the picture")
    image_credit = StringField("Image credit", validators=[Optional(), Length(max=300)])
    published_at = DateTimeLocalField(
        "Publish at",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description="Leave empty to keep the post as a draft.",
        validators=[Optional()],
    )
    tags = StringField("Tags", description="Separated by semicolons.", validators=[Length(max=500)])
    books = TextAreaField(
        "Related books",
        description="One ISBN or book slug per line; shown under the post.",
        validators=[Length(max=5000)],
    )


class DealForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = StringField("Short description", validators=[Optional(), Length(max=500)])
    kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("percent_off", "Percent off"),
            SelectChoice("amount_off", "Amount off"),
            SelectChoice("fixed_price", "Fixed price"),
        ],
    )
    value = StringField(
        "Value",
        description="A percentage such as 15 for percent off; an amount such as 3.00 otherwise.",
        validators=[DataRequired(), Length(max=20)],
    )
    scope = SelectField(
        "Applies to",
        choices=[
            SelectChoice("order", "The whole order"),
            SelectChoice("editions", "Editions (ISBNs)"),
            SelectChoice("books", "Books (ISBNs or slugs)"),
            SelectChoice("subjects", "Subjects (names)"),
            SelectChoice("formats", "Formats (paperback, hardcover, ebook)"),
        ],
    )
    targets = TextAreaField(
        "Targets",
        description="One per line, for every scope but the whole order.",
        validators=[Length(max=5000)],
    )
    min_order = PriceField("Minimum order (USD)", validators=[Optional()])
    starts_at = DateTimeLocalField(
        "Starts",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired()],
    )
    ends_at = DateTimeLocalField(
        "Ends",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired()],
    )
    total_claims = IntegerField(
        "Number of claims",
        description="Leave empty for unlimited.",
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
    )
    stacks = BooleanField("Stacks with other deals")


class GrantMembershipForm(FlaskForm):
    email = EmailField("Member's email", validators=[DataRequired(), Length(max=254)])
    until = DateField("Member until", validators=[DataRequired()])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])


class EndMembershipForm(FlaskForm):
    reason = StringField("Reason for ending", validators=[DataRequired(), Length(max=500)])


class DealEditForm(FlaskForm):
    """What can change once a deal exists: its wording, end, minimum and claim limit."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = StringField("Short description", validators=[Optional(), Length(max=500)])
    ends_at = DateTimeLocalField(
        "Ends", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[DataRequired()]
    )
    min_order = PriceField("Minimum order (USD)", validators=[Optional()])
    total_claims = IntegerField(
        "Number of claims",
        description="Limited deals only; never below the claims already made.",
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
    )


class BatchLineForm(Form):
    """One row of a delivery or a count (no CSRF of its own: it sits inside the batch form)."""

    isbn = StringField("ISBN", validators=[Optional(), Length(max=20)])
    quantity = IntegerField("Copies", validators=[Optional(), NumberRange(min=0, max=100_000)])


class StockBatchForm(FlaskForm):
    """A delivery or a stock count: a few details and a row per ISBN."""

    supplier = StringField("Supplier", validators=[Optional(), Length(max=200)])
    reference = StringField(
        "Reference",
        description="The delivery note or invoice number.",
        validators=[Optional(), Length(max=100)],
    )
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    lines = FieldList(FormField(BatchLineForm), min_entries=BATCH_ROWS, max_entries=500)


class QuickEditForm(FlaskForm):
    """A row of the books list: the price and the copies on hand, changed in place."""

    price = PriceField("Price (USD)", validators=[DataRequired(), Length(max=12)])
    on_hand = IntegerField("On hand", validators=[Optional(), NumberRange(min=0, max=100_000)])
    # The count the page showed: stock moves by the difference, not to an absolute number.
    on_hand_seen = IntegerField(widget=HiddenInput(), validators=[Optional()])


class BulkEditForm(FlaskForm):
    """An action on the rows ticked in the books list."""

    action = SelectField("With the selected rows", choices=[])
    value = StringField(
        "Subject or threshold",
        description="The subject's name, or the threshold (empty for the shop's default).",
        validators=[Optional(), Length(max=80)],
    )


class GiftWrapForm(FlaskForm):
    """The gift wrap offered at checkout and its price (bookstore.gifts)."""

    wrap_enabled = BooleanField("Offer gift wrap at checkout")
    wrap_price = PriceField("Gift wrap price (USD)", validators=[DataRequired(), Length(max=12)])


class TaxRateForm(FlaskForm):
    """A sales tax rate for a country, or a state or province of it (bookstore.tax)."""

    country = SelectField("Country", validators=[InputRequired("Choose a country.")])
    region = StringField(
        "State or province",
        description="Its code or name, as addresses give it (VT or Vermont); "
        "leave empty for the whole country.",
        validators=[Optional(), Length(max=100)],
    )
    name = StringField(
        "Name on receipts",
        description="For example, Vermont sales tax.",
        validators=[DataRequired("Give the tax's name."), Length(max=80)],
    )
    rate = StringField(
        "Rate (%)",
        description="For example 6, or 8.875.",
        validators=[DataRequired("Give the rate."), Length(max=12)],
    )
    taxes_shipping = BooleanField("Tax shipping too", default=True)
    taxes_ebooks = BooleanField("Tax ebooks too", default=True)


class ShippingRateForm(FlaskForm):
    """What a parcel to another country costs (bookstore.shipping)."""

    country = SelectField("Country", validate_choice=False)
    standard = StringField(
        "Standard shipping",
        description="For the first printed copy, e.g. 14 or 14.50.",
        validators=[DataRequired("Give what standard shipping costs."), Length(max=12)],
    )
    extra_copy = StringField(
        "Each copy after the first",
        description="Added for each further printed copy, by either method; 0 for none.",
        default="0",
        validators=[Optional(), Length(max=12)],
    )
    express = StringField(
        "Express shipping",
        description="For the first copy; leave empty if express does not go there.",
        validators=[Optional(), Length(max=12)],
    )
    free_over = StringField(
        "Free from",
        description="Books worth this or more ship free by standard shipping; leave empty "
        "for never.",
        validators=[Optional(), Length(max=12)],
    )
    standard_days = StringField(
        "Standard takes",
        description="Business days in transit, such as 7-12, for the date checkout promises; "
        "leave empty to promise none.",
        validators=[Optional(), Length(max=12)],
    )
    express_days = StringField(
        "Express takes",
        description="The same for express, such as 3-5.",
        validators=[Optional(), Length(max=12)],
    )


class PromoCodeForm(FlaskForm):
    """A promotion code: what it takes off, where, when, how often and for whom."""

    code = StringField(
        "Code",
        description="What shoppers type, e.g. WELCOME10; any case works, it is kept upper-case.",
        validators=[DataRequired(), Length(max=60)],
    )
    description = StringField(
        "Shown to shoppers", validators=[Optional(), Length(max=300)], description="Optional."
    )
    kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("percent_off", "Percent off"),
            SelectChoice("amount_off", "Amount off"),
        ],
    )
    value = StringField(
        "Value",
        description="A percentage such as 10 for percent off; an amount such as 5.00 otherwise.",
        validators=[DataRequired(), Length(max=20)],
    )
    scope = SelectField(
        "Applies to",
        choices=[
            SelectChoice("all", "Every book"),
            SelectChoice("subjects", "Subjects (names)"),
            SelectChoice("formats", "Formats (paperback, hardcover, ebook)"),
            SelectChoice("editions", "Editions (ISBNs)"),
        ],
    )
    targets = TextAreaField(
        "Targets",
        description="One per line, for every scope but every book.",
        validators=[Length(max=5000)],
    )
    min_order = PriceField(
        "Minimum order (USD)",
        description="Of books, after member prices and deals. Empty: none.",
        validators=[Optional()],
    )
    starts_at = DateTimeLocalField(
        "Valid from",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired("Give the date and time the code starts.")],
    )
    ends_at = DateTimeLocalField(
        "Valid until",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description="Empty: no end.",
        validators=[Optional()],
    )
    total_uses = IntegerField(
        "Total uses",
        description="Empty: unlimited. Never below the uses already made.",
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
    )
    use_limit = SelectField(
        "Per shopper",
        choices=[
            SelectChoice("none", "No limit per shopper"),
            SelectChoice("customer", "Once per customer account (must log in)"),
            SelectChoice("email", "Once per email address"),
        ],
    )
    first_order_only = BooleanField("First order only")


class PromoCodeToggleForm(FlaskForm):
    """Disable or enable a code (a CSRF-checked button)."""
