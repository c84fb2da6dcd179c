"""The demo shop's sales tax: the publisher is in Vermont, which taxes books, ebooks and
shipping alike at 6%."""

from bookstore.tax.services import RateSpec, any_rates, set_rate

DEMO_RATES = [RateSpec("US", "VT", "Vermont sales tax", 6000)]


def load_demo_tax_rates() -> int:
    """The demo's rates, for a shop that has none yet; returns how many were added."""
    if any_rates():
        return 0
    for spec in DEMO_RATES:
        set_rate(spec, actor_id=None)
    return len(DEMO_RATES)
