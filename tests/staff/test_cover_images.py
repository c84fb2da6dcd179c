"""Cover uploads are judged by their content and stored clean."""

import io
import struct
import zlib

import pytest
from PIL import Image

from bookstore.errors import InvalidInput
from bookstore.staff.cover_images import SIZES, read_image, remove_cover, store_cover


def image_bytes(fmt="JPEG", size=(800, 1200), mode="RGB", **save_args) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, fmt, **save_args)
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: the classic decompression bomb."""
    data = bytearray(image_bytes("PNG", size=(200, 200)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted_and_resized(fmt, tmp_path):
    cover = store_cover(image_bytes(fmt), tmp_path)
    for size, width in SIZES.items():
        with Image.open(tmp_path / cover.filename(size)) as stored:
            assert stored.format == "JPEG"
            assert stored.width == width
            assert stored.height == round(1200 * width / 800)


def test_stored_names_are_chosen_by_the_server(tmp_path):
    first = store_cover(image_bytes(), tmp_path)
    second = store_cover(image_bytes(), tmp_path)
    assert first.name != second.name
    assert len(first.name) == 32
    assert all(ch in "0123456789abcdef" for ch in first.name)


def test_metadata_is_stripped(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Spy Camera Inc."  # Make
    exif[0x8825] = {2: (1.0, 2.0, 3.0)}  # GPS
    data = image_bytes("JPEG", exif=exif.tobytes(), comment=b"secret")
    assert b"Spy Camera" in data
    cover = store_cover(data, tmp_path)
    stored = (tmp_path / cover.filename("large")).read_bytes()
    assert b"Spy Camera" not in stored
    assert b"secret" not in stored
    with Image.open(tmp_path / cover.filename("large")) as image:
        assert not image.getexif()


def test_transparent_png_gets_a_white_background(tmp_path):
    cover = store_cover(image_bytes("PNG", mode="RGBA", size=(300, 300)), tmp_path)
    with Image.open(tmp_path / cover.filename("small")) as image:
        assert image.mode == "RGB"


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(InvalidInput, match="too many pixels"):
        read_image(png_claiming_size(30_000, 30_000))


def test_large_but_not_huge_claim_is_refused_by_our_own_limit():
    with pytest.raises(InvalidInput, match=r"too many pixels \(8,000 x 8,000\)"):
        read_image(png_claiming_size(8_000, 8_000))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html><script>alert(1)</script></html>", "not a JPEG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "not a JPEG"),
        (b"#!/bin/sh\nrm -rf /\n", "not a JPEG"),
        (b"GIF89a" + b"\x00" * 50, "not a JPEG"),
    ],
)
def test_non_images_are_refused_whatever_their_name(data, message):
    with pytest.raises(InvalidInput, match=message):
        read_image(data)


def test_gif_is_refused_even_though_it_is_an_image():
    with pytest.raises(InvalidInput, match="JPEG, PNG or WebP"):
        read_image(image_bytes("GIF"))


def test_truncated_image_is_refused():
    with pytest.raises(InvalidInput, match="damaged"):
        read_image(image_bytes("JPEG")[:500])


def test_tiny_image_is_refused():
    with pytest.raises(InvalidInput, match="at least 100 pixels"):
        read_image(image_bytes("PNG", size=(40, 60)))


def test_remove_cover_deletes_every_size(tmp_path):
    cover = store_cover(image_bytes(), tmp_path)
    remove_cover(cover.name, tmp_path)
    assert list(tmp_path.iterdir()) == []
