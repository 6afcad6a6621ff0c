"""Rich messages (Bot API 10.1-10.3): sendRichMessage and sendRichMessageDraft.

``sendRichMessage`` returns a ``Message`` whose ``rich_message.blocks`` aiogram parses (see
``rich`` for the checks and the fake's naive Markdown/HTML conversion). The stored message keeps
fake-only keys the bot never sees: ``_rich_text`` (a plain-text flattening, for the sandbox page
and assertions) and ``_rich_markdown`` / ``_rich_html`` (the source as sent). Ephemeral sends work
as for ``sendMessage``. ``sendRichMessageDraft`` is recorded like ``sendMessageDraft`` (private
chats, non-zero ``draft_id``, ``can_stop``/``keep_on_stop``; media by file_id only; ``thinking``
allowed). A server older than 10.1 (``rich_messages=False``) answers both with 404.
"""

from __future__ import annotations

from typing import Any

from .api_core import Handler
from .api_messages import draft_chat, record_draft
from .common import reply_markup, sendable_chat
from .params import Context
from .rich import build_rich
from .sending import post, send_target


async def send_rich_message(ctx: Context) -> Any:
    """A rich message: one of markdown/html/blocks, optional media, keyboard, reply, topic."""
    chat = sendable_chat(ctx)
    markup = reply_markup(ctx)
    target = send_target(ctx, chat)
    rich = build_rich(ctx, draft=False)
    return post(ctx, chat, target, rich.content(), markup)


async def send_rich_message_draft(ctx: Context) -> Any:
    """Stream a rich draft in a private chat (``thinking`` blocks allowed here only)."""
    chat, draft_id = draft_chat(ctx)
    rich = build_rich(ctx, draft=True)
    return record_draft(ctx, chat, draft_id, rich.text, [], rich.source)


HANDLERS: dict[str, Handler] = {
    "sendrichmessage": send_rich_message,
    "sendrichmessagedraft": send_rich_message_draft,
}
# The methods a Bot API server older than 10.1 does not have.
RICH_METHODS = frozenset(HANDLERS)
