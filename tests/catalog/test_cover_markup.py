"""Cover images on the pages: a srcset of the stored widths, width and height set so nothing
moves as images arrive, the first row of a list loaded at once and the rest lazily."""

import io
import re
from pathlib import Path

from PIL import Image

from bookstore.extensions import db
from bookstore.staff.cover_images import store_cover
from tests.factories import make_book


def img_tags(html: str) -> list[str]:
    return re.findall(r'<img class="cover"[^>]*>', html)


def cover_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 1200), "teal").save(buffer, "JPEG")
    return buffer.getvalue()


def test_uploaded_covers_offer_every_stored_width(client, app):
    with app.app_context():
        book = make_book("With Cover")
        cover = store_cover(cover_bytes(), Path(app.config["COVER_DIR"]))
        book.cover_image = cover.filename("large")
        db.session.commit()
        slug = book.slug
    [card] = img_tags(client.get("/books").get_data(as_text=True))
    assert f"/covers/files/{cover.name}-small.jpg 240w" in card
    assert f"/covers/files/{cover.name}-medium.jpg 400w" in card
    assert f"/covers/files/{cover.name}-large.jpg 600w" in card
    assert 'sizes="' in card
    assert 'width="160" height="240"' in card
    for size in ("small", "medium", "large"):
        with client.get(f"/covers/files/{cover.name}-{size}.jpg") as response:
            assert response.status_code == 200
            assert response.mimetype == "image/jpeg"
    [main, *_] = img_tags(client.get(f"/books/{slug}").get_data(as_text=True))
    assert f"{cover.name}-large.jpg" in main
    assert 'width="300" height="450"' in main
    assert 'fetchpriority="high"' in main
    assert "loading=" not in main


def test_generated_covers_need_no_srcset(client, app):
    with app.app_context():
        make_book("Without Cover")
        db.session.commit()
    [card] = img_tags(client.get("/books").get_data(as_text=True))
    assert "srcset" not in card
    assert ".svg" in card
    assert 'width="160" height="240"' in card


def test_the_first_row_loads_at_once_and_the_rest_lazily(client, app):
    with app.app_context():
        for n in range(9):
            make_book(f"Book {n}")
        db.session.commit()
    cards = img_tags(client.get("/books").get_data(as_text=True))
    assert len(cards) == 9
    assert all("loading" not in card for card in cards[:6])
    assert all('loading="lazy"' in card for card in cards[6:])


def test_a_cover_uploaded_before_the_medium_width_still_serves_it(client, app):
    folder = Path(app.config["COVER_DIR"])
    cover = store_cover(cover_bytes(), folder)
    (folder / cover.filename("medium")).unlink()
    with client.get(f"/covers/files/{cover.name}-medium.jpg") as response:
        assert response.status_code == 200
        assert response.data == (folder / cover.filename("large")).read_bytes()
    assert client.get("/covers/files/nothing-medium.jpg").status_code == 404
