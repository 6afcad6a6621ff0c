"""Typed routing: the aiogram ``Dispatcher`` and its routers.

Every message first passes ``Addressed``, which translates it (or a whole album) into the core's
``IncomingMessage`` and stops what is not for the bot (group messages that do not mention,
answer or command it). What passes goes to the core whole: the core tells a command (from the
command registry) from a voice note, a photo or text. Stars payments have their own router,
first; button presses are routed by their callback data. Handlers stay thin: the core does the
rest and the output renders it.

A message that carries no payment (nearly every update) takes the same two steps, ``Addressed``
then the answer, without the Dispatcher's propagation around them: measured under load, the
update-level middlewares and the walk through the routers cost ~10 % of the bot's CPU to reach
that one handler. Its errors are logged as the Dispatcher's error handler logs them.

To add a command: declare it in ``core/commands.py`` (``COMMANDS``) with its feature, handle it
in the core; ``/help`` and the command menus follow from the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.dispatcher.middlewares.base import BaseMiddleware
from aiogram.types import ErrorEvent, Message, MessageGenerationStopped, TelegramObject, Update
from pydantic import ValidationError

from telegemini.core.assistant import Assistant
from telegemini.core.models import ChatKey, IncomingMessage
from telegemini.core.ports import StopSignals
from telegemini.tg.buttons import BUTTONS, button_handler, expired
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.payments import payment_router
from telegemini.tg.render import TelegramChatOutput
from telegemini.tg.rich import RichMessages
from telegemini.tg.translate import merge_album, to_incoming

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Addressed(BaseMiddleware):
    """Outer middleware of every message: ``incoming`` and ``out`` for the handlers, or the
    message stops here when it is not for the bot. An album arrives as its first message with
    the others in ``album``; the core gets one message with every picture."""

    def __init__(self, early: EarlyTyping | None, rich: RichMessages | None) -> None:
        self._early = early
        self._rich = rich

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Message)
        addressed = await self.translate(
            event, data["bot"], data["event_update"].update_id, data.get("album") or []
        )
        if addressed is None:
            return None
        data["incoming"], data["out"] = addressed
        return await handler(event, data)

    async def translate(
        self, event: Message, bot: Bot, update_id: int, album: list[Message]
    ) -> tuple[IncomingMessage, TelegramChatOutput] | None:
        """The message for the core and where its answer goes; None when it is not for the bot."""
        me = await bot.me()  # asked once, then cached by aiogram
        incoming = to_incoming(
            event, update_id=update_id, bot_id=me.id, bot_username=me.username or ""
        )
        if incoming is not None and album:
            parts = [incoming]
            for part in album[1:]:
                translated = to_incoming(
                    part,
                    update_id=update_id,
                    bot_id=me.id,
                    bot_username=me.username or "",
                    addressed=True,  # the album's first part decided that
                )
                if translated is not None:
                    parts.append(translated)
            incoming = merge_album(parts)
        if incoming is None:
            return None
        return incoming, TelegramChatOutput(
            bot,
            incoming.chat,
            thread_id=incoming.thread_id,
            reply_to_message_id=incoming.message_id,
            draft_id=incoming.message_id,
            early=self._early,
            rich=self._rich,
            user_id=incoming.user.id,
        )


@dataclass(frozen=True)
class Routes:
    """What the inbox pump feeds: the Dispatcher, and the direct path of plain messages."""

    dispatcher: Dispatcher
    addressed: Addressed
    assistant: Assistant

    async def message(self, bot: Bot, update: Update, album: list[Message]) -> None:
        """A message that carries no payment: ``Addressed``, then the core, as the Dispatcher
        would take it; its errors logged as ``_log_error`` logs them."""
        assert update.message is not None
        try:
            addressed = await self.addressed.translate(update.message, bot, update.update_id, album)
            if addressed is not None:
                await self.assistant.handle(*addressed)
        except Exception as exc:
            _log_failure(update.update_id, exc)


def build_routes(
    assistant: Assistant,
    early: EarlyTyping | None = None,
    rich: RichMessages | None = None,
    stops: StopSignals | None = None,
) -> Routes:
    """The routes the inbox pump feeds; nothing else feeds them."""
    dispatcher = Dispatcher(disable_fsm=True, name="telegemini")
    addressed = Addressed(early, rich)
    dispatcher.message.outer_middleware(addressed)

    async def answer(message: Message, incoming: IncomingMessage, out: TelegramChatOutput) -> None:
        await assistant.handle(incoming, out)

    # One router, one handler for messages: every message that passed ``Addressed`` goes to the
    # core, which tells what it is (a router per feature, each with its filters, cost ~15 % of
    # the bot's CPU under load to arrive at this same handler).
    router = Router(name="assistant")
    router.message.register(answer)
    pressed = button_handler(assistant, rich)
    for factories in BUTTONS.values():
        for factory in factories:
            router.callback_query.register(pressed, factory.filter())
    router.callback_query.register(expired)  # the last: data nobody took
    if stops is not None:

        async def stop_pressed(event: MessageGenerationStopped) -> None:
            """The Stop button under a streamed draft: the answer it shows stops."""
            thread = event.message_thread_id
            await stops.request(ChatKey(event.chat.id, thread), event.draft_id)

        router.stopped_message_generation.register(stop_pressed)
    shop = assistant.shop
    if shop is not None and shop.checkout is not None:  # before the others: payments first
        dispatcher.include_router(payment_router(shop, shop.checkout))
    dispatcher.include_router(router)
    dispatcher.errors.register(_log_error)
    return Routes(dispatcher, addressed, assistant)


async def _log_error(event: ErrorEvent) -> bool:
    _log_failure(event.update.update_id, event.exception)
    return True


def _log_failure(update_id: int, exception: Exception) -> None:
    log.error(
        "error while handling update %s",
        update_id,
        exc_info=exception,
        extra={"update_id": update_id},
    )


def _for_the_dispatcher(message: Message) -> bool:
    """Messages the Dispatcher's routers tell apart: the payments router's."""
    return message.successful_payment is not None or message.refunded_payment is not None


def feeder(routes: Routes, bot: Bot) -> Callable[[list[dict[str, Any]]], Awaitable[None]]:
    """What the inbox pump calls with each unit of work: one update, or an album's updates."""
    dispatcher = routes.dispatcher

    async def feed(updates: list[dict[str, Any]]) -> None:
        try:
            parsed = [Update.model_validate(u, context={"bot": bot}) for u in updates]
        except ValidationError as exc:  # stored, but not an update aiogram can read: skipped
            log.warning(
                "update %s does not decode (%d problems); skipped",
                updates[0].get("update_id"),
                exc.error_count(),
            )
            return
        album = [u.message for u in parsed if u.message is not None] if len(parsed) > 1 else []
        message = parsed[0].message
        if message is not None and not _for_the_dispatcher(message):
            await routes.message(bot, parsed[0], album)
            return
        extra: dict[str, Any] = {"album": album} if album else {}
        await dispatcher.feed_update(bot, parsed[0], **extra)

    return feed
