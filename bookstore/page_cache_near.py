"""The pages a worker read from Redis in the last second, kept in its own memory too.

With Redis as the page cache, every hit was a round trip to Redis and the unpickling of the
page: a third of what a hit costs a worker. A popular page is asked for many times a second, so
each worker keeps, for ``NEAR_SECONDS``, the pages it has just read (not the pages it stores:
most of those are never asked for again). A kept page is as fresh as the worker's view of the
page-cache generation, which it re-reads once a second anyway (``GENERATION_RECHECK_SECONDS``):
another worker's change shows here within the same second either way. Keys carry the
generation, and the stock a page showed is checked on every hit by the caller, as for a page
read from Redis.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

NEAR_SECONDS = 1.0
NEAR_ENTRIES = 256  # pages; a second of the shop's most asked-for pages


class NearPages:
    """A small, short-lived, least-recently-used map of key -> page read from Redis."""

    def __init__(self, entries: int = NEAR_ENTRIES, seconds: float = NEAR_SECONDS):
        self.entries, self.seconds = entries, seconds
        self._pages: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """The page read for ``key`` within the last ``seconds``, or None."""
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found[1]

    def keep(self, key: str, page: Any) -> None:
        """Keep a page just read from Redis for ``seconds``."""
        with self._lock:
            self._pages[key] = (time.monotonic() + self.seconds, page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)

    def forget(self, keys) -> None:
        """Drop pages stored anew or deleted from Redis."""
        with self._lock:
            for key in keys:
                self._pages.pop(key, None)
