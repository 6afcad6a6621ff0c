"""Where a sent message goes: the reply it quotes, its topic, and whether it is ephemeral.

Every ``send*`` method calls ``send_target`` before building its content and ``post`` to store
the message. The rules for ``ephemeral_message_parameters`` are described in ``ephemeral``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .common import reply_target
from .limits import (
    EPHEMERAL_CHAT,
    EPHEMERAL_EXPIRED,
    EPHEMERAL_LOGIN_URL,
    EPHEMERAL_RECEIVER,
    EPHEMERAL_REPLACE,
    EPHEMERAL_REPLY,
    EPHEMERAL_RIGHTS,
    EPHEMERAL_TO_BOT,
    EPHEMERAL_UNSUPPORTED,
    EPHEMERAL_WINDOW,
)
from .models import ApiError, as_int
from .params import Context
from .state import ChatState

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class Target:
    """Where a sent message goes: the reply, the topic and, for an ephemeral one, the receiver."""

    reply_to: dict[str, Any] | None
    thread_id: int | None
    receiver: dict[str, Any] | None = None
    replaces: int | None = None  # the message shown in its place (replace_callback_query_message)


def send_target(ctx: Context, chat: ChatState) -> Target:
    """Check ``reply_parameters`` and ``ephemeral_message_parameters`` of a send request."""
    state, params = ctx.state, ctx.params
    thread_id = params.integer("message_thread_id")
    raw = params.json("ephemeral_message_parameters", "ephemeral message parameters")
    reply = params.json("reply_parameters", "reply parameters")
    ephemeral_reply = reply.get("ephemeral_message_id") if isinstance(reply, dict) else None
    if raw is None:
        if ephemeral_reply is not None:
            raise ApiError.bad_request(EPHEMERAL_REPLY)
        return Target(reply_target(ctx, chat), thread_id)
    if not state.ephemeral_messages:
        raise ApiError.bad_request(EPHEMERAL_UNSUPPORTED)
    if not isinstance(raw, dict):
        raise ApiError.bad_request("can't parse ephemeral message parameters JSON object")
    receiver_id = as_int(raw.get("receiver_user_id"))
    if receiver_id is None:
        raise ApiError.bad_request(
            "can't parse EphemeralMessageParameters: Can't find field \"receiver_user_id\""
        )
    chat_id = int(chat.chat["id"])
    if chat.chat.get("type") not in ("group", "supergroup"):
        raise ApiError.bad_request(EPHEMERAL_CHAT)
    receiver = state.users.get(receiver_id)
    if receiver is None:
        raise ApiError.bad_request(EPHEMERAL_RECEIVER)
    if receiver.get("is_bot"):
        raise ApiError.bad_request(EPHEMERAL_TO_BOT)
    authorized = chat_id in state.bot_admin_chats
    if ephemeral_reply is not None:
        stored = state.find_ephemeral(chat_id, as_int(ephemeral_reply))
        if stored is None or receiver_id not in (stored.sender_id, stored.receiver_id):
            raise ApiError.bad_request("message to be replied not found")
        if state.clock() - stored.at > EPHEMERAL_WINDOW:
            raise ApiError.bad_request(EPHEMERAL_EXPIRED)
        reply_to: dict[str, Any] | None = stored.message
        authorized = authorized or not stored.from_bot
    else:
        reply_to = reply_target(ctx, chat)
    replaces = None
    query_id = raw.get("callback_query_id")
    if query_id:
        query = state.callback_queries.get(str(query_id))
        if (
            query is None
            or query.get("chat_id") != chat_id
            or query.get("user_id") not in (None, receiver_id)
            or state.clock() - float(query.get("at", 0.0)) > EPHEMERAL_WINDOW
        ):
            raise ApiError.bad_request(QUERY_INVALID)
        authorized = True
        if raw.get("replace_callback_query_message") in (True, "true"):
            if query.get("ephemeral"):
                raise ApiError.bad_request(EPHEMERAL_REPLACE)
            replaces = query.get("message_id")
    if not authorized:
        raise ApiError.bad_request(EPHEMERAL_RIGHTS)
    return Target(reply_to, thread_id, receiver, replaces)


def post(
    ctx: Context,
    chat: ChatState,
    target: Target,
    content: dict[str, Any],
    markup: dict[str, Any] | None,
) -> dict[str, Any]:
    """Store the message (ephemeral or not); return what the bot gets back."""
    if target.receiver is None:
        return ctx.state.add_message(
            chat,
            content,
            reply_to=target.reply_to,
            thread_id=target.thread_id,
            reply_markup=markup,
        )
    rows = (markup or {}).get("inline_keyboard", [])
    if any("login_url" in button for row in rows for button in row):
        raise ApiError.bad_request(EPHEMERAL_LOGIN_URL)
    if target.replaces is not None:
        content = {**content, "_replaces_message_id": target.replaces}
    return ctx.state.add_ephemeral(
        chat,
        content,
        receiver=target.receiver,
        reply_to=target.reply_to,
        thread_id=target.thread_id,
        reply_markup=markup,
    )
