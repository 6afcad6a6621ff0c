"""Where a transaction runs: all of its statements in one call, not one hand-off per statement.

SQLAlchemy's asyncio API hands every statement (and every fetch, commit and reset) to the driver
separately; on aiosqlite each is a trip to its thread and back, and a one-statement transaction
cost 0.5-1.0 ms of CPU. Here a transaction is a plain function of a synchronous ``Connection``,
run whole:

- SQLite: through pysqlite connections of our own to the same file, on the event loop's thread
  (the transactions that wait at one turn of the loop committed together) or, for the slow
  ones, on a thread (see ``sqlite_work``). The async engine is left for tools that want one
  (``doctor``, tests).
- PostgreSQL: through the async engine's pool, in one greenlet (``AsyncConnection.run_sync``);
  its statements still await asyncpg, so connect and command timeouts are unchanged, and
  transactions that wait together are committed together too (``pg_groups``).

A transaction cancelled while it runs still completes (commits or rolls back as a whole); the
caller sees the cancellation. One cancelled while it waits does not run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event, exc
from sqlalchemy.ext.asyncio import AsyncEngine

from telegemini.storage.pg_groups import PostgresGroups
from telegemini.storage.sqlite_work import SqliteOnLoop, SqliteThread

T = TypeVar("T")

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


_sqlite: WeakKeyDictionary[Engine, SqliteThread] = WeakKeyDictionary()
_on_loop: WeakKeyDictionary[Engine, SqliteOnLoop] = WeakKeyDictionary()
_postgres: WeakKeyDictionary[Engine, PostgresGroups] = WeakKeyDictionary()
# The last engine served on a loop and its runner: most transactions find it here, without the
# weak dictionaries' lookups (each makes a weak reference to its key).
_latest: tuple[AsyncEngine, SqliteOnLoop] | None = None


async def run(
    engine: AsyncEngine, work: Callable[[Connection], T], *, alone: bool = False, slow: bool = False
) -> T:
    """Run ``work`` as one transaction (committed when it returns, rolled back if it raises).
    ``alone``: never grouped with others (migrations: DDL, locks and pragmas). ``slow``: it may
    read or write many rows (SQLite then runs it off the event loop)."""
    latest = _latest
    if (
        latest is not None
        and latest[0] is engine
        and latest[1].loop is asyncio.get_running_loop()
        and not (alone or slow)
    ):
        return await latest[1].run(work)
    if engine.dialect.name == "sqlite":
        thread = _sqlite.get(engine.sync_engine)
        if thread is None:
            thread = _sqlite[engine.sync_engine] = SqliteThread(engine.url)
        if alone or slow:
            return await thread.run(work, alone=alone)
        on_loop = _loop_runner(engine, thread)
        if on_loop is None:
            return await thread.run(work)
        return await on_loop.run(work)
    groups = _postgres.get(engine.sync_engine)
    if groups is None:
        groups = _postgres[engine.sync_engine] = PostgresGroups(engine)
    return await groups.run(work, alone=alone)


def _loop_runner(engine: AsyncEngine, thread: SqliteThread) -> SqliteOnLoop | None:
    """The engine's runner on this event loop; None when it serves another loop, which still
    runs (its connection belongs to that loop's thread: this loop's work goes to the thread)."""
    global _latest
    loop = asyncio.get_running_loop()
    runner = _on_loop.get(engine.sync_engine)
    if runner is not None and runner.loop is not loop:
        if not runner.loop.is_closed():
            return None
        runner.close()
        runner = None
    if runner is None:
        runner = _on_loop[engine.sync_engine] = SqliteOnLoop(engine.url, thread)
    _latest = (engine, runner)
    return runner


async def close(engine: AsyncEngine) -> None:
    """Close SQLite's connections and thread (if any), then the engine's pool."""
    global _latest
    if _latest is not None and _latest[0] is engine:
        _latest = None
    runner = _on_loop.pop(engine.sync_engine, None)
    if runner is not None:
        runner.close()
    thread = _sqlite.pop(engine.sync_engine, None)
    if thread is not None:
        await thread.close()
    groups = _postgres.pop(engine.sync_engine, None)
    if groups is not None:
        await groups.close()
    await engine.dispose()
