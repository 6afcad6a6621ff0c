"""One way in: every update is stored in the durable inbox first, and only the inbox pump hands
updates to the dispatcher, in order per conversation, concurrently across conversations, by
whichever instance claims them, exactly once each.

    long polling ──► store(batch) ─┐                    ┌─► feed(unit) ─► aiogram Dispatcher
    webhook      ──► store([one]) ─┴─► durable inbox ──► InboxPump ─┘          └─► finish

``InboxPump`` claims units of work (the oldest unfinished update of a conversation, or a whole
album), holds their leases while they run, and marks them done when the handlers return. Updates
this process stored are kept decoded for a while, so claiming them back costs no JSON parsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import orjson

from telegemini.metrics import Metrics
from telegemini.observability import update_context
from telegemini.storage.inbox import InboxEntry, InboxItem
from telegemini.tg.feedback import EarlyTyping
from telegemini.tg.translate import chat_key, media_group

log = logging.getLogger(__name__)

LEASE = 60.0  # seconds a claim holds without renewal; a dead worker's updates return after it
IDLE_POLL = 0.5  # seconds between inbox checks when idle (other instances may have put work)
FRESH_KEPT = 1024  # decoded updates kept for their claim
CAPACITY = 64  # units of work in flight at once
START_AT_ONCE = 16  # units of work started per turn of the event loop

Update = dict[str, Any]  # an update as Telegram sent it (decoded JSON)
Feed = Callable[[list[Update]], Awaitable[None]]  # runs the handlers of one unit of work


class Inbox(Protocol):
    async def put_many(self, entries: Sequence[InboxEntry]) -> set[int]: ...

    async def claim(self, worker: str, *, lease: float, limit: int = 16) -> list[InboxItem]: ...

    async def extend(self, update_ids: list[int], worker: str, *, lease: float) -> None: ...

    async def finish(self, update_ids: Sequence[int], worker: str) -> None: ...

    async def release(self, update_ids: list[int], worker: str) -> None: ...


def worker_name() -> str:
    """Unique per process: a lease names its holder."""
    return f"{os.uname().nodename[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def update_kind(update: Update) -> str:
    """A coarse kind for metrics: command, text, voice, photo, button or other."""
    if "callback_query" in update:
        return "button"
    message = update.get("message")
    if not isinstance(message, dict):
        return "other"
    if any(key in message for key in ("voice", "audio", "video_note")):
        return "voice"
    if "photo" in message:
        return "photo"
    text = message.get("text")
    if not isinstance(text, str) or not text:
        return "other"
    return "command" if text.startswith("/") else "text"


class InboxPump:
    """Stores updates, claims them back as units of work, feeds them, ``capacity`` at a time."""

    def __init__(
        self,
        inbox: Inbox,
        feed: Feed,
        *,
        capacity: int = CAPACITY,
        lease: float = LEASE,
        idle_poll: float = IDLE_POLL,
        metrics: Metrics | None = None,
        early: EarlyTyping | None = None,
    ) -> None:
        self._inbox = inbox
        self._feed = feed
        self._capacity = capacity
        self._lease = lease
        self._idle_poll = idle_poll
        self._metrics = metrics
        self._early = early
        self.worker = worker_name()
        # Units of work in flight: their update ids, by the task running them.
        self._running: dict[asyncio.Task[None], list[int]] = {}
        self._fresh: OrderedDict[int, Update] = OrderedDict()
        self._wakeup = asyncio.Event()
        self._claiming = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def in_flight(self) -> list[int]:
        return [update_id for ids in self._running.values() for update_id in ids]

    def wake(self) -> None:
        """New work may be waiting (a put, a finished update unblocking its conversation)."""
        self._wakeup.set()

    async def store(self, updates: Sequence[Update], source: str) -> set[int]:
        """Make updates durable, in one transaction (raises if the database is away: nothing
        is stored then, and nothing must be acknowledged to Telegram). Returns the ids that
        were new; the others had been stored before (redeliveries)."""
        if self._early is not None:
            for update in updates:  # a sign of life before anything else happens to them
                self._early.acknowledge(update)
        entries = [
            InboxEntry(
                u["update_id"],
                chat_key(u),
                orjson.dumps(u).decode(),
                media_group(u),
            )
            for u in updates
        ]
        stored = await self._inbox.put_many(entries)
        for update in updates:
            if update["update_id"] in stored:
                self._fresh[update["update_id"]] = update
        while len(self._fresh) > FRESH_KEPT:
            self._fresh.popitem(last=False)
        if stored:
            self.wake()
        if self._metrics is not None:
            if stored:
                self._metrics.updates_received.labels(source).inc(len(stored))
            if len(updates) > len(stored):
                self._metrics.updates_duplicate.inc(len(updates) - len(stored))
        return stored

    def start(self) -> None:
        self._claiming = True
        self._tasks = [
            asyncio.create_task(self._dispatch(), name="inbox-dispatch"),
            asyncio.create_task(self._renew(), name="inbox-renew"),
        ]

    async def stop(self) -> None:
        """Stop claiming; units in flight keep running (see ``drain``)."""
        self._claiming = False
        self.wake()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def drain(self, grace: float) -> None:
        """Let the units in flight finish within ``grace`` seconds; hand back the rest for the
        next start (or another instance) and stop them."""
        running = set(self._running)
        if running:
            _done, late = await asyncio.wait(running, timeout=grace)
        else:
            late = set()
        if late:
            unfinished = [i for task in late for i in self._running.get(task, [])]
            log.warning("handing %d unfinished updates back to the inbox", len(unfinished))
            for task in late:
                self._running.pop(task, None)
                task.cancel()
            await self._inbox.release(unfinished, self.worker)
            await asyncio.gather(*late, return_exceptions=True)

    async def _dispatch(self) -> None:
        backoff = 0.1
        while self._claiming:
            # Cleared before looking, so a wake-up that comes while we look is never lost.
            self._wakeup.clear()
            room = self._capacity - len(self._running)
            items: list[InboxItem] = []
            if room > 0:
                try:
                    items = await self._inbox.claim(self.worker, lease=self._lease, limit=room)
                    backoff = 0.1
                except Exception:  # the database went away: keep trying, gently
                    log.exception("claiming from the inbox failed; retrying in %.1fs", backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
            units = _units(items)
            for started, unit in enumerate(units, 1):
                ids = [item.update_id for item in unit]
                task = asyncio.create_task(self._work(unit), name=f"update-{ids[0]}")
                self._running[task] = ids
                if started % START_AT_ONCE == 0:
                    # Each new task's first step (decoding, dispatch, up to its first wait) runs
                    # in the loop's next turn; a hundred at once held the loop for ~50 ms.
                    await asyncio.sleep(0)
            if units and len(units) >= room:
                continue  # there may be more right away
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._idle_poll)

    async def _work(self, unit: list[InboxItem]) -> None:
        ids = [item.update_id for item in unit]
        try:
            updates = [self._decoded(item) for item in unit]
        except ValueError:
            log.exception("update %s in the inbox is unreadable; dropped", ids[0])
            await self._finish(ids)
            return
        first = updates[0]
        key = chat_key(first)
        kind = update_kind(first)
        started = time.perf_counter()
        try:
            with update_context(ids[0], key.chat_id if key else None):
                await self._feed(updates)
        except Exception:
            # The core answers users itself; what gets here is a fault of the adapter or an
            # undecodable update. Retrying it would fail the same way.
            log.exception("error while handling update %s", ids[0])
        if self._metrics is not None:
            self._metrics.update_seconds.labels(kind).observe(time.perf_counter() - started)
            self._metrics.updates_processed.labels(kind, "done").inc()
        await self._finish(ids)

    async def _finish(self, ids: list[int]) -> None:
        """Mark a unit done, retrying while the database is away: meanwhile it stays in flight
        (its lease renewed), or it would be claimed again and answered twice."""
        backoff = 0.25
        try:
            while True:
                try:
                    await self._inbox.finish(ids, self.worker)
                    return
                except Exception as exc:
                    log.warning(
                        "could not mark update %s done (%s); retrying in %.1fs",
                        ids[0],
                        exc,
                        backoff,
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._running.pop(task, None)
            self.wake()

    def _decoded(self, item: InboxItem) -> Update:
        update = self._fresh.pop(item.update_id, None)
        if update is None:
            update = orjson.loads(item.payload)
            if not isinstance(update, dict):
                raise ValueError("not a JSON object")
        return update

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            with contextlib.suppress(Exception):
                await self._inbox.extend(self.in_flight, self.worker, lease=self._lease)


def _units(items: list[InboxItem]) -> list[list[InboxItem]]:
    """Claimed items as units of work: an album's parts together, everything else alone."""
    units: list[list[InboxItem]] = []
    albums: dict[str, list[InboxItem]] = {}
    for item in items:
        if item.media_group is None:
            units.append([item])
        elif item.media_group in albums:
            albums[item.media_group].append(item)
        else:
            albums[item.media_group] = [item]
            units.append(albums[item.media_group])
    return units
