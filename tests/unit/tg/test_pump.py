"""A large batch of claimed updates does not hold the event loop: the pump starts their work a
few at a time, letting the loop turn (timers, other chats' replies) in between."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from telegemini.storage.inbox import InboxEntry, InboxItem
from telegemini.tg.pump import START_AT_ONCE, InboxPump


class OneBatchInbox:
    """Hands out ``count`` updates of different chats in one claim, then nothing."""

    def __init__(self, count: int) -> None:
        self._items = [
            InboxItem(n, json.dumps({"update_id": n, "message": {"chat": {"id": n}}}), 0)
            for n in range(1, count + 1)
        ]
        self.finished: list[int] = []

    async def put_many(self, entries: Sequence[InboxEntry]) -> set[int]:
        return set()

    async def claim(self, worker: str, *, lease: float, limit: int = 16) -> list[InboxItem]:
        items, self._items = self._items[:limit], self._items[limit:]
        return items

    async def extend(self, update_ids: list[int], worker: str, *, lease: float) -> None:
        return None

    async def finish(self, update_ids: Sequence[int], worker: str) -> None:
        self.finished.extend(update_ids)

    async def release(self, update_ids: list[int], worker: str) -> None:
        return None


async def test_a_hundred_claimed_updates_start_a_few_per_turn_of_the_loop():
    inbox = OneBatchInbox(100)
    turns = 0
    started_per_turn: list[int] = []
    release = asyncio.Event()

    async def feed(updates: list[dict[str, object]]) -> None:
        started_per_turn.append(turns)  # the loop turn in which this unit's work began
        await release.wait()

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(count_turns())
    pump = InboxPump(inbox, feed, capacity=256)
    pump.start()
    try:
        async with asyncio.timeout(5):
            while len(started_per_turn) < 100:
                await asyncio.sleep(0)
        busiest = max(started_per_turn.count(turn) for turn in set(started_per_turn))
        assert busiest <= START_AT_ONCE
        release.set()
        async with asyncio.timeout(5):
            while len(inbox.finished) < 100:
                await asyncio.sleep(0)
    finally:
        ticker.cancel()
        await pump.stop()
