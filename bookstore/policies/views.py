"""Public policy pages and the contact form (blueprint ``policies``).

Policy pages are not in the page cache: they are one small query, and staff edits show at once.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from bookstore.accounts.closing import register_closure
from bookstore.accounts.export import register_export
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db, limiter
from bookstore.journal.markdown import render_markdown
from bookstore.policies import services
from bookstore.policies.forms import ContactForm

bp = Blueprint("policies", __name__)

LIMIT_MESSAGE = "You have sent several messages already. Please wait an hour, or email us."


def contact_limit() -> str:
    """Contact-form messages allowed per client IP (``CONTACT_RATELIMIT``)."""
    return current_app.config.get("CONTACT_RATELIMIT") or "5/hour"


# The footer's links to the policy pages: the same on every page, so a Jinja global rather
# than a context processor run for each template rendered.
@bp.record_once
def _wire(state) -> None:
    register_closure(state.app, warns=services.messages_kept)
    register_export(state.app, "contact_messages", services.messages_data)


bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        policy_links=[(kind.slug, kind.title) for kind in services.POLICIES.values()]
    )
)


@bp.app_context_processor
def customer_service_address() -> dict:
    """The footer's customer-service address (a setting)."""
    return {"customer_service_email": current_app.config.get("CUSTOMER_SERVICE_EMAIL")}


@bp.get("/policies/<slug>")
def page(slug: str):
    try:
        policy = services.policy_page(slug)
    except NotFound:
        abort(404)
    return render_template(
        "policies/page.html", policy=policy, body=render_markdown(policy.body_markdown)
    )


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(contact_limit, methods=["POST"], error_message=LIMIT_MESSAGE)
def contact():
    form = ContactForm()
    if not form.is_submitted() and current_user.is_authenticated:
        form.name.data, form.email.data = current_user.name, current_user.email
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled in the hidden field: thank it and keep nothing.
            return redirect(url_for("policies.contact_sent"), 303)
        try:
            services.contact_staff(
                name=form.name.data,
                email=form.email.data,
                topic=form.topic.data,
                order_reference=form.order_reference.data or "",
                body=form.body.data,
                user=current_user if current_user.is_authenticated else None,
                staff_address=current_app.config.get("CONTACT_EMAIL_TO")
                or current_app.config["CUSTOMER_SERVICE_EMAIL"],
            )
        except BookstoreError as error:
            db.session.rollback()
            form.topic.errors.append(str(error))
        else:
            db.session.commit()
            flash("Thank you: your message is with us. We answer within one business day.")
            return redirect(url_for("policies.contact_sent"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("policies/contact.html", form=form), status


@bp.get("/contact/sent")
def contact_sent():
    return render_template("policies/contact_sent.html")
