"""The durable inbox on SQL: at-least-once delivery, never twice, in order per conversation.

Only the oldest unfinished update of a conversation can be claimed, so no two workers (of any
instance) ever hold updates of one conversation at once. A claim is a lease: a worker that dies
without finishing leaves a row whose lease runs out, and it is taken again. On PostgreSQL the
candidates are locked with ``FOR UPDATE SKIP LOCKED`` so instances never wait on each other; on
SQLite the single writer serialises claims; the claim's ``UPDATE`` re-checks its condition either
way.

An album arrives as one update per picture, all with one ``media_group``. Its parts are one unit
of work: its first part, as the oldest of the conversation, is claimed only once no part has come
for ``settle`` seconds, and then every part is claimed with it, by one worker, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Update,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import ReturningInsert

from telegemini.core.models import ChatKey
from telegemini.storage import database, driver
from telegemini.storage.tables import NO_THREAD, inbox
from telegemini.storage.times import utc_now

PENDING, PROCESSING, DONE = "pending", "processing", "done"
# Seconds an album must have been quiet (no new part) before it is claimed: Telegram sends the
# parts of one album within a fraction of a second.
ALBUM_SETTLE = 1.0


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """An update to store: its id, conversation, album (if any) and the JSON as received."""

    update_id: int
    key: ChatKey | None
    payload: str
    media_group: str | None = None


@dataclass(frozen=True, slots=True)
class InboxItem:
    update_id: int
    payload: str
    attempts: int
    media_group: str | None = None


@dataclass(frozen=True, slots=True)
class _Statements:
    """The hot statements, built once with their parameters bound at execution: no statement
    is put together per call, and each one's compiled form (and on PostgreSQL its prepared
    statement) is found by a cache key computed once."""

    put: ReturningInsert[int]
    candidates: Select[Any]
    album: Select[int]
    claim: Update
    claim_one: Update  # the same for one update: the driver runs it (no expanding list)
    finish: Update
    finish_one: Update  # the same for one update (the common case), with no expanding list


@cache
def _statements(postgres: bool) -> _Statements:
    head, part = inbox.alias("head"), inbox.alias("part")

    def unfinished(state: Any) -> Any:
        """Pending or processing. On SQLite as two equalities, which SQLite's planner reads as
        the same ``IN``: SQLAlchemy binds an ``IN`` list at execution, which the driver path
        (``storage/driver.py``) does not."""
        if postgres:
            return state.in_((PENDING, PROCESSING))
        return or_(state == PENDING, state == PROCESSING)

    now = bindparam("now", type_=inbox.c.received_at.type)
    earliest = (
        select(func.min(inbox.c.update_id))
        .where(
            inbox.c.chat_id == head.c.chat_id,
            inbox.c.thread_id == head.c.thread_id,
            unfinished(inbox.c.state),
        )
        .scalar_subquery()
    )
    free = or_(
        head.c.state == PENDING,
        and_(head.c.state == PROCESSING, head.c.claimed_until < now),
    )
    settled = or_(
        head.c.media_group.is_(None),
        ~exists().where(
            part.c.chat_id == head.c.chat_id,
            part.c.thread_id == head.c.thread_id,
            part.c.media_group == head.c.media_group,
            part.c.received_at > bindparam("quiet_since", type_=inbox.c.received_at.type),
        ),
    )
    candidates = (
        select(head.c.update_id, head.c.chat_id, head.c.thread_id, head.c.media_group)
        .where(unfinished(head.c.state), free, head.c.update_id == earliest, settled)
        .order_by(head.c.update_id)
        .limit(bindparam("limit", type_=Integer))
    )
    if postgres:
        candidates = candidates.with_for_update(skip_locked=True, of=head)
    album = select(inbox.c.update_id).where(
        inbox.c.chat_id == bindparam("chat"),
        inbox.c.thread_id == bindparam("thread"),
        inbox.c.media_group == bindparam("group"),
        inbox.c.update_id > bindparam("after"),
        unfinished(inbox.c.state),
    )
    ids = inbox.c.update_id.in_(bindparam("ids", expanding=True))
    mine = inbox.c.claimed_by == bindparam("worker")
    claimable = or_(
        inbox.c.state == PENDING, and_(inbox.c.state == PROCESSING, inbox.c.claimed_until < now)
    )
    one = inbox.c.update_id == bindparam("id", type_=inbox.c.update_id.type)

    def claiming(which: Any) -> Update:
        return (
            update(inbox)
            .where(which, claimable)
            .values(
                state=PROCESSING,
                claimed_by=bindparam("worker"),
                claimed_until=bindparam("until", type_=inbox.c.claimed_until.type),
                attempts=inbox.c.attempts + 1,
            )
            .returning(inbox.c.update_id, inbox.c.payload, inbox.c.attempts, inbox.c.media_group)
        )

    put = (
        (postgresql if postgres else sqlite)
        .insert(inbox)
        .on_conflict_do_nothing(index_elements=[inbox.c.update_id])
        .returning(inbox.c.update_id)
    )
    finish = update(inbox).where(ids, mine).values(state=DONE, claimed_until=None)
    finish_one = update(inbox).where(one, mine).values(state=DONE, claimed_until=None)
    return _Statements(put, candidates, album, claiming(ids), claiming(one), finish, finish_one)


class SqlInbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._sql = _statements(self._postgres)

    async def put(
        self, update_id: int, key: ChatKey | None, payload: str, media_group: str | None = None
    ) -> bool:
        """Store a new update; False when this update id is already known (a redelivery)."""
        stored = await self.put_many([InboxEntry(update_id, key, payload, media_group)])
        return update_id in stored

    async def put_many(self, entries: Sequence[InboxEntry]) -> set[int]:
        """Store updates in one transaction, all or none; returns the ids that were new (the
        others were stored before: redeliveries)."""
        if not entries:
            return set()
        now = utc_now()
        rows: list[dict[str, Any]] = [
            {
                "update_id": e.update_id,
                "chat_id": e.key.chat_id if e.key else 0,
                "thread_id": e.key.thread_id
                if e.key and e.key.thread_id is not None
                else NO_THREAD,
                "payload": e.payload,
                "media_group": e.media_group,
                "state": PENDING,
                "attempts": 0,
                "received_at": now,
            }
            for e in entries
        ]
        statement = self._sql.put

        def put(conn: Connection) -> set[int]:
            if len(rows) == 1 or driver.direct(conn):  # on SQLite, row by row is cheapest
                return {new for row in rows for (new,) in driver.execute(conn, statement, row)}
            return set(conn.execute(statement, rows).scalars())

        return await database.run(self._engine, put)

    async def claim(
        self, worker: str, *, lease: float, limit: int = 16, settle: float = ALBUM_SETTLE
    ) -> list[InboxItem]:
        """Take up to ``limit`` units of work, each the oldest unfinished update of its
        conversation; an album's head brings all of its parts."""
        now = utc_now()
        sql = self._sql
        found = {"now": now, "quiet_since": now - timedelta(seconds=settle), "limit": limit}

        def claim(conn: Connection) -> list[InboxItem]:
            heads = driver.execute(conn, sql.candidates, found)
            if not heads:
                return []
            ids = [update_id for update_id, *_ in heads]
            for update_id, chat_id, thread_id, media_group in heads:
                if media_group is not None:
                    part = {
                        "chat": chat_id,
                        "thread": thread_id,
                        "group": media_group,
                        "after": update_id,
                    }
                    ids += [found for (found,) in driver.execute(conn, sql.album, part)]
            taking = {"now": now, "worker": worker, "until": now + timedelta(seconds=lease)}
            if driver.direct(conn):  # the driver binds no list: one statement per update
                rows = [
                    row
                    for update_id in ids
                    for row in driver.execute(conn, sql.claim_one, {**taking, "id": update_id})
                ]
            else:
                rows = driver.execute(conn, sql.claim, {**taking, "ids": ids})
            return [InboxItem(*row) for row in rows]

        items = await database.run(self._engine, claim)
        return sorted(items, key=lambda item: item.update_id)

    async def extend(self, update_ids: list[int], worker: str, *, lease: float) -> None:
        """Keep the leases of updates still being worked on."""
        if not update_ids:
            return
        statement = (
            update(inbox)
            .where(inbox.c.update_id.in_(update_ids), inbox.c.claimed_by == worker)
            .values(claimed_until=utc_now() + timedelta(seconds=lease))
        )
        await database.run(self._engine, lambda conn: conn.execute(statement))

    async def finish(self, update_ids: Sequence[int], worker: str) -> None:
        """Mark a unit of work (an update, or an album's updates) done."""
        if len(update_ids) == 1:
            one, mine = self._sql.finish_one, {"id": update_ids[0], "worker": worker}
            await database.run(self._engine, lambda conn: driver.execute(conn, one, mine))
            return
        statement, done = self._sql.finish, {"ids": list(update_ids), "worker": worker}
        await database.run(self._engine, lambda conn: conn.execute(statement, done))

    async def release(self, update_ids: list[int], worker: str) -> None:
        """Hand unfinished updates back (at shutdown) for the next worker or start."""
        if not update_ids:
            return
        statement = (
            update(inbox)
            .where(
                inbox.c.update_id.in_(update_ids),
                inbox.c.claimed_by == worker,
                inbox.c.state == PROCESSING,
            )
            .values(state=PENDING, claimed_by=None, claimed_until=None)
        )
        await database.run(self._engine, lambda conn: conn.execute(statement))

    async def recover_all(self) -> int:
        """At the start of the only instance (SQLite): every claim is from a previous life."""
        statement = (
            update(inbox)
            .where(inbox.c.state == PROCESSING)
            .values(state=PENDING, claimed_by=None, claimed_until=None)
        )
        return await database.run(self._engine, lambda conn: _rowcount(conn.execute(statement)))

    async def depth(self) -> tuple[int, float | None]:
        """Unfinished updates, and the age in seconds of the oldest."""
        statement = select(func.count(), func.min(inbox.c.received_at)).where(
            inbox.c.state.in_((PENDING, PROCESSING))
        )
        count, oldest = await database.run(self._engine, lambda conn: conn.execute(statement).one())
        if oldest is None:
            return int(count), None
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), (utc_now() - oldest).total_seconds()

    async def prune(self, before: datetime) -> int:
        """Forget finished updates received before ``before`` (Telegram redelivers for 24 h)."""
        statement = delete(inbox).where(inbox.c.state == DONE, inbox.c.received_at < before)
        return await database.run(
            self._engine, lambda conn: _rowcount(conn.execute(statement)), slow=True
        )


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)
