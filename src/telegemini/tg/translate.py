"""PTB ``Update`` → core ``IncomingMessage``, applying the group rules on the way.

In groups and forum topics the bot answers only when it is mentioned, replied to, or commanded;
everything else in the group is not for it and yields ``None``.
"""

from __future__ import annotations

import datetime as dt
import re

from telegram import Message, MessageEntity, Update

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


def chat_key(update: Update) -> ChatKey | None:
    """The conversation an update belongs to (for ordering), or None for chat-less updates."""
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return ChatKey(chat.id, thread)


def _command(message: Message, bot_username: str) -> tuple[Command | None, bool]:
    """(command, for_us). A ``/cmd@otherbot`` is not for us."""
    text = message.text or message.caption or ""
    found = {
        **message.parse_entities([MessageEntity.BOT_COMMAND]),
        **message.parse_caption_entities([MessageEntity.BOT_COMMAND]),
    }
    for entity, value in found.items():
        if entity.offset != 0:
            continue
        name, _, target = value[1:].partition("@")
        if target and target.lower() != bot_username.lower():
            return None, False
        return Command(name.lower(), text[len(value) :].strip()), True
    return None, True


def _mentions(message: Message, bot_username: str) -> bool:
    handle = f"@{bot_username}".lower()
    found = {
        **message.parse_entities([MessageEntity.MENTION]),
        **message.parse_caption_entities([MessageEntity.MENTION]),
    }
    return any(value.lower() == handle for value in found.values())


def _strip_mention(text: str, bot_username: str) -> str:
    stripped = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()


def to_incoming(
    update: Update, *, bot_id: int, bot_username: str, addressed: bool = False
) -> IncomingMessage | None:
    """The message for the core, or None when it is not addressed to the bot. ``addressed``
    skips the group rules (the rest of an album whose first part was addressed)."""
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    chat_type = _CHAT_TYPES.get(message.chat.type)
    if chat_type is None or chat_type is ChatType.CHANNEL:
        return None
    command, for_us = _command(message, bot_username)
    if not for_us:
        return None
    text = message.text or message.caption or ""
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
        update_id=update.update_id,
        message_id=message.message_id,
        chat=ChatRef(message.chat.id, chat_type, message.chat.title),
        user=UserRef(user.id, user.first_name, user.username, user.language_code),
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
    return UserRef(user.id, user.first_name, user.username, user.language_code)


def _seconds(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


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
                a.file_name,
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
                AttachmentKind.DOCUMENT, d.file_id, d.file_size, None, d.mime_type, d.file_name
            )
        )
    if message.photo:
        p = message.photo[-1]  # the largest size
        found.append(Attachment(AttachmentKind.PHOTO, p.file_id, p.file_size, None, "image/jpeg"))
    return tuple(found)


def callback_to_incoming(update: Update) -> IncomingCallback | None:
    """A button press on one of the bot's messages, or None if it cannot be one."""
    query = update.callback_query
    if query is None or query.message is None or query.data is None:
        return None
    message = query.message
    chat_type = _CHAT_TYPES.get(message.chat.type)
    if chat_type is None:
        return None
    user = query.from_user
    thread = getattr(message, "message_thread_id", None)
    is_topic = bool(getattr(message, "is_topic_message", False))
    return IncomingCallback(
        update_id=update.update_id,
        callback_id=query.id,
        chat=ChatRef(message.chat.id, chat_type, message.chat.title),
        user=UserRef(user.id, user.first_name, user.username, user.language_code),
        message_id=message.message_id,
        data=query.data,
        thread_id=thread if is_topic else None,
    )
