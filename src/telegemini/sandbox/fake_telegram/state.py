"""Everything the fake Bot API remembers: chats and their messages, files, updates, calls.

One ``FakeState`` per server. The HTTP handlers, the user-side helpers and the inspection helpers
all read and change it; each change notifies waiters (``changed``) and subscribers (``emit``).

Stored messages may carry fake-only keys starting with ``_`` (``_rich_markdown``, ``_rich_text``
on rich messages, for tests and the sandbox page); ``public`` strips them from everything the
bot receives (results, ``reply_to_message``, a callback query's ``message``).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .ledger import PaymentLedger
from .limits import FloodControl
from .media import FileStore
from .models import (
    ApiError,
    ChatAction,
    Draft,
    FakeEvent,
    Fault,
    RecordedCall,
    WebhookAttempt,
    as_int,
)
from .updates import Notifier, UpdateQueue

log = logging.getLogger(__name__)

Subscriber = Callable[[FakeEvent], None]


@dataclass
class StoredMessage:
    """A message as it currently is (edits applied)."""

    message: dict[str, Any]
    from_bot: bool


@dataclass
class StoredEphemeral:
    """An ephemeral message in a group (Bot API 10.2): seen by one member and the bot only.

    ``from_bot``: the bot sent it to ``receiver_id``; otherwise a user (``sender_id``) sent an
    ephemeral command to the bot. ``at`` is the fake's clock when it was sent (15-second rules).
    """

    message: dict[str, Any]
    from_bot: bool
    sender_id: int
    receiver_id: int
    at: float


@dataclass
class ChatState:
    """One chat: its Bot API object, its live messages in order and its ephemeral messages."""

    chat: dict[str, Any]
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_message_id: int = 1
    ephemeral: dict[int, StoredEphemeral] = field(default_factory=dict)
    next_ephemeral_id: int = 1


@dataclass
class WebhookConfig:
    """What ``setWebhook`` set, plus the delivery errors ``getWebhookInfo`` reports."""

    url: str
    secret_token: str | None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


def now() -> int:
    """Unix time, as Telegram's ``date`` fields carry it."""
    return int(time.time())


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``message`` without the fake-only ``_`` keys: what the bot may see."""
    return {key: copy.deepcopy(value) for key, value in message.items() if key[:1] != "_"}


def quoted(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``message`` fit to embed as ``reply_to_message`` (no nested reply)."""
    result = public(message)
    result.pop("reply_to_message", None)
    return result


