"""Generated covers: an SVG made from a book's title and authors, distinct per book."""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 400, 600
BAND_TOP, BAND_HEIGHT = HEIGHT - 170, 120  # the coloured band behind the authors
FRAME = 20  # the thin frame's inset
AUTHOR_SIZE = 24

# Characters XML 1.0 forbids even when escaped (C0 controls other than tab, LF, CR).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text or "").strip()


def cover_colours(title: str) -> tuple[str, str]:
    """Background and band colours from a hash of the title: dark enough for white text."""
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    saturation = 30 + digest[2] % 30
    lightness = 20 + digest[3] % 8
    band_hue = (hue + 30 + digest[4] % 60) % 360
    # Both stay at or below 34% lightness: white text keeps a contrast of 4.5:1 or more.
    return (
        f"hsl({hue},{saturation}%,{lightness}%)",
        f"hsl({band_hue},{saturation}%,{lightness + 7}%)",
    )


def _lines(text: str, width: int, max_lines: int) -> list[str]:
    lines = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "\u2026"
    return lines


@dataclass(frozen=True)
class CoverLayout:
    """What a generated cover shows and where: the SVG and the PNG draw the same one."""

    label: str
    background: str
    band: str
    size: int  # the title's font size
    title_lines: list[str]
    author_lines: list[str]

    @property
    def title_parts(self) -> tuple[list[str], list[int]]:
        """The title's lines and each one's baseline."""
        step = int(self.size * 1.2)
        return self.title_lines, [110 + i * step for i in range(len(self.title_lines))]

    @property
    def author_parts(self) -> tuple[list[str], list[int]]:
        first = HEIGHT - 120 if len(self.author_lines) == 1 else HEIGHT - 135
        return self.author_lines, [first + i * 30 for i in range(len(self.author_lines))]


def cover_layout(title: str, authors: list[str], key: str = "") -> CoverLayout:
    """A cover's text, wrapped to fit, and its colours (from the title and ``key``)."""
    title = _clean(title) or "Untitled"
    byline = _clean(", ".join(a for a in authors if a))
    background, band = cover_colours(f"{title}\n{key}")
    size = 44 if len(title) <= 24 else 36 if len(title) <= 60 else 30
    return CoverLayout(
        label=title + (f" by {byline}" if byline else ""),
        background=background,
        band=band,
        size=size,
        title_lines=_lines(title, width=max(8, int(560 / size)), max_lines=6),
        author_lines=_lines(byline, width=26, max_lines=2) if byline else [],
    )


def cover_svg(title: str, authors: list[str], key: str = "") -> str:
    """The SVG document for a cover; every piece of text is escaped."""
    layout = cover_layout(title, authors, key)
    label = layout.label
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label={quoteattr(label)}>',
        f"<title>{escape(label)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{layout.background}"/>',
        f'<rect y="{BAND_TOP}" width="{WIDTH}" height="{BAND_HEIGHT}" fill="{layout.band}"/>',
        f'<rect x="{FRAME}" y="{FRAME}" width="{WIDTH - 2 * FRAME}" '
        f'height="{HEIGHT - 2 * FRAME}" fill="none" '
        'stroke="#ffffff" stroke-opacity="0.55" stroke-width="2"/>',
    ]
    parts.append(
        f'<text x="{WIDTH // 2}" text-anchor="middle" fill="#ffffff" '
        f'font-family="Georgia, \'Times New Roman\', serif" font-size="{layout.size}">'
    )
    for line, y in zip(*layout.title_parts, strict=True):
        parts.append(f'<tspan x="{WIDTH // 2}" y="{y}">{escape(line)}</tspan>')
    parts.append("</text>")
    if layout.author_lines:
        parts.append(
            f'<text x="{WIDTH // 2}" text-anchor="middle" fill="#ffffff" '
            f'font-family="system-ui, sans-serif" font-size="{AUTHOR_SIZE}">'
        )
        for line, y in zip(*layout.author_parts, strict=True):
            parts.append(f'<tspan x="{WIDTH // 2}" y="{y}">{escape(line)}</tspan>')
        parts.append("</text>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def cover_etag(svg: str) -> str:
    """A strong validator for the generated document."""
    return hashlib.sha256(svg.encode("utf-8")).hexdigest()[:32]
