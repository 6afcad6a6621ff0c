"""The aiogram ``Bot``: one aiohttp session to the Bot API (``TELEGRAM_API_BASE_URL``)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from telegemini.settings import Settings

# Connections to the Bot API at once: replies, actions and drafts of this many chats in flight.
BOT_API_CONNECTIONS = 256
REQUEST_TIMEOUT = 60.0  # seconds for one Bot API request (uploads included)
# The update kinds the bot asks Telegram for (polling and webhook alike).
ALLOWED_UPDATES = [
    "message",
    "callback_query",
    "stopped_message_generation",
    "pre_checkout_query",  # Stars: answered within 10 s
    "subscription",  # Stars subscriptions cancelled, failed or active again (Bot API 10.2)
]


def make_bot(settings: Settings) -> Bot:
    """The bot, with no request middleware yet: ``wiring`` adds the pacing."""
    root = settings.telegram_api_base_url.rstrip("/")
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(root),
        limit=BOT_API_CONNECTIONS,
        timeout=REQUEST_TIMEOUT,
    )
    session.middleware(ResponseTypes())
    return Bot(settings.token(), session=session)


class ResponseTypes(BaseRequestMiddleware):
    """Keeps the ``Response[T]`` class of each method's result alive.

    aiogram parses every answer with ``Response[method.__returning__]``; pydantic caches such
    parametrized classes only weakly, so once the garbage collector frees one, the next call
    builds it again (schema and validator): measured, 6 % of the bot's CPU under load. Holding
    one strong reference per result type makes each a one-time cost."""

    def __init__(self) -> None:
        self._kept: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
