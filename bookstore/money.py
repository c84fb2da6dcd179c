"""Money as integer minor units (cents). Never a float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_AMOUNT = Decimal(10_000_000)
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def format_cents(cents: int, currency: str = "USD") -> str:
    """Format cents for display: ``format_cents(1600)`` is ``'$16.00'``."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money must be integer cents, not {type(cents).__name__}")
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    amount = f"{whole:,}.{frac:02d}"
    if symbol:
        return f"{sign}{symbol}{amount}"
    return f"{sign}{amount} {currency.upper()}"


def plain_amount(cents: int) -> str:
    """Cents as a bare decimal for forms and CSV files: ``plain_amount(1600)`` is ``'16.00'``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


def parse_amount(text: str) -> int:
    """Parse a typed amount such as ``'16'``, ``'16.5'`` or ``'$1,016.00'`` into cents.

    Raises ``ValueError`` for anything that is not a non-negative amount with at most two
    decimals.
    """
    cleaned = str(text).strip().replace(",", "").removeprefix("$").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        raise ValueError(f"not an amount between 0 and {MAX_AMOUNT:,}: {text!r}")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"more than two decimals: {text!r}")
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
