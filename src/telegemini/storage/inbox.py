"""The durable inbox on SQL: at-least-once delivery, never twice, in order per conversation.

Only the oldest unfinished update of a conversation can be claimed, so no two workers (of any
instance) ever hold updates of one conversation at once. A claim is a lease: a worker that dies
without finishing leaves a row whose lease runs out, and it is taken again. On PostgreSQL the
candidates are locked with ``FOR UPDATE SKIP LOCKED`` so instances never wait on each other; on
SQLite the single writer serialises claims; the claim's ``UPDATE`` re-checks its condition either
way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from telegemini.core.models import ChatKey
from telegemini.storage.tables import NO_THREAD, inbox

PENDING, PROCESSING, DONE = "pending", "processing", "done"


@dataclass(frozen=True, slots=True)
class InboxItem:
    update_id: int
    payload: str
    attempts: int


def _now() -> datetime:
    return datetime.now(UTC)


class SqlInbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    async def put(self, update_id: int, key: ChatKey | None, payload: str) -> bool:
        """Store a new update; False when this update id is already known (a redelivery)."""
        row = {
            "update_id": update_id,
            "chat_id": key.chat_id if key else 0,
            "thread_id": key.thread_id if key and key.thread_id is not None else NO_THREAD,
            "payload": payload,
            "state": PENDING,
            "attempts": 0,
            "received_at": _now(),
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(inbox.insert().values(**row))
        except IntegrityError:
            return False
        return True

    async def claim(self, worker: str, *, lease: float, limit: int = 16) -> list[InboxItem]:
        """Take up to ``limit`` updates, each the oldest unfinished one of its conversation."""
        now = _now()
        head = inbox.alias("head")
        earliest = (
            select(func.min(inbox.c.update_id))
            .where(
                inbox.c.chat_id == head.c.chat_id,
                inbox.c.thread_id == head.c.thread_id,
                inbox.c.state.in_((PENDING, PROCESSING)),
            )
            .scalar_subquery()
        )
        free = or_(
            head.c.state == PENDING,
            and_(head.c.state == PROCESSING, head.c.claimed_until < now),
        )
        candidates = (
            select(head.c.update_id)
            .where(head.c.state.in_((PENDING, PROCESSING)), free, head.c.update_id == earliest)
            .order_by(head.c.update_id)
            .limit(limit)
        )
        if self._postgres:
            candidates = candidates.with_for_update(skip_locked=True, of=head)
        claimable = or_(
            inbox.c.state == PENDING,
            and_(inbox.c.state == PROCESSING, inbox.c.claimed_until < now),
        )
        async with self._engine.begin() as conn:
            ids = list((await conn.execute(candidates)).scalars())
            if not ids:
                return []
            rows = await conn.execute(
                update(inbox)
                .where(inbox.c.update_id.in_(ids), claimable)
                .values(
                    state=PROCESSING,
                    claimed_by=worker,
                    claimed_until=now + timedelta(seconds=lease),
                    attempts=inbox.c.attempts + 1,
                )
                .returning(inbox.c.update_id, inbox.c.payload, inbox.c.attempts)
            )
            items = [InboxItem(r.update_id, r.payload, r.attempts) for r in rows]
        return sorted(items, key=lambda item: item.update_id)

    async def extend(self, update_ids: list[int], worker: str, *, lease: float) -> None:
        """Keep the leases of updates still being worked on."""
        if not update_ids:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                update(inbox)
                .where(inbox.c.update_id.in_(update_ids), inbox.c.claimed_by == worker)
                .values(claimed_until=_now() + timedelta(seconds=lease))
            )

    async def finish(self, update_id: int, worker: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(inbox)
                .where(inbox.c.update_id == update_id, inbox.c.claimed_by == worker)
                .values(state=DONE, claimed_until=None)
            )

    async def release(self, update_ids: list[int], worker: str) -> None:
        """Hand unfinished updates back (at shutdown) for the next worker or start."""
        if not update_ids:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                update(inbox)
                .where(
                    inbox.c.update_id.in_(update_ids),
                    inbox.c.claimed_by == worker,
                    inbox.c.state == PROCESSING,
                )
                .values(state=PENDING, claimed_by=None, claimed_until=None)
            )

    async def recover_all(self) -> int:
        """At the start of the only instance (SQLite): every claim is from a previous life."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(inbox)
                .where(inbox.c.state == PROCESSING)
                .values(state=PENDING, claimed_by=None, claimed_until=None)
            )
            return int(result.rowcount or 0)

    async def depth(self) -> tuple[int, float | None]:
        """Unfinished updates, and the age in seconds of the oldest."""
        async with self._engine.connect() as conn:
            count, oldest = (
                await conn.execute(
                    select(func.count(), func.min(inbox.c.received_at)).where(
                        inbox.c.state.in_((PENDING, PROCESSING))
                    )
                )
            ).one()
        if oldest is None:
            return int(count), None
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), (_now() - oldest).total_seconds()

    async def prune(self, before: datetime) -> int:
        """Forget finished updates received before ``before`` (Telegram redelivers for 24 h)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(inbox).where(inbox.c.state == DONE, inbox.c.received_at < before)
            )
            return int(result.rowcount or 0)
