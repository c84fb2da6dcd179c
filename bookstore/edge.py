"""Input refused at the edge, before any view or query sees it.

No view should have to think about a NUL byte in a slug or an id past the database's integer
range: PostgreSQL refuses the first (``ValueError: A string literal cannot contain NUL``) and
overflows on the second, and either became a 500. Instead:

- URL converters: ``string``/``default`` and ``path`` refuse control characters (NUL among them),
  undecodable bytes and values over ``MAX_SEGMENT_CHARS``; ``int`` refuses values past the
  columns' 32-bit range. A refused value does not match the route, so the answer is a 404.
- Query strings and form fields: a ``before_request`` filter answers 400, with a message, to a
  NUL or other control character, or to a malformed percent-encoding or UTF-8 sequence.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError

from bookstore import contexts

# The shop's ids are INTEGER columns (32-bit on PostgreSQL); no larger value can name a row.
MAX_DATABASE_INT = 2**31 - 1
MAX_SEGMENT_CHARS = 500
# C0 controls (NUL among them), DEL and C1 controls; tabs and line breaks are fine in forms.
_CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# U+FFFD is what a malformed UTF-8 sequence decodes to; it has no place in a shop's address.
_REPLACEMENT = "\ufffd"

BAD_QUERY = (
    "The address has characters this shop cannot read (a control character or a broken "
    "encoding). Check the link, or go back and try again."
)
BAD_FORM = (
    "The form has characters this shop cannot read (a control character or a broken "
    "encoding). Nothing was changed: go back, check what you typed and try again."
)


def _check_segment(value: str, limit: int = MAX_SEGMENT_CHARS) -> str:
    if len(value) > limit or _CONTROL_IN_URL.search(value) or _REPLACEMENT in value:
        raise ValidationError()
    return value


class SafeUnicodeConverter(UnicodeConverter):
    """A path segment without control characters, broken encodings or absurd length."""

    def to_python(self, value: str) -> str:
        return _check_segment(value)


class SafePathConverter(PathConverter):
    """Like ``path``, with the same refusals as ``SafeUnicodeConverter``."""

    def to_python(self, value: str) -> str:
        return _check_segment(value, 4 * MAX_SEGMENT_CHARS)


class SafeIntegerConverter(IntegerConverter):
    """A whole number no larger than the database's integer columns hold."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(
            map, fixed_digits=fixed_digits, min=min, max=MAX_DATABASE_INT if max is None else max
        )
        self.signed = signed

    def to_python(self, value: str) -> int:
        if len(value) > 20:  # never parse a megabyte of digits
            raise ValidationError()
        return super().to_python(value)


def install_converters(app: Flask) -> None:
    """Replace Flask's converters; call before any blueprint adds its routes."""
    app.url_map.converters.update(
        default=SafeUnicodeConverter,
        string=SafeUnicodeConverter,
        path=SafePathConverter,
        int=SafeIntegerConverter,
    )


def init_app(app: Flask) -> None:
    """Converters for every route and the filter on query strings and forms."""
    install_converters(app)
    # First of all request hooks: CSRF and the rate limiter read the form before views do.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_input)


def _well_encoded(raw: bytes) -> bool:
    """True when ``raw`` (form-urlencoded) decodes to UTF-8 without control characters."""
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not _CONTROL_IN_FORM.search(text) and not _bad_percent(raw)


_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _bad_percent(raw: bytes) -> bool:
    return _PERCENT.search(raw) is not None


def refuse_unreadable_input() -> None:
    """400 for a query string or form carrying NUL/control characters or broken encodings."""
    asked = contexts.this_request()  # on every request: the object, not the proxy
    path = asked.environ.get("PATH_INFO", "")
    try:
        path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise BadRequest("The address is not valid UTF-8.") from None
    if not _well_encoded(asked.query_string):
        raise BadRequest(BAD_QUERY)
    if asked.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if asked.mimetype == "application/x-www-form-urlencoded":
        if not _well_encoded(asked.get_data(cache=True)):
            raise BadRequest(BAD_FORM)
    elif asked.mimetype == "multipart/form-data":
        for key, value in asked.form.items(multi=True):
            if _CONTROL_IN_FORM.search(key) or _CONTROL_IN_FORM.search(value):
                raise BadRequest(BAD_FORM)
            if _REPLACEMENT in key or _REPLACEMENT in value:
                raise BadRequest(BAD_FORM)
