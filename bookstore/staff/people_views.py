"""Staff screens for contributors, series and subjects: find them, rename, describe."""

from dataclasses import dataclass
from typing import Protocol

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Mapped
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from bookstore.catalog.models import Contributor, Series, Subject
from bookstore.extensions import db
from bookstore.staff.audit import changed_fields, record, snapshot
from bookstore.staff.views import bp, page_number, paginate


class NamedModel(Protocol):
    """What these screens use of a record: Contributor, Series and Subject all have it."""

    id: Mapped[int]
    name: Mapped[str]


@dataclass(frozen=True)
class Kind:
    model: type[NamedModel]
    label: str
    text_field: str | None  # the long text column, if the record has one


KINDS = {
    "contributors": Kind(Contributor, "Contributors", "bio"),
    "series": Kind(Series, "Series", "description"),
    "subjects": Kind(Subject, "Subjects", None),
}


class NamedRecordForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    text = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


@bp.get("/catalog/")
def catalog_records():
    return redirect(url_for("staff.named_records", kind="contributors"))


@bp.get("/catalog/<kind>")
def named_records(kind: str):
    info = _kind(kind)
    q = request.args.get("q", "").strip()[:100]
    query = select(info.model).order_by(info.model.name, info.model.id)
    if q:
        query = query.where(func.lower(info.model.name).contains(q.lower(), autoescape=True))
    page = page_number()
    rows, has_next = paginate(query, page)
    return render_template(
        "staff/named_records.html",
        kind=kind,
        info=info,
        rows=rows,
        q=q,
        page=page,
        has_next=has_next,
        kinds=KINDS,
    )


@bp.route("/catalog/<kind>/<int:record_id>", methods=["GET", "POST"])
def named_record(kind: str, record_id: int):
    info = _kind(kind)
    item = db.session.get(info.model, record_id)
    if item is None:
        abort(404)
    fields = ["name"] + ([info.text_field] if info.text_field else [])
    form = NamedRecordForm(obj=item)
    if request.method == "GET" and info.text_field:
        form.text.data = getattr(item, info.text_field)
    if form.validate_on_submit():
        name = form.name.data.strip()
        clash = db.session.scalar(
            select(info.model.id).where(
                func.lower(info.model.name) == name.lower(), info.model.id != item.id
            )
        )
        if clash is not None and kind != "contributors":
            form.name.errors.append(f"Another {kind.rstrip('s')} is already called {name}.")
        else:
            before = snapshot(item, fields)
            item.name = name
            if info.text_field:
                setattr(item, info.text_field, (form.text.data or "").strip())
            db.session.flush()
            old, new = changed_fields(before, snapshot(item, fields))
            if new:
                record(
                    current_user,
                    f"{kind}.update",
                    item,
                    before=old,
                    after=new,
                    summary=name,
                    entity_type=kind,
                )
            db.session.commit()
            flash("Saved. Its address stays the same, so links keep working.", "success")
            return redirect(url_for("staff.named_record", kind=kind, record_id=item.id), 303)
    return (
        render_template("staff/named_record.html", kind=kind, info=info, item=item, form=form),
        400 if form.errors else 200,
    )
