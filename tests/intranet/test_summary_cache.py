"""The short-lived memory behind the notice list's total and filter options."""

from __future__ import annotations

from intranet.notices.summary_cache import ExpiringCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_forgotten_when_it_expires() -> None:
    clock = Clock()
    cache: ExpiringCache[str] = ExpiringCache(4, ttl=30, clock=clock)
    cache.put("a", "kept")
    clock.now += 29.9
    assert cache.get("a") == "kept"
    clock.now += 0.1
    assert cache.get("a") is None
    assert len(cache) == 0


def test_the_least_recently_used_goes_first_when_full() -> None:
    cache: ExpiringCache[int] = ExpiringCache(2, ttl=30, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    cache.clear()
    assert cache.get("a") is None
