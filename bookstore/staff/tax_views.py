"""Staff screen for sales tax: the rates the shop charges, by country and state or province."""

from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from bookstore.checkout.forms import COUNTRIES, COUNTRY_NAMES
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db
from bookstore.shoptime import from_shop_time, shop_today
from bookstore.staff.audit import record, snapshot
from bookstore.staff.forms import ConfirmForm, TaxRateForm
from bookstore.staff.views import bp
from bookstore.tax import services as tax
from bookstore.tax.models import TaxRate


def _form(editing: TaxRate | None) -> TaxRateForm:
    form = TaxRateForm()
    form.country.choices = list(COUNTRIES)
    if editing is not None and not form.is_submitted():
        form.country.data, form.region.data = editing.country, editing.region
        form.name.data, form.rate.data = editing.name, tax.rate_label(editing.rate)[:-1]
        form.taxes_shipping.data, form.taxes_ebooks.data = (
            editing.taxes_shipping,
            editing.taxes_ebooks,
        )
    return form


def _place(rate: TaxRate | tax.Collected) -> str:
    country = COUNTRY_NAMES.get(rate.country, rate.country)
    return f"{rate.region}, {country}" if rate.region else country


def _month(text: str) -> date:
    """The first day of the month asked for ("2026-11"), else of this month in the shop."""
    try:
        first = datetime.strptime(text, "%Y-%m").date() if len(text) == 7 else None
    except ValueError:
        first = None
    if first is None or not 2000 <= first.year <= 2999:  # the month after must exist too
        return shop_today().replace(day=1)
    return first


def _collected(first: date) -> list[tax.Collected]:
    after = (first + timedelta(days=31)).replace(day=1)
    start, end = (from_shop_time(datetime.combine(d, time())) for d in (first, after))
    return tax.collected(start, end)


@bp.route("/tax", methods=["GET", "POST"])
def tax_rates():
    """The rates, and a form that adds one or changes the rate of a place already listed."""
    editing = None
    if request.args.get("edit", "").isdigit() and len(request.args["edit"]) < 12:
        editing = db.session.get(TaxRate, int(request.args["edit"]))
    form = _form(editing)
    # The services' messages start with the field they are about.
    field_of = {"Country": form.country, "State or region": form.region, "Name": form.name}
    if form.validate_on_submit():
        try:
            spec = tax.RateSpec(
                country=form.country.data or "",
                region=form.region.data or "",
                name=form.name.data or "",
                rate=tax.parse_rate(form.rate.data or ""),
                taxes_shipping=form.taxes_shipping.data,
                taxes_ebooks=form.taxes_ebooks.data,
            )
            rate, before = tax.set_rate(spec, actor_id=current_user.id)
            record(
                current_user,
                "tax_rate.create" if before is None else "tax_rate.update",
                rate,
                before=before,
                after=snapshot(rate, tax.RATE_FIELDS),
                summary=f"{_place(rate)}: {tax.rate_label(rate.rate)}",
            )
            db.session.commit()
        except BookstoreError as error:
            db.session.rollback()
            wrong = field_of.get(str(error).split(":")[0], form.rate)
            wrong.errors = [*wrong.errors, str(error)]
        except IntegrityError:
            # Someone added the same place at the same moment: theirs stands.
            db.session.rollback()
            form.region.errors = [
                *form.region.errors,
                "This place's rate was just added by someone else: check the list below.",
            ]
        else:
            flash(f"Sales tax for {_place(rate)} saved: {tax.rate_label(rate.rate)}.", "success")
            return redirect(url_for("staff.tax_rates"), 303)
    month = _month(request.args.get("month", ""))
    collected = _collected(month)
    return render_template(
        "staff/tax_rates.html",
        form=form,
        month=month,
        collected=collected,
        total=tax.total_of(collected),
        rates=tax.all_rates(),
        editing=editing,
        place=_place,
        rate_label=tax.rate_label,
        remove_form=ConfirmForm(),
    ), (400 if form.errors else 200)


@bp.post("/tax/<int:rate_id>/remove")
def tax_rate_remove(rate_id: int):
    """Stop charging a place's tax; orders already placed keep what they were charged."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        rate = tax.get_rate(rate_id)
    except NotFound:
        flash("That tax rate was already removed.", "info")
        return redirect(url_for("staff.tax_rates"), 303)
    place, before = _place(rate), snapshot(rate, tax.RATE_FIELDS)
    record(current_user, "tax_rate.remove", rate, before=before, summary=place)
    tax.remove_rate(rate)
    db.session.commit()
    flash(f"Sales tax for {place} removed: new orders there pay none.", "success")
    return redirect(url_for("staff.tax_rates"), 303)
