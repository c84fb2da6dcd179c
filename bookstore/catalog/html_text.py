"""Values written into HTML by Python code (the book page), escaped as plain ``str``.

``markupsafe.escape`` returns a ``Markup``, a ``str`` subclass made by a Python ``__new__``
that looks for ``__html__`` once more. HTML put together with f-strings throws that object
away at once, and making it cost about twenty-five times the escaping itself (timed: 1.9 us
against 0.07 us), some fifty times a book page. ``text`` escapes a ``str`` with markupsafe's
own escaping function and gives the same characters without the ``Markup``; any other value
(a number, HTML already made) goes through ``markupsafe.escape`` and its rules.
"""

from __future__ import annotations

from collections.abc import Callable

import markupsafe

# markupsafe's escaping of a str (its C speedups, else its Python version): a private name,
# so a markupsafe without it makes ``text`` fall back on ``markupsafe.escape``
# (tests/catalog/test_html_text.py notices).
_escape_str: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)


def text(value: object) -> str:
    """``value`` escaped for HTML, as ``str(markupsafe.escape(value))`` gives it."""
    if type(value) is str and _escape_str is not None:
        return _escape_str(value)
    return markupsafe.escape(value)
