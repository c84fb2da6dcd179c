"""Covers in bulk: a folder of files named by ISBN, URLs or paths in the catalog CSV, and covers
fetched by ISBN from a cover service (Open Library's by default).

Every image goes through ``cover_images.store_cover`` (checked by content, size-limited,
re-encoded, resized) exactly like an upload from the staff book page. Downloads never run inside
an open write transaction: a book's cover is fetched and stored first, then set with one short
conditional UPDATE that the caller commits; the files of a cover that was not used are removed.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bookstore.catalog.isbn import is_valid_isbn13, normalise_isbn
from bookstore.catalog.models import Book, Edition
from bookstore.database import rowcount
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput
from bookstore.staff.cover_images import StoredCover, remove_cover, store_cover
from bookstore.staff.csv_format import CatalogRow, RowError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
USER_AGENT = "RussianLifeBooks-covers/1.0 (+https://github.com/)"


@dataclass
class CoverReport:
    """What a bulk load did: covers set, and each file or book left out with the reason."""

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # nothing to load (e.g. a 404)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (what, why)

    def summary(self) -> str:
        return (
            f"{len(self.loaded)} cover(s) loaded, {len(self.missing)} not found, "
            f"{len(self.refused)} refused"
        )


def is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in {"http", "https"}


def download_image(url: str, *, max_bytes: int, timeout: float) -> bytes | None:
    """The body of ``url`` (http or https only), or None when the server has no such image.

    Refuses (InvalidInput) bodies over ``max_bytes`` without reading past the limit, errors,
    and servers slower than ``timeout`` seconds."""
    if not is_url(url):
        raise InvalidInput("Only http and https addresses can be fetched.")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise InvalidInput(f"The image is larger than {max_bytes:,} bytes.")
            body = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            return None
        raise InvalidInput(f"The server answered {exc.code}.") from None
    except TimeoutError:
        raise InvalidInput(f"No answer within {timeout:g} seconds.") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError | socket.timeout):
            raise InvalidInput(f"No answer within {timeout:g} seconds.") from None
        raise InvalidInput(f"The image could not be fetched ({reason}).") from None
    if len(body) > max_bytes:
        raise InvalidInput(f"The image is larger than {max_bytes:,} bytes.")
    return body


def read_image_file(path: Path, *, max_bytes: int) -> bytes:
    """A cover file's bytes, refused when it is not a regular file or is over ``max_bytes``."""
    try:
        if not path.is_file():
            raise InvalidInput(f"{path} is not a file.")
        if path.stat().st_size > max_bytes:
            raise InvalidInput(f"The image is larger than {max_bytes:,} bytes.")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path} could not be read ({exc.strerror}).") from None


