"""Transactions that wait together are committed together (SQLite and PostgreSQL), and each keeps
its own outcome: one that fails is undone alone, the others stand."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import IntegrityError

from telegemini.storage import database
from telegemini.storage.jobs import Job, take_group
from telegemini.storage.sql import make_engine
from telegemini.storage.sqlite_work import SqliteOnLoop
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
    """Count the commits from now on (SQLite: of its own connections, on the loop and on its
    thread)."""
    seen: list[int] = []
    own = [database._on_loop.get(engine.sync_engine), database._sqlite.get(engine.sync_engine)]
    targets = [runner.engine for runner in own if runner is not None] or [engine.sync_engine]
    for target in targets:
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


@pytest.fixture
async def sqlite_engine(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await database.run(
        engine,
        lambda conn: conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"),
        alone=True,
    )
    yield engine
    await database.close(engine)


async def test_sqlite_transactions_wait_out_another_writer_and_none_is_lost(
    sqlite_engine, tmp_path
):
    """The loop never waits for a lock: while another connection writes, its transactions go to
    the thread, which waits for the lock; every caller gets its result once the writer is done."""
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes (id, body) VALUES (1000, 'other')")
    pending = [asyncio.ensure_future(database.run(sqlite_engine, add(i))) for i in range(40)]
    for _ in range(10):  # turns of the loop: it tries them (16 a turn), is refused, hands over
        await asyncio.sleep(0)
    assert not any(task.done() for task in pending)  # no "database is locked" for anyone
    other.execute("COMMIT")
    other.close()
    assert await asyncio.gather(*pending) == list(range(40))
    assert sorted(await bodies(sqlite_engine)) == [*range(40), 1000]


async def test_slow_sqlite_work_runs_off_the_event_loop(sqlite_engine):
    """A slow transaction (a whole-table read, say) never holds the loop: here it waits for the
    loop to move on, which it could not if it ran on the loop's thread."""
    loop_moved = threading.Event()

    def slow(conn: Connection) -> bool:
        return loop_moved.wait(timeout=10)

    running = asyncio.ensure_future(database.run(sqlite_engine, slow, slow=True))
    await asyncio.sleep(0)
    loop_moved.set()
    assert await running is True


async def test_the_sqlite_log_is_checkpointed_as_it_grows(sqlite_engine, tmp_path, monkeypatch):
    """The loop's connection never checkpoints (it would write and sync the database file on
    the loop); its thread does, every so many commits, so the log stays small."""
    monkeypatch.setattr(SqliteOnLoop, "CHECKPOINT_EVERY", 20)
    log = tmp_path / "bot.db-wal"
    for i in range(400):  # one at a time: 400 commits
        await database.run(sqlite_engine, add(i, "x" * 2000))
    await database.run(sqlite_engine, lambda conn: None, alone=True)  # after the checkpoints
    assert len(await bodies(sqlite_engine)) == 400
    assert log.stat().st_size < 100 * 4096  # 400 commits of a page or more each, unchecked


async def test_sqlite_work_that_reads_then_writes_is_never_refused(sqlite_engine):
    """The loop's connection and the thread's both write. A transaction on the thread that read,
    then wrote after the loop had written, would be refused by SQLite (a stale snapshot: run
    again, or failed) had it not taken the write lock as it began. It runs once, and the loop's
    work waits for it."""
    gate, has_read, loop_tried = threading.Event(), threading.Event(), threading.Event()

    def read_then_write(conn: Connection) -> int:
        count = conn.execute(text("SELECT count(*) FROM notes")).scalar_one()
        has_read.set()
        loop_tried.wait(timeout=10)
        add(100 + count)(conn)
        return int(count)

    held = asyncio.ensure_future(database.run(sqlite_engine, lambda conn: gate.wait(10), slow=True))
    await asyncio.sleep(0)
    # Both wait behind the gate, so the thread takes them together: one transaction.
    slow = [
        asyncio.ensure_future(database.run(sqlite_engine, work, slow=True))
        for work in (read_then_write, add(200))
    ]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.to_thread(has_read.wait, 10)
    quick = asyncio.ensure_future(database.run(sqlite_engine, add(1)))
    for _ in range(5):  # the loop tries it (and is refused while the thread holds the lock)
        await asyncio.sleep(0)
    loop_tried.set()
    assert await held is True
    assert await asyncio.gather(*slow) == [0, 200]
    assert await quick == 1
    assert sorted(await bodies(sqlite_engine)) == [1, 100, 200]
