"""Transactions that wait together are committed together (SQLite and PostgreSQL), and each keeps
its own outcome: one that fails is undone alone, the others stand."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import IntegrityError

from telegemini.storage import database
from telegemini.storage.jobs import Job, take_group
from telegemini.storage.sql import make_engine
from tests.helpers.databases import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path):
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        else:
            url = await stack.enter_async_context(postgres_database())
        engine = make_engine(url)
        await database.run(
            engine,
            lambda conn: conn.exec_driver_sql(
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"
            ),
            alone=True,
        )
        yield engine
        await database.close(engine)


def add(note_id: int, body: str = "ok"):
    def work(conn: Connection) -> int:
        conn.execute(
            text("INSERT INTO notes (id, body) VALUES (:id, :body)"), {"id": note_id, "body": body}
        )
        return note_id

    return work


def add_then_fail(note_id: int):
    def work(conn: Connection) -> int:
        add(note_id, "half done")(conn)
        raise ValueError("changed my mind")

    return work


async def bodies(engine) -> dict[int, str]:
    rows = await database.run(
        engine, lambda conn: conn.execute(text("SELECT id, body FROM notes")).all()
    )
    return {int(i): str(b) for i, b in rows}


def commits(engine) -> list[int]:
    """Count the commits from now on (SQLite: of its thread's own engine)."""
    seen: list[int] = []
    thread = database._sqlite.get(engine.sync_engine)
    target = thread._engine if thread is not None else engine.sync_engine
    event.listen(target, "commit", lambda _conn: seen.append(1))
    return seen


async def test_waiting_transactions_share_one_commit_and_each_gets_its_own_result(engine):
    await bodies(engine)  # the thread and its connection exist
    seen = commits(engine)
    results = await asyncio.gather(*(database.run(engine, add(i)) for i in range(200)))
    assert results == list(range(200))
    assert len(await bodies(engine)) == 200
    assert len(seen) < 20  # 200 one at a time would be 200 commits


@pytest.mark.parametrize("failing", [0, 1, 10, 49])  # a group's first has no savepoint (PG)
async def test_a_failing_transaction_is_undone_alone(engine, failing):
    duplicate = 20 if failing != 20 else 21
    works = [add(i) for i in range(50)]
    works[failing] = add_then_fail(failing)
    works[duplicate] = add(5)  # a duplicate key (5 went in before): the database refuses it
    outcomes = await asyncio.gather(
        *(database.run(engine, w) for w in works), return_exceptions=True
    )
    assert isinstance(outcomes[failing], ValueError)
    assert isinstance(outcomes[duplicate], IntegrityError)
    others = [i for i in range(50) if i not in (failing, duplicate)]
    assert [outcomes[i] for i in others] == others
    stored = await bodies(engine)
    assert sorted(stored) == others
    assert "half done" not in stored.values()


async def test_a_transaction_cancelled_while_waiting_does_not_run(engine):
    await bodies(engine)
    started = asyncio.Event()

    def slow(conn: Connection) -> None:
        started.set()  # from the database thread; only read after the loop resumes
        conn.exec_driver_sql(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)"
            " SELECT count(*) FROM c"
        ).all()

    # Enough slow ones to keep every PostgreSQL worker busy; they and the waiting one queue up
    # together (one group), and the waiting one is given up before its turn.
    blockers = [asyncio.ensure_future(database.run(engine, slow)) for _ in range(6)]
    waiting = asyncio.ensure_future(database.run(engine, add(1)))
    await asyncio.sleep(0)  # all are queued
    waiting.cancel()
    await asyncio.gather(*blockers)
    assert started.is_set()
    assert await bodies(engine) == {}


def test_a_job_that_must_run_alone_is_never_grouped():
    loop = asyncio.new_event_loop()
    try:

        def job(alone: bool = False) -> Job:
            return Job(lambda conn: None, loop.create_future(), loop, alone)

        plain, alone, after = job(), job(alone=True), job()
        waiting = [plain, alone, after]
        put_back: list[Job] = []
        first = job()
        group = take_group(first, lambda: waiting.pop(0) if waiting else None, put_back.append, 10)
        assert group == [first, plain]  # stops at the lone one, which goes back to wait
        assert put_back == [alone]
        lone = job(alone=True)
        assert take_group(
            lone, lambda: waiting.pop(0) if waiting else None, put_back.append, 10
        ) == [lone]
        assert waiting == [after]  # nothing taken behind a lone job
        many = [job() for _ in range(5)]
        assert len(take_group(job(), lambda: many.pop() if many else None, put_back.append, 3)) == 3
    finally:
        loop.close()
