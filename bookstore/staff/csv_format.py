"""The catalog CSV format: reading rows with a report of every error, and safe writing.

One row per edition, keyed by ISBN-13. Reading never touches the database: it turns text into
``CatalogRow`` values or ``RowError``s naming the line and the problem, so an import can refuse
a file with any bad row before changing anything.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from bookstore.catalog.isbn import validate_isbn13
from bookstore.catalog.models import Format
from bookstore.errors import InvalidISBN
from bookstore.money import parse_amount

COLUMNS = [
    "isbn13",
    "title",
    "subtitle",
    "format",
    "price",
    "pages",
    "published_on",
    "stock",
    "authors",
    "subjects",
    "series",
    "series_position",
    "languages",
    "description",
    "cover",
]
REQUIRED_COLUMNS = {"isbn13"}
LIST_SEPARATOR = ";"
MAX_ROWS = 500_000
MAX_FIELD = 20_000
# A leading =, +, - or @ (or a tab/CR) makes spreadsheets evaluate a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class CatalogRow:
    """One edition's facts from a CSV line; ``None`` means "column absent or left empty"."""

    line: int
    isbn13: str
    title: str | None = None
    subtitle: str | None = None
    format: Format | None = None
    price_cents: int | None = None
    pages: int | None = None
    published_on: date | None = None
    stock: int | None = None
    authors: list[str] | None = None
    subjects: list[str] | None = None
    series: str | None = None
    series_position: int | None = None
    languages: str | None = None
    description: str | None = None
    # An http(s) address or (with `flask catalog import`) a file path of the book's cover.
    cover: str | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParsedFile:
    rows: list[CatalogRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_catalog_csv(text: str) -> ParsedFile:
    """Parse and check a whole catalog CSV; every problem is reported with its line."""
    result = ParsedFile()
    csv.field_size_limit(MAX_FIELD * 2)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        result.errors.append(RowError(1, f"the header is not valid CSV ({exc})"))
        return result
    missing = REQUIRED_COLUMNS - set(header)
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s): {', '.join(sorted(missing))}")
        if unknown:
            problems.append(f"unknown column(s): {', '.join(unknown)}")
        result.errors.append(
            RowError(1, "; ".join(problems) + f" (columns are: {', '.join(COLUMNS)})")
        )
        return result
    reader.fieldnames = header
    seen: dict[str, int] = {}
    try:
        for raw in reader:
            line = reader.line_num
            if len(result.rows) + len(result.errors) >= MAX_ROWS:
                result.errors.append(RowError(line, f"more than {MAX_ROWS:,} rows"))
                break
            if None in raw:
                result.errors.append(RowError(line, "more cells than columns"))
                continue
            if not any((value or "").strip() for value in raw.values()):
                continue
            row, problems = _read_row(line, raw)
            if row and row.isbn13 in seen:
                problems.append(f"ISBN {row.isbn13} is also on line {seen[row.isbn13]}")
            if problems:
                result.errors.extend(RowError(line, p) for p in problems)
                continue
            if row is None:
                raise RuntimeError(f"Line {line}: _read_row gave neither a row nor a problem")
            seen[row.isbn13] = line
            result.rows.append(row)
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, f"not valid CSV ({exc})"))
    return result


def _read_row(line: int, raw: dict[str, str | None]) -> tuple[CatalogRow | None, list[str]]:
    problems: list[str] = []
    values = {key: (value or "").strip() for key, value in raw.items()}
    for key, value in values.items():
        if len(value) > MAX_FIELD:
            problems.append(f"{key} is longer than {MAX_FIELD:,} characters")
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
            problems.append(f"{key} contains control characters")
    if problems:
        return None, problems
    try:
        isbn = validate_isbn13(values["isbn13"])
    except InvalidISBN as exc:
        return None, [str(exc)]
    row = CatalogRow(line=line, isbn13=isbn)
    for name in ("title", "subtitle", "series", "description"):
        if values.get(name):
            setattr(row, name, values[name])
    if values.get("languages"):
        codes = values["languages"].replace(",", " ").split()
        if not all(len(code) == 2 and code.isalpha() for code in codes):
            problems.append("languages must be two-letter codes such as 'en' or 'en ru'")
        row.languages = " ".join(code.lower() for code in codes)
    if values.get("format"):
        try:
            row.format = Format(values["format"].lower())
        except ValueError:
            allowed = ", ".join(f.value for f in Format)
            problems.append(f"format {values['format']!r} is not one of {allowed}")
    if values.get("price"):
        try:
            row.price_cents = parse_amount(values["price"])
        except ValueError:
            problems.append(f"price {values['price']!r} is not an amount like 16.00")
    for name, low in (("pages", 1), ("stock", 0), ("series_position", 1)):
        if values.get(name):
            number = _whole_number(values[name])
            if number is None or number < low or number > 1_000_000:
                problems.append(f"{name} {values[name]!r} must be a whole number from {low}")
            else:
                setattr(row, name, number)
    if values.get("published_on"):
        try:
            row.published_on = date.fromisoformat(values["published_on"])
        except ValueError:
            problems.append(f"published_on {values['published_on']!r} is not a YYYY-MM-DD date")
    for name in ("authors", "subjects"):
        if values.get(name):
            items = [item.strip() for item in values[name].split(LIST_SEPARATOR)]
            setattr(row, name, [item for item in items if item])
    if values.get("cover"):
        scheme = urlsplit(values["cover"]).scheme.lower()
        if scheme and scheme not in ("http", "https") and len(scheme) > 1:
            problems.append("cover must be an http(s) address or a file path")
        else:
            row.cover = values["cover"]
    if row.series_position is not None and not row.series:
        problems.append("series_position needs a series")
    return row, problems


def _whole_number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def neutralise_cell(value: object) -> str:
    """Text for a CSV cell that a spreadsheet will show, never evaluate."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield CSV text chunk by chunk (for streaming responses), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
