""" "typing…" the moment a message arrives, before it is stored, queued or looked at.

Under load a message waits behind others (storage, the inbox, the model calls of other chats)
before its handler gets to say anything; without this, 50 people writing at once waited
0.6 s for any sign of life (bench/bench_feedback.py). The handler's own chat action then
carries on from this one instead of sending a second.

Only messages that will be answered get one: private chats, text that is not a command, voice
and photos, and, when the operator keeps an access list, only from people on it (others may
still be let in with /allow; they see the answer, just not the early "typing…").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

log = logging.getLogger(__name__)

KEPT = 4096  # chats remembered at most; a forgotten one only costs a second "typing…" request
REMEMBERED = 10.0  # seconds: a "typing…" shows for about 5
AGAIN_AFTER = 3.0  # seconds before the same chat is shown "typing…" again from here
# Requests in flight at once: a getUpdates batch of 100 would otherwise start 100 requests in
# one turn of the event loop and hold everything else up for it (measured: 0.8 s, on the old
# HTTP client). 8 kept 50 chats writing at once waiting 50-65 ms (p99) for their "typing…" once
# the database shared the loop's thread; 32: 23-31 ms, and no longer stall (bench/ANALYSIS.md).
IN_FLIGHT = 32
_ANSWERED_MEDIA = ("voice", "audio", "video_note", "photo")


_lingering: set[asyncio.Task[None]] = set()


async def finish_within(task: asyncio.Task[None], grace: float) -> None:
    """Wait up to ``grace`` for a Bot API request task; one still running then is left to end
    on its own (never cut off mid-request), held here meanwhile: the event loop keeps only
    weak references to tasks."""
    if task.done():
        return
    try:
        await asyncio.wait_for(asyncio.shield(task), grace)
    except TimeoutError:
        _lingering.add(task)
        task.add_done_callback(_lingering.discard)


@dataclass(frozen=True, slots=True)
class Shown:
    age: float  # seconds since it was sent
    request: asyncio.Task[None]

    async def settled(self, grace: float) -> None:
        """Until the request has been answered (a reply must not overtake it), or ``grace``."""
        await finish_within(self.request, grace)


class EarlyTyping:
    def __init__(
        self,
        bot: Bot,
        *,
        admins: Collection[int] = (),
        allowed_users: Collection[int] = (),
        allowed_chats: Collection[int] = (),
    ) -> None:
        self._bot = bot
        self._restricted = bool(allowed_users or allowed_chats)
        self._welcome = {*admins, *allowed_users, *allowed_chats}
        self._sent: OrderedDict[int, tuple[float, asyncio.Task[None]]] = OrderedDict()
        self._gate = asyncio.Semaphore(IN_FLIGHT)

    def acknowledge(self, update: dict[str, Any]) -> None:
        """Start "typing…" in a raw update's chat if it is a message the bot will answer."""
        chat_id = self._answerable_chat(update)
        if chat_id is None:
            return
        now = time.monotonic()
        sent = self._sent
        last = sent.get(chat_id)
        if last is not None and now - last[0] < AGAIN_AFTER:
            return  # several messages at once: one "typing…" shows for all of them
        task = asyncio.create_task(self._send(chat_id), name=f"early-typing-{chat_id}")
        sent[chat_id] = (now, task)
        sent.move_to_end(chat_id)  # oldest first, so the stale ones are at the front
        while len(sent) > KEPT or next(iter(sent.values()))[0] < now - REMEMBERED:
            sent.popitem(last=False)

    def take(self, chat_id: int) -> Shown | None:
        """The chat's early "typing…", for the handler answering it to carry on from (once:
        after that answer, the next message's handler starts afresh)."""
        entry = self._sent.pop(chat_id, None)
        return None if entry is None else Shown(time.monotonic() - entry[0], entry[1])

    def _answerable_chat(self, update: dict[str, Any]) -> int | None:
        # Read from the JSON as Telegram sent it: this runs before the update is even stored.
        message = update.get("message")
        if not isinstance(message, dict):
            return None
        chat = message.get("chat")
        if not isinstance(chat, dict) or chat.get("type") != "private":
            return None
        text = message.get("text")
        answered = isinstance(text, str) and text and not text.startswith("/")
        if not (answered or any(key in message for key in _ANSWERED_MEDIA)):
            return None
        chat_id = chat.get("id")
        if not isinstance(chat_id, int) or (self._restricted and chat_id not in self._welcome):
            return None
        return chat_id

    async def _send(self, chat_id: int) -> None:
        try:
            async with self._gate:
                await self._bot.send_chat_action(chat_id=chat_id, action="typing")
        except TelegramAPIError as exc:
            log.debug("early chat action failed in %s: %s", chat_id, exc)
