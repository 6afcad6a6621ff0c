"""Video jobs in the database (``SqlVideoJobs``) or in memory (``MemoryVideoJobs``, unit tests):
each running job leased to the instance polling it, and moved on by exactly one caller."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from telegemini.core.clips import VideoJob, VideoState
from telegemini.core.models import ChatRef, ChatType
from telegemini.storage import database
from telegemini.storage.tables import NO_THREAD, video_jobs
from telegemini.storage.times import epoch, utc_now


def _row(job: VideoJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "chat_id": job.chat.id,
        "thread_id": job.thread_id if job.thread_id is not None else NO_THREAD,
        "chat_type": job.chat.type.value,
        "user_id": job.user_id,
        "language": job.language,
        "prompt": job.prompt,
        "aspect_ratio": job.aspect_ratio,
        "duration": job.seconds,
        "reference_ids": "\n".join(job.reference_ids),
        "interaction_id": job.interaction_id,
        "state": job.state.value,
        "status_message_id": job.status_message_id,
        "day": job.day,
        "charged": job.charged,
        "created_at": datetime.fromtimestamp(job.created_at, UTC),
    }


def _job(row: Any) -> VideoJob:
    return VideoJob(
        id=row.id,
        chat=ChatRef(row.chat_id, ChatType(row.chat_type)),
        thread_id=row.thread_id if row.thread_id != NO_THREAD else None,
        user_id=row.user_id,
        language=row.language,
        prompt=row.prompt,
        aspect_ratio=row.aspect_ratio,
        seconds=row.duration,
        reference_ids=tuple(r for r in row.reference_ids.split("\n") if r),
        interaction_id=row.interaction_id,
        state=VideoState(row.state),
        status_message_id=row.status_message_id,
        day=row.day,
        charged=row.charged,
        created_at=epoch(row.created_at),
    )


class SqlVideoJobs:
    """``VideoJobs`` on the bot's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, job: VideoJob, *, owner: str, lease: float) -> None:
        row = {**_row(job), "owner": owner, "lease_until": utc_now() + timedelta(seconds=lease)}
        await database.run(self._engine, lambda c: c.execute(video_jobs.insert().values(row)))

    async def update(self, job: VideoJob) -> None:
        values = {"interaction_id": job.interaction_id, "status_message_id": job.status_message_id}
        statement = update(video_jobs).where(video_jobs.c.id == job.id).values(values)
        await database.run(self._engine, lambda c: c.execute(statement))

    async def running_for(self, user_id: int) -> VideoJob | None:
        query = (
            select(video_jobs)
            .where(video_jobs.c.user_id == user_id, video_jobs.c.state == VideoState.RUNNING)
            .limit(1)
        )
        row = await database.run(self._engine, lambda c: c.execute(query).first())
        return _job(row) if row is not None else None

    async def renew(self, job_id: str, *, owner: str, lease: float) -> bool:
        statement = (
            update(video_jobs)
            .where(
                video_jobs.c.id == job_id,
                video_jobs.c.owner == owner,
                video_jobs.c.state == VideoState.RUNNING,
            )
            .values(lease_until=utc_now() + timedelta(seconds=lease))
        )
        return await self._changed(statement)

    async def take_orphans(
        self, *, owner: str, lease: float, everyone: bool = False
    ) -> list[VideoJob]:
        now = utc_now()

        def take(connection: Connection) -> list[VideoJob]:
            running = video_jobs.c.state == VideoState.RUNNING
            free = or_(video_jobs.c.lease_until.is_(None), video_jobs.c.lease_until < now)
            candidates = connection.execute(
                select(video_jobs).where(running if everyone else and_(running, free))
            ).all()
            taken = []
            for row in candidates:
                claim = (
                    update(video_jobs)
                    .where(
                        video_jobs.c.id == row.id,
                        running,
                        video_jobs.c.owner.is_(row.owner)
                        if row.owner is None
                        else video_jobs.c.owner == row.owner,
                    )
                    .values(owner=owner, lease_until=now + timedelta(seconds=lease))
                )
                if connection.execute(claim).rowcount == 1:
                    taken.append(_job(row))
            return taken

        return await database.run(self._engine, take)

    async def finish(self, job_id: str, state: VideoState, *, owner: str) -> bool:
        current = VideoState.SENDING if state is VideoState.DELIVERED else VideoState.RUNNING
        allowed: ColumnElement[bool]
        if state is VideoState.FAILED:
            allowed = video_jobs.c.state.in_([VideoState.RUNNING, VideoState.SENDING])
        else:
            allowed = video_jobs.c.state == current
        statement = (
            update(video_jobs)
            .where(video_jobs.c.id == job_id, allowed)
            .values(state=state.value, finished_at=utc_now(), owner=owner)
        )
        return await self._changed(statement)

    async def release(self, owner: str) -> None:
        statement = (
            update(video_jobs)
            .where(video_jobs.c.owner == owner, video_jobs.c.state == VideoState.RUNNING)
            .values(lease_until=None)
        )
        await database.run(self._engine, lambda c: c.execute(statement))

    async def _changed(self, statement: Any) -> bool:
        return bool(await database.run(self._engine, lambda c: c.execute(statement).rowcount == 1))


class MemoryVideoJobs:
    """The same contract in process memory (unit tests, one process)."""

    def __init__(self) -> None:
        self.jobs: dict[str, VideoJob] = {}
        self.owners: dict[str, str] = {}
        self.leases: dict[str, float] = {}

    async def add(self, job: VideoJob, *, owner: str, lease: float) -> None:
        self.jobs[job.id] = job
        self.owners[job.id] = owner
        self.leases[job.id] = utc_now().timestamp() + lease

    async def update(self, job: VideoJob) -> None:
        self.jobs[job.id] = replace(
            self.jobs[job.id],
            interaction_id=job.interaction_id,
            status_message_id=job.status_message_id,
        )

    async def running_for(self, user_id: int) -> VideoJob | None:
        return next(
            (
                j
                for j in self.jobs.values()
                if j.user_id == user_id and j.state is VideoState.RUNNING
            ),
            None,
        )

    async def renew(self, job_id: str, *, owner: str, lease: float) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.state is not VideoState.RUNNING or self.owners[job_id] != owner:
            return False
        self.leases[job_id] = utc_now().timestamp() + lease
        return True

    async def take_orphans(
        self, *, owner: str, lease: float, everyone: bool = False
    ) -> list[VideoJob]:
        now = utc_now().timestamp()
        taken = [
            j
            for j in self.jobs.values()
            if j.state is VideoState.RUNNING and (everyone or self.leases[j.id] < now)
        ]
        for job in taken:
            self.owners[job.id] = owner
            self.leases[job.id] = now + lease
        return taken

    async def finish(self, job_id: str, state: VideoState, *, owner: str) -> bool:
        job = self.jobs.get(job_id)
        if job is None:
            return False
        if state is VideoState.FAILED:
            allowed = job.state in (VideoState.RUNNING, VideoState.SENDING)
        elif state is VideoState.DELIVERED:
            allowed = job.state is VideoState.SENDING
        else:
            allowed = job.state is VideoState.RUNNING
        if allowed:
            self.jobs[job_id] = replace(job, state=state)
        return allowed

    async def release(self, owner: str) -> None:
        for job_id, holder in self.owners.items():
            if holder == owner:
                self.leases[job_id] = 0.0
