"""ISBN-13: normalise, validate by check digit, and hyphenate for display."""

from stdnum import numdb

from bookstore.errors import InvalidISBN


def normalise_isbn(raw: str) -> str:
    """Strip spaces and hyphens; ``'978-1-880100-81-3'`` becomes ``'9781880100813'``."""
    return "".join(ch for ch in str(raw) if ch not in " -\u2010\u2011\u2013")


def check_digit(first12: str) -> str:
    """The ISBN-13 check digit for twelve digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_isbn13(raw: str) -> bool:
    """True for a 13-digit 978/979 number whose check digit is right."""
    isbn = normalise_isbn(raw)
    return (
        len(isbn) == 13
        and isbn.isdigit()
        and isbn.startswith(("978", "979"))
        and check_digit(isbn[:12]) == isbn[12]
    )


def validate_isbn13(raw: str) -> str:
    """Return the normalised ISBN-13 or raise ``InvalidISBN`` with a clear message."""
    isbn = normalise_isbn(raw)
    if len(isbn) != 13 or not isbn.isdigit():
        raise InvalidISBN(f"An ISBN-13 has 13 digits; {raw!r} does not.")
    if not isbn.startswith(("978", "979")):
        raise InvalidISBN(f"An ISBN-13 starts with 978 or 979; {raw!r} does not.")
    if check_digit(isbn[:12]) != isbn[12]:
        raise InvalidISBN(
            f"The check digit of {raw!r} is wrong (expected {check_digit(isbn[:12])})."
        )
    return isbn


def hyphenate_isbn13(raw: str) -> str:
    """Hyphenate for display by the ISBN agency's ranges (python-stdnum's copy of them):
    ``978-1-880100-81-3``, ``979-8-9999000-1-2``; a number it cannot split is shown as given.

    The ranges are looked up directly, as ``stdnum.isbn.format`` does after cleaning and
    checking the number again: a book page shows an ISBN per edition, and that took three
    times as long."""
    # Stored ISBNs are normalised already: only others go through normalise_isbn.
    isbn = raw if len(raw) == 13 and raw.isdigit() else normalise_isbn(raw)
    if len(isbn) != 13 or not isbn.isdigit():
        return isbn
    return "-".join([*_RANGES.split(isbn[:-1]), isbn[-1]])


_RANGES = numdb.get("isbn")
