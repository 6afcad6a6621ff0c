"""``FileSource`` on the Bot API: ``getFile`` then a download from the file URL."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from telegemini.core.models import Attachment
from telegemini.errors import CorruptMedia, InputTooLarge

MB = 1024 * 1024


class TelegramFiles:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def fetch(self, attachment: Attachment) -> bytes:
        try:
            file = await self._bot.get_file(file_id=attachment.file_id)
        except TelegramBadRequest as exc:
            if "too big" in exc.message.lower():
                raise InputTooLarge(exc.message, limit_mb=20) from exc
            raise CorruptMedia(exc.message) from exc
        if not file.file_path:
            raise CorruptMedia("the Bot API gave no file path")
        buffer = io.BytesIO()
        await self._bot.download_file(file.file_path, destination=buffer)
        data = buffer.getvalue()
        if not data:
            raise CorruptMedia("empty file")
        return data
