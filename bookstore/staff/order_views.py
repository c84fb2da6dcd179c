"""Staff screens for orders: list and filters, detail, shipping, refunds, review."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bookstore.checkout.states import OrderState
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.money import format_cents
from bookstore.staff import orders_admin
from bookstore.staff.forms import RefundForm, ReviewForm, ShipForm
from bookstore.staff.views import bp, page_number, paginate


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


def _order_page(order, *, ship_form=None, refund_form=None, review_form=None, status=200):
    refunded = orders_admin.refunded_copies(order)
    return (
        render_template(
            "staff/order.html",
            order=order,
            shipment=orders_admin.shipment_of(order),
            refunds=orders_admin.refunds_of(order),
            refunded=refunded,
            ship_form=ship_form or ShipForm(prefix="ship"),
            refund_form=refund_form or RefundForm(prefix="refund"),
            review_form=review_form or ReviewForm(prefix="review"),
            refundable=OrderState(order.state) in orders_admin.REFUNDABLE,
            shippable=OrderState(order.state) in orders_admin.SHIPPABLE,
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
    order = _order_or_404(reference)
    form = RefundForm(prefix="refund")
    if not form.validate_on_submit():
        return _order_page(order, refund_form=form, status=400)
    try:
        copies = _chosen_copies(order)
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
        amount = format_cents(refund.amount_cents, order.currency)
        flash(f"Refunded {amount} through Stripe.", "success")
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
