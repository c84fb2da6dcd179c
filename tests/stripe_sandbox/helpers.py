"""Helpers for the stand-in's tests: valid Checkout Session parameters."""

import time


def session_params(**overrides):
    """Parameters for a valid Checkout Session (two copies of one book, $19.99 each)."""
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1999,
                    "product_data": {"name": "Murder at the Dacha"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 500,
                    "product_data": {"name": "Shipping"},
                },
                "quantity": 1,
            },
        ],
        "metadata": {"order_id": "42"},
        "client_reference_id": "order-42",
        "customer_email": "buyer@example.com",
        "success_url": "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart",
        "expires_at": int(time.time()) + 1800,
    }
    params.update(overrides)
    return params
