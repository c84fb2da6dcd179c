"""Staff screens for the policy pages: a list, and a Markdown editor with a preview (every
save in the audit log)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db
from bookstore.journal.markdown import render_markdown
from bookstore.policies import services
from bookstore.policies.forms import PolicyForm
from bookstore.staff.audit import record
from bookstore.staff.views import bp


@bp.get("/policies")
def policies():
    pages = [services.policy_page(slug) for slug in services.POLICIES]
    return render_template("staff/policies.html", pages=pages)


@bp.route("/policies/<slug>", methods=["GET", "POST"])
def edit_policy(slug: str):
    try:
        current = services.policy_page(slug)
    except NotFound:
        abort(404)
    form = PolicyForm(data={"title": current.title, "body_markdown": current.body_markdown})
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = render_markdown(form.body_markdown.data)
        else:
            try:
                policy, before = services.save_policy(
                    current_user, slug, title=form.title.data, body_markdown=form.body_markdown.data
                )
                record(
                    current_user,
                    "policy.edit",
                    policy,
                    before=before,
                    after={"title": policy.title, "body_markdown": policy.body_markdown},
                    summary=f"Edited the {current.title.lower()} page",
                )
            except BookstoreError as error:
                db.session.rollback()
                form.body_markdown.errors.append(str(error))
            else:
                db.session.commit()
                flash(f"Saved the {current.title.lower()} page.", "success")
                return redirect(url_for("staff.policies"), 303)
    status = 400 if form.errors else 200
    return render_template(
        "staff/policy_form.html", form=form, policy=current, preview=preview
    ), status
