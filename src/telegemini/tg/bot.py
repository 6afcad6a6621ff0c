"""The aiogram ``Bot``: one aiohttp session to the Bot API (``TELEGRAM_API_BASE_URL``)."""

from __future__ import annotations

import datetime
from typing import Any, cast

import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout
from pydantic import BaseModel, ConfigDict

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
    return Bot(settings.token(), session=session)


# aiogram parses every answer with ``Response[method.__returning__]``; pydantic caches such
# parametrized classes only weakly, so once the garbage collector freed one, the next call built
# it again (schema and validator): measured, 6 % of the bot's CPU under load. One strong
# reference per result type makes each a one-time cost.
_RESPONSE_TYPES: dict[Any, type[Response[Any]]] = {}


def response_type(returning: Any) -> type[Response[Any]]:
    """``Response[returning]``, built once and kept."""
    kept = _RESPONSE_TYPES.get(returning)
    if kept is None:
        kept = _RESPONSE_TYPES[returning] = Response[returning]
    return kept


_SAMPLE_USER = {"id": 1, "is_bot": False, "first_name": "A", "language_code": "en"}
_SAMPLE_MESSAGE = {
    "message_id": 1,
    "date": 0,
    "chat": {"id": 1, "type": "private", "first_name": "A"},
    "from": _SAMPLE_USER,
    "text": "/start hello",
    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
}


def build_hot_types(bot: Bot) -> None:
    """Build, at start-up, the types every text update and its answer use.

    aiogram's types are built on first use (``tg/lazy_types.py``); the first update would build
    ``Update``, ``Message`` and the answers' ``Response`` classes in the middle of serving: a
    100-300 ms stop of the event loop, measured under load. So would the pieces of an answer:
    the first rich message alone built ``InputRichMessage`` and ``SendRichMessage`` for ~60 ms
    (the longest stall of a whole throughput run). Built here, before the start-up's
    garbage-collector freeze, they cost ~10 MB and ~0.3 s once."""
    from aiogram.methods import (
        AnswerCallbackQuery,
        EditMessageText,
        SendChatAction,
        SendMessage,
        SendMessageDraft,
        SendRichMessage,
        SendRichMessageDraft,
    )
    from aiogram.types import (
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        InputRichMessage,
        MessageEntity,
        ReplyParameters,
        Update,
    )

    from telegemini.tg.post_init import flatten

    flatten()  # every aiogram class is imported by now (the methods through ``Bot``)
    context = {"bot": bot}
    Update.model_validate({"update_id": 1, "message": _SAMPLE_MESSAGE}, context=context)
    Update.model_validate(
        {
            "update_id": 2,
            "callback_query": {
                "id": "1",
                "from": _SAMPLE_USER,
                "chat_instance": "1",
                "data": "x",
                "message": _SAMPLE_MESSAGE,
            },
        },
        context=context,
    )
    # What an answer is made of: a quote, formatting, buttons, a rich message.
    quote = ReplyParameters(message_id=1)
    entities = [MessageEntity(type="bold", offset=0, length=1)]
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]]
    )
    rich = InputRichMessage(markdown="x")
    methods: list[TelegramMethod[Any]] = [
        SendMessage(chat_id=1, text="x"),
        SendMessageForId(
            chat_id=1, text="x", entities=entities, reply_markup=keyboard, reply_parameters=quote
        ),
        SendRichMessage(
            chat_id=1, rich_message=rich, reply_markup=keyboard, reply_parameters=quote
        ),
        SendRichMessageDraft(chat_id=1, draft_id=1, rich_message=rich),
        SendChatAction(chat_id=1, action="typing"),
        SendMessageDraft(chat_id=1, draft_id=1, text="x"),
        EditMessageText(chat_id=1, message_id=1, text="x"),
        AnswerCallbackQuery(callback_query_id="1"),
    ]
    for method in methods:
        method.model_dump(warnings=False, exclude_none=True)
        response = response_type(method.__returning__)
        result = True if method.__returning__ is bool else _SAMPLE_MESSAGE
        response.model_validate({"ok": True, "result": result}, context=context)


class Sent(BaseModel):
    """What the bot reads of a message it sent: its id."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    message_id: int


class SendMessageForId(SendMessage):
    """``sendMessage`` answered with the new message's id alone. Telegram answers with the whole
    ``Message`` (its chat, its sender, the message it quotes): validated as aiogram's seven
    models, ~60 µs per reply measured, where the replies need only the id."""

    __returning__ = Sent  # type: ignore[assignment]


async def send_message_for_id(bot: Bot, method: SendMessageForId) -> int:
    """Send a message; its id."""
    sent: Any = await bot(method)
    return cast(Sent, sent).message_id


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
        response_type(method.__returning__)  # kept alive for check_response
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        # Unset fields (None) are left out of the dump: prepare_value would drop them anyway.
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
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
