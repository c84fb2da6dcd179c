"""Strict reading of the cart's POST forms.

The cart forms carry ids and quantities only. A field sent twice, or any field the form does
not have (a price, a currency, someone else's cart token), refuses the whole request, so a
tampered form changes nothing. WTForms would silently take the first of repeated values,
hence these few lines instead.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from werkzeug.datastructures import MultiDict

from bookstore.cart.rules import parse_id, parse_quantity
from bookstore.errors import InvalidInput

# Always allowed: Flask-WTF's token and where to go back to.
COMMON_FIELDS = frozenset({"csrf_token", "next"})


def read_fields(form: MultiDict[str, str], fields: tuple[str, ...]) -> dict[str, str | None]:
    """The single value of each of ``fields``; raise ``InvalidInput`` for unexpected,
    repeated or missing ones."""
    allowed = COMMON_FIELDS | set(fields)
    unexpected = sorted(key for key in form if key not in allowed)
    if unexpected:
        names = ", ".join(name[:30] for name in unexpected[:3])
        raise InvalidInput(
            f"The form contained fields the shop does not accept ({names}). "
            "Nothing was changed; please use the form on the page."
        )
    for key in form:
        if len(form.getlist(key)) > 1:
            raise InvalidInput(f"The form sent “{key}” more than once. Nothing was changed.")
    return {name: form.get(name) for name in fields}


def read_line_change(form: MultiDict[str, str], *, max_per_line: int) -> tuple[int, int]:
    """(edition id, quantity) from an add or update form."""
    values = read_fields(form, ("edition_id", "quantity"))
    edition_id = parse_id(values["edition_id"])
    return edition_id, parse_quantity(values["quantity"], max_per_line=max_per_line)


def read_edition(form: MultiDict[str, str]) -> int:
    """The edition id of a remove form."""
    return parse_id(read_fields(form, ("edition_id",))["edition_id"])


def read_nothing(form: MultiDict[str, str]) -> None:
    """Forms that carry only the CSRF token (empty the cart)."""
    read_fields(form, ())


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path on this site, else ``None`` (no open redirects)."""
    if not value or len(value) > 1000:
        return None
    # Checked as sent and percent-decoded: "/%2F%2Fevil.example" must not become "//evil".
    for candidate in (value, unquote(value)):
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        if "\\" in candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return value
