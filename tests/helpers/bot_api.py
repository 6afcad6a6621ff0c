"""What the fake Bot API's own tests share: a real aiogram bot pointed at it, and tiny PNGs."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from telegemini.sandbox.fake_telegram import FakeTelegramServer


def png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height``."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + len(header).to_bytes(4, "big")
        + chunk
        + zlib.crc32(chunk).to_bytes(4, "big")
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


@asynccontextmanager
async def aiogram_bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    """The real aiogram ``Bot`` talking to ``server``; its session closed afterwards."""
    api = TelegramAPIServer.from_base(server.url)
    bot = Bot(server.token, session=AiohttpSession(api=api))
    try:
        yield bot
    finally:
        await bot.session.close()


@asynccontextmanager
async def running(server: FakeTelegramServer) -> AsyncIterator[FakeTelegramServer]:
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
