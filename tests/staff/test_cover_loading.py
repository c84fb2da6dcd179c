"""Covers in bulk: a folder named by ISBN, covers fetched by ISBN from a cover service (a local
server started here), and the ``cover`` column of the catalog CSV. Every image goes through the
upload hardening; on SQLite and PostgreSQL."""

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from bookstore.catalog.models import Book
from bookstore.extensions import db
from bookstore.staff.cover_images import SIZES
from tests.factories import make_book

GOOD, NOT_IMAGE, SLOW, MISSING, SECOND = (
    "9781880100011",
    "9781880100028",
    "9781880100035",
    "9781880100042",
    "9781880100059",
)
UNKNOWN = "9781880100066"  # a valid ISBN-13 that no edition has


def jpeg(size=(400, 600), colour="teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


class CoverService(BaseHTTPRequestHandler):
    """Open Library's covers API in miniature: /b/isbn/<isbn>-L.jpg."""

    images: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        isbn = self.path.split("/")[-1].split("-")[0]
        if isbn == SLOW:
            time.sleep(2)
        # The client may have given up (the timeout case). Its broken pipe must not reach
        # socketserver's handler, whose printed traceback calls ast.parse in this thread, which
        # on CPython 3.11.7 can break the main thread's ast.parse (gh-106905) mid create_app.
        try:
            if isbn in self.images:
                body, kind = self.images[isbn], "image/jpeg"
            elif isbn == NOT_IMAGE:
                body, kind = b"<html>not a cover</html>", "image/jpeg"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def cover_server():
    CoverService.images = {GOOD: jpeg(), SECOND: jpeg(colour="navy")}
    server = ThreadingHTTPServer(("127.0.0.1", 0), CoverService)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def covers_app(app):
    app.config.update(COVER_FETCH_TIMEOUT=1, MAX_CONTENT_LENGTH=200_000)
    return app


def cover_of(app, isbn_title: str) -> str | None:
    with app.app_context():
        return db.session.scalar(select(Book.cover_image).where(Book.title == isbn_title))


def stored_files(app, cover_image: str) -> list[Path]:
    folder = Path(app.config["COVER_DIR"])
    base = cover_image.removesuffix("-large.jpg")
    return [folder / f"{base}-{size}.jpg" for size in SIZES]


def books(app, *isbns_and_titles):
    with app.app_context():
        for isbn, title in isbns_and_titles:
            make_book(title).editions[0].isbn13 = isbn
        db.session.commit()


# --- flask covers import DIR ------------------------------------------------------------------


def test_import_from_a_folder_loads_good_images_and_names_every_bad_file(covers_app, tmp_path):
    books(covers_app, (GOOD, "Good"), (SECOND, "Png"), (NOT_IMAGE, "Fake"), (SLOW, "Huge"))
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / f"{GOOD}.jpg").write_bytes(jpeg())
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 450), (200, 0, 0, 128)).save(buffer, "PNG")
    (folder / "978-1-880100-05-9.PNG").write_bytes(buffer.getvalue())  # hyphens, capitals
    (folder / f"{NOT_IMAGE}.jpg").write_bytes(b"%PDF-1.4 not an image")
    (folder / f"{SLOW}.jpg").write_bytes(jpeg() + b"\0" * 250_000)  # over MAX_CONTENT_LENGTH
    (folder / f"{MISSING}.jpg").write_bytes(jpeg()[:300])  # truncated: no such edition anyway
    (folder / "9781880100012.jpg").write_bytes(jpeg())  # wrong check digit
    (folder / f"{UNKNOWN}.jpg").write_bytes(jpeg())  # no such edition
    (folder / "notes.txt").write_text("hello")

    result = covers_app.test_cli_runner().invoke(args=["covers", "import", str(folder)])

    assert result.exit_code == 0, result.output
    assert "2 cover(s) loaded, 0 not found, 6 refused" in result.output
    assert "9781880100012.jpg: the name is not a valid ISBN-13" in result.output
    assert f"{UNKNOWN}.jpg: no edition has ISBN {UNKNOWN}" in result.output
    assert f"{MISSING}.jpg: no edition has ISBN {MISSING}" in result.output
    assert f"{NOT_IMAGE}.jpg: That file is not a JPEG, PNG or WebP image." in result.output
    assert f"{SLOW}.jpg: The image is larger than 200,000 bytes." in result.output
    assert "notes.txt: not a .jpg" in result.output
    for title in ("Good", "Png"):
        cover = cover_of(covers_app, title)
        assert cover is not None
        for path in stored_files(covers_app, cover):
            with Image.open(path) as image:
                assert image.format == "JPEG"
                assert not image.info.get("exif")
    assert cover_of(covers_app, "Fake") is None
    assert cover_of(covers_app, "Huge") is None


