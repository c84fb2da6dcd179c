"""Where to go after logging in: only paths on this site, never another host."""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urlsplit

from flask import url_for

from bookstore import contexts

# Browsers treat a backslash as a slash, and ignore tabs and newlines inside URLs.
_FORBIDDEN = ("\\", "\t", "\n", "\r")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a same-site relative path such as ``/books?page=2``, else None."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    for candidate in (target, unquote(target)):
        if any(ch in candidate for ch in _FORBIDDEN) or any(ord(ch) < 32 for ch in candidate):
            return None
        # A path: one leading slash, not two ("//host" is another site), no scheme, no host.
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


# The characters werkzeug leaves as they are in a query value (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"


def login_url(next_path: str) -> str:
    """``url_for("accounts.login", next=next_path)``: the way to log in and come back. The
    login page's own link is built once by the app; a book page asks for this on every view,
    and building a link with a query costs as much as the rest of its part."""
    links = contexts.app().extensions.setdefault("login_links", {})
    mounted_at = contexts.this_request().script_root
    login = links.get(mounted_at)
    if login is None:
        login = links[mounted_at] = url_for("accounts.login")
    return f"{login}?{urlencode({'next': next_path}, safe=_QUERY_SAFE)}"
