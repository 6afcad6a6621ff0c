"""Where SQLite transactions run: on the event loop's thread, grouped per turn of the loop, or
on a thread of their own when they may take long or must wait for the database.

SQLite answers a bot's small transactions (a claim, a quota, a conversation's head) in tens of
microseconds. Handed to a thread, each one cost far more than that: a wake-up of the thread, and
the GIL taken back and forth for every statement (the driver lets go of it around each call,
and gets it back only when the busy event loop next yields it). Under load that made each
transaction wait 10-25 ms, several times per update. So:

- ``SqliteOnLoop`` runs the transactions that wait at a turn of the loop together, right on the
  loop's thread: one transaction with a savepoint per caller, one commit, at most ``MOST`` per
  turn (each a few statements on indexed rows, so the loop is held well under a millisecond
  per transaction). It never waits for a lock: when another connection is writing (a long job
  on the thread, another process), the group goes to the thread, which waits for its turn.
  It checkpoints nothing itself (a checkpoint writes and syncs the database file); the thread
  does that every ``CHECKPOINT_EVERY`` commits, while the loop's transactions go to it.
- ``SqliteThread`` runs what may take long (migrations, pruning, whole-table reads) and what
  the loop handed over, grouped the same way, with a 30 s busy timeout.

Each caller gets its own outcome either way: a failing transaction is rolled back to its
savepoint and the others stand; if the group fails as a whole, each runs again on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from telegemini.storage.jobs import Job, settle, take_group

T = TypeVar("T")
log = logging.getLogger(__name__)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
)
# The loop's connection: never waits for a lock, never checkpoints (the thread does).
LOOP_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=0",
    "PRAGMA wal_autocheckpoint=0",
)
# Copies the log into the database file and starts the log over. It holds the write lock while
# it runs: the loop's transactions meanwhile go to the thread, behind it.
CHECKPOINT = "PRAGMA wal_checkpoint(RESTART)"


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL, a relaxed fsync (safe in WAL) and a 30 s busy timeout on every SQLite connection."""
    _pragmas(dbapi_connection, SQLITE_PRAGMAS)


def _loop_pragmas(dbapi_connection: Any, _record: Any) -> None:
    _pragmas(dbapi_connection, LOOP_PRAGMAS)


def _pragmas(dbapi_connection: Any, pragmas: tuple[str, ...]) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(pragma)
    cursor.close()


def _one_connection(url: URL, pragmas: Callable[[Any, Any], None], timeout: float) -> Any:
    """An engine of one pysqlite connection (made by, and only ever used on, one thread)."""
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": timeout},
        poolclass=StaticPool,
    )
    event.listen(engine, "connect", pragmas)
    return engine


