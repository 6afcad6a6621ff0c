"""On SQLite the hot statements run straight on the driver: the rows they leave and return are
exactly what SQLAlchemy's own execution of the same statements leaves and returns."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from telegemini.storage import database, driver
from telegemini.storage.inbox import _statements as inbox_statements
from telegemini.storage.sql import SqlStore
from telegemini.storage.statements import quota_params, store_statements
from telegemini.storage.tables import (
    activity,
    conversations,
    inbox,
    preferences,
    quota_usage,
    transcript_turns,
    users,
)

AT = datetime(2026, 12, 3, 8, 0, 0, tzinfo=UTC)  # no microseconds: stored all the same
SQL = store_statements("sqlite")
INBOX = inbox_statements(False)
TURNS = [
    {"chat_id": -100, "thread_id": 7, "role": role, "text": f"{role} words", "created_at": AT}
    for role in ("user", "model")
]
STEPS: list[tuple[str, Any, dict[str, Any] | list[dict[str, Any]]]] = [
    ("quota", SQL.quota_limited, quota_params(5, "2026-12-03", "messages", 1, 2)),
    ("quota again", SQL.quota_limited, quota_params(5, "2026-12-03", "messages", 1, 2)),
    ("quota refused", SQL.quota_limited, quota_params(5, "2026-12-03", "messages", 1, 2)),
    ("unlimited", SQL.quota_unlimited, quota_params(5, "2026-12-03", "images", 3, None)),
    ("count", SQL.count, {"day": "2026-12-03", "user_id": 5, "kind": "active", "amount": 1}),
    ("head", SQL.move_head, {"chat_id": -100, "thread_id": 7, "head_id": "h1", "updated_at": AT}),
    ("turns", SQL.add_turns, TURNS),
    ("more turns", SQL.add_turns, TURNS),
    ("trim", SQL.trim, {"chat": -100, "thread": 7, "keep": 3}),
    ("read head", SQL.head, {"chat": -100, "thread": 7}),
    ("finish", INBOX.finish_one, {"id": 1, "worker": "w"}),
    ("put", INBOX.put, {"update_id": 2, "chat_id": -100, "thread_id": 7, "payload": "{}",
                        "media_group": None, "state": "pending", "attempts": 0, "received_at": AT}),
    ("put again", INBOX.put, {"update_id": 2, "chat_id": -100, "thread_id": 7, "payload": "{}",
                              "media_group": None, "state": "pending", "attempts": 0,
                              "received_at": AT}),
    ("candidates", INBOX.candidates, {"now": AT, "quiet_since": AT, "limit": 16}),
    ("claim", INBOX.claim_one, {"id": 2, "now": AT, "worker": "w", "until": AT}),
    ("claim again", INBOX.claim_one, {"id": 2, "now": AT, "worker": "w", "until": AT}),
]  # fmt: skip
USER = {"id": 5, "username": "Ann", "username_key": "ann", "first_name": "Ann",
        "language_code": "en", "now": AT}  # fmt: skip
# Rows read by name, with each type as SQLAlchemy reads it (times, flags).
FETCHED: list[tuple[str, Any, dict[str, Any]]] = [
    ("new user", SQL.remember_user, USER),
    ("known user, privately", SQL.remember_private_user, {**USER, "first_name": "Anna"}),
    ("preferences", SQL.preferences, {"chat": -100, "user": 5}),
    ("no preferences", SQL.preferences, {"chat": -100, "user": 6}),
]
TABLES = (quota_usage, activity, conversations, transcript_turns, inbox, users, preferences)


async def run_steps(tmp_path: Path, name: str, *, straight: bool) -> list[Any]:
    store = await SqlStore.open(f"sqlite+aiosqlite:///{tmp_path / name}")
    seen: list[Any] = []

    def steps(conn: Connection) -> None:
        conn.exec_driver_sql(
            "INSERT INTO inbox (update_id, chat_id, thread_id, payload, state, attempts,"
            " received_at, claimed_by) VALUES (1, -100, 7, '{}', 'processing', 1,"
            " '2026-12-03 07:00:00.000000', 'w')"
        )
        conn.exec_driver_sql(
            "INSERT INTO preferences (chat_id, user_id, mode, voice_replies, expressive,"
            " show_thinking, updated_at) VALUES (-100, 5, 'tutor', 1, 0, 1,"
            " '2026-12-03 07:00:00.000000')"
        )
        for label, statement, params in STEPS:
            if isinstance(params, list):
                if straight:
                    driver.execute_many(conn, statement, params)
                else:
                    conn.execute(statement, params)
                seen.append((label, None))
            elif straight:
                seen.append((label, driver.execute(conn, statement, params)))
            else:
                result = conn.execute(statement, params)
                seen.append((label, [tuple(r) for r in result] if result.returns_rows else []))
        for label, statement, params in FETCHED:
            rows = (
                driver.fetch(conn, statement, params)
                if straight
                else conn.execute(statement, params).all()
            )
            seen.append((label, [(tuple(r), tuple(r._fields)) for r in rows]))
        for table in TABLES:
            seen.append((table, conn.execute(select(table)).all()))

    try:
        await database.run(store.engine, steps)
    finally:
        await store.close()
    return seen


async def test_the_driver_leaves_and_returns_what_sqlalchemy_does(tmp_path):
    straight = await run_steps(tmp_path, "driver.db", straight=True)
    through = await run_steps(tmp_path, "sqlalchemy.db", straight=False)
    assert straight == through
    outcomes = dict(straight)
    assert outcomes["quota refused"] == []  # the limit holds on the driver too
    assert outcomes["read head"] == [("h1",)]
    assert len(outcomes[transcript_turns]) == 3
    assert outcomes[conversations][0].updated_at == AT.replace(tzinfo=None)  # SQLite's naive UTC
    assert outcomes["put"] == [(2,)]
    assert outcomes["put again"] == []
    assert outcomes["candidates"] == [(2, -100, 7, None)]
    assert outcomes["claim"] == [(2, "{}", 1, None)]
    assert outcomes["claim again"] == []
    [(user, names)] = outcomes["known user, privately"]
    known = dict(zip(names, user, strict=True))
    assert known["first_name"] == "Anna"
    assert known["private_chat"] is True
    assert known["premium_until"] is None
    [(prefs, names)] = outcomes["preferences"]
    read = dict(zip(names, prefs, strict=True))
    assert read["show_thinking"] is True
    assert read["updated_at"] == AT.replace(hour=7, tzinfo=None)  # read as SQLAlchemy reads it
    assert outcomes["no preferences"] == []
