"""A transaction waiting its turn: the work, who waits for it, and how it ended."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection


class Job:
    __slots__ = ("alone", "decided", "failed", "future", "loop", "outcome", "work")

    def __init__(
        self,
        work: Callable[[Connection], Any],
        future: asyncio.Future[Any],
        loop: asyncio.AbstractEventLoop,
        alone: bool,
    ) -> None:
        self.work = work
        self.future = future
        self.loop = loop
        self.alone = alone  # never in a group (migrations: DDL, locks, pragmas)
        self.outcome: Any = None
        self.failed = False
        self.decided = False

    def succeeded(self, outcome: Any) -> None:
        self.outcome, self.failed, self.decided = outcome, False, True

    def raised(self, error: BaseException) -> None:
        self.outcome, self.failed, self.decided = error, True, True


def settle(jobs: list[Job]) -> None:
    """Hand each job's outcome to its caller (on the caller's loop), unless it gave up; a job
    left undecided (its worker stopped at shutdown) is cancelled."""
    for job in jobs:
        if job.future.done():
            continue
        if not job.decided:
            job.future.cancel()
        elif job.failed:
            job.future.set_exception(job.outcome)
        else:
            job.future.set_result(job.outcome)


def take_group(
    first: Job,
    next_waiting: Callable[[], Job | None],
    put_back: Callable[[Job], None],
    most: int,
) -> list[Job]:
    """``first`` and the jobs waiting behind it, up to ``most`` in all. A job that must run
    ``alone`` is never in a group: met behind others, it goes back to wait its own turn."""
    group = [first]
    while not first.alone and len(group) < most:
        job = next_waiting()
        if job is None:
            break
        if job.alone:
            put_back(job)
            break
        group.append(job)
    return group
