"""PostgreSQL transactions that wait together, committed together.

Through SQLAlchemy's asyncio API a one-statement transaction cost ~0.5 ms of the bot's CPU
(checkout, BEGIN, the statement, COMMIT, checkin, each a trip through the greenlet bridge), about
twice asyncpg's own. Under load many updates' transactions wait at once, so a few workers each
take what is waiting (up to ``MOST``) and run it as one transaction on one connection, each
caller's work in a savepoint: a work that fails is rolled back to its savepoint and its caller
gets the error, the others stand; everyone hears only after the commit. Moving from one work to
the next (release the savepoint, take a new one) is one round trip, sent straight to asyncpg.
A group that fails as a whole (the commit, a lost connection, a deadlock) is run again one
transaction at a time, as if it had never been grouped. A lone waiting transaction runs as it
always did.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from telegemini.storage.jobs import Job, settle, take_group

T = TypeVar("T")

MOST = 32  # transactions per group: bounds the wait of the first one
WORKERS = 4  # groups under way at once (each holds one pooled connection)


class PostgresGroups:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []

    async def run(self, work: Callable[[Connection], T], *, alone: bool = False) -> T:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first use, or an engine used from a new loop (tests)
            self._start(loop)
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put_nowait(Job(work, future, loop, alone))
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue = asyncio.Queue()
        self._workers = [
            loop.create_task(self._serve(), name=f"postgres-group-{n}") for n in range(WORKERS)
        ]

    async def close(self) -> None:
        workers, self._workers, self._loop = self._workers, [], None
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await worker

    async def _serve(self) -> None:
        queue = self._queue

        def waiting() -> Job | None:
            return None if queue.empty() else queue.get_nowait()

        while True:
            first = await queue.get()
            group = take_group(first, waiting, queue.put_nowait, MOST)
            try:
                if len(group) == 1:
                    await self._alone(first)
                else:
                    await self._together(group)
            finally:
                settle(group)  # even when this worker is being cancelled (shutdown)

    async def _alone(self, job: Job) -> None:
        if job.future.done():  # cancelled while it waited
            return
        try:
            async with self._engine.begin() as connection:
                job.succeeded(await connection.run_sync(job.work))
        except Exception as error:  # handed to the caller
            job.raised(error)

    async def _together(self, group: list[Job]) -> None:
        while group:
            try:
                async with self._engine.begin() as connection:
                    await connection.run_sync(_run_group, group)
                return
            except _FirstFailed as failed:  # that one has its answer; the rest go again
                group = group[group.index(failed.job) + 1 :]
            except Exception:  # the group as a whole failed: each on its own, as if never grouped
                for job in group:
                    await self._alone(job)
                return


class _FirstFailed(Exception):
    def __init__(self, job: Job) -> None:
        self.job = job


def _run_group(connection: Connection, group: list[Job]) -> None:
    """The group's works in one transaction, each after a savepoint of its own.

    The first work opens the transaction (SQLAlchemy's asyncpg adapter begins lazily, with the
    first statement), so it has no savepoint: when it fails, the transaction holds nothing else
    and is rolled back, and the others go on in a new group."""
    raw: Any = connection.connection.dbapi_connection
    first = True
    marked = False  # a savepoint named "job" exists
    for job in group:
        if job.future.done():  # cancelled while it waited
            continue
        if not first:
            step = _NEXT if marked else "SAVEPOINT job"
            raw.run_async(lambda c, step=step: c.execute(step))
            marked = True
        try:
            job.succeeded(job.work(connection))
        except Exception as error:
            job.raised(error)
            if first:
                raise _FirstFailed(job) from error
            raw.run_async(lambda c: c.execute("ROLLBACK TO SAVEPOINT job"))
        first = False


_NEXT = "RELEASE SAVEPOINT job; SAVEPOINT job"  # one round trip between two works
