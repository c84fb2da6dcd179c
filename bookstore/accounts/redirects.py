"""Where to go after logging in: only paths on this site, never another host."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

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
