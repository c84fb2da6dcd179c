"""The demo shop's shipping abroad: the publisher posts from Vermont, so a parcel to Canada
costs more than one at home, and one further afield more again, with more for each copy."""

from flask import current_app

from bookstore.shipping.services import RateSpec, any_rates, home_country, set_rate

DEMO_RATES = [
    RateSpec(
        "CA",
        standard_cents=1400,
        extra_copy_cents=300,
        express_cents=3500,
        standard_days="7-12",
        express_days="3-5",
    ),
    # Everywhere else: no express.
    RateSpec("", standard_cents=2200, extra_copy_cents=600, standard_days="10-25"),
]


def load_demo_shipping_rates() -> int:
    """The demo's rates, for a shop that has none yet; returns how many were added."""
    if any_rates():
        return 0
    home = home_country(current_app.config)
    specs = [spec for spec in DEMO_RATES if spec.country != home]
    for spec in specs:
        set_rate(spec, config=current_app.config, actor_id=None)
    return len(specs)
