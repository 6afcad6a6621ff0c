"""Updates go through the durable inbox: written first, then processed in order per conversation,
concurrently across conversations, by whichever instance claims them, exactly once each.

    webhook ──► inbox.put ─┐                     ┌─► PTB update queue ─► InboxUpdateProcessor
    polling ──► (processor sees a fresh update) ─┴─► InboxPump.claim ──┘     └─► handlers ─► finish

``InboxPump`` claims the oldest unfinished update of each conversation (a lease, renewed while it
is worked on), hands it to PTB, and marks it done when the handlers return. Fresh updates from
long polling reach the processor first; it stores them and lets the pump bring them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

from telegemini.core.models import ChatKey
from telegemini.metrics import Metrics
from telegemini.observability import update_context
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.translate import chat_key

log = logging.getLogger(__name__)

LEASE = 60.0  # seconds a claim holds without renewal; a dead worker's updates return after it
IDLE_POLL = 0.5  # seconds between inbox checks when idle (other instances may have put work)
FRESH_KEPT = 1024  # decoded updates kept for their claim


class InboxItemLike(Protocol):
    update_id: int
    payload: str
    attempts: int


class Inbox(Protocol):
    async def put(self, update_id: int, key: ChatKey | None, payload: str) -> bool: ...

    async def claim(self, worker: str, *, lease: float, limit: int = 16) -> list[Any]: ...

    async def extend(self, update_ids: list[int], worker: str, *, lease: float) -> None: ...

    async def finish(self, update_id: int, worker: str) -> None: ...

    async def release(self, update_ids: list[int], worker: str) -> None: ...


def worker_name() -> str:
    """Unique per process: a lease names its holder."""
    return f"{os.uname().nodename[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class InboxPump:
    """Claims updates from the inbox and feeds them to PTB, ``capacity`` at a time."""

    def __init__(
        self,
        inbox: Inbox,
        application: Application,  # type: ignore[type-arg]
        *,
        capacity: int = 64,
        lease: float = LEASE,
        idle_poll: float = IDLE_POLL,
    ) -> None:
        self._inbox = inbox
        self._application = application
        self._capacity = capacity
        self._lease = lease
        self._idle_poll = idle_poll
        self.worker = worker_name()
        self.metrics: Metrics | None = None
        self.early: EarlyTyping | None = None
        # Updates handed to PTB and not finished, by id. The object itself is kept: a copy of
        # the same update redelivered by Telegram meanwhile is a different object, not ours.
        self._claimed: dict[int, Update | None] = {}
        # Updates this process stored and still holds as objects: claimed back, they are used
        # as they are instead of being decoded again (bounded; other instances decode).
        self._fresh: OrderedDict[int, Update] = OrderedDict()
        self._wakeup = asyncio.Event()
        self._running = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def in_flight(self) -> list[int]:
        return list(self._claimed)

    def owns(self, update: Update) -> bool:
        return self._claimed.get(update.update_id) is update

    def wake(self) -> None:
        """New work may be waiting (a put, a finished update unblocking its conversation)."""
        self._wakeup.set()

    def acknowledge(self, update: object) -> None:
        """A sign of life in a fresh update's chat, before anything else happens to it."""
        if self.early is not None and isinstance(update, Update) and not self.owns(update):
            self.early.acknowledge(update)

    async def put(self, update: Update) -> bool:
        """Store an update arriving from long polling; False for a redelivery."""
        payload = json.dumps(update.to_dict(), separators=(",", ":"))
        return await self._store(update, chat_key(update), payload, "polling")

    async def put_raw(self, data: dict[str, Any], update: Update) -> bool:
        """Store an update as Telegram sent it (the webhook path)."""
        self.acknowledge(update)
        payload = json.dumps(data, separators=(",", ":"))
        return await self._store(update, chat_key(update), payload, "webhook")

    async def _store(self, update: Update, key: ChatKey | None, payload: str, source: str) -> bool:
        stored = await self._inbox.put(update.update_id, key, payload)
        if stored:
            self._fresh[update.update_id] = update
            while len(self._fresh) > FRESH_KEPT:
                self._fresh.popitem(last=False)
            self.wake()
        if self.metrics is not None:
            counter = self.metrics.updates_received.labels(source)
            (counter if stored else self.metrics.updates_duplicate).inc()
        return stored

    def start(self) -> None:
        self._running = True
        self._tasks = [
            asyncio.create_task(self._dispatch(), name="inbox-dispatch"),
            asyncio.create_task(self._renew(), name="inbox-renew"),
        ]

    async def stop(self) -> None:
        """Stop claiming; updates in flight keep running (PTB's stop waits for them)."""
        self._running = False
        self.wake()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def release_unfinished(self) -> None:
        """After the grace period: hand back whatever did not finish, for the next start."""
        unfinished = self.in_flight
        if unfinished:
            log.warning("handing %d unfinished updates back to the inbox", len(unfinished))
            await self._inbox.release(unfinished, self.worker)
            self._claimed.clear()

    async def done(self, update_id: int) -> None:
        """PTB finished the handlers of a claimed update."""
        await self._inbox.finish(update_id, self.worker)
        self._claimed.pop(update_id, None)
        self.wake()

    async def _dispatch(self) -> None:
        backoff = 0.1
        while self._running:
            # Cleared before looking, so a wake-up that comes while we look is never lost.
            self._wakeup.clear()
            room = self._capacity - len(self._claimed)
            items: list[InboxItemLike] = []
            if room > 0:
                try:
                    items = await self._inbox.claim(self.worker, lease=self._lease, limit=room)
                    backoff = 0.1
                except Exception:  # the database went away: keep trying, gently
                    log.exception("claiming from the inbox failed; retrying in %.1fs", backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
            for item in items:
                self._claimed[item.update_id] = None
                try:
                    update = self._fresh.pop(item.update_id, None) or Update.de_json(
                        json.loads(item.payload), self._application.bot
                    )
                except (ValueError, KeyError, TypeError):
                    log.exception("update %s in the inbox is unreadable; dropped", item.update_id)
                    await self.done(item.update_id)
                    continue
                self._claimed[item.update_id] = update
                await self._application.update_queue.put(update)
            if items and len(items) == room:
                continue  # there may be more right away
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._idle_poll)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            with contextlib.suppress(Exception):
                await self._inbox.extend(self.in_flight, self.worker, lease=self._lease)


