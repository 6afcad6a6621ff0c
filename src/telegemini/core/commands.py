"""The commands everyone has: /start /help /reset /mode /settings /lang /voice /language /usage
and the image commands. Admin commands live in admin.py."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegemini.core import modes
from telegemini.core.conversation import Caller, Conversation
from telegemini.core.guards import Guard
from telegemini.core.i18n import Translator
from telegemini.core.images import HD, STANDARD
from telegemini.core.models import AttachmentKind, IncomingMessage, Reply
from telegemini.core.ports import Store
from telegemini.core.preferences import PreferenceScreens


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    description_key: str


# The public command menu, in display order (descriptions come from the catalog).
PUBLIC_COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("start", "commands.start"),
    CommandInfo("help", "commands.help"),
    CommandInfo("reset", "commands.reset"),
    CommandInfo("new", "commands.new"),
    CommandInfo("mode", "commands.mode"),
    CommandInfo("voice", "commands.voice"),
    CommandInfo("language", "commands.language"),
    CommandInfo("lang", "commands.lang"),
    CommandInfo("settings", "commands.settings"),
    CommandInfo("image", "commands.image"),
    CommandInfo("hd", "commands.hd"),
    CommandInfo("batch", "commands.batch"),
    CommandInfo("usage", "commands.usage"),
)
ADMIN_MENU: tuple[CommandInfo, ...] = (
    CommandInfo("ban", "commands.ban"),
    CommandInfo("unban", "commands.unban"),
    CommandInfo("tier", "commands.tier"),
    CommandInfo("allow", "commands.allow"),
    CommandInfo("stats", "commands.stats"),
    CommandInfo("broadcast", "commands.broadcast"),
)
IMAGE_COMMANDS = {
    "image": STANDARD,
    "generate": STANDARD,
    "draw": STANDARD,
    "hd": HD,
    "batch": STANDARD,
}


def command_list(t: Translator) -> str:
    return "\n".join(f"/{c.name} — {t(c.description_key)}" for c in PUBLIC_COMMANDS)


def usage_bar(used: int, limit: int, width: int = 10) -> str:
    filled = round(width * min(used, limit) / limit) if limit else width
    return "▓" * filled + "░" * (width - filled)


class Commands:
    def __init__(
        self,
        store: Store,
        guard: Guard,
        conversation: Conversation,
        screens: PreferenceScreens,
    ) -> None:
        self._store = store
        self._guard = guard
        self._conversation = conversation
        self._screens = screens

    def knows(self, name: str) -> bool:
        return name in _HANDLED or name in IMAGE_COMMANDS

    async def run(self, message: IncomingMessage, caller: Caller) -> None:
        assert message.command is not None
        name, args = message.command.name, message.command.args.strip()
        out, t, prefs = caller.out, caller.t, caller.prefs
        if name in IMAGE_COMMANDS:
            photos = tuple(a for a in message.attachments if a.kind is AttachmentKind.PHOTO)
            await self._conversation.image_request(
                message, caller, args, photos, size=IMAGE_COMMANDS[name], batch=name == "batch"
            )
        elif name == "start":
            text = t("start.welcome", name=message.user.first_name, commands=command_list(t))
            await out.send(Reply(text, markdown=False))
        elif name == "help":
            await out.send(Reply(t("help.text", commands=command_list(t)), markdown=False))
        elif name in ("reset", "new"):
            await self._store.reset_conversation(message.key)
            await out.send(Reply(t("reset.done"), markdown=False))
        elif name == "mode":
            await out.send(self._screens.mode_screen(prefs, t))
        elif name == "settings":
            await out.send(self._screens.settings_screen(prefs, t))
        elif name == "lang":
            await out.send(self._screens.ui_screen(prefs, t))
        elif name == "voice":
            await self._voice(message, caller, args)
        elif name == "language":
            await self._language(message, caller, args)
        elif name == "usage":
            await self._usage(caller)

    async def _voice(self, message: IncomingMessage, caller: Caller, args: str) -> None:
        choice = args.lower()
        if not choice:
            await caller.out.send(self._screens.voice_screen(caller.prefs, caller.t))
        elif choice in ("on", "off"):
            prefs = replace(caller.prefs, voice_replies=choice == "on")
            await self._store.save_preferences(message.chat.id, message.user.id, prefs)
            await caller.out.send(Reply(caller.t(f"voice.{choice}"), markdown=False))
        else:
            await caller.out.send(Reply(caller.t("voice.usage"), markdown=False))

    async def _language(self, message: IncomingMessage, caller: Caller, args: str) -> None:
        t = caller.t
        if not args:
            await caller.out.send(self._screens.target_screen(caller.prefs, t))
            return
        language = modes.language_name(args)
        if language is None:
            await caller.out.send(Reply(t("language.invalid"), markdown=False))
            return
        prefs = replace(caller.prefs, target_language=language)
        await self._store.save_preferences(message.chat.id, message.user.id, prefs)
        await caller.out.send(Reply(t("language.set", language=language), markdown=False))

    async def _usage(self, caller: Caller) -> None:
        t = caller.t
        lines = [t("usage.title", tier=t(f"usage.tier_{self._guard.tier(caller.user).value}"))]
        for kind, (used, limit) in (await self._guard.usage(caller.user)).items():
            name = t(f"usage.kind_{kind}")
            if limit is None:
                lines.append(t("usage.unlimited_line", kind=name, used=used))
            else:
                left = max(0, limit - used)
                lines.append(
                    t("usage.line", kind=name, bar=usage_bar(used, limit), left=left, limit=limit)
                )
        lines.append(t("usage.resets", time=self._guard.resets_text()))
        await caller.out.send(Reply("\n".join(lines), markdown=False))


_HANDLED = frozenset(
    {"start", "help", "reset", "new", "mode", "settings", "lang", "voice", "language", "usage"}
)
