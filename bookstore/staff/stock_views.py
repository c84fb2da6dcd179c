"""Staff screens to receive a delivery and to record a stock count, many ISBNs on one page.

Without JavaScript the page has a fixed number of rows, an "add rows" button and a "check"
step that shows each row's title; pressing Enter submits the check, never the recording. With
JavaScript (static/js/staff.js) titles appear as ISBNs are typed or scanned, and Enter in an
ISBN field moves to the next row.
"""

from dataclasses import dataclass

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.staff import stock_batches
from bookstore.staff.forms import BATCH_ROWS, StockBatchForm
from bookstore.staff.stock_batches import BatchRefused, LineInput
from bookstore.staff.views import bp


@dataclass(frozen=True)
class BatchPage:
    kind: str
    endpoint: str
    title: str
    intro: str
    quantity_label: str
    record_label: str


PAGES = {
    "delivery": BatchPage(
        kind="delivery",
        endpoint="staff.stock_receive",
        title="Receive a delivery",
        intro="Type or scan each ISBN with the copies received: Enter (a scanner's last key) "
        "moves to the next row, and scanning a title again adds a copy. Lines with the same ISBN "
        "are added up; an empty quantity counts as one copy. Nothing is recorded until every "
        "line is right.",
        quantity_label="Copies received",
        record_label="Record the delivery",
    ),
    "count": BatchPage(
        kind="count",
        endpoint="staff.stock_count",
        title="Stock count",
        intro="Type or scan each ISBN with the copies counted on the shelves (Enter moves to "
        "the next row). Each difference "
        "from the expected stock becomes a 'count' entry in the ledger; an empty quantity "
        "counts as one copy, so type 0 for a title you could not find.",
        quantity_label="Copies counted",
        record_label="Record the count",
    ),
}


def _line_inputs(form: StockBatchForm) -> list[LineInput]:
    return [
        LineInput(row=number, isbn=entry.isbn.data or "", quantity=entry.quantity.data)
        for number, entry in enumerate(form.lines, start=1)
    ]


def _batch_screen(kind: str):
    page = PAGES[kind]
    form = StockBatchForm()
    check = None
    status = 200
    if request.method == "GET":
        wanted = request.args.get("rows", "")
        extra = min(int(wanted), 200) - len(form.lines) if wanted.isdigit() else 0
        for _ in range(max(extra, 0)):
            form.lines.append_entry()
    elif not form.validate_on_submit():
        status = 400
    else:
        action = request.form.get("action", "check")
        if action == "more":
            for _ in range(min(BATCH_ROWS, form.lines.max_entries - len(form.lines))):
                form.lines.append_entry()
            # The titles typed so far stay shown (without JavaScript they came from a check).
            check = stock_batches.check_lines(_line_inputs(form), kind) or None
        elif action == "record" and kind == "delivery" and not (form.supplier.data or "").strip():
            form.supplier.errors.append("Name the supplier of this delivery.")
            check = stock_batches.check_lines(_line_inputs(form), kind)
            status = 400
        elif action == "record":
            try:
                batch = stock_batches.record_batch(
                    kind,
                    _line_inputs(form),
                    actor=current_user,
                    supplier=form.supplier.data or "",
                    reference=form.reference.data or "",
                    note=form.note.data or "",
                )
            except BatchRefused as exc:
                db.session.rollback()
                check, status = exc.check, 400
                flash(str(exc), "error")
            except BookstoreError as exc:
                db.session.rollback()
                check, status = stock_batches.check_lines(_line_inputs(form), kind), 400
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(_done_message(batch), "success")
                return redirect(url_for("staff.stock_batch", batch_id=batch.id), 303)
        else:
            check = stock_batches.check_lines(_line_inputs(form), kind)
            if not check.lines:
                flash("Enter at least one ISBN.", "error")
    checked = {line.row: line for line in check.lines} if check else {}
    return (
        render_template(
            "staff/stock_batch.html",
            page=page,
            form=form,
            check=check,
            checked=checked,
            recent=stock_batches.recent_batches(kind),
        ),
        status,
    )


def _done_message(batch) -> str:
    if batch.kind == "delivery":
        return f"Received {batch.copies} copies of {len(batch.lines)} title(s)."
    changed = sum(1 for line in batch.lines if line.delta)
    return f"Count recorded: {len(batch.lines)} title(s), {changed} changed."


@bp.route("/stock/receive", methods=["GET", "POST"])
def stock_receive():
    return _batch_screen("delivery")


@bp.route("/stock/count", methods=["GET", "POST"])
def stock_count():
    return _batch_screen("count")


@bp.get("/stock/batches/<int:batch_id>")
def stock_batch(batch_id: int):
    batch = stock_batches.get_batch(batch_id)
    if batch is None:
        abort(404)
    return render_template("staff/stock_batch_done.html", batch=batch, page=PAGES[batch.kind])


@bp.get("/stock/lookup")
def stock_lookup():
    """A small JSON answer for the delivery and count pages: the title behind an ISBN."""
    isbn = request.args.get("isbn", "")[:20]
    check = stock_batches.check_lines([LineInput(row=1, isbn=isbn)], "count")
    if not check.lines:
        return jsonify(found=False, message="Type an ISBN."), 400
    line = check.lines[0]
    edition = line.edition
    body = {"isbn": line.isbn, "found": edition is not None, "problem": line.problem}
    if edition is not None:
        body.update(
            title=edition.book.title,
            format=edition.format.label,
            physical=edition.is_physical,
            on_hand=edition.on_hand if edition.is_physical else None,
        )
    return jsonify(body)
