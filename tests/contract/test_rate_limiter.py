"""One contract for every ``RateLimiter``: memory and Redis behave the same.

Time-dependent cases use fast buckets (50 tokens a second) and sleep the wait the limiter
returned, so the suite stays fast and the two backends' clocks (monotonic, Redis ``TIME``) agree.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from unittest.mock import AsyncMock

import pytest
from redis.asyncio import Redis

from telegemini.coordination.memory import MemoryRateLimiter
from telegemini.coordination.redis import RedisRateLimiter
from telegemini.core.models import LimitKey
from telegemini.errors import StorageError
from tests.helpers.databases import REDIS_URL, redis_client, redis_prefix

ALICE = LimitKey(1, "messages")
BOB = LimitKey(2, "messages")
ALICE_IMAGES = LimitKey(1, "images")
SLOW = 0.001  # tokens a second: nothing refills during a test


@pytest.fixture
async def memory_limiter() -> AsyncIterator[MemoryRateLimiter]:
    limiter = MemoryRateLimiter()
    try:
        yield limiter
    finally:
        await limiter.close()


@pytest.fixture
async def redis_limiter() -> AsyncIterator[RedisRateLimiter]:
    prefix = redis_prefix()
    async with redis_client(prefix) as client:
        yield RedisRateLimiter(client, prefix=prefix)


@pytest.fixture(params=["memory_limiter", "redis_limiter"])
def limiter(request):
    return request.getfixturevalue(request.param)


# Token buckets


async def test_a_full_bucket_gives_its_burst_then_says_how_long_to_wait(limiter):
    # One token per 10 s: a busy machine's pauses between the calls (under a second) cannot
    # refill the bucket nor move the wait out of its band.
    for _ in range(3):
        assert await limiter.acquire(ALICE, rate=0.1, burst=3) == 0.0
    wait = await limiter.acquire(ALICE, rate=0.1, burst=3)
    assert 9.0 < wait <= 10.0


async def test_a_refused_request_takes_nothing(limiter):
    assert await limiter.acquire(ALICE, rate=1.0, burst=1) == 0.0
    first = await limiter.acquire(ALICE, rate=1.0, burst=1)
    second = await limiter.acquire(ALICE, rate=1.0, burst=1)
    assert 0.9 < second <= first <= 1.0


async def test_waiting_the_returned_time_is_enough(limiter):
    assert await limiter.acquire(ALICE, rate=50.0, burst=1) == 0.0
    wait = await limiter.acquire(ALICE, rate=50.0, burst=1)
    assert 0.0 < wait <= 0.02
    await asyncio.sleep(wait)
    assert await limiter.acquire(ALICE, rate=50.0, burst=1) == 0.0


async def test_a_bucket_refills_no_further_than_its_burst(limiter):
    for _ in range(2):
        assert await limiter.acquire(ALICE, rate=50.0, burst=2) == 0.0
    await asyncio.sleep(0.1)  # 5 tokens' worth
    results = [await limiter.acquire(ALICE, rate=50.0, burst=2) for _ in range(3)]
    assert results[:2] == [0.0, 0.0]
    assert results[2] > 0.0


async def test_users_and_kinds_have_separate_buckets(limiter):
    assert await limiter.acquire(ALICE, rate=SLOW, burst=1) == 0.0
    assert await limiter.acquire(ALICE, rate=SLOW, burst=1) > 0.0
    assert await limiter.acquire(BOB, rate=SLOW, burst=1) == 0.0
    assert await limiter.acquire(ALICE_IMAGES, rate=SLOW, burst=1) == 0.0


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
async def test_impossible_buckets_are_refused(limiter, rate, burst):
    with pytest.raises(ValueError, match="must be"):
        await limiter.acquire(ALICE, rate=rate, burst=burst)


async def test_concurrent_requests_get_exactly_the_burst(limiter):
    waits = await asyncio.gather(*(limiter.acquire(ALICE, rate=SLOW, burst=10) for _ in range(50)))
    assert waits.count(0.0) == 10
    assert all(wait > 0.0 for wait in waits if wait != 0.0)


# In-flight slots


async def test_a_slot_is_taken_until_ended(limiter):
    assert await limiter.begin(ALICE, ttl=10.0) is True
    assert await limiter.begin(ALICE, ttl=10.0) is False
    assert await limiter.begin(BOB, ttl=10.0) is True
    assert await limiter.begin(ALICE_IMAGES, ttl=10.0) is True
    await limiter.end(ALICE)
    assert await limiter.begin(ALICE, ttl=10.0) is True
    assert await limiter.begin(BOB, ttl=10.0) is False


async def test_ending_a_free_slot_is_harmless(limiter):
    await limiter.end(ALICE)
    assert await limiter.begin(ALICE, ttl=10.0) is True


async def test_a_slot_frees_itself_after_its_ttl(limiter):
    assert await limiter.begin(ALICE, ttl=0.05) is True
    assert await limiter.begin(ALICE, ttl=0.05) is False
    await asyncio.sleep(0.06)
    assert await limiter.begin(ALICE, ttl=10.0) is True


async def test_concurrent_claims_of_a_slot_let_exactly_one_through(limiter):
    claims = await asyncio.gather(*(limiter.begin(ALICE, ttl=10.0) for _ in range(50)))
    assert claims.count(True) == 1


async def test_a_non_positive_ttl_is_refused(limiter):
    with pytest.raises(ValueError, match="ttl"):
        await limiter.begin(ALICE, ttl=0.0)


# Memory only: the injectable clock and bounded maps


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_memory_buckets_refill_by_the_clock():
    clock = ManualClock()
    limiter = MemoryRateLimiter(clock=clock)
    assert await limiter.acquire(ALICE, rate=2.0, burst=2) == 0.0
    assert await limiter.acquire(ALICE, rate=2.0, burst=2) == 0.0
    assert await limiter.acquire(ALICE, rate=2.0, burst=2) == 0.5
    clock.now = 0.25
    assert await limiter.acquire(ALICE, rate=2.0, burst=2) == 0.25
    clock.now = 0.5
    assert await limiter.acquire(ALICE, rate=2.0, burst=2) == 0.0
    clock.now = 100.0
    assert [await limiter.acquire(ALICE, rate=2.0, burst=2) for _ in range(3)] == [0.0, 0.0, 0.5]


async def test_memory_slots_expire_by_the_clock():
    clock = ManualClock()
    limiter = MemoryRateLimiter(clock=clock)
    assert await limiter.begin(ALICE, ttl=30.0) is True
    clock.now = 29.9
    assert await limiter.begin(ALICE, ttl=30.0) is False
    clock.now = 30.0
    assert await limiter.begin(ALICE, ttl=30.0) is True


async def test_memory_forgets_full_buckets_and_expired_slots_as_the_map_grows():
    clock = ManualClock()
    limiter = MemoryRateLimiter(clock=clock, sweep_threshold=8)
    for user in range(4):
        await limiter.acquire(LimitKey(user, "messages"), rate=1.0, burst=2)  # full at t=1
        await limiter.begin(LimitKey(user, "voice"), ttl=5.0)  # expires at t=5
    assert len(limiter) == 8
    clock.now = 2.0
    await limiter.acquire(LimitKey(99, "messages"), rate=1.0, burst=2)
    assert len(limiter) == 5  # the four slots live on until t=5
    await limiter.end(LimitKey(0, "voice"))
    assert len(limiter) == 4


async def test_memory_gives_back_what_a_spike_took():
    clock = ManualClock()
    limiter = MemoryRateLimiter(clock=clock, sweep_threshold=8, sweep_interval=60.0)
    for user in range(1000):
        await limiter.acquire(LimitKey(user, "messages"), rate=1.0, burst=1)  # full at t=1
    assert len(limiter) == 1000
    clock.now = 59.0
    await limiter.begin(ALICE, ttl=1.0)
    assert len(limiter) > 8  # the threshold grew with the spike; no sweep due yet
    clock.now = 61.0
    await limiter.begin(BOB, ttl=1.0)
    assert len(limiter) == 1


async def test_memory_bucket_state_survives_sweeps():
    clock = ManualClock()
    limiter = MemoryRateLimiter(clock=clock, sweep_threshold=2)
    assert await limiter.acquire(ALICE, rate=SLOW, burst=1) == 0.0
    for user in range(10, 20):
        await limiter.acquire(LimitKey(user, "messages"), rate=SLOW, burst=1)
    assert await limiter.acquire(ALICE, rate=SLOW, burst=1) > 0.0


# Redis only: several instances, expiry, errors


@pytest.fixture
async def redis_pair() -> AsyncIterator[tuple[RedisRateLimiter, RedisRateLimiter]]:
    """Two limiters on two clients (two connection pools), like two bot processes."""
    prefix = redis_prefix()
    async with redis_client(prefix) as first, redis_client(prefix) as second:
        yield RedisRateLimiter(first, prefix=prefix), RedisRateLimiter(second, prefix=prefix)


async def test_redis_instances_share_one_bucket_atomically(redis_pair):
    one, two = redis_pair
    calls = [(one if n % 2 else two).acquire(ALICE, rate=SLOW, burst=10) for n in range(50)]
    waits = await asyncio.gather(*calls)
    assert waits.count(0.0) == 10


async def test_redis_instances_share_one_slot(redis_pair):
    one, two = redis_pair
    claims = await asyncio.gather(
        *((one if n % 2 else two).begin(ALICE, ttl=10.0) for n in range(50))
    )
    assert claims.count(True) == 1


async def test_redis_end_frees_only_the_slot_this_instance_claimed(redis_pair):
    one, two = redis_pair
    assert await one.begin(ALICE, ttl=0.05) is True
    await two.end(ALICE)  # not two's claim
    assert await two.begin(ALICE, ttl=10.0) is False
    await asyncio.sleep(0.06)  # one's claim expires; two takes the slot
    assert await two.begin(ALICE, ttl=10.0) is True
    await one.end(ALICE)  # too late: must not free two's claim
    assert await one.begin(ALICE, ttl=10.0) is False
    await two.end(ALICE)
    assert await one.begin(ALICE, ttl=10.0) is True


async def test_redis_keys_vanish_once_they_hold_no_state(redis_limiter):
    client: Redis = redis_limiter._client
    await redis_limiter.acquire(ALICE, rate=50.0, burst=2)
    await redis_limiter.begin(BOB, ttl=0.05)
    bucket, slot = redis_limiter.bucket_key(ALICE), redis_limiter.slot_key(BOB)
    assert 0 < await client.pttl(bucket) <= 25  # refilled after 20 ms
    assert 0 < await client.pttl(slot) <= 50
    await asyncio.sleep(0.06)
    assert await client.exists(bucket, slot) == 0


async def test_redis_unreachable_is_a_storage_error_naming_the_server():
    limiter = RedisRateLimiter.from_url("redis://:secret@127.0.0.1:1/3")
    try:
        with pytest.raises(StorageError, match=r"redis://127\.0\.0\.1:1/3 is unreachable") as info:
            await limiter.acquire(ALICE, rate=1.0, burst=1)
        assert "secret" not in str(info.value)
        with pytest.raises(StorageError, match="unreachable"):
            await limiter.begin(ALICE, ttl=1.0)
    finally:
        await limiter.close()


async def test_redis_close_closes_the_client():
    client = Redis.from_url(REDIS_URL)
    closed = AsyncMock(side_effect=client.aclose)
    client.aclose = closed  # type: ignore[method-assign]
    await RedisRateLimiter(client).close()
    closed.assert_awaited_once()
