"""Early "typing…": sent the moment a message that will be answered arrives, and continued, not
repeated, by the handler's own chat action."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.types import Chat, Message

from telegemini.core.models import Activity, ChatRef, ChatType, Reply
from telegemini.tg.bot import SendMessageForId, Sent
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.render import TelegramChatOutput


class ActionBot:
    def __init__(self) -> None:
        self.actions: list[tuple[int, str]] = []
        self.events: list[str] = []
        self.release = asyncio.Event()
        self.release.set()

    async def send_chat_action(self, chat_id: int, action: str, **_: Any) -> bool:
        self.actions.append((chat_id, action))
        self.events.append(f"{action} sent")
        await self.release.wait()
        self.events.append(f"{action} answered")
        return True

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Message:
        self.events.append(f"message: {text}")
        return Message(
            message_id=1, date=datetime.now(UTC), chat=Chat(id=chat_id, type="private"), text=text
        )

    async def __call__(self, method: Any) -> Sent:
        """``bot(method)``, as the replies are sent (for their id)."""
        assert isinstance(method, SendMessageForId)
        await self.send_message(int(method.chat_id), method.text)
        return Sent(message_id=1)


def message(
    chat_id: int, *, text: str | None = "hello", chat_type: str = "private"
) -> dict[str, Any]:
    """A message update as Telegram sends it (early typing reads it before it is decoded)."""
    body: dict[str, Any] = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": chat_id, "type": chat_type, "title": "g"},
        "from": {"id": abs(chat_id), "is_bot": False, "first_name": "A"},
    }
    if text is not None:
        body["text"] = text
    else:
        body["voice"] = {"file_id": "v", "file_unique_id": "v", "duration": 2}
    return {"update_id": 1, "message": body}


async def test_messages_that_will_be_answered_get_typing_at_once():
    bot = ActionBot()
    early = EarlyTyping(cast(Bot, bot))

    early.acknowledge(message(1))
    early.acknowledge(message(2, text=None))  # a voice note
    early.acknowledge(message(3, text="/start"))  # commands answer at once
    early.acknowledge(message(-4, chat_type="group"))  # groups: only when addressed
    await asyncio.sleep(0)

    assert bot.actions == [(1, "typing"), (2, "typing")]
    assert early.take(1) is not None
    assert early.take(3) is None


async def test_several_messages_at_once_share_one_early_typing():
    bot = ActionBot()
    early = EarlyTyping(cast(Bot, bot))

    for _ in range(3):
        early.acknowledge(message(1))
    await asyncio.sleep(0)

    assert bot.actions == [(1, "typing")]


async def test_with_an_access_list_only_people_on_it_get_early_typing():
    bot = ActionBot()
    early = EarlyTyping(cast(Bot, bot), admins=[9], allowed_users=[1])

    for chat_id in (1, 2, 9):
        early.acknowledge(message(chat_id))
    await asyncio.sleep(0)

    assert bot.actions == [(1, "typing"), (9, "typing")]


async def test_the_handler_continues_the_early_typing_instead_of_repeating_it():
    bot = ActionBot()
    early = EarlyTyping(cast(Bot, bot))
    out = TelegramChatOutput(cast(Bot, bot), ChatRef(id=1, type=ChatType.PRIVATE), early=early)

    early.acknowledge(message(1))
    async with out.activity(Activity.TYPING):
        await asyncio.sleep(0.01)

    assert bot.actions == [(1, "typing")]


async def test_the_next_message_in_the_chat_gets_typing_of_its_own():
    bot = ActionBot()
    early = EarlyTyping(cast(Bot, bot))
    chat = ChatRef(id=1, type=ChatType.PRIVATE)
    early.acknowledge(message(1))
    early.acknowledge(message(1))  # the second message came with the first

    for _ in range(2):  # each answered in turn; the first answer cleared the "typing…"
        out = TelegramChatOutput(cast(Bot, bot), chat, early=early)
        async with out.activity(Activity.TYPING):
            await asyncio.sleep(0.01)

    assert bot.actions == [(1, "typing"), (1, "typing")]


async def test_a_reply_waits_for_the_early_typing_in_flight():
    bot = ActionBot()
    bot.release.clear()
    early = EarlyTyping(cast(Bot, bot))
    out = TelegramChatOutput(cast(Bot, bot), ChatRef(id=1, type=ChatType.PRIVATE), early=early)
    early.acknowledge(message(1))
    await asyncio.sleep(0)

    replying = asyncio.create_task(out.send(Reply("Hi!", markdown=False)))
    await asyncio.sleep(0.01)
    assert not replying.done(), "the reply must not overtake the typing in flight"
    bot.release.set()
    await asyncio.wait_for(replying, 1)

    assert bot.events == ["typing sent", "typing answered", "message: Hi!"]
