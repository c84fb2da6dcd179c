"""Staff screen for shipping abroad: what a parcel to each other country costs."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from bookstore.checkout.forms import COUNTRIES, COUNTRY_NAMES, country_phrase
from bookstore.errors import BookstoreError, InvalidInput
from bookstore.extensions import db
from bookstore.money import parse_amount, plain_amount
from bookstore.shipping import services as shipping
from bookstore.shipping.models import ShippingRate
from bookstore.staff.audit import record, snapshot
from bookstore.staff.forms import ConfirmForm, ShippingRateForm
from bookstore.staff.views import bp

ELSEWHERE = "Everywhere else abroad"


def place(rate: ShippingRate) -> str:
    return COUNTRY_NAMES.get(rate.country, rate.country) if rate.country else ELSEWHERE


def _form(editing: ShippingRate | None) -> ShippingRateForm:
    form = ShippingRateForm()
    home = shipping.home_country(current_app.config)
    form.country.choices = [SelectChoice("", ELSEWHERE)] + [
        SelectChoice(code, name) for code, name in COUNTRIES if code != home
    ]
    if editing is not None and not form.is_submitted():
        form.country.data = editing.country
        form.standard.data = plain_amount(editing.standard_cents)
        form.extra_copy.data = plain_amount(editing.extra_copy_cents)
        form.express.data = _shown(editing.express_cents)
        form.free_over.data = _shown(editing.free_over_cents)
        form.standard_days.data, form.express_days.data = (
            editing.standard_days,
            editing.express_days,
        )
    return form


def _shown(cents: int | None) -> str:
    return "" if cents is None else plain_amount(cents)


def _cents(field, *, required: bool = False) -> int | None:
    """The field's amount in cents (None when left empty); InvalidInput names the field."""
    text = (field.data or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{field.label.text}: give an amount, such as 14 or 14.50.")
        return None
    try:
        return parse_amount(text)
    except ValueError:
        raise InvalidInput(
            f"{field.label.text}: {text!r} is not an amount, such as 14 or 14.50."
        ) from None


@bp.route("/shipping", methods=["GET", "POST"])
def shipping_rates():
    """The shop's own terms (from its settings), each country's abroad, and a form that adds
    one or changes the terms of a country already listed."""
    editing = None
    if request.args.get("edit", "").isdigit() and len(request.args["edit"]) < 12:
        editing = shipping.get_rate(int(request.args["edit"]))
    form = _form(editing)
    labels = {
        "Country": form.country,
        form.standard.label.text: form.standard,
        form.extra_copy.label.text: form.extra_copy,
        form.express.label.text: form.express,
        form.free_over.label.text: form.free_over,
        form.standard_days.label.text: form.standard_days,
        form.express_days.label.text: form.express_days,
    }
    if form.validate_on_submit():
        try:
            if form.country.data not in {choice.value for choice in form.country.choices}:
                raise InvalidInput("Country: choose one from the list.")
            spec = shipping.RateSpec(
                country=form.country.data or "",
                standard_cents=_cents(form.standard, required=True) or 0,
                extra_copy_cents=_cents(form.extra_copy) or 0,
                express_cents=_cents(form.express),
                free_over_cents=_cents(form.free_over),
                standard_days=form.standard_days.data or "",
                express_days=form.express_days.data or "",
            )
            rate, before = shipping.set_rate(
                spec, config=current_app.config, actor_id=current_user.id
            )
            record(
                current_user,
                "shipping_rate.create" if before is None else "shipping_rate.update",
                rate,
                before=before,
                after=snapshot(rate, shipping.RATE_FIELDS),
                summary=f"{place(rate)}: {shipping.describe(rate)}",
                entity_type="shipping_rate",
            )
            db.session.commit()
        except BookstoreError as error:
            db.session.rollback()
            wrong = labels.get(str(error).split(":")[0], form.standard)
            wrong.errors = [*wrong.errors, str(error)]
        except IntegrityError:
            # Someone added the same country at the same moment: theirs stands.
            db.session.rollback()
            form.country.errors = [
                *form.country.errors,
                "This country's rate was just added by someone else: check the list below.",
            ]
        else:
            flash(f"Shipping to {place(rate)} saved: {shipping.describe(rate)}.", "success")
            return redirect(url_for("staff.shipping_rates"), 303)
    config = current_app.config
    home = shipping.home_country(config)
    return render_template(
        "staff/shipping_rates.html",
        form=form,
        rates=shipping.all_rates(),
        editing=editing,
        place=place,
        describe=shipping.describe,
        home_name=country_phrase(home),
        home_terms=shipping.describe(shipping.home_tariff(config), config.get("CURRENCY", "USD")),
        remove_form=ConfirmForm(),
    ), (400 if form.errors else 200)


@bp.post("/shipping/<int:rate_id>/remove")
def shipping_rate_remove(rate_id: int):
    """Stop a country's own rate; orders already placed keep their shipping."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rate = shipping.get_rate(rate_id)
    if rate is None:
        flash("That shipping rate was already removed.", "info")
        return redirect(url_for("staff.shipping_rates"), 303)
    name, before = place(rate), snapshot(rate, shipping.RATE_FIELDS)
    record(
        current_user,
        "shipping_rate.remove",
        rate,
        before=before,
        summary=name,
        entity_type="shipping_rate",
    )
    shipping.remove_rate(rate)
    db.session.commit()
    flash(f"Shipping rate for {name} removed.", "success")
    return redirect(url_for("staff.shipping_rates"), 303)
