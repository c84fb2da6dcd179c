"""ISBN-13: normalise, validate by check digit, and hyphenate for display."""

from bookstore.errors import InvalidISBN

# Registrant ranges of the English-language groups 978-0 and 978-1 (from the ISBN agency's
# range file). Other groups fall back to prefix-rest-check, which is still readable.
_REGISTRANT_RANGES = {
    "0": [
        ("00", "19"),
        ("200", "699"),
        ("7000", "8499"),
        ("85000", "89999"),
        ("900000", "949999"),
        ("9500000", "9999999"),
    ],
    "1": [
        ("00", "09"),
        ("100", "399"),
        ("4000", "5499"),
        ("55000", "86979"),
        ("869800", "998999"),
        ("9990000", "9999999"),
    ],
}


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
    """Hyphenate for display, e.g. ``978-1-880100-81-3``; other groups as ``978-…``."""
    isbn = normalise_isbn(raw)
    if len(isbn) != 13:
        return isbn
    prefix, group, rest = isbn[:3], isbn[3], isbn[4:12]
    if prefix == "978" and group in _REGISTRANT_RANGES:
        for low, high in _REGISTRANT_RANGES[group]:
            width = len(low)
            if low <= rest[:width] <= high:
                return f"{prefix}-{group}-{rest[:width]}-{rest[width:]}-{isbn[12]}"
    return f"{prefix}-{isbn[3:12]}-{isbn[12]}"
