"""Button presses, routed by their callback data (``tg/callbacks.py``) to one router per feature;
every press is answered, and data that matches no factory gets "this button has expired"."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Update

from telegemini.core.assistant import Assistant
from telegemini.core.i18n import Translator, resolve_language
from telegemini.tg.callbacks import (
    BroadcastButton,
    CaptchaButton,
    ImageButton,
    RatioButton,
    SettingButton,
    action_of,
)
from telegemini.tg.render import TelegramChatOutput
from telegemini.tg.translate import callback_to_incoming

# The routers, in the order they are tried, and the callback data each one takes.
FEATURES: tuple[tuple[str, tuple[type[CallbackData], ...]], ...] = (
    ("settings-buttons", (SettingButton,)),
    ("image-buttons", (ImageButton, RatioButton)),
    ("captcha-buttons", (CaptchaButton,)),
    ("admin-buttons", (BroadcastButton,)),
)


def button_routers(assistant: Assistant) -> list[Router]:
    async def pressed(
        query: CallbackQuery, callback_data: CallbackData, bot: Bot, event_update: Update
    ) -> None:
        incoming = callback_to_incoming(
            query, update_id=event_update.update_id, action=action_of(callback_data)
        )
        if incoming is None:  # no message to answer under: nothing to do but stop the spinner
            await bot.answer_callback_query(callback_query_id=query.id)
            return
        out = TelegramChatOutput(
            bot, incoming.chat, thread_id=incoming.thread_id, callback_query_id=incoming.callback_id
        )
        try:
            await assistant.handle_callback(incoming, out)
        finally:
            await out.answer_callback()  # the button stops spinning whatever happened

    routers = []
    for name, factories in FEATURES:
        router = Router(name=name)
        for factory in factories:
            router.callback_query.register(pressed, factory.filter())
        routers.append(router)
    expired = Router(name="expired-buttons")
    expired.callback_query.register(_expired)
    return [*routers, expired]


async def _expired(query: CallbackQuery, bot: Bot) -> None:
    """Malformed, forged or stale data (or a button of an older version of the bot)."""
    t = Translator(resolve_language(query.from_user.language_code))
    await bot.answer_callback_query(callback_query_id=query.id, text=t("callback.invalid"))
