"""A small bounded, expiring cache for values read on every update (users, preferences).

Bounded (least recently used entries go first) so memory stays flat however many chats the bot
sees; expiring so that a change made by another instance shows within ``ttl`` seconds.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self, *, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._maxsize = maxsize
        self._ttl = ttl
        self._clock = clock

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        expires, value = found
        if expires < self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        now = self._clock()
        self._items[key] = (now + self._ttl, value)
        self._items.move_to_end(key)
        # The least recently used end holds the stale entries: drop them as we go, so the cache
        # holds what was used within its TTL, not ``maxsize`` entries of old news.
        items = self._items
        while len(items) > self._maxsize or next(iter(items.values()))[0] < now:
            items.popitem(last=False)

    def drop(self, key: K) -> None:
        self._items.pop(key, None)
