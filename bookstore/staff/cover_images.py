"""Uploaded cover images: checked by content, re-encoded, stripped and resized.

The file's bytes decide its type, never its name. Anything Pillow cannot open as JPEG, PNG or
WebP is refused, as are images whose pixel count could exhaust memory when decoded
(decompression bombs). Accepted images are decoded, re-encoded from pixels only (no metadata
survives) and stored under names the server chooses.
"""

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from bookstore.errors import InvalidInput

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# 40 megapixels is far above any real cover scan and far below a memory problem.
MAX_PIXELS = 40_000_000
MIN_SIDE = 100
# The widths stored, offered to browsers as a srcset: cards of lists (one or two pixels per
# CSS pixel), phones' cards and the book page, and the book page on dense screens.
SIZES = {"large": 600, "medium": 400, "small": 240}


@dataclass(frozen=True)
class StoredCover:
    """The server-chosen base name; files are ``<name>-<size>.jpg`` in the cover folder."""

    name: str

    def filename(self, size: str) -> str:
        return f"{self.name}-{size}.jpg"


def read_image(data: bytes) -> Image.Image:
    """Open and fully decode an uploaded image, or raise InvalidInput saying why not."""
    if not data:
        raise InvalidInput("The file is empty.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise InvalidInput("Covers must be JPEG, PNG or WebP images.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidInput(
                    f"The image has too many pixels ({width:,} x {height:,}); covers may have "
                    f"at most {MAX_PIXELS // 1_000_000} million."
                )
            image.load()
        except UnidentifiedImageError:
            raise InvalidInput("That file is not a JPEG, PNG or WebP image.") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise InvalidInput("The image has too many pixels to process safely.") from None
        except (OSError, SyntaxError, ValueError):
            raise InvalidInput("The image is damaged or truncated.") from None
    if min(image.size) < MIN_SIDE:
        raise InvalidInput(f"Covers must be at least {MIN_SIDE} pixels on each side.")
    return image


def store_cover(data: bytes, folder: Path) -> StoredCover:
    """Check, re-encode and resize an upload into ``folder``; returns its stored name."""
    image = ImageOps.exif_transpose(read_image(data))
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image = image.convert("RGB")
    cover = StoredCover(name=secrets.token_hex(16))
    folder.mkdir(parents=True, exist_ok=True)
    for size, width in SIZES.items():
        copy = image.copy()
        if copy.width > width:
            height = round(copy.height * width / copy.width)
            copy = copy.resize((width, height), Image.Resampling.LANCZOS)
        # A fresh image from pixels only: EXIF, ICC, XMP and comments are not carried over.
        clean = Image.new("RGB", copy.size)
        clean.paste(copy)
        clean.save(folder / cover.filename(size), "JPEG", quality=85, optimize=True)
    return cover


def remove_cover(name: str, folder: Path) -> None:
    """Delete the stored files of a cover (missing files are fine)."""
    for size in SIZES:
        (folder / StoredCover(name).filename(size)).unlink(missing_ok=True)
