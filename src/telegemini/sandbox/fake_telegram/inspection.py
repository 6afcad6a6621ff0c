"""What tests read back: recorded calls, chat state, drafts, ephemeral messages, waiting helpers,
faults, subscriptions."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from .models import ChatAction, Draft, FakeEvent, Fault, RecordedCall, WebhookAttempt
from .state import FakeState

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: fake failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: fake conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def describe_call(call: RecordedCall, width: int = 160) -> str:
    """One readable line about a call, for assertion messages."""
    params = {k: v for k, v in call.params.items() if k != "chat_id"}
    text = json.dumps(params, ensure_ascii=False, default=str)
    if len(text) > width:
        text = text[: width - 3] + "..."
    files = f" files={sorted(call.files)}" if call.files else ""
    outcome = "" if call.ok else f" -> {call.result}"
    return f"{call.method} [{call.status}] chat={call.chat_id} {text}{files}{outcome}"


class Inspection:
    """Mixin of ``FakeTelegramServer``: read what the bot did, wait for it, schedule faults."""

    _state: FakeState

    @property
    def calls(self) -> list[RecordedCall]:
        """Every Bot API call in arrival-of-answer order (failed ones included)."""
        return self._state.calls

    def calls_of(self, method: str) -> list[RecordedCall]:
        """Calls of one method (case-insensitive), failed ones included."""
        wanted = method.lower()
        return [call for call in self._state.calls if call.method.lower() == wanted]

    def _successful(self, method: str, chat_id: int | None) -> list[RecordedCall]:
        return [
            call
            for call in self.calls_of(method)
            if call.ok and (chat_id is None or call.chat_id == chat_id)
        ]

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API waits for a condition, not I/O
        chat_id: int | None = None,
    ) -> list[RecordedCall]:
        """Wait until at least ``count`` successful calls of ``method`` exist; return them all.

        Raises AssertionError with the recent calls when ``timeout`` seconds pass first.
        """
        if await self._state.changed.wait_until(
            lambda: len(self._successful(method, chat_id)) >= count, timeout
        ):
            return self._successful(method, chat_id)
        where = "" if chat_id is None else f" in chat {chat_id}"
        got = len(self._successful(method, chat_id))
        recent = "\n".join(f"  {describe_call(call)}" for call in self._state.calls[-20:])
        raise AssertionError(
            f"timed out after {timeout}s waiting for {count} successful {method} call(s){where}; "
            f"got {got}. Recent calls ({len(self._state.calls)} in all):\n{recent or '  (none)'}"
        )

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API waits for a condition, not I/O
        what: str = "condition",
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked whenever the fake's state changes
        (a call, an update, a message, a webhook attempt ...). AssertionError on timeout."""
        if not await self._state.changed.wait_until(predicate, timeout):
            recent = "\n".join(f"  {describe_call(call)}" for call in self._state.calls[-20:])
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}. Recent calls:\n"
                f"{recent or '  (none)'}"
            )

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they are now (edits applied, deleted ones gone)."""
        return self._state.messages(chat_id, bot_only=True)

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API waits for a condition, not I/O
    ) -> list[dict[str, Any]]:
        """Wait until the bot has at least ``count`` live messages in the chat; return them."""
        if await self._state.changed.wait_until(
            lambda: len(self.bot_messages(chat_id)) >= count, timeout
        ):
            return self.bot_messages(chat_id)
        texts = [m.get("text") or m.get("caption") for m in self.bot_messages(chat_id)]
        recent = "\n".join(f"  {describe_call(call)}" for call in self._state.calls[-20:])
        raise AssertionError(
            f"timed out after {timeout}s waiting for {count} bot message(s) in chat {chat_id}; "
            f"have {texts}. Recent calls:\n{recent or '  (none)'}"
        )

    def chat_log(self, chat_id: int) -> list[dict[str, Any]]:
        """Every live message in the chat, the users' and the bot's, in order."""
        return self._state.messages(chat_id)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """One message as it is now, or None when it does not exist (any more)."""
        stored = self._state.find_message(chat_id, message_id)
        return None if stored is None else copy.deepcopy(stored.message)

    def chat_actions(self, chat_id: int | None = None) -> list[ChatAction]:
        """The chat actions the bot sent, oldest first (optionally for one chat)."""
        return [a for a in self._state.chat_actions if chat_id is None or a.chat_id == chat_id]

    def drafts(self, chat_id: int | None = None) -> list[Draft]:
        """The latest draft per (chat, draft_id), optionally for one chat."""
        return [d for d in self._state.drafts.values() if chat_id is None or d.chat_id == chat_id]

    def draft_history(self, chat_id: int | None = None) -> list[Draft]:
        """A snapshot of every accepted draft call (text and rich), oldest first: the stream
        and its cadence (``at``). Calls after Stop are there too, with ``stopped`` set."""
        return [d for d in self._state.draft_log if chat_id is None or d.chat_id == chat_id]

    def ephemeral_messages(
        self, chat_id: int, user_id: int | None = None, *, bot_only: bool = True
    ) -> list[dict[str, Any]]:
        """Ephemeral messages in a group as they are now (edits applied, deleted ones gone):
        the bot's, to ``user_id`` when given; with ``bot_only=False`` the users' ephemeral
        commands too (``user_id`` then matches sender or receiver). Fake-only ``_`` keys kept."""
        chat = self._state.chats.get(chat_id)
        if chat is None:
            return []
        return [
            copy.deepcopy(stored.message)
            for stored in chat.ephemeral.values()
            if (stored.from_bot or not bot_only)
            and (user_id is None or user_id in (stored.receiver_id, stored.sender_id))
        ]

    async def wait_for_ephemeral_messages(
        self,
        chat_id: int,
        count: int,
        *,
        user_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API waits for a condition, not I/O
    ) -> list[dict[str, Any]]:
        """Wait until the bot has at least ``count`` ephemeral messages in the chat (to
        ``user_id`` when given); return them."""
        await self.wait_until(
            lambda: len(self.ephemeral_messages(chat_id, user_id)) >= count,
            timeout=timeout,
            what=f"{count} ephemeral bot message(s) in chat {chat_id}",
        )
        return self.ephemeral_messages(chat_id, user_id)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list set for a scope (default scope when None) and language."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True), language_code
        return [dict(item) for item in self._state.commands.get(key, [])]

    def reactions(self, chat_id: int, message_id: int) -> list[dict[str, Any]]:
        """The bot's current reaction on a message ([] when none)."""
        return list(self._state.reactions.get((chat_id, message_id), []))

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """Every answerCallbackQuery that succeeded."""
        return self._state.callback_answers

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        """Every webhook POST the fake made, with its outcome."""
        return self._state.webhook_attempts

    @property
    def downloads(self) -> list[str]:
        """The file paths the bot downloaded."""
        return self._state.downloads

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally for one chat) fail.

        A 429 says ``Too Many Requests: retry after N`` with ``parameters.retry_after`` (N = 1
        unless given); other statuses get a Telegram-like description unless one is given.
        """
        parameters: dict[str, Any] | None = None
        if status == 429 or retry_after is not None:
            wait = 1 if retry_after is None else retry_after
            parameters = {"retry_after": wait}
            if status == 429 and description is None:
                description = f"Too Many Requests: retry after {wait}"
        if description is None:
            description = DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._state.faults.append(
            Fault(method.lower(), status, description, parameters, times, chat_id)
        )

    def lose_next_response(
        self, method: str, *, times: int = 1, chat_id: int | None = None
    ) -> None:
        """Carry out the next ``times`` calls of ``method`` (the message is sent, the chat shows
        it) but drop the connection instead of answering: the bot cannot know it arrived."""
        self._state.lost.append(Fault(method.lower(), 0, "response lost", None, times, chat_id))

    def subscribe(self, callback: Callable[[FakeEvent], None]) -> Callable[[], None]:
        """Call ``callback`` with every event; returns a function that unsubscribes."""
        self._state.subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._state.subscribers:
                self._state.subscribers.remove(callback)

        return unsubscribe
