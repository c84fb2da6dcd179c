"""Escaping for HTML written in Python (bookstore/catalog/html_text.py): the same characters
as markupsafe's escape, as a plain str."""

import pytest
from markupsafe import Markup, escape

from bookstore.catalog import html_text
from bookstore.catalog.html_text import text


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        """<a href="x" title='y'>Tom & Jerry</a>""",
        "Толстой — «Война и мир»",
        12,
        None,
        Markup("<em>made already</em>"),
    ],
)
def test_text_escapes_as_markupsafe_does(value):
    assert text(value) == str(escape(value))


def test_a_string_is_escaped_without_making_markup():
    # The point of the module: markupsafe's own function for a str, no Markup object made.
    # A markupsafe release that drops its private ``_escape_inner`` fails here, not on pages.
    assert html_text._escape_str is not None
    assert type(text("<b>")) is str


def test_text_without_markupsafes_function_still_escapes(monkeypatch):
    monkeypatch.setattr(html_text, "_escape_str", None)
    assert text("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
