"""Staff preview of the weekly digest, as members and as other subscribers see it."""

from typing import Any

from flask import make_response, render_template, request, url_for

from bookstore.dbtypes import utcnow
from bookstore.digest.builder import build_digest, week_of
from bookstore.digest.sender import digest_subject, render_context, shop_urls
from bookstore.errors import BookstoreError
from bookstore.staff.views import bp

# The email's own HTML uses inline styles (mail clients need them): it is served on its own,
# with a policy that allows those styles and nothing else, framed only by our own page.
EMAIL_PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _choice():
    now = utcnow()
    week = request.args.get("week", "").strip()[:10] or week_of(now)
    member = request.args.get("as") != "subscriber"
    try:
        return build_digest(week, now), member, None
    except BookstoreError as exc:
        return build_digest(week_of(now), now), member, str(exc)


def _render(digest, member: bool, kind: str) -> str:
    with shop_urls():
        return render_template(
            f"email/digest.{kind}",
            subject=digest_subject(digest),
            **render_context(digest, is_member=member, unsubscribe=None),
        )


@bp.get("/digest")
def digest_preview():
    digest, member, error = _choice()
    # "as" is a keyword in Python, so the query parameter goes in through a dict.
    link_values: dict[str, Any] = {"week": digest.week}
    if not member:
        link_values["as"] = "subscriber"
    email_url = url_for("staff.digest_email", **link_values)
    return render_template(
        "staff/digest.html",
        digest=digest,
        member=member,
        error=error,
        text=_render(digest, member, "txt"),
        email_url=email_url,
        subject=digest_subject(digest),
    )


@bp.get("/digest/email.html")
def digest_email():
    digest, member, _ = _choice()
    response = make_response(_render(digest, member, "html"))
    response.headers["Content-Security-Policy"] = EMAIL_PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
