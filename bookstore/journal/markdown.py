"""Journal markdown: rendered with markdown-it-py, then sanitised with nh3 (an allow-list).

Staff may write raw HTML in a post, so the rendered HTML is never trusted: only the tags and
attributes listed here survive, ``<script>`` and ``<style>`` lose their content too, URLs must be
http(s), mailto or relative, and every link gets ``rel="noopener nofollow"``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li",
    "ol", "p", "pre", "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Removed with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript"}

_markdown = MarkdownIt("commonmark", {"html": True, "typographer": True}).enable(
    ["table", "strikethrough", "replacements", "smartquotes"]
)
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener nofollow",
    strip_comments=True,
)


def _demote_top_headings(tokens) -> None:
    # The page's title is its only <h1>; a "# heading" in a post becomes an <h2>.
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"


def render_markdown(text: str) -> Markup:
    """Markdown to safe HTML, ready to put into a template unescaped."""
    tokens = _markdown.parse(text or "")
    _demote_top_headings(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Markup(sanitise_html(html))  # noqa: S704  (sanitised by the allow-list just above)


def sanitise_html(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes."""
    return _cleaner.clean(html)
