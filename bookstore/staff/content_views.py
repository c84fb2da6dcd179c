"""Staff screens for journal posts, member deals and memberships."""

from datetime import datetime, time
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bookstore.accounts.models import User
from bookstore.catalog.isbn import normalise_isbn
from bookstore.catalog.models import Edition, Format, Subject
from bookstore.dbtypes import utcnow
from bookstore.deals.cli import parse_percent
from bookstore.deals.models import Deal, DealClaim, DealKind, DealScope
from bookstore.deals.services import DealSpec, create_deal, get_deal
from bookstore.errors import BookstoreError, InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.journal.markdown import render_markdown
from bookstore.journal.models import Post
from bookstore.members import services as members
from bookstore.members.models import Membership
from bookstore.money import parse_amount, plain_amount
from bookstore.shoptime import from_shop_time, shop_zone, to_shop_time
from bookstore.staff import content_admin
from bookstore.staff.audit import record
from bookstore.staff.cover_images import remove_cover, store_cover
from bookstore.staff.forms import (
    DealEditForm,
    DealForm,
    EndMembershipForm,
    GrantMembershipForm,
    PostForm,
)
from bookstore.staff.views import bp, page_number, paginate


def _stored(moment: datetime | None) -> datetime | None:
    """A date and time typed in the shop's time zone, as the UTC time to store."""
    return from_shop_time(moment) if moment else None


def _stored_required(moment: datetime | None) -> datetime:
    """``_stored`` for a required field, read once its form has validated."""
    if moment is None:
        raise ValueError("A required date and time is empty: read it only after validation")
    return from_shop_time(moment)


def _typed(moment: datetime | None) -> datetime | None:
    """A stored time as the form shows it: the shop's local time, without a zone."""
    return to_shop_time(moment).replace(tzinfo=None) if moment else None


def name_zone(*fields) -> None:
    """Say in each date-time field's label which zone it is typed in."""
    zone = shop_zone().key
    for field in fields:
        field.label.text = f"{field.label.text} ({zone} time)"


# --- posts -----------------------------------------------------------------------------------


@bp.get("/posts")
def posts():
    page = page_number()
    rows, has_next = paginate(
        select(Post).order_by(Post.published_at.desc().nulls_first(), Post.id.desc()), page
    )
    return render_template("staff/posts.html", posts=rows, page=page, has_next=has_next)


def _post_input(form: PostForm, image: str | None) -> content_admin.PostInput:
    return content_admin.PostInput(
        image=image,
        image_alt=form.image_alt.data or "",
        remove_image=form.remove_image.data,
        title=form.title.data,
        summary=form.summary.data or "",
        body_markdown=form.body_markdown.data or "",
        image_credit=form.image_credit.data or "",
        published_at=_stored(form.published_at.data),
        tags=tuple((form.tags.data or "").split(";")),
        books=tuple((form.books.data or "").splitlines()),
    )


def _post_screen(post: Post | None):
    form = PostForm(obj=post)
    name_zone(form.published_at)
    if request.method == "GET" and post is not None:
        form.tags.data = "; ".join(t.name for t in post.tags)
        form.books.data = "\n".join(b.slug for b in post.books)
        if post.published_at:
            form.published_at.data = _typed(post.published_at)
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = render_markdown(form.body_markdown.data or "")
        else:
            saved = _save_post(post, form)
            if saved is not None:
                return redirect(url_for("staff.post_edit", post_id=saved.id), 303)
    status = 400 if form.errors else 200
    return render_template("staff/post_form.html", form=form, post=post, preview=preview), status


def _save_post(post: Post | None, form: PostForm) -> Post | None:
    """Store an uploaded picture (checked like covers), save the post, commit; None when a
    field has an error (the picture stored for it is removed again)."""
    upload = form.picture.data
    has_upload = bool(upload and upload.filename)
    keeps = bool(post and post.image and not form.remove_image.data)
    if (has_upload or keeps) and not (form.image_alt.data or "").strip():
        form.image_alt.errors.append(content_admin.ALT_TEXT_NEEDED)
        return None
    folder = Path(current_app.config["POST_IMAGE_DIR"])
    stored = None
    if has_upload:
        try:
            stored = store_cover(upload.read(), folder).filename("large")
        except BookstoreError as exc:
            form.picture.errors.append(f"Picture refused: {exc}")
            return None
    old = post.image if post else None
    try:
        saved = content_admin.save_post(post, _post_input(form, stored), actor=current_user)
    except BookstoreError as exc:
        db.session.rollback()
        if stored:
            remove_cover(stored.removesuffix("-large.jpg"), folder)
        form.books.errors.append(str(exc))
        return None
    db.session.commit()
    if old and old != saved.image:
        remove_cover(old.removesuffix("-large.jpg"), folder)
    flash("Post saved.", "success")
    return saved


@bp.route("/posts/new", methods=["GET", "POST"])
def post_new():
    return _post_screen(None)


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
def post_edit(post_id: int):
    try:
        post = content_admin.get_post(post_id)
    except NotFound:
        abort(404)
    return _post_screen(post)


# --- deals -----------------------------------------------------------------------------------


@bp.get("/deals")
def deals():
    claims = dict(
        db.session.execute(
            select(DealClaim.deal_id, func.count()).group_by(DealClaim.deal_id)
        ).all()
    )
    rows = db.session.scalars(select(Deal).order_by(Deal.starts_at.desc(), Deal.id.desc()))
    return render_template("staff/deals.html", deals=list(rows), claims=claims, now=utcnow())


