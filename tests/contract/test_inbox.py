"""The durable inbox on SQLite and PostgreSQL: once, in order per conversation, leases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from telegemini.core.models import ChatKey
from telegemini.storage.inbox import SqlInbox
from telegemini.storage.sql import SqlStore, make_engine
from tests.helpers.databases import POSTGRES_URL, postgres_schema, sqlite_url

A, B = ChatKey(1), ChatKey(2)


@pytest.fixture
async def sqlite_inbox(tmp_path) -> AsyncIterator[tuple[SqlInbox, str, str | None]]:
    url = sqlite_url(tmp_path)
    store = await SqlStore.open(url)
    try:
        yield SqlInbox(store.engine), url, None
    finally:
        await store.close()


@pytest.fixture
async def postgres_inbox() -> AsyncIterator[tuple[SqlInbox, str, str | None]]:
    async with postgres_schema() as schema:
        store = await SqlStore.open(POSTGRES_URL, schema=schema)
        try:
            yield SqlInbox(store.engine), POSTGRES_URL, schema
        finally:
            await store.close()


@pytest.fixture(params=["sqlite_inbox", "postgres_inbox"])
def backend(request):
    return request.getfixturevalue(request.param)


async def ids(items) -> list[int]:
    return [item.update_id for item in items]


async def test_a_redelivery_is_refused(backend):
    inbox, _, _ = backend
    assert await inbox.put(10, A, "{}")
    assert not await inbox.put(10, A, "{}")
    results = await asyncio.gather(*(inbox.put(11, A, "{}") for _ in range(20)))
    assert results.count(True) == 1


async def test_only_the_oldest_update_of_each_conversation_is_claimed(backend):
    inbox, _, _ = backend
    for update_id, key in ((1, A), (2, A), (3, B), (4, A), (5, B)):
        await inbox.put(update_id, key, f'{{"n": {update_id}}}')
    first = await inbox.claim("w1", lease=60)
    assert await ids(first) == [1, 3]
    assert await inbox.claim("w2", lease=60) == []  # both conversations are busy
    await inbox.finish([1], "w1")
    assert await ids(await inbox.claim("w2", lease=60)) == [2]
    await inbox.finish([3], "w1")
    await inbox.finish([2], "w2")
    assert await ids(await inbox.claim("w1", lease=60)) == [4, 5]
    assert (await inbox.depth())[0] == 2


async def test_an_expired_lease_is_claimed_again(backend):
    inbox, _, _ = backend
    await inbox.put(1, A, "{}")
    [item] = await inbox.claim("dead-worker", lease=0.05)
    assert item.attempts == 1
    await asyncio.sleep(0.1)
    [again] = await inbox.claim("w2", lease=60)
    assert (again.update_id, again.attempts) == (1, 2)
    await inbox.finish([1], "dead-worker")  # too late: no longer its claim
    assert (await inbox.depth())[0] == 1


async def test_release_and_recovery_return_updates(backend):
    inbox, _, _ = backend
    await inbox.put(1, A, "{}")
    await inbox.put(2, B, "{}")
    await inbox.claim("w1", lease=60)
    await inbox.release([1], "w1")
    assert await ids(await inbox.claim("w2", lease=60)) == [1]
    assert await inbox.recover_all() == 2
    assert await ids(await inbox.claim("w3", lease=60)) == [1, 2]


async def test_depth_and_prune(backend):
    inbox, _, _ = backend
    assert await inbox.depth() == (0, None)
    await inbox.put(1, A, "{}")
    count, age = await inbox.depth()
    assert count == 1
    assert age is not None
    assert age >= 0
    await inbox.claim("w", lease=60)
    await inbox.finish([1], "w")
    assert await inbox.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await inbox.put(1, A, "{}")  # forgotten after retention: accepted again


async def test_two_instances_never_hold_one_conversation_at_once(backend):
    inbox, url, schema = backend
    other_engine = make_engine(url, schema=schema) if schema else make_engine(url)
    other = SqlInbox(other_engine)
    try:
        for n in range(1, 41):
            await inbox.put(n, ChatKey(n % 4), "{}")
        held: dict[int, str] = {}
        order: list[int] = []

        async def work(name: str, box: SqlInbox) -> None:
            idle = 0
            while idle < 3:
                items = await box.claim(name, lease=60, limit=2)
                if not items:
                    idle += 1
                    await asyncio.sleep(0.01)
                    continue
                idle = 0
                for item in items:
                    chat = item.update_id % 4
                    assert chat not in held, "two workers hold one conversation"
                    held[chat] = name
                    order.append(item.update_id)
                await asyncio.sleep(0.002)
                for item in items:
                    del held[item.update_id % 4]
                    await box.finish([item.update_id], name)

        await asyncio.gather(work("a", inbox), work("b", other))
        assert sorted(order) == list(range(1, 41))
        for chat in range(4):
            mine = [n for n in order if n % 4 == chat]
            assert mine == sorted(mine)  # each conversation in update order
    finally:
        await other_engine.dispose()
