"""``FileSource`` on the Bot API: ``getFile`` then a download from the file URL."""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest

from telegemini.core.models import Attachment
from telegemini.errors import CorruptMedia, InputTooLarge

MB = 1024 * 1024


class TelegramFiles:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def fetch(self, attachment: Attachment) -> bytes:
        try:
            file = await self._bot.get_file(attachment.file_id)
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise InputTooLarge(exc.message, limit_mb=20) from exc
            raise CorruptMedia(exc.message) from exc
        data = bytes(await file.download_as_bytearray())
        if not data:
            raise CorruptMedia("empty file")
        return data
