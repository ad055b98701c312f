"""A short-lived, in-process memory of the notice list's summary (its filter options and
its total), so the busiest page does not group every readable notice on every request.

The summary depends only on what a person may read, which their roles decide, and on the
filters; so it is kept per (roles, filters) for SUMMARY_TTL seconds. The rows of the list
are always read afresh: a newly published notice shows at once, while the total and the
dropdown options may lag behind by up to SUMMARY_TTL (less in the process that published
or withdrew it, which forgets everything it kept). Each worker process keeps its own.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

SUMMARY_TTL = 30.0  # seconds
SUMMARY_ENTRIES = 512


class ExpiringCache(Generic[V]):
    """At most `size` values, each forgotten `ttl` seconds after it was stored; the least
    recently used goes first when full. Not shared between processes."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self.clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        self._entries[key] = (self.clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


summaries: ExpiringCache[object] = ExpiringCache(SUMMARY_ENTRIES, SUMMARY_TTL)


def forget_summaries() -> None:
    """Called when a notice is published or withdrawn, and when an app starts."""
    summaries.clear()