def _begin(connection: Connection, begin: str) -> Any:
    """Begin on the driver itself; its connection.

    Two connections write (the loop's and the thread's): a transaction that read first and then
    wanted to write would be refused outright had the other written meanwhile (SQLite's busy
    snapshot), so every transaction takes the write lock as it begins (``BEGIN IMMEDIATE``).
    And pysqlite begins only before a write: a savepoint that started the transaction would
    commit it when released."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute(begin)
    return raw


def _run_group(connection: Connection, group: list[Job], begin: str) -> None:
    """Each job in a savepoint of one transaction; a job that fails is undone alone, unless the
    database was busy (then the whole group fails, to be run elsewhere)."""
    raw = _begin(connection, begin)  # straight to the driver: SQLAlchemy's savepoints cost more
    for job in group:
        raw.execute("SAVEPOINT job")
        try:
            job.succeeded(job.work(connection))
        except Exception as error:
            if _busy(error):
                raise
            raw.execute("ROLLBACK TO job")
            job.raised(error)
        raw.execute("RELEASE job")


def _busy(error: BaseException) -> bool:
    """SQLite refused because another connection holds a lock."""
    original = getattr(error, "orig", error)
    code = getattr(original, "sqlite_errorcode", None)  # an extended code: its low byte is the kind
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


_STOP = object()


class SqliteThread:
    """One pysqlite connection on a thread of its own, committing waiting transactions in
    groups of up to ``MOST`` (one commit and two thread wake-ups for the group)."""

    MOST = 16

    def __init__(self, url: URL) -> None:
        self.engine = _one_connection(url, sqlite_pragmas, 30)
        self._jobs: SimpleQueue[Job | object] = SimpleQueue()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="sqlite", daemon=True)
        self._thread.start()

    async def run(self, work: Callable[[Connection], T], *, alone: bool = False) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(Job(work, future, loop, alone))
        return await future

    def hand_over(self, job: Job) -> None:
        """Run a job whose caller waits already (one the loop could not run)."""
        self._jobs.put(job)

    def checkpoint(self, then: Callable[[], None]) -> None:
        """Copy the write-ahead log into the database file and start it over; ``then`` is
        called on the loop once that is done (or failed)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        done.add_done_callback(_log_failed_checkpoint)
        done.add_done_callback(lambda _: then())
        self._jobs.put(
            Job(lambda conn: conn.exec_driver_sql(CHECKPOINT).all(), done, loop, alone=True)
        )

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
            _deliver(group)
        self.engine.dispose()

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
            with self.engine.begin() as connection:
                if not job.alone:  # (a migration manages its own transactions)
                    _begin(connection, "BEGIN IMMEDIATE")
                job.succeeded(job.work(connection))
        except Exception as error:  # handed to the caller
            job.raised(error)

    def _together(self, group: list[Job]) -> None:
        waiting = [job for job in group if not job.future.done()]  # not cancelled meanwhile
        try:
            with self.engine.begin() as connection:
                _run_group(connection, waiting, "BEGIN IMMEDIATE")
        except Exception:  # the group as a whole failed: each on its own, as if never grouped
            for job in waiting:
                self._alone(job)

    async def close(self) -> None:
        self._jobs.put(_STOP)
        await asyncio.to_thread(self._thread.join)


def _log_failed_checkpoint(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:  # the next one will try again
        log.warning("checkpointing the SQLite log failed: %s", done.exception())


def _deliver(group: list[Job]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[Job]] = {}
    for job in group:
        by_loop.setdefault(job.loop, []).append(job)
    for loop, jobs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, jobs)


class SqliteOnLoop:
    """Transactions run on the event loop's thread: those that wait at one turn of the loop go
    together, in one transaction, at the end of that turn."""

    MOST = 16  # transactions per turn of the loop
    CHECKPOINT_EVERY = 200  # commits between two checkpoints (each a few pages of log)

    def __init__(self, url: URL, thread: SqliteThread) -> None:
        self.engine = _one_connection(url, _loop_pragmas, 0)
        self.loop = asyncio.get_running_loop()
        self._thread = thread
        self._waiting: deque[Job] = deque()
        self._scheduled = False
        self._commits = 0
        self._checkpointing = False

    async def run(self, work: Callable[[Connection], T]) -> T:
        future: asyncio.Future[T] = self.loop.create_future()
        self._waiting.append(Job(work, future, self.loop, False))
        if not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._serve)
        return await future

    def _serve(self) -> None:
        group: list[Job] = []
        while self._waiting and len(group) < self.MOST:
            job = self._waiting.popleft()
            if not job.future.done():  # not cancelled while it waited
                group.append(job)
        self._scheduled = bool(self._waiting)
        if self._scheduled:  # the rest at the next turn: other callbacks run in between
            self.loop.call_soon(self._serve)
        if not group:
            return
        if self._checkpointing:  # the thread has the database for a moment: queue behind it
            self._hand_over(group)
            return
        try:
            with self.engine.begin() as connection:
                _run_group(connection, group, "BEGIN IMMEDIATE")  # refused at once if busy
        except Exception:  # busy (another connection writes), or the commit failed
            self._hand_over(group)
            return
        settle(group)
        self._commits += 1
        if self._commits % self.CHECKPOINT_EVERY == 0:
            # Under steady load the loop would take the lock back before the checkpoint (which
            # polls for it) ever got it: the loop stands aside until it is done.
            self._checkpointing = True
            self._thread.checkpoint(then=self._checkpointed)

    def _hand_over(self, group: list[Job]) -> None:
        for job in group:
            job.decided = False
            self._thread.hand_over(job)  # it waits for the lock, or fails each alone

    def _checkpointed(self) -> None:
        self._checkpointing = False

    def close(self) -> None:
        with contextlib.suppress(sqlite3.ProgrammingError):  # made on another thread
            self.engine.dispose()
