"""The interfaces the core needs from the outside world. Adapters implement them; tests use the
``Fake*`` implementations in ``tests/helpers``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from telegemini.core.models import (
    Activity,
    ChatEvent,
    ChatKey,
    ChatRequest,
    Conversation,
    Reply,
    Turn,
    UserRef,
)


class ChatModel(Protocol):
    """A conversational model with server-side memory chained by interaction ids."""

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        """Yield ``TextDelta``s then one ``ChatCompleted``.

        Raises ``ConversationExpired`` when ``request.previous_id`` is unknown, and the other
        ``UserFacingError``s of ``telegemini.errors`` for refusals and upstream failures.
        """
        ...


class Store(Protocol):
    """Durable state: users, conversations, processed updates."""

    async def claim_update(self, update_id: int) -> bool:
        """Record ``update_id`` as taken; False if it was taken before (a redelivery)."""
        ...

    async def forget_updates_before(self, cutoff: datetime) -> int:
        """Drop de-duplication records older than ``cutoff``; returns how many."""
        ...

    async def remember_user(self, user: UserRef) -> None: ...

    async def load_conversation(self, key: ChatKey) -> Conversation: ...

    async def save_exchange(
        self, key: ChatKey, *, head_id: str, user_text: str, model_text: str, keep_turns: int
    ) -> None:
        """Move the conversation head to ``head_id`` and append the exchange to the transcript,
        keeping the last ``keep_turns`` turns."""
        ...

    async def reset_conversation(self, key: ChatKey) -> None: ...

    async def close(self) -> None: ...


class ChatLocks(Protocol):
    """Mutual exclusion per conversation, so one chat's messages are handled in order."""

    def hold(self, key: ChatKey) -> AbstractAsyncContextManager[None]: ...


class ChatOutput(Protocol):
    """Where the core's answers go for one incoming message."""

    def activity(self, kind: Activity) -> AbstractAsyncContextManager[None]:
        """Show ``kind`` (typing…) for as long as the block runs."""
        ...

    @property
    def can_stream(self) -> bool:
        """Whether ``draft`` shows anything here (private chats only on Telegram)."""
        ...

    async def draft(self, text: str) -> None:
        """Show a partial answer (plain text) while it is generated."""
        ...

    async def send(self, reply: Reply) -> None: ...


__all__ = ["ChatLocks", "ChatModel", "ChatOutput", "Store", "Turn"]
