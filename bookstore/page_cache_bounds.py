"""Bounds on what the page cache keeps: variants per page, bytes in all, size of one page.

Every junk query string used to become a new cache entry. Keys now hold only the parameters a
page reads (``cached_page(params=...)``), in a canonical order, and this index of what the
process stored evicts the least recently stored entry of a page past ``PAGE_CACHE_VARIANTS``
variants, and the least recently stored entry of any page past ``PAGE_CACHE_MAX_BYTES``. A page
larger than a tenth of that is not kept at all. With Redis every worker keeps its own index, so
the bound there is per worker (give Redis a ``maxmemory`` with an LRU policy too).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Entry:
    path: str
    size: int
    expires: float


class PageIndex:
    """What this process put in the page cache, oldest first, with the bounds above."""

    def __init__(self, variants_per_page: int, max_bytes: int, clock=time.monotonic):
        self.variants_per_page = max(1, variants_per_page)
        self.max_bytes = max(1, max_bytes)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._per_path: dict[str, int] = {}
        self.total_bytes = 0

    def admits(self, size: int) -> bool:
        """Is a page of ``size`` bytes small enough to keep?"""
        return size <= self.max_bytes // 10

    def add(self, key: str, path: str, size: int, timeout: float) -> list[str]:
        """Record a stored page; returns the keys to delete from the cache to stay in bounds."""
        now = self._clock()
        evicted: list[str] = []
        with self._lock:
            self._drop(key)
            for old_key, entry in list(self._entries.items()):
                if entry.expires <= now:
                    self._drop(old_key)  # gone from the cache by itself
            if self._per_path.get(path, 0) >= self.variants_per_page:
                oldest = next(k for k, e in self._entries.items() if e.path == path)
                self._drop(oldest)
                evicted.append(oldest)
            self._entries[key] = _Entry(path, size, now + timeout)
            self._per_path[path] = self._per_path.get(path, 0) + 1
            self.total_bytes += size
            while self.total_bytes > self.max_bytes and len(self._entries) > 1:
                oldest = next(iter(self._entries))
                self._drop(oldest)
                evicted.append(oldest)
        return evicted

    def variants(self, path: str) -> int:
        return self._per_path.get(path, 0)

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self.total_bytes -= entry.size
        left = self._per_path[entry.path] - 1
        if left:
            self._per_path[entry.path] = left
        else:
            del self._per_path[entry.path]