def _deal_value(kind: DealKind, raw: str) -> int:
    try:
        return parse_percent(raw) if kind is DealKind.PERCENT_OFF else parse_amount(raw)
    except ValueError as exc:
        raise InvalidInput(f"Value: {exc}") from None


def offer_targets(scope: str, lines: list[str]) -> dict:
    """What a deal or promotion code applies to, from the names staff typed one per line:
    formats, or the ids of editions (ISBNs), books (ISBNs or slugs) or subjects (names)."""
    names = [line.strip() for line in lines if line.strip()]
    if scope in ("order", "all"):
        return {}
    if scope == "formats":
        try:
            return {"formats": tuple(Format(n.lower()) for n in names)}
        except ValueError:
            raise InvalidInput("Formats are paperback, hardcover or ebook.") from None
    ids = []
    for name in names:
        if scope == "editions":
            found = db.session.scalar(
                select(Edition.id).where(Edition.isbn13 == normalise_isbn(name))
            )
        elif scope == "books":
            found = next(iter(b.id for b in content_admin.find_books((name,))), None)
        else:
            found = db.session.scalar(
                select(Subject.id).where(func.lower(Subject.name) == name.lower())
            )
        if found is None:
            raise InvalidInput(f"Not found: {name!r}.")
        ids.append(found)
    key = {"editions": "edition_ids", "books": "book_ids"}.get(scope, "subject_ids")
    return {key: tuple(ids)}


@bp.route("/deals/new", methods=["GET", "POST"])
def deal_new():
    form = DealForm()
    name_zone(form.starts_at, form.ends_at)
    if form.validate_on_submit():
        kind, scope = DealKind(form.kind.data), DealScope(form.scope.data)
        try:
            spec = DealSpec(
                title=form.title.data,
                description=form.description.data or "",
                kind=kind,
                value=_deal_value(kind, form.value.data),
                scope=scope,
                starts_at=_stored_required(form.starts_at.data),
                ends_at=_stored_required(form.ends_at.data),
                min_order_cents=form.min_order.cents or 0,
                total_claims=form.total_claims.data,
                stacks_with_others=form.stacks.data,
                **offer_targets(scope.value, (form.targets.data or "").splitlines()),
            )
            deal = create_deal(spec, actor=current_user)
            record(
                current_user, "deal.create", deal, after={"title": deal.title}, summary=deal.title
            )
        except BookstoreError as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Deal created.", "success")
            return redirect(url_for("staff.deal", deal_id=deal.id), 303)
    return render_template("staff/deal_form.html", form=form), 400 if form.errors else 200


@bp.route("/deals/<int:deal_id>", methods=["GET", "POST"])
def deal(deal_id: int):
    try:
        deal = get_deal(deal_id)
    except NotFound:
        abort(404)
    form = DealEditForm(obj=deal)
    name_zone(form.ends_at)
    if request.method == "GET":
        form.min_order.data = plain_amount(deal.min_order_cents)
        form.ends_at.data = _typed(deal.ends_at)
    if form.validate_on_submit():
        try:
            content_admin.update_deal(
                deal,
                title=form.title.data,
                description=form.description.data or "",
                ends_at=_stored_required(form.ends_at.data),
                min_order_cents=form.min_order.cents or 0,
                total_claims=form.total_claims.data,
                actor=current_user,
            )
        except BookstoreError as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Deal saved.", "success")
            return redirect(url_for("staff.deal", deal_id=deal.id), 303)
    claims = db.session.scalars(
        select(DealClaim)
        .where(DealClaim.deal_id == deal.id)
        .options(selectinload(DealClaim.user))
        .order_by(DealClaim.id)
    )
    status = 400 if form.errors else 200
    return render_template("staff/deal.html", form=form, deal=deal, claims=list(claims)), status


# --- members ---------------------------------------------------------------------------------


@bp.route("/members", methods=["GET", "POST"])
def members_list():
    now = utcnow()
    form = GrantMembershipForm()
    if form.validate_on_submit():
        # Member until the end of that day where the shop is.
        until = from_shop_time(datetime.combine(form.until.data, time.max))
        try:
            user = members.user_by_email(form.email.data)
            term = members.grant_membership(
                user, until=until, actor=current_user, reason=form.reason.data, now=now
            )
            record(
                current_user,
                "membership.grant",
                user,
                after={"until": term.ends_at.isoformat(), "reason": term.reason},
                summary=user.email,
            )
        except BookstoreError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{user.email} is a member until {form.until.data:%Y-%m-%d}.", "success")
            return redirect(url_for("staff.members_list"), 303)
    rows = db.session.execute(
        select(User, func.max(Membership.ends_at))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.ends_at > now)
        .group_by(User.id)
        .order_by(User.email)
    ).all()
    return (
        render_template(
            "staff/members.html", members=rows, form=form, end_form=EndMembershipForm(prefix="end")
        ),
        400 if form.errors else 200,
    )


@bp.post("/members/<int:user_id>/end")
def member_end(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = EndMembershipForm(prefix="end")
    if not form.validate_on_submit():
        flash("Give a reason for ending the membership.", "error")
        return redirect(url_for("staff.members_list"), 303)
    try:
        members.end_membership(user, actor=current_user, reason=form.reason.data, now=utcnow())
        record(
            current_user,
            "membership.end",
            user,
            after={"reason": form.reason.data},
            summary=user.email,
        )
    except BookstoreError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Ended the membership of {user.email}.", "success")
    return redirect(url_for("staff.members_list"), 303)
