"""One contract for every ``ChatLocks``: memory and Redis behave the same within a process, and
Redis also excludes other processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from telegemini.coordination.memory import MemoryChatLocks
from telegemini.coordination.redis import RedisChatLocks
from telegemini.core.models import ChatKey
from telegemini.errors import StorageError
from tests.helpers.databases import redis_client, redis_prefix

CHAT = ChatKey(-100123)


@pytest.fixture
def memory_locks() -> MemoryChatLocks:
    return MemoryChatLocks()


@pytest.fixture
async def redis_locks() -> AsyncIterator[RedisChatLocks]:
    prefix = redis_prefix()
    async with redis_client(prefix) as client:
        yield RedisChatLocks(client, prefix=prefix)


@pytest.fixture(params=["memory_locks", "redis_locks"])
def locks(request):
    return request.getfixturevalue(request.param)


class Section:
    """A critical section that records how many tasks were inside at once, and who entered."""

    def __init__(self) -> None:
        self.inside = 0
        self.peak = 0
        self.entered: list[int] = []

    async def run(self, locks, key: ChatKey, who: int, *, pause: float = 0.001) -> None:
        async with locks.hold(key):
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.entered.append(who)
            await asyncio.sleep(pause)
            self.inside -= 1


async def test_holders_of_one_chat_never_overlap_and_enter_in_order(locks):
    section = Section()
    async with asyncio.timeout(5):
        await asyncio.gather(*(section.run(locks, CHAT, n) for n in range(20)))
    assert section.peak == 1
    assert section.entered == list(range(20))
    assert len(locks) == 0


async def test_other_chats_and_topics_do_not_wait(locks):
    release = asyncio.Event()
    held = asyncio.Event()

    async def hold_chat() -> None:
        async with locks.hold(CHAT):
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold_chat())
    try:
        await held.wait()
        async with asyncio.timeout(1):
            async with locks.hold(ChatKey(42)):
                pass
            async with locks.hold(ChatKey(CHAT.chat_id, 7)):
                pass
        assert len(locks) == 1
    finally:
        release.set()
        await holder
    assert len(locks) == 0


async def test_an_error_inside_releases_the_lock(locks):
    with pytest.raises(RuntimeError, match="boom"):
        async with locks.hold(CHAT):
            raise RuntimeError("boom")
    async with asyncio.timeout(1), locks.hold(CHAT):
        pass
    assert len(locks) == 0


async def test_a_cancelled_waiter_leaves_nothing_behind(locks):
    release = asyncio.Event()
    held = asyncio.Event()

    async def hold_chat() -> None:
        async with locks.hold(CHAT):
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold_chat())
    await held.wait()
    waiter = asyncio.create_task(Section().run(locks, CHAT, 1))
    await asyncio.sleep(0.02)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await holder
    async with asyncio.timeout(1), locks.hold(CHAT):
        pass
    assert len(locks) == 0


# Redis only: several processes


@pytest.fixture
async def redis_pair() -> AsyncIterator[tuple[RedisChatLocks, RedisChatLocks]]:
    """Two lock sets on two clients (two connection pools), like two bot processes; a short
    ttl so that renewal matters."""
    prefix = redis_prefix()
    async with redis_client(prefix) as first, redis_client(prefix) as second:
        yield (
            RedisChatLocks(first, prefix=prefix, ttl=0.15),
            RedisChatLocks(second, prefix=prefix, ttl=0.15),
        )


async def test_redis_instances_exclude_each_other(redis_pair):
    section = Section()
    async with asyncio.timeout(5):
        await asyncio.gather(*(section.run(redis_pair[n % 2], CHAT, n) for n in range(10)))
    assert section.peak == 1
    assert sorted(section.entered) == list(range(10))


async def test_redis_lock_is_renewed_while_held(redis_pair):
    one, two = redis_pair
    events: list[str] = []
    held = asyncio.Event()

    async def long_holder() -> None:
        async with one.hold(CHAT):
            held.set()
            await asyncio.sleep(0.4)  # over two and a half ttls
            events.append("one out")

    holder = asyncio.create_task(long_holder())
    await held.wait()
    async with asyncio.timeout(2), two.hold(CHAT):
        events.append("two in")
    await holder
    assert events == ["one out", "two in"]


async def test_redis_lock_of_a_dead_holder_expires(redis_pair):
    one, _ = redis_pair
    client = one._client
    await client.set(one.lock_key(CHAT), "a crashed process", px=100)
    started = time.monotonic()
    async with asyncio.timeout(2), one.hold(CHAT):
        waited = time.monotonic() - started
    assert 0.05 < waited < 1.0


async def test_redis_holder_cancelled_mid_hold_releases_at_once():
    prefix = redis_prefix()
    async with redis_client(prefix) as first, redis_client(prefix) as second:
        one = RedisChatLocks(first, prefix=prefix)  # default ttl: only release can free it
        two = RedisChatLocks(second, prefix=prefix)
        held = asyncio.Event()

        async def hold_forever() -> None:
            async with one.hold(CHAT):
                held.set()
                await asyncio.Event().wait()

        holder = asyncio.create_task(hold_forever())
        await held.wait()
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
        async with asyncio.timeout(0.5), two.hold(CHAT):
            pass
        assert len(one) == len(two) == 0


async def test_redis_unreachable_is_a_storage_error_naming_the_server():
    locks = RedisChatLocks.from_url("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(StorageError, match=r"redis://127\.0\.0\.1:1/0 is unreachable"):
            async with locks.hold(CHAT):
                pass
        assert len(locks) == 0
    finally:
        await locks.close()
