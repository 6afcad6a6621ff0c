"""Bot API methods about the bot itself and its updates: getMe, getUpdates, webhooks, commands,
chat actions, reactions, callback answers, getChat."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .common import sendable_chat
from .limits import (
    CHAT_ACTIONS,
    COMMAND_SCOPES,
    MAX_CALLBACK_ANSWER,
    REACTION_EMOJI,
    SECRET_TOKEN,
    check_commands,
)
from .models import ApiError, ChatAction
from .params import Context
from .state import WebhookConfig

Handler = Callable[[Context], Awaitable[Any]]

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


async def get_me(ctx: Context) -> Any:
    """The bot's User, with the fields only getMe returns."""
    return {
        **ctx.state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not ctx.state.privacy_mode,
        "supports_inline_queries": False,
    }


async def get_updates(ctx: Context) -> Any:
    """Long polling with offset confirmation, limit, timeout and allowed_updates."""
    state, params = ctx.state, ctx.params
    if state.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    queue = state.updates
    queue.generation += 1
    generation = queue.generation
    state.changed.notify()  # an older long poll still waiting now ends with 409
    queue.set_allowed(params.json("allowed_updates", "allowed updates"))
    queue.confirm(params.integer("offset") or 0)
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.number("timeout") or 0.0, 0.0), 60.0)

    def ready() -> bool:
        return (
            state.closing
            or queue.generation != generation
            or state.webhook is not None
            or bool(queue.peek(limit))
        )

    if timeout > 0:
        await state.changed.wait_until(ready, timeout)
    if queue.generation != generation:
        raise ApiError(409, POLL_CONFLICT)
    if state.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    batch = queue.peek(limit)
    for entry in batch:
        entry.delivered = True
    return [copy.deepcopy(entry.update) for entry in batch]


async def set_webhook(ctx: Context) -> Any:
    """Switch to webhook delivery (an empty url switches back, like deleteWebhook)."""
    state, params = ctx.state, ctx.params
    url = (params.string("url") or "").strip()
    if not url:
        return await delete_webhook(ctx)
    if not url.lower().startswith(("http://", "https://")):
        raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.string("secret_token") or None
    if secret is not None and not SECRET_TOKEN.match(secret):
        raise ApiError.bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise ApiError.bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = params.json("allowed_updates", "allowed updates")
    if params.flag("drop_pending_updates"):
        state.updates.pending.clear()
    state.updates.set_allowed(allowed)
    state.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=max_connections,
        allowed_updates=[str(kind) for kind in allowed] if isinstance(allowed, list) else None,
    )
    state.webhook_kick.set()
    state.emit("webhook", None, {"url": url})
    return True


async def delete_webhook(ctx: Context) -> Any:
    """Back to getUpdates; optionally drop the backlog."""
    state = ctx.state
    if ctx.params.flag("drop_pending_updates"):
        state.updates.pending.clear()
    if state.webhook is not None:
        state.webhook = None
        state.emit("webhook", None, {"url": ""})
    return True


async def get_webhook_info(ctx: Context) -> Any:
    """WebhookInfo: url ("" when polling), pending count, last delivery error."""
    state = ctx.state
    webhook = state.webhook
    info: dict[str, Any] = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates.pending),
    }
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
        if webhook.allowed_updates:
            info["allowed_updates"] = list(webhook.allowed_updates)
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    return info


async def log_out(ctx: Context) -> Any:
    """logOut / close: nothing to do for a fake."""
    return True


def _commands_key(ctx: Context) -> tuple[str, str]:
    scope = ctx.params.json("scope", "BotCommandScope")
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
        raise ApiError.bad_request("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True), ctx.params.string("language_code") or ""


async def set_my_commands(ctx: Context) -> Any:
    """Store the command list of one (scope, language_code)."""
    key = _commands_key(ctx)
    ctx.state.commands[key] = check_commands(ctx.params.json("commands"))
    return True


async def get_my_commands(ctx: Context) -> Any:
    """The command list of exactly this (scope, language_code)."""
    return copy.deepcopy(ctx.state.commands.get(_commands_key(ctx), []))


async def delete_my_commands(ctx: Context) -> Any:
    """Forget the command list of one (scope, language_code)."""
    ctx.state.commands.pop(_commands_key(ctx), None)
    return True


async def send_chat_action(ctx: Context) -> Any:
    """Record a chat action (``typing``, ``record_voice`` ...) with its time."""
    chat = sendable_chat(ctx)
    action = ctx.params.string("action")
    if action not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    chat_id = int(chat.chat["id"])
    record = ChatAction(chat_id, action, time.monotonic(), ctx.params.integer("message_thread_id"))
    ctx.state.chat_actions.append(record)
    ctx.state.emit("chat_action", chat_id, record)
    return True


async def set_message_reaction(ctx: Context) -> Any:
    """Set (or clear) the bot's reaction: at most one, from the allowed emoji."""
    state, params = ctx.state, ctx.params
    chat = state.resolve_chat(params.get("chat_id"))
    chat_id, message_id = int(chat.chat["id"]), params.integer("message_id")
    if state.find_message(chat_id, message_id) is None or message_id is None:
        raise ApiError.bad_request("message to react not found")
    reaction = params.json("reaction") or []
    if not isinstance(reaction, list):
        raise ApiError.bad_request("can't parse reaction JSON object")
    if len(reaction) > 1:
        raise ApiError.bad_request("REACTIONS_TOO_MUCH")
    for item in reaction:
        if not isinstance(item, dict) or item.get("type") not in ("emoji", "custom_emoji"):
            raise ApiError.bad_request("REACTION_INVALID")
        if item["type"] == "emoji" and item.get("emoji") not in REACTION_EMOJI:
            raise ApiError.bad_request("REACTION_INVALID")
    state.reactions[(chat_id, message_id)] = copy.deepcopy(reaction)
    state.emit("reaction", chat_id, {"message_id": message_id, "reaction": reaction})
    return True


async def answer_callback_query(ctx: Context) -> Any:
    """Answer a button press once; unknown or answered ids are Telegram's 'query is too old'."""
    state, params = ctx.state, ctx.params
    query_id = params.string("callback_query_id") or ""
    query = state.callback_queries.get(query_id)
    if query is None or query["answered"]:
        raise ApiError.bad_request(
            "query is too old and response timeout expired or query ID is invalid"
        )
    text = params.string("text") or ""
    if len(text) > MAX_CALLBACK_ANSWER:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    answer = {
        "callback_query_id": query_id,
        "text": text,
        "show_alert": params.flag("show_alert"),
        "url": params.string("url"),
    }
    state.callback_answers.append(answer)
    state.emit("callback_answer", query.get("chat_id"), answer)
    return True


async def get_chat(ctx: Context) -> Any:
    """A minimal ChatFullInfo."""
    chat = ctx.state.resolve_chat(ctx.params.get("chat_id"))
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {**dict.fromkeys(gifts, False), "gifts_from_channels": False},
    }


HANDLERS: dict[str, Handler] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "logout": log_out,
    "close": log_out,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "sendchataction": send_chat_action,
    "setmessagereaction": set_message_reaction,
    "answercallbackquery": answer_callback_query,
    "getchat": get_chat,
}
