"""Staff screens for promotion codes: list with uses, create, edit, disable, audit trail."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from bookstore.dbtypes import utcnow
from bookstore.deals.cli import parse_percent
from bookstore.errors import BookstoreError, InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.money import parse_amount, plain_amount
from bookstore.promotions import services as codes
from bookstore.promotions.models import CodeKind, CodeScope, PromoCode, UseLimit
from bookstore.shoptime import from_shop_time, to_shop_time
from bookstore.staff.audit import audit_query, changed_fields, record, snapshot
from bookstore.staff.content_views import name_zone, offer_targets
from bookstore.staff.forms import PromoCodeForm, PromoCodeToggleForm
from bookstore.staff.models import AuditEntry
from bookstore.staff.views import bp


@bp.get("/codes")
def promo_codes():
    return render_template(
        "staff/promo_codes.html",
        codes=codes.all_codes(),
        counts=codes.use_counts(),
        now=utcnow(),
    )


def _value(kind: CodeKind, raw: str) -> int:
    try:
        return parse_percent(raw) if kind is CodeKind.PERCENT_OFF else parse_amount(raw)
    except ValueError as exc:
        raise InvalidInput(f"Value: {exc}") from None


def _spec(form: PromoCodeForm) -> codes.CodeSpec:
    kind, scope = CodeKind(form.kind.data), CodeScope(form.scope.data)
    if form.starts_at.data is None:
        raise InvalidInput("Give the date and time the code starts.")
    return codes.CodeSpec(
        code=form.code.data or "",
        description=form.description.data or "",
        kind=kind,
        value=_value(kind, form.value.data or ""),
        scope=scope,
        min_order_cents=form.min_order.cents or 0,
        starts_at=from_shop_time(form.starts_at.data),
        ends_at=from_shop_time(form.ends_at.data) if form.ends_at.data else None,
        total_uses=form.total_uses.data,
        use_limit=UseLimit(form.use_limit.data),
        first_order_only=form.first_order_only.data,
        **offer_targets(scope.value, (form.targets.data or "").splitlines()),
    )


def _typed(moment):
    return to_shop_time(moment).replace(tzinfo=None) if moment else None


def _fill(form: PromoCodeForm, promo: PromoCode) -> None:
    """The form as staff see an existing code: values in their own units, times local."""
    percent = promo.kind is CodeKind.PERCENT_OFF
    form.value.data = f"{promo.value / 100:g}" if percent else plain_amount(promo.value)
    form.min_order.data = plain_amount(promo.min_order_cents) if promo.min_order_cents else ""
    form.starts_at.data, form.ends_at.data = _typed(promo.starts_at), _typed(promo.ends_at)
    form.targets.data = "\n".join(
        [e.isbn13 for e in promo.editions]
        + [s.name for s in promo.subjects]
        + [f.value for f in promo.formats]
    )


@bp.route("/codes/new", methods=["GET", "POST"])
def promo_code_new():
    form = PromoCodeForm()
    name_zone(form.starts_at, form.ends_at)
    if form.validate_on_submit():
        try:
            promo = codes.create_code(_spec(form), actor=current_user)
            record(
                current_user,
                "promo_code.create",
                promo,
                after=snapshot(promo, codes.CODE_FIELDS),
                summary=promo.code,
            )
        except BookstoreError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Code {promo.code} created.", "success")
            return redirect(url_for("staff.promo_code", code_id=promo.id), 303)
    status = 400 if form.errors else 200
    return render_template("staff/promo_code_form.html", form=form, promo=None), status


@bp.route("/codes/<int:code_id>", methods=["GET", "POST"])
def promo_code(code_id: int):
    try:
        promo = codes.get_code(code_id)
    except NotFound:
        abort(404)
    form = PromoCodeForm(obj=promo)
    name_zone(form.starts_at, form.ends_at)
    form.code.render_kw = {"readonly": True}
    if not form.is_submitted():
        _fill(form, promo)
    elif form.validate_on_submit():
        form.code.data = promo.code  # the text of a code never changes once shoppers have it
        before = snapshot(promo, codes.CODE_FIELDS)
        try:
            codes.update_code(promo, _spec(form))
            old, new = changed_fields(before, snapshot(promo, codes.CODE_FIELDS))
            if new:
                record(
                    current_user,
                    "promo_code.update",
                    promo,
                    before=old,
                    after=new,
                    summary=promo.code,
                )
        except BookstoreError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Code {promo.code} saved.", "success")
            return redirect(url_for("staff.promo_code", code_id=promo.id), 303)
    history = db.session.scalars(
        audit_query(entity_type="promocode").where(AuditEntry.entity_id == str(promo.id)).limit(50)
    )
    return render_template(
        "staff/promo_code_form.html",
        form=form,
        promo=promo,
        toggle=PromoCodeToggleForm(),
        counts=codes.count_uses(promo.id),
        uses=codes.uses_of(promo),
        history=list(history),
        now=utcnow(),
    ), (400 if form.errors else 200)


@bp.post("/codes/<int:code_id>/toggle")
def promo_code_toggle(code_id: int):
    try:
        promo = codes.get_code(code_id)
    except NotFound:
        abort(404)
    if not PromoCodeToggleForm().validate_on_submit():
        abort(400)
    codes.set_active(promo, not promo.active)
    action = "promo_code.enable" if promo.active else "promo_code.disable"
    record(current_user, action, promo, after={"active": promo.active}, summary=promo.code)
    db.session.commit()
    flash(f"Code {promo.code} {'enabled' if promo.active else 'disabled'}.", "success")
    return redirect(url_for("staff.promo_code", code_id=promo.id), 303)
