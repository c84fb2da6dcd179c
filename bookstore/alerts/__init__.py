"""Availability alerts and cart reminders: one email when a sold-out edition (or a preorder)
becomes available, and one reminder for a cart left behind.

- ``models``: ``StockAlert`` (one reader's wish to hear about one edition), ``ReminderOptOut``.
- ``services``: sign-up (one click when signed in, double opt-in for a guest), confirm, cancel.
- ``release``: ends the alerts whose edition is available now and queues their emails, in the
  transaction that made it available (inventory's ``stock_added`` signal, or the hourly check
  for publication dates).
- ``reminders``: the cart reminder, found by the job queue's schedule.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Listen for stock arriving (any path: receipts, counts, imports, refund restocks)."""
    from bookstore.alerts import (
        release,
        reminders,  # noqa: F401  (the "cart_reminder" job)
    )
    from bookstore.inventory.signals import stock_added

    stock_added.connect(release.on_stock_added, sender=app, weak=False)
