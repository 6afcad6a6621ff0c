"""The Bot API client: the parsed-answer classes aiogram makes per result type stay built."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods import Response
from aiogram.types import User

from telegemini.sandbox.fake_telegram import FakeTelegramServer
from telegemini.settings import Settings
from telegemini.tg.bot import make_bot


async def test_the_answer_class_of_a_method_is_built_once_not_after_every_collection():
    async with FakeTelegramServer() as telegram:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=telegram.token,
            telegram_api_base_url=telegram.url,
        )
        bot = make_bot(settings)
        try:
            await bot.get_me()
            answer_class = weakref.ref(Response[User])
            gc.collect()
            # Without a strong reference pydantic's weak cache lets it go, and the next call
            # builds its schema and validator again.
            assert answer_class() is not None
            assert (await bot.get_me()).is_bot
            assert Response[User] is answer_class()
        finally:
            await bot.session.close()
