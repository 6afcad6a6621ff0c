"""``FileSource`` on the Bot API: ``getFile`` then a download from the file URL.

A failure that may pass (a 5xx, a dropped connection, a timeout) is retried (``getFile`` by the
session's middleware, the download itself once here); then the user is asked to send the file
again. A file over Telegram's 20 MB download limit is explained as such.
"""

from __future__ import annotations

import asyncio
import io
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramServerError
from aiohttp import ClientError

from telegemini.core.models import Attachment
from telegemini.errors import CorruptMedia, DownloadFailed, InputTooLarge

log = logging.getLogger(__name__)

MB = 1024 * 1024
ATTEMPTS = 2
RETRY_AFTER = 0.5  # seconds before the second attempt
_PASSING = (TelegramNetworkError, TelegramServerError, ClientError, TimeoutError)


class TelegramFiles:
    def __init__(self, bot: Bot, *, retry_after: float = RETRY_AFTER) -> None:
        self._bot = bot
        self._retry_after = retry_after

    async def fetch(self, attachment: Attachment) -> bytes:
        try:
            # A 5xx or a dropped connection is retried by the session's middleware.
            file = await self._bot.get_file(file_id=attachment.file_id)
        except TelegramBadRequest as exc:
            if "too big" in exc.message.lower():
                raise InputTooLarge(exc.message, limit_mb=20) from exc
            # "file is temporarily unavailable", an expired or unknown file id
            raise DownloadFailed(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise DownloadFailed(type(exc).__name__) from exc
        if not file.file_path:
            raise DownloadFailed("the Bot API gave no file path")
        data = await self._download(file.file_path, attachment)
        if not data:
            raise CorruptMedia("empty file")
        return data

    async def _download(self, path: str, attachment: Attachment) -> bytes:
        """The file itself (not a Bot API call, so not retried by the middleware: here)."""
        for attempt in range(1, ATTEMPTS + 1):
            buffer = io.BytesIO()
            try:
                await self._bot.download_file(path, destination=buffer)
                return buffer.getvalue()
            except _PASSING as exc:
                log.warning("download of %s failed (attempt %d): %s", attachment.kind, attempt, exc)
                if attempt == ATTEMPTS:
                    raise DownloadFailed(type(exc).__name__) from exc
                await asyncio.sleep(self._retry_after)
        raise AssertionError("unreachable")  # pragma: no cover
