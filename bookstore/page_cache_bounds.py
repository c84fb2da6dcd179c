"""Bounds on what the page cache keeps: variants per page, bytes in all, size of one page.

Every junk query string used to become a new cache entry. Keys now hold only the parameters a
page reads (``cached_page(params=...)``), in a canonical order, and this index of what the
process stored evicts the least recently used entry of a page past ``PAGE_CACHE_VARIANTS``
variants, and the least recently used entry of any page past ``PAGE_CACHE_MAX_BYTES`` (and,
for the in-memory cache, past ``PAGE_CACHE_ENTRIES``). Used means stored or served: the shop's
popular pages stay while a flood of pages seen once (a crawler, a busy hour of searches) comes
and goes; evicting the least recently *stored* threw out the home page and the first browse
pages every few seconds of such traffic. A page larger than a tenth of the bytes is not kept
at all. With Redis every worker keeps its own index, so the bound there is per worker (give
Redis a ``maxmemory`` with an LRU policy too).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

SWEEP_SECONDS = 1.0
VIEWS_KEPT = 20_000  # pages whose first view a process remembers (about 4 MB)


@dataclass
class _Entry:
    path: str
    size: int
    expires: float


class PageIndex:
    """What this process put in the page cache, least recently used first, with the bounds
    above.

    Adding and using cost O(1) per entry they touch: each page's variants are in order of
    their own, and expired entries are dropped from the least recently used end, with a look
    through every entry at most once a second for the others. ``add`` returns the keys the
    cache should delete: those evicted, and those expired (so an in-memory cache, which keeps
    an expired page until asked for it, frees it).
    """

    def __init__(
        self,
        variants_per_page: int,
        max_bytes: int,
        clock=time.monotonic,
        max_entries: int | None = None,
    ):
        self.variants_per_page = max(1, variants_per_page)
        self.max_bytes = max(1, max_bytes)
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._per_path: dict[str, OrderedDict[str, None]] = {}
        self.total_bytes = 0
        self._swept_at = clock()

    def admits(self, size: int) -> bool:
        """Is a page of ``size`` bytes small enough to keep?"""
        return size <= self.max_bytes // 10

    def add(
        self, key: str, path: str, size: int, timeout: float, report_expired: bool = True
    ) -> list[str]:
        """Record a stored page; returns the keys to delete from the cache to stay in bounds
        (without those that expired if ``report_expired`` is false: Redis drops them itself)."""
        now = self._clock()
        with self._lock:
            self._drop(key)
            expired = self._forget_expired(now)
            evicted = expired if report_expired else []
            variants = self._per_path.get(path)
            if variants is not None and len(variants) >= self.variants_per_page:
                oldest = next(iter(variants))
                self._drop(oldest)
                evicted.append(oldest)
            self._entries[key] = _Entry(path, size, now + timeout)
            self._per_path.setdefault(path, OrderedDict())[key] = None
            self.total_bytes += size
            while len(self._entries) > 1 and self._over_bounds():
                oldest = next(iter(self._entries))
                self._drop(oldest)
                evicted.append(oldest)
        return evicted

    def used(self, key: str) -> None:
        """A kept page was served: it becomes the most recently used, of its page and of all
        (a key another worker stored is not in this index: nothing to do)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self._per_path[entry.path].move_to_end(key)

    def _over_bounds(self) -> bool:
        return self.total_bytes > self.max_bytes or (
            self.max_entries is not None and len(self._entries) > self.max_entries
        )

    def _forget_expired(self, now: float) -> list[str]:
        """Drop entries whose time is up; returns their keys."""
        expired = []
        while self._entries:
            oldest, entry = next(iter(self._entries.items()))
            if entry.expires > now:
                break
            self._drop(oldest)
            expired.append(oldest)
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            for old_key in [k for k, e in self._entries.items() if e.expires <= now]:
                self._drop(old_key)
                expired.append(old_key)
        return expired

    def variants(self, path: str) -> int:
        return len(self._per_path.get(path, ()))

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self.total_bytes -= entry.size
        variants = self._per_path[entry.path]
        del variants[key]
        if not variants:
            del self._per_path[entry.path]


class PageViews:
    """Pages viewed in this process within the last ``seconds``, at most ``entries`` of them
    (the least recently first viewed are forgotten first)."""

    def __init__(self, seconds: float, entries: int = VIEWS_KEPT, clock=time.monotonic):
        self.seconds, self.entries = seconds, max(1, entries)
        self._clock = clock
        self._lock = threading.Lock()
        self._until: OrderedDict[str, float] = OrderedDict()

    def seen(self, mark: str) -> bool:
        """Note a view of the page ``mark`` names; whether it was viewed before, in time."""
        now = self._clock()
        with self._lock:
            until = self._until.get(mark)
            if until is not None and until > now:
                return True
            self._until[mark] = now + self.seconds
            self._until.move_to_end(mark)
            while len(self._until) > self.entries:
                self._until.popitem(last=False)
            return False
