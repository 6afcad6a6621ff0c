"""Typed routing: the aiogram ``Dispatcher`` with one router per feature.

Every message first passes ``Addressed``, which translates it (or a whole album) into the core's
``IncomingMessage`` and stops what is not for the bot (group messages that do not mention,
answer or command it). The routers then choose by what the message is: a command of their
feature (from the command registry), a voice note, a photo, or text; button presses by their
callback data. Handlers stay thin: the core does the rest and the output renders it.

To add a command: declare it in ``core/commands.py`` (``COMMANDS``) with its feature, handle it
in the core; the routers, ``/help`` and the command menus follow from the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.dispatcher.middlewares.base import BaseMiddleware
from aiogram.filters import Filter
from aiogram.types import ErrorEvent, Message, MessageGenerationStopped, TelegramObject, Update
from pydantic import ValidationError

from telegemini.core.assistant import Assistant
from telegemini.core.commands import Feature, commands_of
from telegemini.core.models import AttachmentKind, ChatKey, IncomingMessage
from telegemini.core.ports import StopSignals
from telegemini.tg.buttons import BUTTONS, button_handler, expired
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.payments import payment_router
from telegemini.tg.render import TelegramChatOutput
from telegemini.tg.rich import RichMessages
from telegemini.tg.translate import merge_album, to_incoming

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
VOICE_KINDS = frozenset({AttachmentKind.VOICE, AttachmentKind.AUDIO, AttachmentKind.VIDEO_NOTE})


class Addressed(BaseMiddleware):
    """Outer middleware of every message: ``incoming`` and ``out`` for the handlers, or the
    message stops here when it is not for the bot. An album arrives as its first message with
    the others in ``album``; the core gets one message with every picture."""

    def __init__(self, early: EarlyTyping | None, rich: RichMessages | None) -> None:
        self._early = early
        self._rich = rich

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Message)
        bot: Bot = data["bot"]
        me = await bot.me()  # asked once, then cached by aiogram
        update_id = data["event_update"].update_id
        incoming = to_incoming(
            event, update_id=update_id, bot_id=me.id, bot_username=me.username or ""
        )
        album: list[Message] = data.get("album") or []
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
        data["incoming"] = incoming
        data["out"] = TelegramChatOutput(
            bot,
            incoming.chat,
            thread_id=incoming.thread_id,
            reply_to_message_id=incoming.message_id,
            draft_id=incoming.message_id,
            early=self._early,
            rich=self._rich,
            user_id=incoming.user.id,
        )
        return await handler(event, data)


class IsCommand(Filter):
    """A command of one feature, as the command registry declares it."""

    def __init__(self, feature: Feature) -> None:
        self._names = frozenset(c.name for c in commands_of(feature))

    async def __call__(self, message: Message, incoming: IncomingMessage) -> bool:
        return incoming.command is not None and incoming.command.name in self._names


class AnyCommand(Filter):
    async def __call__(self, message: Message, incoming: IncomingMessage) -> bool:
        return incoming.command is not None


class Carries(Filter):
    """Messages with an attachment of one of ``kinds``."""

    def __init__(self, kinds: frozenset[AttachmentKind]) -> None:
        self._kinds = kinds

    async def __call__(self, message: Message, incoming: IncomingMessage) -> bool:
        return any(a.kind in self._kinds for a in incoming.attachments)


# The routers, in the order a message or a press is offered to them: the specific features
# first, the chat (unknown commands, text, and whatever else the core declines politely) last.
ROUTERS = ("settings", "images", "voice", "admin", "payments", "captcha", "chat")


def build_dispatcher(
    assistant: Assistant,
    early: EarlyTyping | None = None,
    rich: RichMessages | None = None,
    stops: StopSignals | None = None,
) -> Dispatcher:
    """The dispatcher the inbox pump feeds; nothing else feeds it."""
    dispatcher = Dispatcher(disable_fsm=True, name="telegemini")
    dispatcher.message.outer_middleware(Addressed(early, rich))

    async def answer(message: Message, incoming: IncomingMessage, out: TelegramChatOutput) -> None:
        await assistant.handle(incoming, out)

    routers = {name: Router(name=name) for name in ROUTERS}
    for feature in Feature:  # commands, as the registry assigns them
        routers[feature.value].message.register(answer, IsCommand(feature))
    routers["images"].message.register(answer, Carries(frozenset({AttachmentKind.PHOTO})))
    routers["voice"].message.register(answer, Carries(VOICE_KINDS))
    routers["chat"].message.register(answer, AnyCommand())  # not in the registry: "unknown"
    routers["chat"].message.register(answer)
    pressed = button_handler(assistant, rich)
    for name, factories in BUTTONS.items():
        for factory in factories:
            routers[name].callback_query.register(pressed, factory.filter())
    routers["chat"].callback_query.register(expired)  # the last router: data nobody took
    if stops is not None:

        async def stop_pressed(event: MessageGenerationStopped) -> None:
            """The Stop button under a streamed draft: the answer it shows stops."""
            thread = event.message_thread_id
            await stops.request(ChatKey(event.chat.id, thread), event.draft_id)

        routers["chat"].stopped_message_generation.register(stop_pressed)
    shop = assistant.shop
    if shop is not None and shop.checkout is not None:  # before the others: payments first
        dispatcher.include_router(payment_router(shop, shop.checkout))
    dispatcher.include_routers(*routers.values())
    dispatcher.errors.register(_log_error)
    return dispatcher


async def _log_error(event: ErrorEvent) -> bool:
    update_id = event.update.update_id
    log.error(
        "error while handling update %s",
        update_id,
        exc_info=event.exception,
        extra={"update_id": update_id},
    )
    return True


def feeder(dispatcher: Dispatcher, bot: Bot) -> Callable[[list[dict[str, Any]]], Awaitable[None]]:
    """What the inbox pump calls with each unit of work: one update, or an album's updates."""

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
        extra: dict[str, Any] = {}
        if len(parsed) > 1:
            extra["album"] = [u.message for u in parsed if u.message is not None]
        await dispatcher.feed_update(bot, parsed[0], **extra)

    return feed
