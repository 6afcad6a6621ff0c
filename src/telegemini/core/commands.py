"""The commands everyone has: /start /help /reset /mode /settings /lang /voice /language /usage
/id and the image commands. Admin commands live in admin.py."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from telegemini.core import modes
from telegemini.core.conversation import Caller, Conversation
from telegemini.core.guards import Guard
from telegemini.core.i18n import Translator
from telegemini.core.images import HD, STANDARD
from telegemini.core.models import AttachmentKind, IncomingMessage, Reply
from telegemini.core.ports import Store
from telegemini.core.preferences import PreferenceScreens
from telegemini.core.shop import Shop


class Feature(StrEnum):
    """The part of the bot a command belongs to (the Telegram adapter has a router for each)."""

    CHAT = "chat"
    SETTINGS = "settings"
    IMAGES = "images"
    ADMIN = "admin"
    PAYMENTS = "payments"


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    description_key: str
    feature: Feature
    admin: bool = False  # only admins may run it; it shows in the admins' own menus
    in_menu: bool = True  # listed in /help and the command menus (aliases are not)
    stars: bool = False  # exists only while Stars are sold (STARS_ENABLED): else unknown
    video: bool = False  # listed only while the video model is there (VIDEO_ENABLED, doctor)


# The command registry: the one place a command is declared. It drives dispatch (here and in
# the Telegram adapter's routers), /help and /start, and the command menus, in this order.
COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("start", "commands.start", Feature.CHAT),
    CommandInfo("help", "commands.help", Feature.CHAT),
    CommandInfo("reset", "commands.reset", Feature.CHAT),
    CommandInfo("new", "commands.new", Feature.CHAT),
    CommandInfo("stop", "commands.stop", Feature.CHAT),
    CommandInfo("mode", "commands.mode", Feature.SETTINGS),
    CommandInfo("voice", "commands.voice", Feature.SETTINGS),
    CommandInfo("language", "commands.language", Feature.SETTINGS),
    CommandInfo("lang", "commands.lang", Feature.SETTINGS),
    CommandInfo("settings", "commands.settings", Feature.SETTINGS),
    CommandInfo("image", "commands.image", Feature.IMAGES),
    CommandInfo("generate", "commands.image", Feature.IMAGES, in_menu=False),
    CommandInfo("draw", "commands.image", Feature.IMAGES, in_menu=False),
    CommandInfo("hd", "commands.hd", Feature.IMAGES),
    CommandInfo("batch", "commands.batch", Feature.IMAGES),
    CommandInfo("video", "commands.video", Feature.IMAGES, video=True),
    CommandInfo("usage", "commands.usage", Feature.CHAT),
    CommandInfo("id", "commands.id", Feature.CHAT),
    CommandInfo("premium", "shop.command_premium", Feature.PAYMENTS, stars=True),
    CommandInfo("buy", "shop.command_premium", Feature.PAYMENTS, in_menu=False, stars=True),
    CommandInfo("paysupport", "shop.command_paysupport", Feature.PAYMENTS, stars=True),
    CommandInfo("terms", "shop.command_terms", Feature.PAYMENTS, stars=True),
    CommandInfo("ban", "commands.ban", Feature.ADMIN, admin=True),
    CommandInfo("unban", "commands.unban", Feature.ADMIN, admin=True),
    CommandInfo("tier", "commands.tier", Feature.ADMIN, admin=True),
    CommandInfo("allow", "commands.allow", Feature.ADMIN, admin=True),
    CommandInfo("stats", "commands.stats", Feature.ADMIN, admin=True),
    CommandInfo("broadcast", "commands.broadcast", Feature.ADMIN, admin=True),
    CommandInfo("refund", "shop.command_refund", Feature.ADMIN, admin=True, stars=True),
)
_BY_NAME = {c.name: c for c in COMMANDS}
PUBLIC_COMMANDS = tuple(c for c in COMMANDS if c.in_menu and not c.admin and not c.stars)
ADMIN_MENU = tuple(c for c in COMMANDS if c.in_menu and c.admin and not c.stars)
# Listed after the others only while Stars are sold.
STARS_MENU = tuple(c for c in COMMANDS if c.in_menu and not c.admin and c.stars)
STARS_ADMIN_MENU = tuple(c for c in COMMANDS if c.in_menu and c.admin and c.stars)
IMAGE_COMMANDS = {
    "image": STANDARD,
    "generate": STANDARD,
    "draw": STANDARD,
    "hd": HD,
    "batch": STANDARD,
}


def find_command(name: str) -> CommandInfo | None:
    return _BY_NAME.get(name)


def commands_of(feature: Feature) -> tuple[CommandInfo, ...]:
    return tuple(c for c in COMMANDS if c.feature is feature)


def listed(commands: tuple[CommandInfo, ...], *, video: bool) -> tuple[CommandInfo, ...]:
    """``commands`` without the video command while there is no video model."""
    return commands if video else tuple(c for c in commands if not c.video)


def command_list(t: Translator, *, stars: bool = False, video: bool = True) -> str:
    shown = listed(PUBLIC_COMMANDS + (STARS_MENU if stars else ()), video=video)
    return "\n".join(f"/{c.name} — {t(c.description_key)}" for c in shown)


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
        shop: Shop | None = None,
    ) -> None:
        self._store = store
        self._guard = guard
        self._conversation = conversation
        self._screens = screens
        self._shop = shop
        self._stars = shop is not None and shop.enabled

    @property
    def _video(self) -> bool:
        videos = self._conversation.videos
        return videos is not None and videos.available

    async def run(self, message: IncomingMessage, caller: Caller) -> None:
        assert message.command is not None
        name, args = message.command.name, message.command.args.strip()
        out, t, prefs = caller.out, caller.t, caller.prefs
        if name in IMAGE_COMMANDS:
            photos = tuple(a for a in message.attachments if a.kind is AttachmentKind.PHOTO)
            await self._conversation.image_request(
                message, caller, args, photos, size=IMAGE_COMMANDS[name], batch=name == "batch"
            )
        elif name == "video":
            photos = tuple(a for a in message.attachments if a.kind is AttachmentKind.PHOTO)
            videos = self._conversation.videos
            if videos is None:
                await out.send(Reply(t("video.unavailable"), markdown=False))
            else:
                await videos.command(message, caller, args, photos)
        elif name == "start":
            commands = command_list(t, stars=self._stars, video=self._video)
            text = t("start.welcome", name=message.user.first_name, commands=commands)
            await out.send(
                Reply(f"{text}\n\n{t('id.user', user_id=message.user.id)}", markdown=False)
            )
        elif name == "id":
            lines = [t("id.user", user_id=message.user.id)]
            if message.chat.id != message.user.id:  # a group: its id is for ALLOWED_CHAT_IDS
                lines.append(t("id.chat", chat_id=message.chat.id))
            await out.send(Reply("\n".join(lines), markdown=False))
        elif name == "help":
            text = t("help.text", commands=command_list(t, stars=self._stars, video=self._video))
            if caller.effective.documents or caller.effective.url_context:
                text += "\n\n" + t("help.reading")
            await out.send(Reply(text, markdown=False))
        elif name == "stop":
            if not await self._conversation.stop(message.key):
                await out.send(Reply(t("answer.nothing_to_stop"), markdown=False))
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
        # Read afresh: the cached record may predate a purchase another instance credited.
        user = await self._store.load_user(caller.user.id) or caller.user
        lines = [t("usage.title", tier=t(f"usage.tier_{self._guard.tier(user).value}"))]
        for kind, (used, limit) in (await self._guard.usage(user)).items():
            name = t(f"usage.kind_{kind}")
            if limit is None:
                lines.append(t("usage.unlimited_line", kind=name, used=used))
            else:
                left = max(0, limit - used)
                lines.append(
                    t("usage.line", kind=name, bar=usage_bar(used, limit), left=left, limit=limit)
                )
        if self._shop is not None:
            lines += await self._shop.usage_lines(user, t)
        lines.append(t("usage.resets", time=self._guard.resets_text()))
        await caller.out.send(Reply("\n".join(lines), markdown=False))
