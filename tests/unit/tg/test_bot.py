"""The Bot API client: the parsed-answer classes aiogram makes per result type stay built; a
reply sent for its id alone; what an answer is made of is built at start-up."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.methods import Response
from aiogram.types import ReplyParameters, User

from telegemini.sandbox.fake_telegram import FakeTelegramServer, FakeUser
from telegemini.settings import Settings
from telegemini.tg.bot import SendMessageForId, make_bot, send_message_for_id
from tests.helpers.probe import run_probe


@contextlib.asynccontextmanager
async def bot_on_a_fake() -> AsyncIterator[tuple[Bot, FakeTelegramServer]]:
    async with FakeTelegramServer() as telegram:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=telegram.token,
            telegram_api_base_url=telegram.url,
        )
        bot = make_bot(settings)
        try:
            yield bot, telegram
        finally:
            await bot.session.close()


async def test_the_answer_class_of_a_method_is_built_once_not_after_every_collection():
    async with bot_on_a_fake() as (bot, _):
        await bot.get_me()
        answer_class = weakref.ref(Response[User])
        gc.collect()
        # Without a strong reference pydantic's weak cache lets it go, and the next call
        # builds its schema and validator again.
        assert answer_class() is not None
        assert (await bot.get_me()).is_bot
        assert Response[User] is answer_class()


async def test_a_reply_sent_for_its_id_is_the_message_telegram_made_and_leaves_out_unset_fields():
    async with bot_on_a_fake() as (bot, telegram):
        alice = FakeUser(42, "Alice")
        question = telegram.send_text(alice, "hello")["message"]
        message_id = await send_message_for_id(
            bot,
            SendMessageForId(
                chat_id=alice.id,
                text="an answer",
                message_thread_id=None,
                reply_parameters=ReplyParameters(message_id=question["message_id"]),
            ),
        )
        [call] = telegram.calls_of("sendMessage")
        assert call.ok
        assert message_id == call.result["message_id"] != question["message_id"]
        assert call.result["reply_to_message"]["message_id"] == question["message_id"]
        assert set(call.params) == {"chat_id", "text", "reply_parameters"}


HOT_PROBE = """
import telegemini, aiogram.types as types, aiogram.methods as methods
from aiogram import Bot
from telegemini.tg.bot import SendMessageForId, build_hot_types
build_hot_types(Bot("42:TOKEN"))
used = [types.Update, types.ReplyParameters, types.MessageEntity, types.InputRichMessage,
        types.InlineKeyboardMarkup, types.InlineKeyboardButton, methods.SendChatAction,
        methods.SendRichMessage, methods.SendRichMessageDraft, methods.SendMessageDraft,
        SendMessageForId]
unbuilt = [cls.__name__ for cls in used if not cls.__pydantic_complete__]
assert not unbuilt, unbuilt
print("ok")
"""


def test_what_an_answer_is_made_of_is_built_before_the_first_update():
    # Built on first use instead, the first rich answer stopped the event loop for ~60 ms.
    run_probe(HOT_PROBE)
