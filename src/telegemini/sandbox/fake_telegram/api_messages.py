"""Bot API methods on text messages: sendMessage, sendMessageDraft, edits and deletions.

``editMessageText`` also takes ``rich_message`` (Bot API 10.1): it turns a text or rich message
into a rich one (whether Telegram allows that for a plain-text message is unconfirmed; the fake
allows it), and ``text`` turns a rich message back into text. With both given, ``rich_message``
wins. A server without rich messages ignores ``rich_message``: ``message text is empty``.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from typing import Any

from .api_core import Handler
from .common import (
    caption_content,
    edited_copy,
    formatted_text,
    reply_markup,
    sendable_chat,
    text_content,
)
from .entities import utf16_len
from .limits import MAX_TEXT, check_text
from .media import KINDS
from .models import ApiError, Draft
from .params import Context
from .rich import build_rich
from .sending import post, send_target
from .state import ChatState, StoredMessage, now

RICH_KEYS = ("rich_message", "_rich_text", "_rich_markdown", "_rich_html")


async def send_message(ctx: Context) -> Any:
    """Send a text message (parse_mode/entities, keyboard, reply, topic, ephemeral)."""
    chat = sendable_chat(ctx)
    raw = ctx.params.string("text") or ""
    if not raw:
        raise ApiError.bad_request("message text is empty")
    text, entities = formatted_text(ctx, raw)
    check_text(text)
    markup = reply_markup(ctx)
    target = send_target(ctx, chat)
    return post(ctx, chat, target, text_content(text, entities), markup)


def draft_chat(ctx: Context) -> tuple[ChatState, int]:
    """The private chat and the non-zero ``draft_id`` of a draft request."""
    chat = sendable_chat(ctx)
    if chat.chat.get("type") != "private":
        raise ApiError.bad_request("TEXTDRAFT_PEER_INVALID")
    draft_id = ctx.params.integer("draft_id")
    if not draft_id:
        raise ApiError.bad_request("draft_id must be non-zero")
    return chat, draft_id


def record_draft(
    ctx: Context,
    chat: ChatState,
    draft_id: int,
    text: str,
    entities: list[dict[str, Any]],
    rich: dict[str, Any] | None = None,
) -> bool:
    """Remember the latest draft per (chat, draft_id) and log a snapshot of every call.

    A draft whose Stop button was pressed stays as it was: later calls with its draft_id are
    answered ``true`` (what Telegram does is undocumented) and only counted in ``after_stop``.
    """
    state, params = ctx.state, ctx.params
    chat_id = int(chat.chat["id"])
    previous = state.drafts.get((chat_id, draft_id))
    if previous is not None and previous.stopped:
        previous.after_stop += 1
        state.draft_log.append(
            dataclasses.replace(
                previous, text=text, entities=entities, rich=rich, at=time.monotonic()
            )
        )
        state.changed.notify()
        return True
    draft = Draft(
        chat_id=chat_id,
        draft_id=draft_id,
        text=text,
        entities=entities,
        message_thread_id=params.integer("message_thread_id"),
        updates=previous.updates + 1 if previous else 1,
        at=time.monotonic(),
        rich=copy.deepcopy(rich),
        can_stop=params.flag("can_stop"),
        keep_on_stop=params.flag("keep_on_stop"),
    )
    state.drafts[(chat_id, draft_id)] = draft
    state.draft_log.append(dataclasses.replace(draft))
    state.emit("draft", chat_id, draft)
    return True


async def send_message_draft(ctx: Context) -> Any:
    """Stream a draft in a private chat; remember the latest text per (chat, draft_id)."""
    chat, draft_id = draft_chat(ctx)
    raw = ctx.params.string("text") or ""
    text, entities = formatted_text(ctx, raw) if raw else ("", [])
    if utf16_len(text) > MAX_TEXT:
        raise ApiError.bad_request("message is too long")
    return record_draft(ctx, chat, draft_id, text, entities)


def _bot_message(ctx: Context, verb: str) -> tuple[int, StoredMessage]:
    """The bot's own message an edit method names (``verb`` is ``edit``)."""
    if ctx.params.get("inline_message_id"):
        raise ApiError.bad_request("MESSAGE_ID_INVALID")
    chat = ctx.state.resolve_chat(ctx.params.get("chat_id"))
    message_id = ctx.params.integer("message_id")
    if message_id is None:
        raise ApiError.bad_request("message identifier is not specified")
    chat_id = int(chat.chat["id"])
    stored = ctx.state.find_message(chat_id, message_id)
    if stored is None:
        raise ApiError.bad_request(f"message to {verb} not found")
    if not stored.from_bot:
        raise ApiError.bad_request("message can't be edited")
    return chat_id, stored


