"""Downloads: a dropped download is tried once more, then the user is asked to resend."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, BinaryIO, cast

import pytest
from aiogram import Bot
from aiohttp import ClientPayloadError

from telegemini.core.models import Attachment, AttachmentKind
from telegemini.errors import DownloadFailed
from telegemini.tg.files import TelegramFiles

VOICE = Attachment(AttachmentKind.VOICE, "file-1", 10)


class FlakyDownloads:
    """``getFile`` answers; the download itself fails ``failures`` times, then works."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.downloads = 0

    async def get_file(self, file_id: str, **_: Any) -> Any:
        return SimpleNamespace(file_path=f"voice/{file_id}.oga")

    async def download_file(self, path: str, destination: BinaryIO, **_: Any) -> BinaryIO:
        self.downloads += 1
        if self.downloads <= self.failures:
            raise ClientPayloadError("connection dropped mid-body")
        destination.write(b"OggS voice")
        return destination


async def test_a_dropped_download_is_tried_once_more():
    bot = FlakyDownloads(failures=1)
    files = TelegramFiles(cast(Bot, bot), retry_after=0)
    assert await files.fetch(VOICE) == b"OggS voice"
    assert bot.downloads == 2


async def test_two_dropped_downloads_ask_the_user_to_resend():
    bot = FlakyDownloads(failures=2)
    files = TelegramFiles(cast(Bot, bot), retry_after=0)
    with pytest.raises(DownloadFailed):
        await files.fetch(VOICE)
    assert bot.downloads == 2
