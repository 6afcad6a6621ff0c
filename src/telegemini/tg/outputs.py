"""``ChatOutputs`` on the Bot API: a chat's output outside any incoming message (a clip resumed
after a restart is delivered through it)."""

from __future__ import annotations

from aiogram import Bot

from telegemini.core.models import ChatRef
from telegemini.tg.render import TelegramChatOutput
from telegemini.tg.rich import RichMessages


class TelegramOutputs:
    def __init__(self, bot: Bot, rich: RichMessages | None = None) -> None:
        self._bot = bot
        self._rich = rich

    def open(self, chat: ChatRef, *, thread_id: int | None, user_id: int) -> TelegramChatOutput:
        return TelegramChatOutput(
            self._bot, chat, thread_id=thread_id, rich=self._rich, user_id=user_id
        )
