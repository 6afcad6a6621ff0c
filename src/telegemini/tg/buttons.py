"""Button presses: routed by their callback data to the core, always answered."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Update

from telegemini.core.assistant import Assistant
from telegemini.tg.render import TelegramChatOutput
from telegemini.tg.translate import callback_to_incoming


def button_routers(assistant: Assistant) -> list[Router]:
    router = Router(name="buttons")

    @router.callback_query()
    async def pressed(query: CallbackQuery, bot: Bot, event_update: Update) -> None:
        incoming = callback_to_incoming(query, update_id=event_update.update_id)
        if incoming is None:
            await bot.answer_callback_query(callback_query_id=query.id)
            return
        out = TelegramChatOutput(
            bot, incoming.chat, thread_id=incoming.thread_id, callback_query_id=incoming.callback_id
        )
        try:
            await assistant.handle_callback(incoming, out)
        finally:
            await out.answer_callback()  # the button stops spinning whatever happened

    return [router]
