"""The "typing…" refresh stops between requests, never cut off in one nor sent after a reply."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiogram import Bot

from telegemini.core.models import Activity, ChatRef, ChatType
from telegemini.tg.render import TelegramChatOutput


class SlowActionBot:
    """Answers ``sendChatAction`` only when told to; notes what happened in which order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def send_chat_action(self, chat_id: int, action: str, **_: Any) -> bool:
        self.events.append("action sent")
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.events.append("action cut off")
            raise
        self.events.append("action answered")
        return True


async def test_leaving_the_activity_waits_for_the_action_in_flight():
    bot = SlowActionBot()
    out = TelegramChatOutput(cast(Bot, bot), ChatRef(id=1, type=ChatType.PRIVATE))

    async def answer() -> None:
        async with out.activity(Activity.TYPING):
            await bot.started.wait()  # the answer is ready while the first action is in flight
        bot.events.append("reply sent")

    replying = asyncio.create_task(answer())
    await asyncio.sleep(0.01)
    assert not replying.done(), "the reply must not overtake the chat action"
    bot.release.set()
    await asyncio.wait_for(replying, 1)
    assert bot.events == ["action sent", "action answered", "reply sent"]


async def test_the_refresh_stops_with_the_activity():
    bot = SlowActionBot()
    bot.release.set()
    out = TelegramChatOutput(cast(Bot, bot), ChatRef(id=1, type=ChatType.PRIVATE))
    async with out.activity(Activity.TYPING):
        await bot.started.wait()
    await asyncio.sleep(0.01)
    assert bot.events == ["action sent", "action answered"]
