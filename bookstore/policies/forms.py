"""Forms: the contact form (with a honeypot field) and staff's policy editor."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional

from bookstore.policies.services import CONTACT_TOPICS, MAX_BODY


class ContactForm(FlaskForm):
    name = StringField("Your name", validators=[InputRequired(), Length(max=120)])
    email = EmailField(
        "Your email address",
        validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    topic = SelectField(
        "What is it about?",
        choices=[SelectChoice(code, label) for code, label in CONTACT_TOPICS.items()],
    )
    order_reference = StringField(
        "Order reference (if it is about an order)", validators=[Optional(), Length(max=40)]
    )
    body = TextAreaField("Your message", validators=[InputRequired(), Length(min=10, max=5000)])
    # A field people never see (hidden by CSS and from assistive technology); bots fill it in.
    website = StringField("Leave this field empty", validators=[Optional()])


class PolicyForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=120)])
    body_markdown = TextAreaField(
        "Text (Markdown)", validators=[InputRequired(), Length(max=MAX_BODY)]
    )
