"""Staff screens for the catalog CSV: import (with a dry run) and exports."""

from datetime import date
from pathlib import Path

from flask import (
    Response,
    current_app,
    flash,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user

from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.staff import orders_admin
from bookstore.staff.catalog_export import catalog_csv, orders_csv
from bookstore.staff.catalog_import import apply_import, plan_import
from bookstore.staff.cover_images import remove_cover
from bookstore.staff.cover_loading import apply_csv_covers, prepare_csv_covers, stored_name
from bookstore.staff.csv_format import COLUMNS, read_catalog_csv
from bookstore.staff.forms import ImportForm
from bookstore.staff.order_views import _date_arg, _state_arg
from bookstore.staff.views import bp


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BookstoreError("The file is not UTF-8 text: save it as 'CSV UTF-8'.") from None


@bp.route("/import", methods=["GET", "POST"])
def catalog_import():
    form = ImportForm()
    plan = result = None
    status = 200
    if form.validate_on_submit():
        try:
            parsed = read_catalog_csv(_decode(form.file.data.read()))
            plan = plan_import(parsed)
            if not plan.errors and not form.dry_run.data:
                result = _apply_with_covers(plan, parsed.rows)
        except BookstoreError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        if plan and plan.errors:
            db.session.rollback()
            status = 400
    elif form.errors:
        status = 400
    return (
        render_template("staff/import.html", form=form, plan=plan, result=result, columns=COLUMNS),
        status,
    )


def _apply_with_covers(plan, rows):
    """Fetch the rows' covers (addresses only), then import, set the covers and commit."""
    folder = Path(current_app.config["COVER_DIR"])
    db.session.rollback()  # no transaction stays open while covers are downloaded
    covers = prepare_csv_covers(
        rows,
        folder,
        base_dir=None,
        max_bytes=int(current_app.config["MAX_CONTENT_LENGTH"]),
        timeout=float(current_app.config["COVER_FETCH_TIMEOUT"]),
    )
    if covers.errors:
        plan.errors.extend(covers.errors)
        return None
    try:
        result = apply_import(plan, actor=current_user)
        replaced = apply_csv_covers(db.session(), covers)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        covers.discard(folder)
        raise
    for name in replaced:
        remove_cover(stored_name(name), folder)
    flash(f"Imported: {plan.summary()}.", "success")
    return result


def _csv_response(chunks, name: str) -> Response:
    filename = f"{name}-{date.today().isoformat()}.csv"
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/export/catalog.csv")
def export_catalog():
    return _csv_response(catalog_csv(), "catalog")


@bp.get("/export/orders.csv")
def export_orders():
    filters = orders_admin.OrderFilters(
        state=_state_arg(),
        since=_date_arg("since"),
        until=_date_arg("until"),
        customer=request.args.get("customer", "").strip()[:254] or None,
        isbn=request.args.get("isbn", "").strip()[:20] or None,
    )
    return _csv_response(orders_csv(orders_admin.order_list_query(filters)), "orders")
