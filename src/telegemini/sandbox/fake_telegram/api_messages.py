"""Bot API methods on text messages: sendMessage, sendMessageDraft, edits and deletions."""

from __future__ import annotations

import copy
import time
from typing import Any

from .api_core import Handler
from .common import (
    caption_content,
    formatted_text,
    reply_markup,
    reply_target,
    sendable_chat,
    text_content,
)
from .entities import utf16_len
from .limits import MAX_TEXT, check_text
from .media import KINDS
from .models import ApiError, Draft
from .params import Context
from .state import StoredMessage, now

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


async def send_message(ctx: Context) -> Any:
    """Send a text message (parse_mode/entities, keyboard, reply, topic)."""
    chat = sendable_chat(ctx)
    raw = ctx.params.string("text") or ""
    if not raw:
        raise ApiError.bad_request("message text is empty")
    text, entities = formatted_text(ctx, raw)
    check_text(text)
    markup = reply_markup(ctx)
    reply = reply_target(ctx, chat)
    return ctx.state.add_message(
        chat,
        text_content(text, entities),
        reply_to=reply,
        thread_id=ctx.params.integer("message_thread_id"),
        reply_markup=markup,
    )


async def send_message_draft(ctx: Context) -> Any:
    """Stream a draft in a private chat; remember the latest text per (chat, draft_id)."""
    state, params = ctx.state, ctx.params
    chat = sendable_chat(ctx)
    if chat.chat.get("type") != "private":
        raise ApiError.bad_request("TEXTDRAFT_PEER_INVALID")
    draft_id = params.integer("draft_id")
    if not draft_id:
        raise ApiError.bad_request("draft_id must be non-zero")
    raw = params.string("text") or ""
    text, entities = formatted_text(ctx, raw) if raw else ("", [])
    if utf16_len(text) > MAX_TEXT:
        raise ApiError.bad_request("message is too long")
    chat_id = int(chat.chat["id"])
    previous = state.drafts.get((chat_id, draft_id))
    draft = Draft(
        chat_id=chat_id,
        draft_id=draft_id,
        text=text,
        entities=entities,
        message_thread_id=params.integer("message_thread_id"),
        updates=previous.updates + 1 if previous else 1,
        at=time.monotonic(),
    )
    state.drafts[(chat_id, draft_id)] = draft
    state.emit("draft", chat_id, draft)
    return True


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
    old = stored.message
    new = copy.deepcopy(old)
    for key, value in fields.items():
        if value:
            new[key] = value
        else:
            new.pop(key, None)
    if markup is None:
        new.pop("reply_markup", None)
    else:
        new["reply_markup"] = copy.deepcopy(markup)
    keys = {*fields, "reply_markup"}
    if all(old.get(key) == new.get(key) for key in keys):
        raise ApiError.bad_request(NOT_MODIFIED)
    new["edit_date"] = now()
    ctx.state.replace_message(chat_id, stored, new)
    return copy.deepcopy(new)


async def edit_message_text(ctx: Context) -> Any:
    """Edit the text of one of the bot's messages."""
    chat_id, stored = _bot_message(ctx, "edit")
    if "text" not in stored.message:
        raise ApiError.bad_request("there is no text in the message to edit")
    raw = ctx.params.string("text") or ""
    if not raw:
        raise ApiError.bad_request("message text is empty")
    text, entities = formatted_text(ctx, raw)
    check_text(text, edit=True)
    markup = reply_markup(ctx)
    return _apply_edit(ctx, chat_id, stored, {"text": text, "entities": entities}, markup)


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
