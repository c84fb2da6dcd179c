"""The order confirmation shows each book's cover at an absolute address mail programs can
fetch: the uploaded cover's small JPEG, or the generated cover as a PNG (mail shows no SVG)."""

import io
from pathlib import Path

from flask import render_template
from PIL import Image

from bookstore.catalog.filters import email_cover_url
from bookstore.extensions import db
from bookstore.staff.cover_images import store_cover
from tests.checkout.helpers import make_cart, place
from tests.factories import make_book


def upload(app, book) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 600), "navy").save(buffer, "JPEG")
    book.cover_image = store_cover(buffer.getvalue(), Path(app.config["COVER_DIR"])).filename(
        "large"
    )
    return book.cover_image.replace("-large.", "-small.")


def test_the_confirmation_shows_each_books_cover(app_ctx):
    covered = make_book("With Cover")
    plain = make_book("Without Cover")
    small = upload(app_ctx, covered)
    order = place(make_cart((covered.editions[0], 1), (plain.editions[0], 1)))
    app_ctx.config["SHOP_BASE_URL"] = "https://books.example.com"
    with app_ctx.test_request_context(base_url="https://elsewhere.example.net"):
        html = render_template(
            "email/order_confirmation.html",
            order=order,
            order_url="https://books.example.com/o/x",
            downloads=[],
            download_days=30,
        )
    assert f'<img src="https://books.example.com/covers/files/{small}"' in html
    assert f'<img src="https://books.example.com/covers/{plain.slug}.png"' in html
    assert html.count("<img ") == 2
    assert html.count('width="48" height="72"') == 2
    db.session.rollback()


def test_cover_addresses_outside_a_request_use_the_shop_address(app_ctx):
    app_ctx.config["SHOP_BASE_URL"] = "https://shop.example.org"
    book = make_book("Covered")
    small = upload(app_ctx, book)
    assert email_cover_url(book.editions[0]) == f"https://shop.example.org/covers/files/{small}"
    assert email_cover_url(None) is None
    plain = make_book("Plain").editions[0]
    assert email_cover_url(plain) == f"https://shop.example.org/covers/{plain.book.slug}.png"
