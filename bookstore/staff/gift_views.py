"""Staff screens for gifts: the gift wrap price, gift memberships (resend a link), and the
packing slip of an order (gift message, no prices on a gift; customs abroad)."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from bookstore.checkout.forms import COUNTRY_NAMES
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.gifts import memberships, services
from bookstore.gifts.models import GiftMembership
from bookstore.money import plain_amount
from bookstore.shipping import customs
from bookstore.staff import orders_admin
from bookstore.staff.audit import record
from bookstore.staff.forms import ConfirmForm, GiftWrapForm
from bookstore.staff.views import bp


@bp.route("/gifts", methods=["GET", "POST"])
def gifts():
    """The gift wrap setting and the list of gift memberships."""
    offer = services.wrap_offer()
    form = GiftWrapForm(
        data={"wrap_enabled": offer.enabled, "wrap_price": plain_amount(offer.cents)}
    )
    if form.validate_on_submit():
        try:
            settings, before = services.save_wrap_offer(
                current_user,
                enabled=form.wrap_enabled.data,
                cents=form.wrap_price.required_cents(),
            )
            record(
                current_user,
                "gifts.wrap",
                settings,
                before=before,
                after={"wrap_enabled": settings.wrap_enabled, "wrap_cents": settings.wrap_cents},
                summary="Changed the gift wrap setting",
                entity_type="gift_settings",
            )
        except BookstoreError as error:
            db.session.rollback()
            form.wrap_price.errors = [*form.wrap_price.errors, str(error)]
        else:
            db.session.commit()
            flash("Gift wrap saved.", "success")
            return redirect(url_for("staff.gifts"), 303)
    status = 400 if form.errors else 200
    return render_template(
        "staff/gifts.html",
        form=form,
        gifts=memberships.recent_gifts(),
        now=utcnow(),
        resend_form=ConfirmForm(),
    ), status


@bp.post("/gifts/<int:gift_id>/resend")
def gift_resend(gift_id: int):
    """Send a gift membership's claim link again (a new link; the old one stops working)."""
    gift = db.session.get(GiftMembership, gift_id)
    if gift is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        memberships.resend(gift, now=utcnow())
        record(
            current_user,
            "gifts.resend",
            gift,
            summary=f"Sent the gift membership link again to {gift.recipient_email}",
            entity_type="gift_membership",
        )
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"A new claim link is on its way to {gift.recipient_email}.", "success")
    return redirect(url_for("staff.gifts"), 303)


@bp.get("/orders/<reference>/packing-slip")
def packing_slip(reference: str):
    """A printable packing slip: what goes in the parcel; a gift's message, and no prices;
    for a parcel abroad, its customs declaration."""
    order = orders_admin.get_order(reference[:64])
    if order is None or not order.has_physical:
        abort(404)
    gift = services.gift_of(order)
    return render_template(
        "staff/packing_slip.html",
        order=order,
        gift=gift,
        country_name=COUNTRY_NAMES.get(order.ship_country, order.ship_country),
        customs=customs.declaration(order, gift=gift is not None, config=current_app.config),
        country_names=COUNTRY_NAMES,
    )