def test_a_damaged_image_is_refused_and_the_book_keeps_the_generated_cover(covers_app, tmp_path):
    books(covers_app, (GOOD, "Good"))
    (tmp_path / f"{GOOD}.jpg").write_bytes(jpeg()[:400])
    result = covers_app.test_cli_runner().invoke(args=["covers", "import", str(tmp_path)])
    assert "The image is damaged or truncated." in result.output
    assert result.exit_code == 1
    assert cover_of(covers_app, "Good") is None
    assert list(Path(covers_app.config["COVER_DIR"]).glob("*.jpg")) == []


def test_a_decompression_bomb_is_refused(covers_app, tmp_path):
    books(covers_app, (GOOD, "Good"))
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, "PNG")  # 81 megapixels in a few kilobytes
    (tmp_path / f"{GOOD}.png").write_bytes(buffer.getvalue())
    result = covers_app.test_cli_runner().invoke(args=["covers", "import", str(tmp_path)])
    assert "too many pixels" in result.output
    assert cover_of(covers_app, "Good") is None


def test_importing_again_replaces_the_cover_and_removes_the_old_files(covers_app, tmp_path):
    books(covers_app, (GOOD, "Good"))
    (tmp_path / f"{GOOD}.jpg").write_bytes(jpeg())
    runner = covers_app.test_cli_runner()
    runner.invoke(args=["covers", "import", str(tmp_path)])
    first = cover_of(covers_app, "Good")
    (tmp_path / f"{GOOD}.jpg").write_bytes(jpeg(colour="red"))
    kept = runner.invoke(args=["covers", "import", "--keep-existing", str(tmp_path)])
    assert "0 cover(s) loaded, 1 not found" in kept.output
    assert cover_of(covers_app, "Good") == first
    runner.invoke(args=["covers", "import", str(tmp_path)])
    second = cover_of(covers_app, "Good")
    assert second != first
    assert not any(p.exists() for p in stored_files(covers_app, first))
    assert all(p.exists() for p in stored_files(covers_app, second))


# --- flask covers fetch -----------------------------------------------------------------------


def test_fetch_loads_found_covers_and_reports_404_non_images_and_timeouts(covers_app, cover_server):
    books(
        covers_app,
        (GOOD, "Found"),
        (MISSING, "Not There"),
        (NOT_IMAGE, "Html"),
        (SLOW, "Slow"),
    )
    url = cover_server + "/b/isbn/{isbn}-L.jpg?default=false"
    result = covers_app.test_cli_runner().invoke(args=["covers", "fetch", "--url", url])
    assert result.exit_code == 0, result.output
    assert "1 cover(s) loaded, 1 not found, 2 refused" in result.output
    assert f"refused {NOT_IMAGE}: That file is not a JPEG, PNG or WebP image." in result.output
    assert f"refused {SLOW}: No answer within 1 seconds." in result.output
    assert cover_of(covers_app, "Found") is not None
    for title in ("Not There", "Html", "Slow"):
        assert cover_of(covers_app, title) is None


def test_fetch_uses_cover_fetch_url_and_leaves_books_with_covers_alone(make_app, cover_server):
    app = make_app(COVER_FETCH_URL=cover_server + "/b/isbn/{isbn}-L.jpg", COVER_FETCH_TIMEOUT=1)
    books(app, (GOOD, "Found"), (SECOND, "Has One"))
    with app.app_context():
        db.session.scalar(select(Book).where(Book.title == "Has One")).cover_image = "x-large.jpg"
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["covers", "fetch"])
    assert "1 cover(s) loaded, 0 not found, 0 refused" in result.output
    assert cover_of(app, "Has One") == "x-large.jpg"


