"""aiogram ``Message`` → core ``IncomingMessage``, applying the group rules on the way.

In groups and forum topics the bot answers only when it is mentioned, replied to, or commanded;
everything else in the group is not for it and yields ``None``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from aiogram.types import CallbackQuery, Message, Update, User

from telegemini.core.buttons import ButtonAction
from telegemini.core.models import (
    Attachment,
    AttachmentKind,
    ChatKey,
    ChatRef,
    ChatType,
    Command,
    IncomingCallback,
    IncomingMessage,
    UserRef,
)

_CHAT_TYPES = {t.value: t for t in ChatType}


# Where an update keeps its message (the chat it belongs to), by update kind.
_MESSAGE_KEYS = ("message", "edited_message", "business_message", "edited_business_message")
_UPDATE_KINDS = frozenset(name for name in Update.model_fields if name != "update_id")


def _message_of(update: dict[str, Any]) -> dict[str, Any] | None:
    for key in _MESSAGE_KEYS:
        message = update.get(key)
        if isinstance(message, dict):
            return message
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        return query["message"]  # type: ignore[no-any-return]
    return None


MAX_UPDATE_ID = 2**63 - 1  # update ids are 64-bit signed on every Telegram server


def is_update(data: object) -> bool:
    """Whether a decoded webhook body has the shape of an update: an ``update_id``, exactly one
    kind of event, and for a message its id, date and chat. Checked on the raw JSON (the update
    is decoded only when its turn comes); anything else gets a 400, never reaches the inbox."""
    if not isinstance(data, dict):
        return False
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        return False
    kinds = [key for key in data if key != "update_id"]
    if len(kinds) != 1 or kinds[0] not in _UPDATE_KINDS or not isinstance(data[kinds[0]], dict):
        return False
    event = data[kinds[0]]
    if kinds[0] == "callback_query":
        sender = event.get("from")
        return isinstance(event.get("id"), str) and isinstance(sender, dict)
    if kinds[0] in _MESSAGE_KEYS:
        return _is_message(event)
    return True


def _is_message(message: dict[str, Any]) -> bool:
    chat = message.get("chat")
    return (
        type(message.get("message_id")) is int
        and type(message.get("date")) is int
        and isinstance(chat, dict)
        and type(chat.get("id")) is int
        and isinstance(chat.get("type"), str)
    )


CONTROL_LANE = -1  # the inbox's "thread" for a chat's stop requests (no real topic has it)
_STOP_COMMAND = re.compile(r"^/stop(@\w+)?\s*$", re.IGNORECASE)


def chat_key(update: dict[str, Any]) -> ChatKey | None:
    """The conversation a raw update belongs to (for ordering), or None for chat-less updates.
    Read from the JSON as Telegram sent it: updates are stored before they are decoded.

    A stop (the Stop button's ``stopped_message_generation``, or a /stop message) gets the chat's
    control lane instead of its conversation: it must be handled while the answer it stops is
    still being written, not queued behind it."""
    checkout = update.get("pre_checkout_query") or update.get("subscription")
    if isinstance(checkout, dict):  # about the user, who pays in their private chat
        sender = checkout.get("from") or checkout.get("user")
        user_id = sender.get("id") if isinstance(sender, dict) else None
        if not isinstance(user_id, int):
            return None
        # A pre-checkout must be answered within 10 s: never queued behind an answer.
        lane = CONTROL_LANE if "pre_checkout_query" in update else None
        return ChatKey(user_id, lane)
    stopped = update.get("stopped_message_generation")
    if isinstance(stopped, dict):
        chat = stopped.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        return ChatKey(chat_id, CONTROL_LANE) if isinstance(chat_id, int) else None
    message = _message_of(update)
    if (
        isinstance(message, dict)
        and isinstance(message.get("text"), str)
        and _STOP_COMMAND.match(message["text"])
        and isinstance(message.get("chat"), dict)
        and isinstance(message["chat"].get("id"), int)
    ):
        return ChatKey(message["chat"]["id"], CONTROL_LANE)
    chat = message.get("chat") if message is not None else None
    if message is None or not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return None
    topic = message.get("is_topic_message") and isinstance(message.get("message_thread_id"), int)
    return ChatKey(chat["id"], message["message_thread_id"] if topic else None)


def media_group(update: dict[str, Any]) -> str | None:
    """The album a raw update's message belongs to, if any."""
    message = update.get("message")
    group = message.get("media_group_id") if isinstance(message, dict) else None
    return group if isinstance(group, str) and group else None


def _entity_values(message: Message, kind: str) -> list[tuple[int, str]]:
    """(offset, text) of every entity of ``kind`` in the text or the caption."""
    found = []
    for text, entities in (
        (message.text, message.entities),
        (message.caption, message.caption_entities),
    ):
        if text is None or not entities:
            continue
        found += [(e.offset, e.extract_from(text)) for e in entities if e.type == kind]
    return found


def _command(message: Message, bot_username: str) -> tuple[Command | None, bool]:
    """(command, for_us). A ``/cmd@otherbot`` is not for us."""
    text = message.text or message.caption or ""
    for offset, value in _entity_values(message, "bot_command"):
        if offset != 0:
            continue
        name, _, target = value[1:].partition("@")
        if target and target.lower() != bot_username.lower():
            return None, False
        return Command(name.lower(), text[len(value) :].strip()), True
    return None, True


def _mentions(message: Message, bot_username: str) -> bool:
    handle = f"@{bot_username}".lower()
    return any(value.lower() == handle for _, value in _entity_values(message, "mention"))


def _strip_mention(text: str, bot_username: str) -> str:
    stripped = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()


def to_incoming(
    message: Message,
    *,
    update_id: int,
    bot_id: int,
    bot_username: str,
    addressed: bool = False,
) -> IncomingMessage | None:
    """The message for the core, or None when it is not addressed to the bot. ``addressed``
    skips the group rules (the rest of an album whose first part was addressed)."""
    if message.from_user is None or message.from_user.is_bot:
        return None
    chat_type = _CHAT_TYPES.get(message.chat.type)
    if chat_type is None or chat_type is ChatType.CHANNEL:
        return None
    command, for_us = _command(message, bot_username)
    if not for_us:
        return None
    text = _clean(message.text or message.caption) or ""
    replied = message.reply_to_message
    replied_to_bot = (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    )
    if chat_type is not ChatType.PRIVATE:
        if (
            not addressed
            and command is None
            and not replied_to_bot
            and not _mentions(message, bot_username)
        ):
            return None
        text = _strip_mention(text, bot_username)
    user = message.from_user
    attachments = _attachments(message)
    if replied_to_bot and replied is not None and replied.photo:
        # Replying to one of the bot's images with text means "change this image".
        best = replied.photo[-1]
        attachments += (
            Attachment(
                AttachmentKind.PHOTO,
                best.file_id,
                best.file_size,
                mime_type="image/jpeg",
                from_reply=True,
            ),
        )
    return IncomingMessage(
        update_id=update_id,
        message_id=message.message_id,
        chat=ChatRef(message.chat.id, chat_type, _clean(message.chat.title)),
        user=_user(user),
        thread_id=message.message_thread_id if message.is_topic_message else None,
        text=text if command is None else command.args,
        command=command,
        attachments=attachments,
        unsupported=not (message.text or message.caption or attachments),
        reply_to_user=_author(replied),
    )


def _author(message: Message | None) -> UserRef | None:
    """Who wrote the message being replied to (admin commands target them)."""
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    user = message.from_user
    return _user(user)


def _clean(text: str | None) -> str | None:
    """Without NUL characters: PostgreSQL refuses them in text, and no person types one."""
    return text.replace("\x00", "") if text is not None and "\x00" in text else text


def _user(user: User) -> UserRef:
    return UserRef(
        user.id, _clean(user.first_name) or "", _clean(user.username), user.language_code
    )


def _seconds(value: int | None) -> float | None:
    return None if value is None else float(value)


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.voice is not None:
        v = message.voice
        found.append(
            Attachment(
                AttachmentKind.VOICE, v.file_id, v.file_size, _seconds(v.duration), v.mime_type
            )
        )
    if message.audio is not None:
        a = message.audio
        found.append(
            Attachment(
                AttachmentKind.AUDIO,
                a.file_id,
                a.file_size,
                _seconds(a.duration),
                a.mime_type,
                _clean(a.file_name),
            )
        )
    if message.video_note is not None:
        n = message.video_note
        found.append(
            Attachment(AttachmentKind.VIDEO_NOTE, n.file_id, n.file_size, _seconds(n.duration))
        )
    if message.document is not None:
        d = message.document
        found.append(
            Attachment(
                AttachmentKind.DOCUMENT,
                d.file_id,
                d.file_size,
                None,
                d.mime_type,
                _clean(d.file_name),
            )
        )
    if message.photo:
        p = message.photo[-1]  # the largest size
        found.append(Attachment(AttachmentKind.PHOTO, p.file_id, p.file_size, None, "image/jpeg"))
    return tuple(found)


def callback_to_incoming(
    query: CallbackQuery, *, update_id: int, action: ButtonAction
) -> IncomingCallback | None:
    """A press of one of the bot's buttons, or None when it is under no message it can be
    answered in."""
    if query.message is None:
        return None
    message = query.message
    chat_type = _CHAT_TYPES.get(message.chat.type)
    if chat_type is None:
        return None
    user = query.from_user
    thread = getattr(message, "message_thread_id", None)
    is_topic = bool(getattr(message, "is_topic_message", False))
    return IncomingCallback(
        update_id=update_id,
        callback_id=query.id,
        chat=ChatRef(message.chat.id, chat_type, _clean(message.chat.title)),
        user=_user(user),
        message_id=message.message_id,
        action=action,
        thread_id=thread if is_topic else None,
    )


def merge_album(parts: list[IncomingMessage]) -> IncomingMessage:
    """An album as one message: the first caption found, every attachment in order."""
    ordered = sorted(parts, key=lambda p: p.message_id)
    first = ordered[0]
    text = next((p.text for p in ordered if p.text.strip()), "")
    command = next((p.command for p in ordered if p.command is not None), None)
    attachments = tuple(a for p in ordered for a in p.attachments)
    return replace(first, text=text, command=command, attachments=attachments, unsupported=False)
