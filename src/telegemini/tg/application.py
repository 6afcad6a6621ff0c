"""The python-telegram-bot ``Application``: our request pacing, our update ordering, and one thin
handler that translates, calls the core, and lets ``TelegramChatOutput`` render."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from telegemini.core.assistant import Assistant
from telegemini.core.commands import ADMIN_MENU, PUBLIC_COMMANDS
from telegemini.core.i18n import LANGUAGES, translate
from telegemini.core.models import IncomingMessage
from telegemini.core.ports import ChatLocks
from telegemini.settings import Settings
from telegemini.tg.albums import AlbumCollector
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.processor import ArrivalQueue, InboxUpdateProcessor
from telegemini.tg.ratelimit import FloodHook, TelegramRateLimiter
from telegemini.tg.render import TelegramChatOutput
from telegemini.tg.translate import callback_to_incoming, to_incoming
from telegemini.tg.transport import CompletingHTTPXRequest

# PTB's own default: replies, actions and drafts of up to 256 chats in flight at once.
BOT_API_CONNECTIONS = 256

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]

# setMyCommands takes two-letter codes: Chinese gets the Simplified list (the most common).
_MENU_LANGUAGE_CODES = {"es": "es", "ru": "ru", "zh-hans": "zh"}


def command_menus(
    admins: list[int],
) -> Callable[[Application], Coroutine[Any, Any, None]]:  # type: ignore[type-arg]
    """The ``post_init`` that registers the command menu: per language for everyone, and for
    each admin's private chat the admin commands as well."""

    async def publish(application: Application) -> None:  # type: ignore[type-arg]
        bot = application.bot
        menus: list[tuple[str | None, str]] = [(None, "en")]
        menus += [(code, lang) for lang, code in _MENU_LANGUAGE_CODES.items() if lang in LANGUAGES]
        for code, language in menus:
            commands = [
                BotCommand(c.name, translate(language, c.description_key)) for c in PUBLIC_COMMANDS
            ]
            await _set(bot, commands, BotCommandScopeDefault(), code)
        everything = [*PUBLIC_COMMANDS, *ADMIN_MENU]
        for admin in admins:
            commands = [BotCommand(c.name, translate("en", c.description_key)) for c in everything]
            await _set(bot, commands, BotCommandScopeChat(admin), None)

    return publish


async def _set(
    bot: Bot, commands: list[BotCommand], scope: BotCommandScope, code: str | None
) -> None:
    try:
        await bot.set_my_commands(commands, scope=scope, language_code=code)
    except TelegramError as exc:  # e.g. an admin who never opened a chat with the bot
        log.warning("could not publish a command menu (%s, %s): %s", scope.type, code, exc)


def build_application(settings: Settings, *, on_flood: FloodHook | None = None) -> Application:  # type: ignore[type-arg]
    """The PTB application with our pacing and ordering; handlers come with ``add_handlers``."""
    root = settings.telegram_api_base_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .request(CompletingHTTPXRequest(connection_pool_size=BOT_API_CONNECTIONS))
        .rate_limiter(
            TelegramRateLimiter(overall_per_second=settings.telegram_global_rate, on_flood=on_flood)
        )
        .concurrent_updates(InboxUpdateProcessor())
        .update_queue(ArrivalQueue())
        .post_init(command_menus(settings.admin_user_ids))
    )
    if settings.mode == "webhook":
        builder = builder.updater(None)
    return builder.build()


def add_handlers(
    application: Application,  # type: ignore[type-arg]
    assistant: Assistant,
    locks: ChatLocks,
    early: EarlyTyping | None = None,
) -> None:
    """One thin handler per update kind: translate, call the core, let the output render."""
    bot = application.bot

    async def handle(incoming: IncomingMessage) -> None:
        out = TelegramChatOutput(
            bot,
            incoming.chat,
            thread_id=incoming.thread_id,
            reply_to_message_id=incoming.message_id,
            draft_id=incoming.message_id,
            early=early,
        )
        await assistant.handle(incoming, out)

    albums = AlbumCollector(locks, handle, application.create_task)

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        group = message.media_group_id if message is not None else None
        collecting = group is not None and albums.collecting(update.effective_chat.id, group)  # type: ignore[union-attr]
        incoming = to_incoming(
            update, bot_id=bot.id, bot_username=bot.username, addressed=collecting
        )
        if incoming is None:
            return
        if group is not None:
            albums.add(group, incoming)  # handled once the whole album is in
            return
        await handle(incoming)

    async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = callback_to_incoming(update)
        if incoming is None:
            return
        out = TelegramChatOutput(
            context.bot,
            incoming.chat,
            thread_id=incoming.thread_id,
            callback_query_id=incoming.callback_id,
        )
        try:
            await assistant.handle_callback(incoming, out)
        finally:
            await out.answer_callback()  # the button stops spinning whatever happened

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error(
            "error while handling update %s",
            update_id,
            exc_info=context.error,
            extra={"update_id": update_id},
        )

    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, on_message))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_error_handler(on_error)
