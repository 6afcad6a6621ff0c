"""Telegram's limits, with its error strings: lengths, keyboards, commands, flood control.

Numbers come from python-telegram-bot 22.8's ``telegram.constants`` and the Bot FAQ; see
``/work/shared/reference/telegram-bot-api.md`` §0 and §3. Rich-message limits and the 15-second
ephemeral window come from ``telegram-bot-api-10.md`` §2.8 and §4; where Telegram's error text
is unknown the fake uses the texts below marked *(fake)*: tests must not rely on them.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .entities import utf16_len
from .models import ApiError

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_BUTTONS = 100
MAX_COMMANDS = 100
MB = 1024 * 1024
MAX_DOWNLOAD = 20 * MB
MAX_UPLOAD = 50 * MB
MAX_PHOTO = 10 * MB
MAX_PHOTO_SIDES = 10000
MAX_PHOTO_RATIO = 20
MEDIA_GROUP_MIN, MEDIA_GROUP_MAX = 2, 10

# Rich messages (Bot API 10.1-10.3, "Rich message limits").
RICH_MAX_TEXT = 32768  # code points, formula sources and custom-emoji alt texts included
RICH_MAX_BLOCKS = 500  # nested blocks, list items and table rows included
RICH_MAX_DEPTH = 16  # levels of blocks and formatting
RICH_MAX_MEDIA = 50
RICH_MAX_COLUMNS = 20
RICH_MAX_BUTTONS = 8  # per buttons block
RICH_MEDIA_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EPHEMERAL_WINDOW = 15.0  # seconds a callback query or an incoming ephemeral message allows

# Error descriptions. Quoted from real reports: RICH_EMPTY, RICH_CONTENT (for "several given" it
# is the fake's choice). Everything else in this block is *(fake)*.
RICH_EMPTY = "rich message must be non-empty"
RICH_CONTENT = "RICH_MESSAGE_CONTENT_REQUIRED"
RICH_TOO_LONG = "RICH_MESSAGE_TOO_LONG"
RICH_TOO_MANY_BLOCKS = "RICH_MESSAGE_TOO_MANY_BLOCKS"
RICH_TOO_DEEP = "RICH_MESSAGE_TOO_DEEP"
RICH_TOO_MANY_MEDIA = "RICH_MESSAGE_TOO_MANY_MEDIA"
RICH_TOO_WIDE = "RICH_MESSAGE_TABLE_TOO_WIDE"
RICH_BUTTONS = "RICH_MESSAGE_BUTTONS_INVALID"
RICH_THINKING = "RICH_MESSAGE_THINKING_NOT_ALLOWED: thinking blocks are allowed only in drafts"
RICH_MEDIA_ID = "RICH_MESSAGE_MEDIA_ID_INVALID"
RICH_MEDIA_MISSING = "RICH_MESSAGE_MEDIA_NOT_FOUND"
RICH_DRAFT_MEDIA = "RICH_MESSAGE_MEDIA_INVALID: drafts accept only previously uploaded files"
RICH_HEADING_SIZE = "RICH_MESSAGE_HEADING_SIZE_INVALID"
EPHEMERAL_UNSUPPORTED = "ephemeral messages are not supported"
EPHEMERAL_CHAT = "ephemeral messages can be sent only to group and supergroup chats"
EPHEMERAL_RECEIVER = "user not found"
EPHEMERAL_TO_BOT = "ephemeral messages can't be sent to bots"
EPHEMERAL_RIGHTS = "CHAT_ADMIN_REQUIRED"
EPHEMERAL_EXPIRED = "EPHEMERAL_MESSAGE_EXPIRED"
EPHEMERAL_REPLY = "a reply to an ephemeral message must be an ephemeral message"
EPHEMERAL_REPLACE = "replace_callback_query_message must be false for ephemeral messages"
EPHEMERAL_LOGIN_URL = "login_url buttons are not supported in ephemeral messages"
REPLY_TARGET = "reply parameters must specify message_id or ephemeral_message_id"

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# The 73 emoji bots may react with (telegram.constants.ReactionEmoji).
REACTION_EMOJI = frozenset(
    {
        "👍",
        "👎",
        "❤",
        "🔥",
        "🥰",
        "👏",
        "😁",
        "🤔",
        "🤯",
        "😱",
        "🤬",
        "😢",
        "🎉",
        "🤩",
        "🤮",
        "💩",
        "🙏",
        "👌",
        "🕊",
        "🤡",
        "🥱",
        "🥴",
        "😍",
        "🐳",
        "❤\ufe0f\u200d🔥",
        "🌚",
        "🌭",
        "💯",
        "🤣",
        "⚡",
        "🍌",
        "🏆",
        "💔",
        "🤨",
        "😐",
        "🍓",
        "🍾",
        "💋",
        "🖕",
        "😈",
        "😴",
        "😭",
        "🤓",
        "👻",
        "👨\u200d💻",
        "👀",
        "🎃",
        "🙈",
        "😇",
        "😨",
        "🤝",
        "✍",
        "🤗",
        "🫡",
        "🎅",
        "🎄",
        "☃",
        "💅",
        "🤪",
        "🗿",
        "🆒",
        "💘",
        "🙉",
        "🦄",
        "😘",
        "💊",
        "🙊",
        "😎",
        "👾",
        "🤷\u200d♂\ufe0f",
        "🤷",
        "🤷\u200d♀\ufe0f",
        "😡",
    }
)
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Update kinds delivered when allowed_updates is empty or never set.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Methods that count against flood control (chat actions, drafts and reactions do not).
FLOOD_METHODS = frozenset(
    {
        "sendmessage",
        "sendrichmessage",
        "sendphoto",
        "sendvoice",
        "sendaudio",
        "senddocument",
        "sendvideo",
        "sendanimation",
        "sendvideonote",
        "sendsticker",
        "sendmediagroup",
        "sendlocation",
        "sendcontact",
        "sendpoll",
        "senddice",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagemedia",
        "editmessagereplymarkup",
    }
)


def check_text(text: str, *, edit: bool = False) -> None:
    """A message text after parsing: non-empty, at most 4096 UTF-16 code units."""
    if not text:
        raise ApiError.bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise ApiError.bad_request("MESSAGE_TOO_LONG" if edit else "message is too long")


def check_caption(caption: str) -> None:
    """A caption after parsing: at most 1024 UTF-16 code units."""
    if utf16_len(caption) > MAX_CAPTION:
        raise ApiError.bad_request("message caption is too long")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError.bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    data = button.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise ApiError.bad_request("BUTTON_DATA_INVALID")
    actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
    if not actions:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )


def validate_reply_markup(raw: Any) -> dict[str, Any] | None:
    """Check ``reply_markup``; return the inline keyboard to store on the message, if any."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        if not {"keyboard", "remove_keyboard", "force_reply"} & set(raw):
            raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
        return None  # reply keyboards are not part of the returned Message
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(
            'can\'t parse inline keyboard: Field "inline_keyboard" must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise ApiError.bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _check_inline_button(button)
    return {"inline_keyboard": rows}


def check_commands(raw: Any) -> list[dict[str, Any]]:
    """Validate ``setMyCommands``'s list (``is_ephemeral`` is kept when true, Bot API 10.2)."""
    if not isinstance(raw, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    if len(raw) > MAX_COMMANDS:
        raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
    commands: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError.bad_request("can't parse BotCommand: expected an Object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not COMMAND.match(command):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        entry: dict[str, Any] = {"command": command, "description": description}
        ephemeral = item.get("is_ephemeral")
        if ephemeral is True or (isinstance(ephemeral, str) and ephemeral.lower() == "true"):
            entry["is_ephemeral"] = True
        commands.append(entry)
    return commands


def retry_after_error(seconds: float) -> ApiError:
    """Telegram's 429 with ``parameters.retry_after``."""
    wait = max(1, math.ceil(seconds))
    return ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})


@dataclass
class FloodControl:
    """Telegram's flood limits: ~1 msg/s per chat (burst 3), 20/min per group, 30/s overall.

    ``check`` consumes one message of budget or raises the 429 Telegram would send.
    """

    per_chat_rate: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20
    overall_per_second: int = 30
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _overall: deque[float] = field(default_factory=deque)

    def check(self, chat_id: int | None) -> None:
        """Account one message to ``chat_id``; raise ApiError(429) when over a limit."""
        now = self.clock()
        _expire(self._overall, now - 1.0)
        if len(self._overall) >= self.overall_per_second:
            raise retry_after_error(self._overall[0] + 1.0 - now)
        if chat_id is not None:
            tokens, last = self._buckets.get(chat_id, (float(self.per_chat_burst), now))
            tokens = min(float(self.per_chat_burst), tokens + (now - last) * self.per_chat_rate)
            if tokens < 1.0:
                raise retry_after_error((1.0 - tokens) / self.per_chat_rate)
            if chat_id < 0:
                window = self._groups.setdefault(chat_id, deque())
                _expire(window, now - 60.0)
                if len(window) >= self.group_per_minute:
                    raise retry_after_error(window[0] + 60.0 - now)
                window.append(now)
            self._buckets[chat_id] = (tokens - 1.0, now)
        self._overall.append(now)

    def reset(self) -> None:
        """Forget all budgets."""
        self._buckets.clear()
        self._groups.clear()
        self._overall.clear()


def _expire(window: deque[float], horizon: float) -> None:
    while window and window[0] <= horizon:
        window.popleft()
