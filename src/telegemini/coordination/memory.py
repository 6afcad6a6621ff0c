"""Coordination in process memory: per-conversation locks, evicted as soon as nobody holds or
waits for them, and rate-limit buckets and in-flight slots, swept once they carry no state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from telegemini.core.models import ChatKey, LimitKey

# A bucket at or above this many tokens lets a request through. The slack forgives float
# rounding, so a caller that sleeps exactly the wait it was given gets its token.
TOKEN_SLACK = 1e-9


def check_bucket(rate: float, burst: int) -> None:
    """Refuse bucket parameters that would never refill or never hold a token."""
    if not rate > 0:
        raise ValueError(f"rate must be > 0 tokens per second, got {rate!r}")
    if burst < 1:
        raise ValueError(f"burst must be >= 1 token, got {burst!r}")


def check_ttl(ttl: float) -> None:
    """Refuse an in-flight slot that would expire at once."""
    if not ttl > 0:
        raise ValueError(f"ttl must be > 0 seconds, got {ttl!r}")


class MemoryChatLocks:
    """``ChatLocks`` for one process. The map holds only keys in use, so it never grows with the
    number of chats ever seen."""

    def __init__(self) -> None:
        self._locks: dict[ChatKey, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: ChatKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class MemoryRateLimiter:
    """``RateLimiter`` for one process.

    Each ``LimitKey`` has a token bucket (refilled ``rate`` tokens a second up to ``burst``) and
    an in-flight slot. A missing bucket counts as full and a missing slot as free, so an entry
    is dead once its bucket has refilled or its slot has expired, and dropping it changes
    nothing. Dead entries are swept (one pass over the map):

    - when a new key would take the map past ``sweep_threshold`` entries; the threshold then
      becomes twice the survivors (never less than its initial value), so sweeps cost amortized
      O(1) per call however many users are active;
    - on the first call after ``sweep_interval`` seconds without a sweep, so the memory a spike
      of activity took is given back once it is over.

    ``end`` removes its slot at once. Methods never await, so each is atomic on the event loop.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sweep_threshold: int = 1024,
        sweep_interval: float = 60.0,
    ) -> None:
        self._clock = clock
        self._min_sweep = sweep_threshold
        self._sweep_at = sweep_threshold
        self._sweep_interval = sweep_interval
        self._next_sweep = clock() + sweep_interval
        # key -> (tokens, when counted, when full again)
        self._buckets: dict[LimitKey, tuple[float, float, float]] = {}
        self._slots: dict[LimitKey, float] = {}  # key -> deadline

    def __len__(self) -> int:
        """Entries held (buckets plus slots), live or not yet swept."""
        return len(self._buckets) + len(self._slots)

    async def acquire(self, key: LimitKey, *, rate: float, burst: int) -> float:
        check_bucket(rate, burst)
        now = self._clock()
        state = self._buckets.get(key)
        if state is None:
            tokens = float(burst)
        else:
            tokens, stamp, _ = state
            tokens = min(float(burst), tokens + max(0.0, now - stamp) * rate)
        if tokens < 1 - TOKEN_SLACK:
            return (1 - tokens) / rate
        tokens = max(0.0, tokens - 1)
        self._sweep(now, adding=state is None)
        self._buckets[key] = (tokens, now, now + (burst - tokens) / rate)
        return 0.0

    async def begin(self, key: LimitKey, *, ttl: float) -> bool:
        check_ttl(ttl)
        now = self._clock()
        deadline = self._slots.get(key)
        if deadline is not None and deadline > now:
            return False
        self._sweep(now, adding=deadline is None)
        self._slots[key] = now + ttl
        return True

    async def end(self, key: LimitKey) -> None:
        self._slots.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""

    def _sweep(self, now: float, *, adding: bool) -> None:
        """Drop dead entries if a new key would take the map past its threshold, or if the last
        sweep is ``sweep_interval`` old."""
        if not (adding and len(self) + 1 > self._sweep_at) and now < self._next_sweep:
            return
        self._buckets = {k: v for k, v in self._buckets.items() if v[2] > now}
        self._slots = {k: v for k, v in self._slots.items() if v > now}
        self._sweep_at = max(self._min_sweep, 2 * len(self))
        self._next_sweep = now + self._sweep_interval
