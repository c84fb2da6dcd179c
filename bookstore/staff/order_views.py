"""Staff screens for orders: list and filters, detail, shipping, refunds, review."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bookstore.addresses.models import ADDRESS_FIELDS
from bookstore.checkout import refunds, shipments
from bookstore.checkout.forms import AddressFields
from bookstore.checkout.services import ShippingAddress
from bookstore.checkout.states import OrderState
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.money import format_cents
from bookstore.staff import orders_admin
from bookstore.staff.forms import ConfirmForm, RefundForm, ReviewForm, ShipForm
from bookstore.staff.views import bp, page_number, paginate
from bookstore.tax import services as tax


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _state_arg() -> OrderState | None:
    try:
        return OrderState(request.args.get("state", ""))
    except ValueError:
        return None


@bp.get("/orders")
def orders():
    filters = orders_admin.OrderFilters(
        state=_state_arg(),
        since=_date_arg("since"),
        until=_date_arg("until"),
        customer=request.args.get("customer", "").strip()[:254] or None,
        isbn=request.args.get("isbn", "").strip()[:20] or None,
    )
    page = page_number()
    rows, has_next = paginate(orders_admin.order_list_query(filters), page)
    return render_template(
        "staff/orders.html",
        orders=rows,
        filters=filters,
        states=list(OrderState),
        page=page,
        has_next=has_next,
    )


def _order_or_404(reference: str):
    order = orders_admin.get_order(reference[:64])
    if order is None:
        abort(404)
    return order


def _address_form(order) -> AddressFields:
    """The order's shipping address, to correct (read from the order, not from a post)."""
    data = {f"ship_{name}": getattr(order, f"ship_{name}") for name in ADDRESS_FIELDS}
    return AddressFields(prefix="address", formdata=None, data=data)


def _order_page(
    order, *, ship_form=None, refund_form=None, review_form=None, address_form=None, status=200
):
    refunded = refunds.refunded_copies(order)
    return (
        render_template(
            "staff/order.html",
            order=order,
            shipment=shipments.shipment_of(order),
            refunds=refunds.refunds_of(order),
            refunded=refunded,
            tax_refunded=tax.refunded_tax(order) if order.refunded_cents else 0,
            ship_form=ship_form or ShipForm(prefix="ship"),
            refund_form=refund_form or RefundForm(prefix="refund"),
            review_form=review_form or ReviewForm(prefix="review"),
            address_form=address_form or _address_form(order),
            resend_form=ConfirmForm(),
            refundable=order.state.is_refundable,
            shippable=order.state.is_shippable,
        ),
        status,
    )


@bp.get("/orders/<reference>")
def order(reference: str):
    return _order_page(_order_or_404(reference))


@bp.post("/orders/<reference>/ship")
def order_ship(reference: str):
    order = _order_or_404(reference)
    form = ShipForm(prefix="ship")
    if not form.validate_on_submit():
        return _order_page(order, ship_form=form, status=400)
    try:
        orders_admin.mark_shipped(
            order, carrier=form.carrier.data, tracking=form.tracking.data or "", actor=current_user
        )
    except BookstoreError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Marked as shipped; the customer has been emailed.", "success")
    return redirect(url_for("staff.order", reference=reference), 303)


@bp.post("/orders/<reference>/address")
def order_address(reference: str):
    """Correct where the parcel goes, while it is still to be packed."""
    order = _order_or_404(reference)
    form = AddressFields(prefix="address")
    if not form.validate_on_submit():
        return _order_page(order, address_form=form, status=400)
    values = {name: getattr(form, f"ship_{name}").data or "" for name in ADDRESS_FIELDS}
    values["postal_code"] = values["postal_code"].upper()
    address = ShippingAddress(**values)
    try:
        note = orders_admin.correct_address(
            order, address, actor=current_user, config=current_app.config
        )
    except BookstoreError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Shipping address corrected; the packing slip shows the new one.", "success")
        if note:
            flash(note, "info")
    return redirect(url_for("staff.order", reference=reference), 303)


def _chosen_copies(order) -> dict[int, int] | None:
    """Copies per line from ``copies-<line id>`` fields; None means "the whole order"."""
    if request.form.get("refund-scope") != "lines":
        return None
    chosen = {}
    for line in order.lines:
        raw = request.form.get(f"copies-{line.id}", "0").strip() or "0"
        if not raw.isdigit() or int(raw) > 10_000:
            raise BookstoreError(f"{line.title}: enter a whole number of copies.")
        if int(raw):
            chosen[line.id] = int(raw)
    if not chosen:
        raise BookstoreError("Choose at least one copy to refund.")
    return chosen


@bp.post("/orders/<reference>/refund")
def order_refund(reference: str):
    """Refund: the first submission shows the amount to confirm; the second refunds."""
    order = _order_or_404(reference)
    form = RefundForm(prefix="refund")
    if not form.validate_on_submit():
        return _order_page(order, refund_form=form, status=400)
    try:
        copies = _chosen_copies(order)
        refunds.check_refundable(order)
        amount = refunds.refund_amount(order, copies)
        if form.confirmed.data != "yes":
            return render_template(
                "staff/refund_confirm.html",
                order=order,
                form=form,
                copies=copies or {},
                amount=amount,
                lines={line.id: line for line in order.lines},
            )
        refund = orders_admin.refund_order(
            order,
            copies=copies,
            restock=form.restock.data,
            reason=form.reason.data or "",
            actor=current_user,
        )
    except BookstoreError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        amount_text = format_cents(refund.amount_cents, order.currency)
        flash(f"Refunded {amount_text} through Stripe; the customer has been emailed.", "success")
    return redirect(url_for("staff.order", reference=reference), 303)


@bp.post("/orders/<reference>/resend-confirmation")
def order_resend_confirmation(reference: str):
    """Send the order confirmation again (it is queued like every email)."""
    order = _order_or_404(reference)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not order.state.is_paid_like:
        flash("Only a paid order has a confirmation to send.", "error")
    else:
        orders_admin.resend_confirmation(order, actor=current_user)
        db.session.commit()
        flash(f"The confirmation is on its way to {order.email}.", "success")
    return redirect(url_for("staff.order", reference=reference), 303)


@bp.post("/orders/<reference>/review")
def order_review(reference: str):
    order = _order_or_404(reference)
    form = ReviewForm(prefix="review")
    if not form.validate_on_submit():
        return _order_page(order, review_form=form, status=400)
    accept = form.decision.data == "accept"
    try:
        orders_admin.resolve_review(order, accept=accept, note=form.note.data, actor=current_user)
    except BookstoreError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Order accepted as paid." if accept else "Order cancelled and refunded.", "success")
    return redirect(url_for("staff.order", reference=reference), 303)
