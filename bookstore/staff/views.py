"""The staff area: its guard, the dashboard and the audit log.

Every route of this blueprint is for staff and admins only: anonymous visitors are sent to the
login page, anyone else gets 403. The screens live in the ``*_views`` modules beside this one.
"""

from datetime import date

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from bookstore import contexts
from bookstore.dbtypes import utcnow
from bookstore.extensions import db, login_manager
from bookstore.inventory.availability import free_copies
from bookstore.shoptime import shop_zone
from bookstore.staff.audit import audit_query
from bookstore.staff.charts import daily_sales_svg
from bookstore.staff.dashboard import build_dashboard

URL_PREFIX = "/staff"
bp = Blueprint("staff", __name__, url_prefix=URL_PREFIX)

PAGE_SIZE = 50


def _in_staff_area() -> bool:
    asked = contexts.this_request()  # asked on every request of the shop's
    return asked.blueprint == "staff" or (
        asked.url_rule is None and (asked.path + "/").startswith(URL_PREFIX + "/")
    )


# An app-wide hook, so that even a method a staff route does not allow (405) or a mistyped
# staff URL (404) reveals nothing to someone who is not staff.
@bp.before_app_request
def require_staff():
    """Anonymous: the login page. Logged in without the staff role: 403."""
    if not _in_staff_area():
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)
    return None


@bp.context_processor
def staff_template_values() -> dict:
    """The shop's time zone, named in the headings of every column of dates and times."""
    return {"shop_timezone": shop_zone().key}


@bp.after_request
def no_store(response):
    # Back-office pages show customer data: never keep them in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def page_number() -> int:
    """The ``page`` query parameter, 1 when missing or not a sensible number."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def paginate(query, page: int, per_page: int = PAGE_SIZE):
    """One page of a select (one extra row tells whether there is a next page)."""
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    return rows[:per_page], len(rows) > per_page


@bp.get("/")
def dashboard():
    days = 90 if request.args.get("days") == "90" else 30
    data = build_dashboard(
        utcnow(),
        days=days,
        low_stock_threshold=current_app.config["LOW_STOCK_THRESHOLD"],
        zone=shop_zone(),
    )
    chart = daily_sales_svg(data.daily, currency=current_app.config["CURRENCY"])
    free = free_copies(e.id for e in data.low_stock)
    return render_template("staff/dashboard.html", data=data, chart=chart, days=days, free=free)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/audit")
def audit_log():
    action = request.args.get("action", "").strip()[:60] or None
    actor_email = request.args.get("actor", "").strip()[:254] or None
    entity_type = request.args.get("entity", "").strip()[:40] or None
    since, until = _date_arg("since"), _date_arg("until")
    query = audit_query(
        action=action, actor_email=actor_email, entity_type=entity_type, since=since, until=until
    )
    filters = {
        "action": action,
        "actor_email": actor_email,
        "entity_type": entity_type,
        "since": since,
        "until": until,
    }
    page = page_number()
    entries, has_next = paginate(query, page)
    return render_template(
        "staff/audit.html", entries=entries, page=page, has_next=has_next, filters=filters
    )


# The screens register their routes on ``bp`` when imported.
from bookstore.staff import (  # noqa: E402, F401
    alerts_views,
    book_list,
    catalog_views,
    content_views,
    digest_views,
    gift_views,
    import_views,
    jobs_views,
    order_views,
    people_views,
    policy_views,
    promo_views,
    review_views,
    shipping_views,
    stock_views,
    tax_views,
)
