"""Link previews: the Open Graph and Twitter card tags that chat apps and social sites read
when a reader shares a page, so a shared book shows its title, a line about it and its cover.

Pictures are only raster files (a cover, uploaded or the generated one drawn as a PNG; a
journal post's picture): the previewers show no SVG, and a broken picture is worse than none.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app
from markupsafe import Markup, escape


def social_tags(
    *,
    kind: str,
    title: str,
    description: str,
    url: str,
    image: str | None = None,
    image_alt: str = "",
    properties: Iterable[tuple[str, str | None]] = (),
) -> Markup:
    """The ``<meta>`` tags of a page of ``kind`` (``website``, ``book``, ``article``) at the
    absolute ``url``; ``properties`` add the kind's own (``book:isbn``), skipped when None."""
    tags = [
        ("og:site_name", current_app.config["SHOP_NAME"]),
        ("og:type", kind),
        ("og:title", title),
        ("og:description", description),
        ("og:url", url),
    ]
    if image:
        tags += [("og:image", image), ("og:image:alt", image_alt or title)]
    tags += [(name, value) for name, value in properties if value]
    lines = [f'<meta property="{name}" content="{escape(value)}">' for name, value in tags]
    lines.append(
        f'<meta name="twitter:card" content="{"summary_large_image" if image else "summary"}">'
    )
    return Markup("\n".join(lines))  # noqa: S704 - every value above is escaped


def init_app(app: Flask) -> None:
    """Templates call ``social_tags(...)`` in their ``meta`` block."""
    app.jinja_env.globals["social_tags"] = social_tags
