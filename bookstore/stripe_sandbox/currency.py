"""Currencies the stand-in accepts, their minimum charges and how amounts read on the pay page."""

# Stripe's zero-decimal currencies: amounts are whole units, not cents.
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
SUPPORTED = frozenset(
    {"usd", "eur", "gbp", "cad", "aud", "chf", "sek", "nok", "dkk", "pln", "czk", "nzd", "jpy"}
)
# Stripe refuses a charge below the currency's minimum (50 cents for USD).
MINIMUM_CHARGE = {"gbp": 30, "jpy": 50, "nok": 300, "sek": 300, "dkk": 250, "pln": 200, "czk": 1500}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "jpy": "¥", "nzd": "NZ$"}
MAX_AMOUNT = 99_999_999


def minimum_charge(currency: str) -> int:
    """The smallest amount Stripe charges in ``currency``, in minor units."""
    return MINIMUM_CHARGE.get(currency, 50)


def format_amount(amount: int, currency: str) -> str:
    """``1999, "usd"`` -> ``$19.99``; unknown symbols fall back to the code."""
    symbol = SYMBOLS.get(currency, currency.upper() + " ")
    if currency in ZERO_DECIMAL:
        return f"{symbol}{amount:,}"
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{symbol}{whole:,}.{cents:02d}"