def _apply_edit(
    ctx: Context,
    chat_id: int,
    stored: StoredMessage,
    fields: dict[str, Any],
    markup: dict[str, Any] | None,
) -> dict[str, Any]:
    """Replace ``fields`` (None removes) and the keyboard; refuse an edit that changes nothing."""
    new = edited_copy(stored.message, fields, markup)
    new["edit_date"] = now()
    ctx.state.replace_message(chat_id, stored, new)
    return {key: copy.deepcopy(value) for key, value in new.items() if key[:1] != "_"}


async def edit_message_text(ctx: Context) -> Any:
    """Edit the text of one of the bot's messages, or (Bot API 10.1) make it rich."""
    chat_id, stored = _bot_message(ctx, "edit")
    if "text" not in stored.message and "rich_message" not in stored.message:
        raise ApiError.bad_request("there is no text in the message to edit")
    if ctx.params.get("rich_message") is not None and ctx.state.rich_messages:
        rich = build_rich(ctx, draft=False)
        markup = reply_markup(ctx)
        fields: dict[str, Any] = dict.fromkeys(("text", "entities", *RICH_KEYS))
        fields.update(rich.content())
        return _apply_edit(ctx, chat_id, stored, fields, markup)
    raw = ctx.params.string("text") or ""
    if not raw:
        raise ApiError.bad_request("message text is empty")
    text, entities = formatted_text(ctx, raw)
    check_text(text, edit=True)
    markup = reply_markup(ctx)
    fields = {"text": text, "entities": entities, **dict.fromkeys(RICH_KEYS)}
    return _apply_edit(ctx, chat_id, stored, fields, markup)


async def edit_message_caption(ctx: Context) -> Any:
    """Edit (or remove) the caption of one of the bot's media messages."""
    chat_id, stored = _bot_message(ctx, "edit")
    if not any(kind in stored.message for kind in KINDS):
        raise ApiError.bad_request("there is no caption in the message to edit")
    content = caption_content(ctx)
    markup = reply_markup(ctx)
    fields = {
        "caption": content.get("caption"),
        "caption_entities": content.get("caption_entities"),
    }
    return _apply_edit(ctx, chat_id, stored, fields, markup)


async def edit_message_reply_markup(ctx: Context) -> Any:
    """Replace (or remove) the inline keyboard of one of the bot's messages."""
    chat_id, stored = _bot_message(ctx, "edit")
    return _apply_edit(ctx, chat_id, stored, {}, reply_markup(ctx))


async def delete_message(ctx: Context) -> Any:
    """Delete one message of the chat (the bot's or a user's)."""
    chat = ctx.state.resolve_chat(ctx.params.get("chat_id"))
    message_id = ctx.params.integer("message_id")
    if message_id is None:
        raise ApiError.bad_request("message identifier is not specified")
    if not ctx.state.delete_message(int(chat.chat["id"]), message_id):
        raise ApiError.bad_request("message to delete not found")
    return True


async def delete_messages(ctx: Context) -> Any:
    """Delete several messages; missing ones are skipped."""
    chat = ctx.state.resolve_chat(ctx.params.get("chat_id"))
    ids = ctx.params.json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise ApiError.bad_request("message identifiers are not specified")
    for message_id in ids:
        ctx.state.delete_message(int(chat.chat["id"]), int(message_id))
    return True


HANDLERS: dict[str, Handler] = {
    "sendmessage": send_message,
    "sendmessagedraft": send_message_draft,
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "deletemessages": delete_messages,
}
