"""Pieces every sending method shares: the target chat, the reply, formatted text and captions."""

from __future__ import annotations

import copy
from typing import Any

from .formatting import format_text
from .limits import REPLY_TARGET, check_caption, validate_reply_markup
from .models import ApiError
from .params import Context, Params
from .state import ChatState


def sendable_chat(ctx: Context) -> ChatState:
    """The chat named by ``chat_id``; 403 when the user there blocked the bot."""
    chat = ctx.state.resolve_chat(ctx.params.get("chat_id"))
    if int(chat.chat["id"]) in ctx.state.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def reply_target(ctx: Context, chat: ChatState) -> dict[str, Any] | None:
    """The message being replied to (``reply_parameters`` or ``reply_to_message_id``).

    Raises ``message to be replied not found`` unless ``allow_sending_without_reply`` is set.
    A reply to an ephemeral message (``reply_parameters.ephemeral_message_id``) is not found
    here but by ``ephemeral.send_target``.
    """
    params = ctx.params
    reply = params.json("reply_parameters", "reply parameters")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        if message_id is None and reply.get("ephemeral_message_id") is None:
            raise ApiError.bad_request(REPLY_TARGET)
        allow = bool(reply.get("allow_sending_without_reply"))
    elif reply is not None:
        raise ApiError.bad_request("can't parse reply parameters JSON object")
    else:
        message_id = params.integer("reply_to_message_id")
        allow = params.flag("allow_sending_without_reply")
    if message_id is None:
        return None
    stored = chat.messages.get(int(message_id))
    if stored is None:
        if allow:
            return None
        raise ApiError.bad_request("message to be replied not found")
    return stored.message


def formatted_text(
    ctx: Context, raw: str, *, params: Params | None = None, entities_field: str = "entities"
) -> tuple[str, list[dict[str, Any]]]:
    """``raw`` parsed with the ``parse_mode`` or explicit entities of ``params`` (the request's
    by default; an album item's own for ``sendMediaGroup``)."""
    params = params or ctx.params
    return format_text(
        raw,
        parse_mode=params.get("parse_mode"),
        entities=params.json(entities_field, "entities"),
        users=ctx.state.users,
    )


def caption_content(ctx: Context, params: Params | None = None) -> dict[str, Any]:
    """``caption`` and ``caption_entities`` for a media message, checked (at most 1024)."""
    params = params or ctx.params
    raw = params.string("caption") or ""
    if not raw:
        return {}
    caption, entities = formatted_text(ctx, raw, params=params, entities_field="caption_entities")
    check_caption(caption)
    content: dict[str, Any] = {}
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content


def reply_markup(ctx: Context) -> dict[str, Any] | None:
    """The checked inline keyboard of this request, if any."""
    return validate_reply_markup(ctx.params.json("reply_markup", "reply keyboard markup"))


def text_content(text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``text``/``entities`` fields of a Message."""
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    return content


NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


def edited_copy(
    old: dict[str, Any], fields: dict[str, Any], markup: dict[str, Any] | None
) -> dict[str, Any]:
    """``old`` with ``fields`` replaced (falsy values remove) and the keyboard set; refuses an
    edit that changes nothing (``message is not modified``). ``edit_date`` is not set here."""
    new = copy.deepcopy(old)
    for key, value in fields.items():
        if value:
            new[key] = copy.deepcopy(value)
        else:
            new.pop(key, None)
    if markup is None:
        new.pop("reply_markup", None)
    else:
        new["reply_markup"] = copy.deepcopy(markup)
    keys = {*fields, "reply_markup"}
    if all(old.get(key) == new.get(key) for key in keys):
        raise ApiError.bad_request(NOT_MODIFIED)
    return new
