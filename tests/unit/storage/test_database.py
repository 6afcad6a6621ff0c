"""SQLite transactions that wait together are committed together, and each keeps its own outcome:
one that fails is undone alone, the others stand, and nobody hears of a write before its commit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import IntegrityError

from telegemini.storage import database
from telegemini.storage.sql import make_engine


@pytest.fixture
async def engine(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await database.run(
        engine,
        lambda conn: conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"),
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
    """Count the commits of the SQLite thread's connection from now on."""
    seen: list[int] = []
    event.listen(
        database._sqlite[engine.sync_engine]._engine, "commit", lambda _conn: seen.append(1)
    )
    return seen


async def test_waiting_transactions_share_one_commit_and_each_gets_its_own_result(engine):
    await bodies(engine)  # the thread and its connection exist
    seen = commits(engine)
    results = await asyncio.gather(*(database.run(engine, add(i)) for i in range(200)))
    assert results == list(range(200))
    assert len(await bodies(engine)) == 200
    assert len(seen) < 20  # 200 one at a time would be 200 commits


async def test_a_failing_transaction_is_undone_alone(engine):
    works = [add(i) for i in range(50)]
    works[10] = add_then_fail(10)
    works[20] = add(5)  # a duplicate key: the database refuses it
    outcomes = await asyncio.gather(
        *(database.run(engine, w) for w in works), return_exceptions=True
    )
    assert isinstance(outcomes[10], ValueError)
    assert isinstance(outcomes[20], IntegrityError)
    stored = await bodies(engine)
    assert sorted(stored) == [i for i in range(50) if i not in (10, 20)]
    assert "half done" not in stored.values()


async def test_a_transaction_cancelled_while_waiting_does_not_run(engine):
    await bodies(engine)
    started = asyncio.Event()

    def slow(conn: Connection) -> None:
        started.set()  # from the database thread; only read after the loop resumes
        conn.exec_driver_sql(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 300000) SELECT count(*) FROM c"
        ).all()

    blocker = asyncio.ensure_future(database.run(engine, slow))
    waiting = asyncio.ensure_future(database.run(engine, add(1)))
    await asyncio.sleep(0)  # both are queued
    waiting.cancel()
    await blocker
    assert started.is_set()
    assert await bodies(engine) == {}
