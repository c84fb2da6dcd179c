"""The checkout fixtures (a shop wired to the Stripe stand-in, a buyer) for deal tests."""

from tests.checkout.conftest import buyer, shop  # noqa: F401
