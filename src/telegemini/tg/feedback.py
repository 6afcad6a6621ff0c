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
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Collection

from telegram import Bot, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError

log = logging.getLogger(__name__)

KEPT = 4096  # chats remembered; older entries only cost a second "typing…" request


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

    def acknowledge(self, update: Update) -> None:
        """Start "typing…" in the update's chat if it is a message the bot will answer."""
        chat_id = self._answerable_chat(update)
        if chat_id is None:
            return
        task = asyncio.create_task(self._send(chat_id), name=f"early-typing-{chat_id}")
        self._sent[chat_id] = (time.monotonic(), task)
        self._sent.move_to_end(chat_id)
        while len(self._sent) > KEPT:
            self._sent.popitem(last=False)

    def shown_for(self, chat_id: int) -> float | None:
        """Seconds since this chat was last shown "typing…" from here, if it was."""
        entry = self._sent.get(chat_id)
        return None if entry is None else time.monotonic() - entry[0]

    async def settled(self, chat_id: int, grace: float) -> None:
        """Until the chat's early "typing…" has been answered (a reply must not overtake it)."""
        entry = self._sent.get(chat_id)
        if entry is None or entry[1].done():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(entry[1]), grace)

    def _answerable_chat(self, update: Update) -> int | None:
        message = update.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            return None
        text = message.text or ""
        if not (
            (text and not text.startswith("/"))
            or message.voice
            or message.audio
            or message.video_note
            or message.photo
        ):
            return None
        if self._restricted and message.chat.id not in self._welcome:
            return None
        return message.chat.id

    async def _send(self, chat_id: int) -> None:
        try:
            await self._bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("early chat action failed in %s: %s", chat_id, exc)
