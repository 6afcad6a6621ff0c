"""Button presses, routed by their callback data (``tg/callbacks.py``): every press is answered,
and data that matches no factory gets "this button has expired"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot
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
    ShopButton,
    action_of,
)
from telegemini.tg.render import TelegramChatOutput
from telegemini.tg.rich import RichMessages
from telegemini.tg.translate import callback_to_incoming

# The callback data of each feature's buttons.
BUTTONS: dict[str, tuple[type[CallbackData], ...]] = {
    "settings": (SettingButton,),
    "images": (ImageButton, RatioButton),
    "captcha": (CaptchaButton,),
    "admin": (BroadcastButton,),
    "payments": (ShopButton,),
}
Pressed = Callable[[CallbackQuery, CallbackData, Bot, Update], Awaitable[None]]


def button_handler(assistant: Assistant, rich: RichMessages | None = None) -> Pressed:
    """Unpacked callback data → the core's action → ``Assistant.handle_callback``."""

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
            bot,
            incoming.chat,
            thread_id=incoming.thread_id,
            callback_query_id=incoming.callback_id,
            rich=rich,
            user_id=incoming.user.id,
        )
        try:
            await assistant.handle_callback(incoming, out)
        finally:
            await out.answer_callback()  # the button stops spinning whatever happened

    return pressed


async def expired(query: CallbackQuery, bot: Bot) -> None:
    """Data no factory took: malformed, forged, stale, or from an older version of the bot."""
    t = Translator(resolve_language(query.from_user.language_code))
    await bot.answer_callback_query(callback_query_id=query.id, text=t("callback.invalid"))