class ArrivalQueue(asyncio.Queue[object]):
    """PTB's update queue, telling ``on_arrival`` of each update as long polling delivers it:
    a whole batch is acknowledged before the first of its updates is stored or handled."""

    def __init__(self) -> None:
        super().__init__()
        self.on_arrival: Callable[[object], None] | None = None

    def put_nowait(self, item: object) -> None:
        if self.on_arrival is not None:
            self.on_arrival(item)
        super().put_nowait(item)


class InboxUpdateProcessor(BaseUpdateProcessor):
    """PTB's update processor: claimed updates run their handlers (then are marked done); fresh
    updates from long polling are stored in the inbox instead, to come back claimed."""

    def __init__(self, max_concurrent_updates: int = 512) -> None:
        super().__init__(max_concurrent_updates)
        self.pump: InboxPump | None = None
        self.metrics: Metrics | None = None
        # Fresh updates are stored one at a time in arrival order (asyncio locks are FIFO and
        # PTB starts one task per update in order): the inbox orders a conversation by
        # update id, so a later update must never be stored before an earlier one.
        self._storing = asyncio.Lock()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        pump = self.pump
        if pump is None or not isinstance(update, Update):
            await coroutine
            return
        if not pump.owns(update):
            _discard(coroutine)  # not ours to run yet: store it, the pump brings it back
            async with self._storing:
                try:
                    if not await pump.put(update):
                        log.info("update %s delivered again; skipped", update.update_id)
                except Exception:
                    log.exception("could not store update %s", update.update_id)
            return
        key = chat_key(update)
        kind = update_kind(update)
        started = time.perf_counter()
        try:
            with update_context(update.update_id, key.chat_id if key else None):
                await coroutine
        finally:
            if self.metrics is not None:
                self.metrics.update_seconds.labels(kind).observe(time.perf_counter() - started)
                self.metrics.updates_processed.labels(kind, "done").inc()
            try:
                await pump.done(update.update_id)
            except Exception:
                log.exception("could not mark update %s done", update.update_id)


def update_kind(update: Update) -> str:
    """A coarse kind for metrics: command, text, voice, photo, button or other."""
    if update.callback_query is not None:
        return "button"
    message = update.message
    if message is None:
        return "other"
    if message.voice or message.audio or message.video_note:
        return "voice"
    if message.photo:
        return "photo"
    if (message.text or "").startswith("/"):
        return "command"
    return "text" if message.text else "other"


def _discard(coroutine: Awaitable[Any]) -> None:
    """Close a handler coroutine that will never run (avoids 'never awaited' warnings)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
