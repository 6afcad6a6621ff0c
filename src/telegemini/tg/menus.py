"""The command menus, published from the command registry at start-up: the public commands in
each interface language for everyone, and in each admin's private chat the admin commands too."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from telegemini.core.commands import (
    ADMIN_MENU,
    PUBLIC_COMMANDS,
    STARS_ADMIN_MENU,
    STARS_MENU,
    CommandInfo,
    listed,
)
from telegemini.core.i18n import LANGUAGES, translate

log = logging.getLogger(__name__)

# setMyCommands takes two-letter codes: Chinese gets the Simplified list (the most common).
MENU_LANGUAGE_CODES = {"es": "es", "ru": "ru", "zh-hans": "zh"}

Scope = BotCommandScopeDefault | BotCommandScopeChat


def menus(
    admins: Sequence[int], *, stars: bool = False, video: bool = True
) -> list[tuple[Scope, str | None, list[BotCommand]]]:
    """(scope, language code, commands) for every menu the bot publishes; English is the
    menu without a language code (Telegram's fallback for every other language). The selling
    commands only while ``stars`` (STARS_ENABLED), /video only while ``video``."""
    public = [*listed((*PUBLIC_COMMANDS, *(STARS_MENU if stars else ())), video=video)]
    admin_only = [*ADMIN_MENU, *(STARS_ADMIN_MENU if stars else ())]
    languages: list[tuple[str | None, str]] = [(None, "en")]
    languages += [(code, lang) for lang, code in MENU_LANGUAGE_CODES.items() if lang in LANGUAGES]
    published: list[tuple[Scope, str | None, list[BotCommand]]] = []
    for code, language in languages:
        published.append((BotCommandScopeDefault(), code, _listed(public, language)))
    for admin in admins:
        for code, language in languages:
            menu = _listed([*public, *admin_only], language)
            published.append((BotCommandScopeChat(chat_id=admin), code, menu))
    return published


def _listed(commands: Sequence[CommandInfo], language: str) -> list[BotCommand]:
    return [
        BotCommand(command=c.name, description=translate(language, c.description_key))
        for c in commands
    ]


async def publish_menus(
    bot: Bot, admins: Sequence[int], *, stars: bool = False, video: bool = True
) -> None:
    for scope, code, commands in menus(admins, stars=stars, video=video):
        try:
            await bot.set_my_commands(commands=commands, scope=scope, language_code=code)
        except TelegramAPIError as exc:  # e.g. an admin who never opened a chat with the bot
            log.warning("could not publish a command menu (%s, %s): %s", scope.type, code, exc)
