"""The read-through cache holds what was used within its TTL, never more than its size."""

from __future__ import annotations

from telegemini.storage.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl():
    clock = Clock()
    cache: TtlCache[int, str] = TtlCache(maxsize=10, ttl=5.0, clock=clock)
    cache.put(1, "a")
    clock.now = 4.9
    assert cache.get(1) == "a"
    clock.now = 5.1
    assert cache.get(1) is None


def test_stale_entries_are_dropped_as_new_ones_come_not_kept_to_the_size_limit():
    clock = Clock()
    cache: TtlCache[int, int] = TtlCache(maxsize=10_000, ttl=10.0, clock=clock)
    for second in range(1000):  # one new user a second, each seen once
        clock.now = float(second)
        cache.put(second, second)
    assert len(cache) <= 11  # the last ten seconds' worth, not a thousand


def test_the_size_limit_holds_within_the_ttl():
    cache: TtlCache[int, int] = TtlCache(maxsize=3, ttl=60.0, clock=Clock())
    for key in range(5):
        cache.put(key, key)
    assert len(cache) == 3
    assert cache.get(0) is None
    assert cache.get(4) == 4
