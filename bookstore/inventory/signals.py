"""``stock_added``: sent when copies enter an edition's stock, by any path.

Sent inside the transaction that adds them (the sender is the app, ``edition_ids`` the
editions), so a receiver's writes commit or roll back with the stock. Inventory knows nothing
of who listens (the availability alerts do).
"""

from __future__ import annotations

from collections.abc import Iterable

from blinker import Namespace
from flask import current_app

_signals = Namespace()
stock_added = _signals.signal("stock-added")


def announce_stock_added(edition_ids: Iterable[int]) -> None:
    """Tell listeners that ``edition_ids`` have more copies (call after the write, uncommitted)."""
    ids = sorted(set(edition_ids))
    if ids:
        stock_added.send(current_app._get_current_object(), edition_ids=ids)  # type: ignore[attr-defined]
