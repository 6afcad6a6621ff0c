"""The queue of updates waiting for the bot, with Telegram's offset and allowed_updates rules.

Polling: ``getUpdates(offset)`` confirms every update with ``update_id < offset``; a negative
offset keeps only the newest ``-offset`` updates. Webhook: the delivery tasks take each update
away once the bot's server accepted it; the updates of one chat (``delivery_queue``) go in
turn. ``redeliver`` puts a copy back (same ``update_id``) that survives one confirmation, like
Telegram's at-least-once delivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .limits import NOT_BY_DEFAULT

Queue = tuple[str, int]  # ("chat" | "user" | "update", id): updates a webhook delivers in turn


def update_kind(update: dict[str, Any]) -> str:
    """The update's type: the first field that is not ``update_id``."""
    return next((key for key in update if key != "update_id"), "")


def delivery_queue(update: dict[str, Any]) -> Queue:
    """Which updates ``update`` waits behind: its chat's (a message's chat, a callback query's
    message's chat ...), else its user's (``from`` or ``user``), else none (its own queue)."""
    body = update.get(update_kind(update))
    if isinstance(body, dict):
        places = (
            ("chat", body, "chat"),
            ("chat", body.get("message"), "chat"),
            ("user", body, "from"),
            ("user", body, "user"),
            ("chat", body, "voter_chat"),  # an anonymous poll answer
        )
        for kind, holder, name in places:
            value = holder.get(name) if isinstance(holder, dict) else None
            if isinstance(value, dict) and isinstance(value.get("id"), int):
                return kind, value["id"]
    return "update", int(update["update_id"])


class Notifier:
    """Wakes coroutines waiting for a change of shared state.

    ``notify`` fires the current ``asyncio.Event`` and replaces it, so a waiter that checked its
    condition just before a change still wakes up. No polling loop, no fixed sleeps.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake every current waiter."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> bool:
        """Wait until ``predicate()`` holds (True) or ``within`` seconds pass (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True


@dataclass
class PendingUpdate:
    """An update not confirmed yet; a redelivered copy survives one confirmation."""

    update: dict[str, Any]
    redelivery: bool = False
    delivered: bool = False
    queue: Queue = field(init=False)  # see delivery_queue

    def __post_init__(self) -> None:
        self.queue = delivery_queue(self.update)

    @property
    def update_id(self) -> int:
        """The update's id."""
        return int(self.update["update_id"])


class UpdateQueue:
    """Pending updates in delivery order."""

    def __init__(self, first_id: int = 10000) -> None:
        self.next_id = (
            first_id  # never goes back, even on clear(): a running poller keeps its offset
        )
        self.pending: list[PendingUpdate] = []
        self.allowed: frozenset[str] | None = None
        self.generation = 0  # bumped by each getUpdates; an older long poll then ends with 409

    def clear(self) -> None:
        """Drop every pending update and the allowed_updates setting."""
        self.pending.clear()
        self.allowed = None

    def add(self, update: dict[str, Any], *, redelivery: bool = False) -> dict[str, Any]:
        """Queue ``update``; assign the next ``update_id`` when it has none."""
        if "update_id" not in update:
            update = {"update_id": self.next_id, **update}
        self.next_id = max(self.next_id, int(update["update_id"]) + 1)
        self.pending.append(PendingUpdate(update, redelivery=redelivery))
        return update

    def set_allowed(self, allowed: Any) -> None:
        """Remember ``allowed_updates`` (None leaves it; an empty list means the default)."""
        if isinstance(allowed, list):
            self.allowed = frozenset(str(kind) for kind in allowed) or None

    def is_allowed(self, update: dict[str, Any]) -> bool:
        """Whether the current allowed_updates setting lets this update through."""
        kind = update_kind(update)
        return kind not in NOT_BY_DEFAULT if self.allowed is None else kind in self.allowed

    def confirm(self, offset: int) -> None:
        """Apply getUpdates' offset: forget confirmed updates."""
        if offset > 0:
            self.pending = [
                p
                for p in self.pending
                if p.update_id >= offset or (p.redelivery and not p.delivered)
            ]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def drop_unwanted(self) -> None:
        """Forget updates the allowed_updates setting excludes: Telegram never sends them."""
        self.pending = [p for p in self.pending if self.is_allowed(p.update)]

    def peek(self, limit: int) -> list[PendingUpdate]:
        """The first ``limit`` deliverable updates, oldest first."""
        self.drop_unwanted()
        return self.pending[:limit]

    def remove(self, entry: PendingUpdate) -> None:
        """Forget one delivered update (webhook mode)."""
        self.pending = [p for p in self.pending if p is not entry]