def set_cover(session: Session, book_id: int, cover: StoredCover, *, if_missing: bool) -> bool:
    """Point the book at a stored cover (one UPDATE; the caller commits). False when another
    cover arrived first (``if_missing``) or the book is gone; the old files stay until commit."""
    statement = update(Book).where(Book.id == book_id)
    if if_missing:
        statement = statement.where(Book.cover_image.is_(None))
    result = session.execute(
        statement.values(cover_image=cover.filename("large"), updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return rowcount(result) == 1


def book_ids_by_isbn(session: Session, isbns: list[str]) -> dict[str, tuple[int, str | None]]:
    """(book id, current cover) of each ISBN-13 that is an edition of the catalog."""
    found: dict[str, tuple[int, str | None]] = {}
    for start in range(0, len(isbns), 1000):
        chunk = isbns[start : start + 1000]
        rows = session.execute(
            select(Edition.isbn13, Book.id, Book.cover_image)
            .join(Book, Book.id == Edition.book_id)
            .where(Edition.isbn13.in_(chunk))
        )
        for isbn, book_id, cover in rows:
            found[isbn] = (book_id, cover)
    return found


def _isbn_of(path: Path) -> str | None:
    digits = normalise_isbn(path.stem)
    return digits if len(digits) == 13 and is_valid_isbn13(digits) else None


def import_folder(
    session: Session,
    folder: Path,
    cover_dir: Path,
    *,
    max_bytes: int,
    replace: bool = True,
    progress: Callable[[int], None] = lambda n: None,
) -> CoverReport:
    """Load every image in ``folder`` named by an ISBN-13 (``9781880100011.jpg``) as the cover
    of that edition's book; commits after each cover so a long run keeps what it did."""
    report = CoverReport()
    files = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir()
    )
    skipped = sorted(p.name for p in folder.iterdir() if p.is_file() and p not in files)
    report.refused += [(name, "not a .jpg, .jpeg, .png or .webp file") for name in skipped]
    named = {p: _isbn_of(p) for p in files}
    books = book_ids_by_isbn(session, sorted({i for i in named.values() if i}))
    session.rollback()  # end the read: no transaction stays open while images are processed
    for path, isbn in named.items():
        progress(1)
        if isbn is None:
            report.refused.append((path.name, "the name is not a valid ISBN-13"))
            continue
        if isbn not in books:
            report.refused.append((path.name, f"no edition has ISBN {isbn}"))
            continue
        book_id, old = books[isbn]
        if old and not replace:
            report.missing.append(path.name)
            continue
        try:
            cover = store_cover(read_image_file(path, max_bytes=max_bytes), cover_dir)
        except InvalidInput as exc:
            report.refused.append((path.name, str(exc)))
            continue
        _commit_cover(session, book_id, cover, cover_dir, if_missing=not replace, old=old)
        books[isbn] = (book_id, cover.filename("large"))
        report.loaded.append(path.name)
    return report


def books_without_cover(session: Session, limit: int | None = None) -> dict[int, list[str]]:
    """The ISBNs (of active editions) of each book that has no cover, by book id."""
    query = (
        select(Book.id, Edition.isbn13)
        .join(Edition, Edition.book_id == Book.id)
        .where(Book.cover_image.is_(None), Edition.active.is_(True))
        .order_by(Book.id, Edition.id)
    )
    wanted: dict[int, list[str]] = {}
    for book_id, isbn in session.execute(query):
        if limit is None or book_id in wanted or len(wanted) < limit:
            wanted.setdefault(book_id, []).append(isbn)
    session.rollback()  # end the read: no transaction stays open across the downloads
    return wanted


def fetch_missing(
    session: Session,
    wanted: dict[int, list[str]],
    url_template: str,
    cover_dir: Path,
    *,
    max_bytes: int,
    timeout: float,
    progress: Callable[[int], None] = lambda n: None,
) -> CoverReport:
    """Fetch a cover by ISBN (``{isbn}`` in ``url_template``) for each book of ``wanted``
    (from ``books_without_cover``), each edition's ISBN in turn. Commits after each cover."""
    if "{isbn}" not in url_template or not is_url(url_template):
        raise InvalidInput("The cover address must be http(s) with an {isbn} placeholder.")
    report = CoverReport()
    for book_id, isbns in wanted.items():
        progress(1)
        outcome = _fetch_first(isbns, url_template, max_bytes=max_bytes, timeout=timeout)
        if outcome is None:
            report.missing.append(isbns[0])
            continue
        if isinstance(outcome, str):
            report.refused.append((isbns[0], outcome))
            continue
        try:
            cover = store_cover(outcome, cover_dir)
        except InvalidInput as exc:
            report.refused.append((isbns[0], str(exc)))
            continue
        if _commit_cover(session, book_id, cover, cover_dir, if_missing=True, old=None):
            report.loaded.append(isbns[0])
    return report


def _fetch_first(isbns: list[str], template: str, *, max_bytes: int, timeout: float):
    """The first image found for one of ``isbns``: bytes, None (none found) or an error text."""
    error = None
    for isbn in isbns:
        try:
            url = template.replace("{isbn}", isbn)
            body = download_image(url, max_bytes=max_bytes, timeout=timeout)
        except InvalidInput as exc:
            error = str(exc)
            continue
        if body is not None:
            return body
    return error


def _commit_cover(session, book_id, cover, cover_dir, *, if_missing, old) -> bool:
    """Set, commit, and tidy the files: the replaced cover's, or the new one's if unused."""
    try:
        used = set_cover(session, book_id, cover, if_missing=if_missing)
        session.commit()
    except Exception:
        session.rollback()
        remove_cover(cover.name, cover_dir)
        raise
    if not used:
        remove_cover(cover.name, cover_dir)
    elif old:
        remove_cover(stored_name(old), cover_dir)
    return used


@dataclass
class PreparedCovers:
    """Covers of catalog CSV rows, checked and stored before the import writes anything."""

    by_isbn: dict[str, StoredCover] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def discard(self, cover_dir: Path) -> None:
        for cover in {c.name for c in self.by_isbn.values()}:
            remove_cover(cover, cover_dir)
        self.by_isbn.clear()


def prepare_csv_covers(
    rows: list[CatalogRow],
    cover_dir: Path,
    *,
    base_dir: Path | None,
    max_bytes: int,
    timeout: float,
) -> PreparedCovers:
    """Fetch or read and store the ``cover`` of each row (before any database write). File
    paths are read relative to ``base_dir`` (the CSV's folder), and only when it is given: a
    file uploaded through the web may name addresses, not files on the server. Any error makes
    the whole file refused, as for other bad cells; the stored files are then removed."""
    prepared = PreparedCovers()
    seen: dict[str, StoredCover] = {}
    for row in rows:
        if not row.cover:
            continue
        if row.cover in seen:
            prepared.by_isbn[row.isbn13] = seen[row.cover]
            continue
        try:
            if is_url(row.cover):
                data = download_image(row.cover, max_bytes=max_bytes, timeout=timeout)
                if data is None:
                    raise InvalidInput("there is no image at that address (404)")
            elif base_dir is None:
                raise InvalidInput(
                    "a file path works only with `flask catalog import`; give an http(s) address"
                )
            else:
                data = read_image_file(base_dir / row.cover, max_bytes=max_bytes)
            seen[row.cover] = prepared.by_isbn[row.isbn13] = store_cover(data, cover_dir)
        except InvalidInput as exc:
            prepared.errors.append(RowError(row.line, f"cover {row.cover!r}: {exc}"))
    if prepared.errors:
        prepared.discard(cover_dir)
    return prepared


def apply_csv_covers(session: Session, prepared: PreparedCovers) -> list[str]:
    """Set the prepared covers on their books (after ``apply_import``; flushes, never commits).
    Returns the names of the replaced covers, whose files the caller removes after commit."""
    books = book_ids_by_isbn(session, sorted(prepared.by_isbn))
    replaced, new_names = [], {c.filename("large") for c in prepared.by_isbn.values()}
    for isbn, cover in prepared.by_isbn.items():
        book_id, old = books[isbn]
        set_cover(session, book_id, cover, if_missing=False)
        if old and old not in new_names:
            replaced.append(old)
    return sorted(set(replaced))


def stored_name(cover_image: str) -> str:
    """The base name of a stored cover from a book's ``cover_image`` (``<name>-large.jpg``)."""
    return cover_image.removesuffix("-large.jpg")