class FakeState:
    """The fake's whole memory. ``clear`` forgets a test's traces but keeps ids increasing."""

    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self.files = FileStore()  # kept across clear(): bots may cache file_ids
        self.changed = Notifier()
        self.webhook_kick = asyncio.Event()
        self.subscribers: list[Subscriber] = []
        self.updates = UpdateQueue()
        self.flood = FloodControl()
        self.flood_control = False
        self.privacy_mode = False
        self.rich_messages = False  # Bot API 10.1+: sendRichMessage & co. exist
        self.ephemeral_messages = True  # Bot API 10.2+: ephemeral_message_parameters work
        self.clock: Callable[[], float] = time.monotonic  # ephemeral and callback ages
        self.closing = False
        self._serial = 0
        self.clear()

    def clear(self) -> None:
        """Forget chats, messages, calls, faults, updates, the webhook and everything else."""
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.updates.clear()
        self.webhook: WebhookConfig | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.drafts: dict[tuple[int, int], Draft] = {}
        self.draft_log: list[Draft] = []  # a snapshot per draft call, oldest first
        self.bot_admin_chats: set[int] = set()
        self.chat_actions: list[ChatAction] = []
        self.reactions: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.calls: list[RecordedCall] = []
        self.faults: list[Fault] = []
        self.lost: list[Fault] = []  # calls carried out whose answer is never sent
        self.webhook_attempts: list[WebhookAttempt] = []
        self.downloads: list[str] = []
        self.payments = PaymentLedger()  # Telegram Stars: invoices, pre-checkouts, charges
        self.flood.reset()
        self.changed.notify()

    def serial(self) -> int:
        """A number unique for the server's life (callback query ids, media group ids)."""
        self._serial += 1
        return self._serial

    # --- observers -------------------------------------------------------------------------

    def emit(self, kind: str, chat_id: int | None, payload: Any) -> None:
        """Tell subscribers and waiters that something happened."""
        event = FakeEvent(kind, chat_id, payload)
        for subscriber in list(self.subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("fake Telegram subscriber failed on %s", kind)
        self.changed.notify()

    # --- chats -----------------------------------------------------------------------------

    def ensure_chat(self, chat: dict[str, Any]) -> ChatState:
        """The state of ``chat``, created on first sight."""
        state = self.chats.get(int(chat["id"]))
        if state is None:
            state = self.chats[int(chat["id"])] = ChatState(dict(chat))
        return state

    def resolve_chat(self, raw: Any) -> ChatState:
        """The chat a ``chat_id`` parameter names (an id or ``@username``)."""
        if raw is None or raw == "":
            raise ApiError.bad_request("chat_id is empty")
        chat_id = as_int(raw)
        if chat_id is not None and chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(raw, str) and raw.startswith("@"):
            for state in self.chats.values():
                if state.chat.get("username", "").lower() == raw[1:].lower():
                    return state
        raise ApiError.bad_request("chat not found")

    # --- messages --------------------------------------------------------------------------

    def add_message(
        self,
        chat: ChatState,
        content: dict[str, Any],
        *,
        sender: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        thread_id: int | None = None,
        reply_markup: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append a message (the bot's when ``sender`` is None); return a copy of it."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": now(),
            "chat": dict(chat.chat),
            "from": dict(sender or self.bot_user),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        message.update(copy.deepcopy(content))
        if reply_to is not None:
            message["reply_to_message"] = quoted(reply_to)
        if reply_markup is not None:
            message["reply_markup"] = copy.deepcopy(reply_markup)
        chat.messages[message_id] = StoredMessage(message, from_bot=sender is None)
        if sender is None:
            self._drafts_gone(int(chat.chat["id"]), thread_id)
        self.emit("message", int(chat.chat["id"]), copy.deepcopy(message))
        return public(message)

    def _drafts_gone(self, chat_id: int, thread_id: int | None) -> None:
        """A bot message makes clients remove the live draft of that chat (topic)."""
        for draft in self.drafts.values():
            if draft.chat_id == chat_id and draft.message_thread_id == thread_id:
                draft.gone = True

    def add_ephemeral(
        self,
        chat: ChatState,
        content: dict[str, Any],
        *,
        receiver: dict[str, Any],
        sender: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        thread_id: int | None = None,
        reply_markup: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store an ephemeral message (the bot's when ``sender`` is None); return what the bot
        sees: ``message_id`` 0, a fresh ``ephemeral_message_id`` and ``receiver_user``."""
        ephemeral_id = chat.next_ephemeral_id
        chat.next_ephemeral_id += 1
        author = dict(sender or self.bot_user)
        message: dict[str, Any] = {
            "message_id": 0,
            "ephemeral_message_id": ephemeral_id,
            "date": now(),
            "chat": dict(chat.chat),
            "from": author,
            "receiver_user": dict(receiver),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        message.update(copy.deepcopy(content))
        if reply_to is not None:
            message["reply_to_message"] = quoted(reply_to)
        if reply_markup is not None:
            message["reply_markup"] = copy.deepcopy(reply_markup)
        chat.ephemeral[ephemeral_id] = StoredEphemeral(
            message,
            from_bot=sender is None,
            sender_id=int(author["id"]),
            receiver_id=int(receiver["id"]),
            at=self.clock(),
        )
        self.emit("ephemeral", int(chat.chat["id"]), copy.deepcopy(message))
        return public(message)

    def find_ephemeral(self, chat_id: int, ephemeral_id: int | None) -> StoredEphemeral | None:
        """A live ephemeral message of a chat, if it exists."""
        chat = self.chats.get(chat_id)
        if chat is None or ephemeral_id is None:
            return None
        return chat.ephemeral.get(ephemeral_id)

    def find_message(self, chat_id: int, message_id: int | None) -> StoredMessage | None:
        """A live message of a chat, if it exists."""
        chat = self.chats.get(chat_id)
        if chat is None or message_id is None:
            return None
        return chat.messages.get(message_id)

    def replace_message(self, chat_id: int, stored: StoredMessage, message: dict[str, Any]) -> None:
        """Store an edited version of a message and tell observers."""
        stored.message = message
        self.emit("edit", chat_id, copy.deepcopy(message))

    def delete_message(self, chat_id: int, message_id: int) -> bool:
        """Delete a live message; False when there is none."""
        chat = self.chats.get(chat_id)
        if chat is None or chat.messages.pop(message_id, None) is None:
            return False
        chat.deleted.add(message_id)
        self.emit("delete", chat_id, {"message_id": message_id})
        return True

    def messages(self, chat_id: int, *, bot_only: bool = False) -> list[dict[str, Any]]:
        """Copies of a chat's live messages in order (optionally only the bot's)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            copy.deepcopy(stored.message)
            for stored in chat.messages.values()
            if stored.from_bot or not bot_only
        ]

    # --- updates ---------------------------------------------------------------------------

    def deliver(self, update: dict[str, Any], *, redelivery: bool = False) -> dict[str, Any]:
        """Queue an update for getUpdates or the webhook; return it (with its ``update_id``)."""
        update = self.updates.add(update, redelivery=redelivery)
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:  # raw injected presses can be answered too
            self.callback_queries.setdefault(
                str(query["id"]),
                {
                    "answered": False,
                    "chat_id": _update_chat_id(update),
                    "at": self.clock(),
                    "user_id": (query.get("from") or {}).get("id"),
                },
            )
        chat = _update_chat_id(update)
        self.emit("update", chat, copy.deepcopy(update))
        self.webhook_kick.set()
        return update

    # --- calls -----------------------------------------------------------------------------

    def record(self, call: RecordedCall) -> None:
        """Remember one Bot API call and wake whoever waits for it."""
        self.calls.append(call)
        self.emit("call", call.chat_id, call)

    def take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        """The scheduled fault for this call, if any (consumes one use)."""
        return _take(self.faults, method, chat_id)

    def take_lost(self, method: str, chat_id: int | None) -> bool:
        """Whether this call's answer is to be lost (consumes one use)."""
        return _take(self.lost, method, chat_id) is not None


def _take(faults: list[Fault], method: str, chat_id: int | None) -> Fault | None:
    for fault in faults:
        if fault.method == method and fault.chat_id in (None, chat_id):
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            return fault
    return None


def _update_chat_id(update: dict[str, Any]) -> int | None:
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return int(chat["id"])
    return None
