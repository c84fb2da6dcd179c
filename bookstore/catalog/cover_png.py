"""Generated covers as PNG pictures, for what shows no SVG: link previews and mail programs.

The same layout as the SVG (``covers.cover_layout``), drawn with Pillow. The title is set in
a serif font where the system has one (DejaVu or Liberation, as Debian installs them), else in
Pillow's own font, which every installation has.
"""

from __future__ import annotations

from functools import cache, lru_cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from bookstore.catalog.covers import (
    AUTHOR_SIZE,
    BAND_HEIGHT,
    BAND_TOP,
    FRAME,
    HEIGHT,
    WIDTH,
    cover_layout,
)

SERIF_FONTS = ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf")
SANS_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")

TEXT_WIDTH = WIDTH - 2 * FRAME - 24  # inside the frame, with a margin

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(names: tuple[str, ...], size: int) -> Font:
    for name in names:
        try:
            return ImageFont.truetype(name, size)  # looks in the system's font folders too
        except OSError:
            continue
    return ImageFont.load_default(size)


@lru_cache(maxsize=64)
def cover_png(title: str, authors: tuple[str, ...], key: str = "") -> bytes:
    """The PNG of a generated cover (a few KB; the last 64 are kept)."""
    layout = cover_layout(title, list(authors), key)
    picture = Image.new("RGBA", (WIDTH, HEIGHT), layout.background)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, BAND_TOP, WIDTH, BAND_TOP + BAND_HEIGHT - 1), fill=layout.band)
    frame = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    ImageDraw.Draw(frame).rectangle(
        (FRAME - 1, FRAME - 1, WIDTH - FRAME, HEIGHT - FRAME),
        outline=(255, 255, 255, 140),  # white at 55%, as the SVG's stroke
        width=2,
    )
    picture.alpha_composite(frame)
    draw = ImageDraw.Draw(picture)
    titles, title_ys = layout.title_parts
    bylines, byline_ys = layout.author_parts
    lines = [(line, y, SERIF_FONTS, layout.size) for line, y in zip(titles, title_ys, strict=True)]
    lines += [
        (line, y, SANS_FONTS, AUTHOR_SIZE) for line, y in zip(bylines, byline_ys, strict=True)
    ]
    for line, y, fonts, size in lines:
        font = _font(fonts, size)
        # The wrapping counts letters: a line of wide ones is set smaller to stay inside.
        while size > 12 and font.getlength(line) > TEXT_WIDTH:
            size -= 2
            font = _font(fonts, size)
        draw.text((WIDTH // 2, y), line, font=font, fill="white", anchor="ms")
    out = BytesIO()
    picture.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()