def test_fetch_tries_the_other_editions_isbns(covers_app, cover_server):
    with covers_app.app_context():
        make_book("Two Editions", formats=("paperback", "ebook"))
        book = db.session.scalar(select(Book).where(Book.title == "Two Editions"))
        book.editions[0].isbn13, book.editions[1].isbn13 = MISSING, SECOND
        db.session.commit()
    url = cover_server + "/b/isbn/{isbn}-L.jpg"
    result = covers_app.test_cli_runner().invoke(args=["covers", "fetch", "--url", url])
    assert "1 cover(s) loaded" in result.output


def test_fetch_refuses_an_address_without_the_isbn(covers_app):
    result = covers_app.test_cli_runner().invoke(
        args=["covers", "fetch", "--url", "file:///etc/passwd"]
    )
    assert result.exit_code != 0
    assert "{isbn}" in result.output


# --- the cover column of the catalog CSV -------------------------------------------------------


def test_csv_cover_column_takes_addresses_and_paths_next_to_the_file(
    covers_app, cover_server, tmp_path
):
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "calf.png").write_bytes(jpeg(colour="gold"))
    csv = tmp_path / "books.csv"
    csv.write_text(
        "isbn13,title,format,price,cover\n"
        f"{GOOD},From The Web,paperback,16.00,{cover_server}/b/isbn/{GOOD}-L.jpg\n"
        f"{SECOND},From A File,paperback,16.00,art/calf.png\n"
        f"{MISSING},No Cover,paperback,16.00,\n",
        encoding="utf-8",
    )
    result = covers_app.test_cli_runner().invoke(args=["catalog", "import", str(csv)])
    assert result.exit_code == 0, result.output
    assert cover_of(covers_app, "From The Web") is not None
    assert cover_of(covers_app, "From A File") is not None
    assert cover_of(covers_app, "No Cover") is None


def test_a_bad_csv_cover_stops_the_whole_import(covers_app, cover_server, tmp_path):
    csv = tmp_path / "books.csv"
    csv.write_text(
        "isbn13,title,format,price,cover\n"
        f"{GOOD},Fine,paperback,16.00,{cover_server}/b/isbn/{GOOD}-L.jpg\n"
        f"{SECOND},Broken,paperback,16.00,{cover_server}/b/isbn/{MISSING}-L.jpg\n"
        f"{NOT_IMAGE},Wrong,paperback,16.00,ftp://example.com/a.jpg\n",
        encoding="utf-8",
    )
    result = covers_app.test_cli_runner().invoke(args=["catalog", "import", str(csv)])
    assert result.exit_code != 0
    assert "line 4: cover must be an http(s) address or a file path" in result.output
    csv.write_text("\n".join(csv.read_text().splitlines()[:3]) + "\n", encoding="utf-8")
    result = covers_app.test_cli_runner().invoke(args=["catalog", "import", str(csv)])
    assert result.exit_code != 0
    assert "line 3: cover" in result.output
    assert "404" in result.output
    assert cover_of(covers_app, "Fine") is None
    assert list(Path(covers_app.config["COVER_DIR"]).glob("*.jpg")) == []


def test_the_web_import_takes_cover_addresses_but_not_server_paths(
    covers_app, cover_server, staff_client
):
    client = staff_client
    body = (
        "isbn13,title,format,price,cover\n"
        f"{GOOD},Web Cover,paperback,16.00,{cover_server}/b/isbn/{GOOD}-L.jpg\n"
    )
    response = client.post("/staff/import", data={"file": (io.BytesIO(body.encode()), "books.csv")})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert cover_of(covers_app, "Web Cover") is not None
    body = f"isbn13,title,format,price,cover\n{SECOND},Path Cover,paperback,16.00,/etc/hosts\n"
    response = client.post("/staff/import", data={"file": (io.BytesIO(body.encode()), "books.csv")})
    assert response.status_code == 400
    assert "a file path works only with" in response.get_data(as_text=True)
    assert cover_of(covers_app, "Path Cover") is None
