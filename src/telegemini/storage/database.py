"""Where a transaction runs: all of its statements in one call, not one hand-off per statement.

SQLAlchemy's asyncio API hands every statement (and every fetch, commit and reset) to the driver
separately; on aiosqlite each is a trip to its thread and back, and a one-statement transaction
cost 0.5-1.0 ms of CPU. Here a transaction is a plain function of a synchronous ``Connection``,
run whole:

- SQLite: on one thread of its own, with one pysqlite connection to the same file (SQLite has a
  single writer anyway); transactions that wait together are committed together (one hand-off
  and one commit per group, see ``_SqliteThread``). The async engine is left for tools that
  want one (``doctor``, tests).
- PostgreSQL: through the async engine's pool, in one greenlet (``AsyncConnection.run_sync``);
  its statements still await asyncpg, so connect and command timeouts are unchanged, and
  transactions that wait together are committed together too (``pg_groups``).

A transaction cancelled while it runs still completes (commits or rolls back as a whole); the
caller sees the cancellation. One cancelled while it waits does not run.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from telegemini.storage.jobs import Job, settle, take_group
from telegemini.storage.pg_groups import PostgresGroups

T = TypeVar("T")

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL, a relaxed fsync (safe in WAL) and a 30 s busy timeout on every SQLite connection."""
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


_STOP = object()


class _SqliteThread:
    """One pysqlite connection, used by one thread only, that commits transactions in groups.

    Under load many updates' transactions wait at once. The thread takes all of them (up to
    ``MOST``), runs each in a savepoint of one SQLite transaction and commits once, then hands
    every result back to the loop in one call: one commit and two thread wake-ups for the group
    instead of per transaction. Each caller still gets its own outcome (a failing transaction is
    rolled back to its savepoint, the others stand) and only after the commit. If the group
    itself fails (the commit, say), each transaction is run again on its own as before.
    """

    MOST = 16  # transactions per group: bounds the wait of the first one, and the burst of
    # callers that resume at once on the event loop

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = create_engine(
            engine.url.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": 30},
            poolclass=StaticPool,  # one connection, made on (and only ever used by) the thread
        )
        event.listen(self._engine, "connect", sqlite_pragmas)
        self._jobs: SimpleQueue[Job | object] = SimpleQueue()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="sqlite", daemon=True)
        self._thread.start()

    async def run(self, work: Callable[[Connection], T], *, alone: bool = False) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(Job(work, future, loop, alone))
        return await future

    def _serve(self) -> None:
        while not self._stopping:
            first = self._jobs.get()
            if first is _STOP:
                break
            assert isinstance(first, Job)
            group = take_group(first, self._next_waiting, self._jobs.put, self.MOST)
            if len(group) == 1:
                self._alone(first)
            else:
                self._together(group)
            self._deliver(group)
        self._engine.dispose()

    def _next_waiting(self) -> Job | None:
        try:
            job = self._jobs.get_nowait()
        except Empty:
            return None
        if job is _STOP:
            self._stopping = True  # after this group
            return None
        assert isinstance(job, Job)
        return job

    def _alone(self, job: Job) -> None:
        if job.future.done():  # cancelled while it waited (a benign read from this thread)
            return
        try:
            with self._engine.begin() as connection:
                job.succeeded(job.work(connection))
        except Exception as error:  # handed to the caller
            job.raised(error)

    def _together(self, group: list[Job]) -> None:
        try:
            with self._engine.begin() as connection:
                # Straight to the driver: SQLAlchemy's savepoints cost several times these.
                # pysqlite begins only before a write, and a savepoint that started the
                # transaction would commit it when released: hence the explicit BEGIN.
                raw = connection.connection.dbapi_connection
                assert raw is not None
                raw.execute("BEGIN")
                for job in group:
                    if job.future.done():  # cancelled while it waited
                        continue
                    raw.execute("SAVEPOINT job")
                    try:
                        job.succeeded(job.work(connection))
                    except Exception as error:
                        raw.execute("ROLLBACK TO job")
                        job.raised(error)
                    raw.execute("RELEASE job")
        except Exception:  # the group as a whole failed: each on its own, as if never grouped
            for job in group:
                self._alone(job)

    @staticmethod
    def _deliver(group: list[Job]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[Job]] = {}
        for job in group:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(settle, jobs)

    async def close(self) -> None:
        self._jobs.put(_STOP)
        await asyncio.to_thread(self._thread.join)


# A pooled PostgreSQL connection idle this long is pinged before use (see ``ping_when_idle``).
IDLE_BEFORE_PING = 1.0


def ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only when it has been idle a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout; on asyncpg a ping is three round
    trips (BEGIN, ``;``, ROLLBACK), as many as a one-statement transaction's own. A connection
    handed back a moment ago was alive a moment ago; one that sat in the pool (the database may
    have restarted, a proxy may have dropped it) is pinged, and when the ping fails the pool is
    emptied and a new connection made, as with pre-ping."""

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.InvalidatePoolError() from error  # every older connection goes too

    event.listen(engine.sync_engine, "checkin", checked_in)
    event.listen(engine.sync_engine, "checkout", checkout)


_sqlite: WeakKeyDictionary[Engine, _SqliteThread] = WeakKeyDictionary()
_postgres: WeakKeyDictionary[Engine, PostgresGroups] = WeakKeyDictionary()


async def run(engine: AsyncEngine, work: Callable[[Connection], T], *, alone: bool = False) -> T:
    """Run ``work`` as one transaction (committed when it returns, rolled back if it raises).
    ``alone``: never grouped with others (migrations: DDL, locks and pragmas)."""
    if engine.dialect.name == "sqlite":
        thread = _sqlite.get(engine.sync_engine)
        if thread is None:
            thread = _sqlite[engine.sync_engine] = _SqliteThread(engine)
        return await thread.run(work, alone=alone)
    groups = _postgres.get(engine.sync_engine)
    if groups is None:
        groups = _postgres[engine.sync_engine] = PostgresGroups(engine)
    return await groups.run(work, alone=alone)


async def close(engine: AsyncEngine) -> None:
    """Close SQLite's thread and connection (if any), then the engine's pool."""
    thread = _sqlite.pop(engine.sync_engine, None)
    if thread is not None:
        await thread.close()
    groups = _postgres.pop(engine.sync_engine, None)
    if groups is not None:
        await groups.close()
    await engine.dispose()
