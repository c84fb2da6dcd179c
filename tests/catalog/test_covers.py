"""Generated covers (SVG, and PNG for what shows no SVG) and uploaded cover files."""

import io
import re
from xml.etree import ElementTree

from PIL import Image, ImageColor

from bookstore.catalog.cover_png import cover_png
from bookstore.catalog.covers import cover_colours, cover_svg
from bookstore.extensions import db
from tests.factories import make_book

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "Evil <script>alert(\"x\")</script> & 'quotes' ]]> \x00\x07 end"


def texts(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}tspan")]


def test_cover_is_valid_svg_with_title_and_author():
    svg = cover_svg("Murder at the Dacha", ["Alexei Bayer"])
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Murder at the Dacha by Alexei Bayer"
    assert " ".join(texts(svg)) == "Murder at the Dacha Alexei Bayer"


def test_hostile_title_is_escaped_and_the_document_stays_valid():
    svg = cover_svg(HOSTILE, ["<b>Author</b>"])
    assert "<script" not in svg
    assert "<b>" not in svg
    root = ElementTree.fromstring(svg)  # control characters were dropped, not copied
    assert root.find(f"{SVG}title").text.startswith('Evil <script>alert("x")</script> & ')
    assert root.get("aria-label").endswith("by <b>Author</b>")


def test_long_titles_wrap_and_are_cut_with_an_ellipsis():
    lines = texts(cover_svg("word " * 200, []))
    assert 1 < len(lines) <= 6
    assert lines[-1].endswith("\u2026")


def test_each_title_gets_its_own_colours():
    colours = {cover_colours(f"Book number {n}") for n in range(50)}
    assert len(colours) >= 45
    assert cover_colours("Same") == cover_colours("Same")


def test_cover_colours_are_dark_enough_for_white_text():
    for n in range(200):
        for colour in cover_colours(f"Title {n}"):
            lightness = int(re.search(r",(\d+)%\)$", colour).group(1))
            assert lightness <= 34


def test_cover_route_serves_cacheable_svg(client, app):
    with app.app_context():
        # PostgreSQL refuses NUL in text; every other control character can be stored.
        slug = make_book(HOSTILE.replace("\x00", ""), authors=("Alexei Bayer",)).slug
        db.session.commit()
    response = client.get(f"/covers/{slug}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.cache_control.public
    assert response.cache_control.max_age >= 3600
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    ElementTree.fromstring(response.data)
    again = client.get(f"/covers/{slug}.svg", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_books_get_different_covers(client, app):
    with app.app_context():
        first, second = make_book("Fearful Majesty").slug, make_book("Little Golden Calf").slug
        db.session.commit()
    assert client.get(f"/covers/{first}.svg").data != client.get(f"/covers/{second}.svg").data


def test_unknown_cover_is_404(client):
    assert client.get("/covers/no-such-book.svg").status_code == 404


def test_uploaded_cover_is_served_from_the_cover_folder(make_app, tmp_path):
    covers = tmp_path / "covers"
    covers.mkdir()
    (covers / "dacha.jpg").write_bytes(b"\xff\xd8\xff fake jpeg")
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    app = make_app(COVER_DIR=str(covers))
    with app.app_context():
        slug = make_book("Murder at the Dacha", cover_image="dacha.jpg").slug
        db.session.commit()
    client = app.test_client()
    page = client.get(f"/books/{slug}").get_data(as_text=True)
    assert 'src="/covers/files/dacha.jpg"' in page
    with client.get("/covers/files/dacha.jpg") as response:
        assert response.status_code == 200
        assert response.data.startswith(b"\xff\xd8")
        assert response.cache_control.max_age >= 3600
    assert client.get("/covers/files/../secret.jpg").status_code == 404
    assert client.get("/covers/files/%2e%2e/secret.jpg").status_code == 404
    assert client.get("/covers/files/missing.jpg").status_code == 404
    assert client.get("/covers/files/notes.txt").status_code == 404


def test_books_without_upload_use_the_generated_cover(client, app):
    with app.app_context():
        slug = make_book("Fearful Majesty").slug
        db.session.commit()
    assert f'src="/covers/{slug}.svg"' in client.get(f"/books/{slug}").get_data(as_text=True)


def test_the_png_cover_is_the_generated_cover_drawn(client, app):
    with app.app_context():
        slug = make_book("Murder at the Dacha", authors=["Alexei Bayer"]).slug
        db.session.commit()
    response = client.get(f"/covers/{slug}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "public" in response.headers["Cache-Control"]
    picture = Image.open(io.BytesIO(response.data))
    assert (picture.format, picture.size) == ("PNG", (400, 600))
    # The SVG's background colour, and white letters on it.
    background = ImageColor.getrgb(cover_colours(f"Murder at the Dacha\n{slug}")[0])
    middle = picture.getpixel((200, 300))
    assert all(abs(a - b) <= 1 for a, b in zip(middle, background, strict=True))
    title_area = picture.crop((40, 60, 360, 200)).getcolors(maxcolors=100_000)
    assert max(colour for _count, colour in title_area) == (255, 255, 255)
    again = client.get(f"/covers/{slug}.png", headers={"If-None-Match": response.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    assert client.get("/covers/no-such-book.png").status_code == 404


def test_png_covers_differ_by_book_and_keep_wide_titles_inside():
    wide = Image.open(io.BytesIO(cover_png("W" * 40, ("M" * 40,), "a")))
    # Nothing white outside the frame's margin: wide lines were set smaller to fit.
    for x in (*range(0, 20), *range(381, 400)):
        assert all(wide.getpixel((x, y)) != (255, 255, 255) for y in range(0, 600, 3))
    assert cover_png("One", ("A",), "a") != cover_png("Two", ("A",), "a")
