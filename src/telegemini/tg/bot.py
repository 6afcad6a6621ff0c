"""The aiogram ``Bot``: one aiohttp session to the Bot API (``TELEGRAM_API_BASE_URL``)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from telegemini.settings import Settings

# Connections to the Bot API at once: replies, actions and drafts of this many chats in flight.
BOT_API_CONNECTIONS = 256
REQUEST_TIMEOUT = 60.0  # seconds for one Bot API request (uploads included)
# The update kinds the bot asks Telegram for (polling and webhook alike).
ALLOWED_UPDATES = ["message", "callback_query", "stopped_message_generation"]


def make_bot(settings: Settings) -> Bot:
    """The bot, with no request middleware yet: ``wiring`` adds the pacing."""
    root = settings.telegram_api_base_url.rstrip("/")
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(root),
        limit=BOT_API_CONNECTIONS,
        timeout=REQUEST_TIMEOUT,
    )
    return Bot(settings.token(), session=session)
