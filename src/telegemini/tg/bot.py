"""The aiogram ``Bot``: one aiohttp session to the Bot API (``TELEGRAM_API_BASE_URL``)."""

from __future__ import annotations

import datetime
from typing import Any, cast

import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout

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
    session = JsonSession(
        api=TelegramAPIServer.from_base(root),
        limit=BOT_API_CONNECTIONS,
        timeout=REQUEST_TIMEOUT,
        json_loads=orjson.loads,
        json_dumps=_dumps,
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


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class JsonSession(AiohttpSession):
    """aiogram's session, with requests that carry no file sent as one JSON body.

    aiogram sends every request as a form (a multipart writer and a random boundary made per
    request even when no file goes with it, every nested value JSON-encoded on its own); the Bot
    API takes JSON as well. Measured under load: the form alone was ~10 % of the bot's CPU.
    Requests with a file still go as multipart, through aiogram's own code."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is None or prepared == "":
                continue  # as aiogram's form leaves them out
            if isinstance(value, datetime.datetime | datetime.timedelta):
                prepared = int(prepared)  # aiogram writes a timestamp as a string
            body[key] = prepared
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=orjson.dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw = await resp.read()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(
            bot=bot,
            method=method,
            status_code=resp.status,
            content=raw.decode("utf-8", errors="replace"),
        )
        return cast(TelegramType, response.result)
