"""Ephemeral messages (Bot API 10.2/10.3): a bot and one member of a group talk privately on the
group's timeline.

``send*`` methods with ``ephemeral_message_parameters`` (``sendMessage``, the single-media sends,
``sendRichMessage``) answer a ``Message`` with ``message_id`` 0, a fresh ``ephemeral_message_id``
and ``receiver_user``; it is stored apart from the chat's messages (``ephemeral_messages``).
The rules (``telegram-bot-api-10.md`` §4), with the fake's *(fake)* error texts from ``limits``:

- group and supergroup chats only; the receiver is a known user (one the fake has seen), not a
  bot; ``receiver_user_id`` is required;
- a bot that is not an administrator of the chat (the default; ``set_bot_admin`` makes it one)
  must name an eligible action less than 15 seconds old: ``callback_query_id`` of a button the
  receiver pressed in this chat, or ``reply_parameters.ephemeral_message_id`` of an ephemeral
  message the receiver sent (an ephemeral command, ``send_ephemeral_command``). Replying
  privately to an ordinary group message is therefore an administrator's privilege
  (``CHAT_ADMIN_REQUIRED`` otherwise), as the spec says;
- any reply to an ephemeral message must itself be ephemeral, within 15 seconds;
- ``replace_callback_query_message`` must be false for a callback from an ephemeral message;
  no ``login_url`` buttons.

``editEphemeralMessageText/Caption/Media/ReplyMarkup`` and ``deleteEphemeralMessage`` find the
bot's message by ``(chat_id, receiver_user_id, ephemeral_message_id)`` and answer ``true``.
A server without ephemeral messages (``ephemeral_messages=False``) answers 404 to those methods
and 400 ``Bad Request: ephemeral messages are not supported`` *(fake)* to the parameter; a real
pre-10.2 server would instead ignore the unknown parameter and post the message publicly.
"""

from __future__ import annotations

import copy
from typing import Any

from .api_core import Handler
from .api_media import check_upload, file_source, media_value
from .common import caption_content, edited_copy, formatted_text, reply_markup
from .limits import check_text
from .media import KINDS
from .models import ApiError
from .params import Context, Params
from .rich import build_rich
from .state import StoredEphemeral, now

RICH_KEYS = ("rich_message", "_rich_text", "_rich_markdown", "_rich_html")


# --- editing and deleting -----------------------------------------------------------------------


def _bot_ephemeral(ctx: Context, verb: str) -> tuple[int, StoredEphemeral]:
    chat = ctx.state.resolve_chat(ctx.params.get("chat_id"))
    receiver_id = ctx.params.integer("receiver_user_id")
    if receiver_id is None:
        raise ApiError.bad_request('parameter "receiver_user_id" is required')
    ephemeral_id = ctx.params.integer("ephemeral_message_id")
    if ephemeral_id is None:
        raise ApiError.bad_request("message identifier is not specified")
    chat_id = int(chat.chat["id"])
    stored = ctx.state.find_ephemeral(chat_id, ephemeral_id)
    if stored is None or not stored.from_bot or stored.receiver_id != receiver_id:
        raise ApiError.bad_request(f"message to {verb} not found")
    return chat_id, stored


def _apply(
    ctx: Context,
    chat_id: int,
    stored: StoredEphemeral,
    fields: dict[str, Any],
    markup: dict[str, Any] | None,
) -> bool:
    new = edited_copy(stored.message, fields, markup)
    new["edit_date"] = now()
    stored.message = new
    ctx.state.emit("ephemeral_edit", chat_id, copy.deepcopy(new))
    return True


async def edit_ephemeral_text(ctx: Context) -> Any:
    """editEphemeralMessageText: new text, or (Bot API 10.3) new rich content."""
    chat_id, stored = _bot_ephemeral(ctx, "edit")
    message = stored.message
    if "text" not in message and "rich_message" not in message:
        raise ApiError.bad_request("there is no text in the message to edit")
    markup = reply_markup(ctx)
    if ctx.params.get("rich_message") is not None and ctx.state.rich_messages:
        fields: dict[str, Any] = dict.fromkeys(("text", "entities", *RICH_KEYS))
        fields.update(build_rich(ctx, draft=False).content())
        return _apply(ctx, chat_id, stored, fields, markup)
    raw = ctx.params.string("text") or ""
    if not raw:
        raise ApiError.bad_request("message text is empty")
    text, entities = formatted_text(ctx, raw)
    check_text(text, edit=True)
    fields = {"text": text, "entities": entities, **dict.fromkeys(RICH_KEYS)}
    return _apply(ctx, chat_id, stored, fields, markup)


async def edit_ephemeral_caption(ctx: Context) -> Any:
    """editEphemeralMessageCaption: new (or no) caption of an ephemeral media message."""
    chat_id, stored = _bot_ephemeral(ctx, "edit")
    if not any(kind in stored.message for kind in KINDS):
        raise ApiError.bad_request("there is no caption in the message to edit")
    content = caption_content(ctx)
    fields = {key: content.get(key) for key in ("caption", "caption_entities")}
    return _apply(ctx, chat_id, stored, fields, reply_markup(ctx))


async def edit_ephemeral_media(ctx: Context) -> Any:
    """editEphemeralMessageMedia: replace the photo/document/... (uploads allowed, 10.3)."""
    chat_id, stored = _bot_ephemeral(ctx, "edit")
    media = ctx.params.json("media", "InputMedia")
    if not isinstance(media, dict) or media.get("type") not in KINDS:
        raise ApiError.bad_request("can't parse InputMedia JSON object")
    old_kind = next((kind for kind in KINDS if kind in stored.message), None)
    if old_kind is None:
        raise ApiError.bad_request("there is no media in the message to edit")
    kind = str(media["type"])
    source = file_source(ctx, kind, media.get("media"), in_album=True)
    check_upload(kind, source)
    item = Params(media)
    fields: dict[str, Any] = {old_kind: None, "caption": None, "caption_entities": None}
    fields.update(caption_content(ctx, item))
    fields[kind] = media_value(ctx, kind, source, item)
    return _apply(ctx, chat_id, stored, fields, reply_markup(ctx))


async def edit_ephemeral_reply_markup(ctx: Context) -> Any:
    """editEphemeralMessageReplyMarkup: replace (or remove) the inline keyboard."""
    chat_id, stored = _bot_ephemeral(ctx, "edit")
    return _apply(ctx, chat_id, stored, {}, reply_markup(ctx))


async def delete_ephemeral(ctx: Context) -> Any:
    """deleteEphemeralMessage: the receiver no longer sees it."""
    chat_id, stored = _bot_ephemeral(ctx, "delete")
    ephemeral_id = int(stored.message["ephemeral_message_id"])
    ctx.state.chats[chat_id].ephemeral.pop(ephemeral_id, None)
    payload = {"ephemeral_message_id": ephemeral_id, "receiver_user_id": stored.receiver_id}
    ctx.state.emit("ephemeral_delete", chat_id, payload)
    return True


HANDLERS: dict[str, Handler] = {
    "editephemeralmessagetext": edit_ephemeral_text,
    "editephemeralmessagecaption": edit_ephemeral_caption,
    "editephemeralmessagemedia": edit_ephemeral_media,
    "editephemeralmessagereplymarkup": edit_ephemeral_reply_markup,
    "deleteephemeralmessage": delete_ephemeral,
}
