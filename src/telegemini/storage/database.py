"""Where a transaction runs: all of its statements in one call, not one hand-off per statement.

SQLAlchemy's asyncio API hands every statement (and every fetch, commit and reset) to the driver
separately; on aiosqlite each is a trip to its thread and back, and a one-statement transaction
cost 0.5-1.0 ms of CPU. Here a transaction is a plain function of a synchronous ``Connection``,
run whole:

- SQLite: on one thread of its own, with one pysqlite connection to the same file (SQLite has a
  single writer anyway): one hand-off per transaction, which then runs back to back with the
  others. The async engine is left for tools that want one (``doctor``, tests).
- PostgreSQL: through the async engine's pool, in one greenlet (``AsyncConnection.run_sync``);
  its statements still await asyncpg, so pre-ping, connect and command timeouts and
  cancellation are unchanged.

A transaction cancelled while it runs on SQLite's thread still completes (commits or rolls back
as a whole); the caller sees the cancellation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

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


class _SqliteThread:
    """One pysqlite connection, used by one thread only."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = create_engine(
            engine.url.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": 30},
            poolclass=StaticPool,  # one connection, made on (and only ever used by) the thread
        )
        event.listen(self._engine, "connect", sqlite_pragmas)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    async def run(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, work)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown(wait=True)


_sqlite: WeakKeyDictionary[Engine, _SqliteThread] = WeakKeyDictionary()


async def run(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` as one transaction (committed when it returns, rolled back if it raises)."""
    if engine.dialect.name == "sqlite":
        thread = _sqlite.get(engine.sync_engine)
        if thread is None:
            thread = _sqlite[engine.sync_engine] = _SqliteThread(engine)
        return await thread.run(work)
    async with engine.begin() as connection:
        return await connection.run_sync(work)


async def close(engine: AsyncEngine) -> None:
    """Close SQLite's thread and connection (if any), then the engine's pool."""
    thread = _sqlite.pop(engine.sync_engine, None)
    if thread is not None:
        await thread.close()
    await engine.dispose()
