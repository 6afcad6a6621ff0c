"""The store's hot statements (every text update runs them), built once per dialect.

Their values are bound at execution, so no statement is put together per call and each one's
cache key is computed once: SQLAlchemy finds the compiled form, and on PostgreSQL asyncpg its
prepared statement, without walking the statement again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Delete, Integer, Select, bindparam, delete, false, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert, ReturningInsert

from telegemini.storage.tables import (
    activity,
    conversations,
    preferences,
    quota_usage,
    transcript_turns,
    users,
)

# The columns a ``UserRecord`` is made of (not the times a user was first and last seen).
USER_RECORD = tuple(
    users.c[name]
    for name in (
        "id", "first_name", "username", "language_code", "tier", "banned", "allowed",
        "verified", "private_chat", "blocked_bot", "notices", "tier_pinned", "premium_until",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoreStatements:
    # consume_quota: user_id, day, kind, used (= amount), amount [, limit]
    quota_unlimited: ReturningInsert[Any]
    quota_limited: ReturningInsert[Any]
    head: Select[Any]  # load_head: chat, thread
    # save_exchange: the head (chat_id, thread_id, head_id, updated_at), the two turns, then the
    # transcript trimmed to its newest ``keep`` turns (chat, thread, keep)
    move_head: Insert
    add_turns: Insert
    trim: Delete
    # remember_user (id, username, username_key, first_name, language_code, now), in a group or
    # in a private chat (which also notes the chat and that the user has not blocked the bot)
    remember_user: ReturningInsert[Any]
    remember_private_user: ReturningInsert[Any]
    count: ReturningInsert[Any]  # count: day, user_id, kind, amount
    preferences: Select[Any]  # load_preferences: chat, user


def quota_params(
    user_id: int, day: str, kind: str, amount: int, limit: int | None
) -> dict[str, Any]:
    return {"user_id": user_id, "day": day, "kind": kind, "used": amount, "amount": amount,
            "limit": limit}  # fmt: skip


@cache
def store_statements(dialect: str) -> StoreStatements:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    amount = bindparam("amount", type_=Integer)
    quota = insert(quota_usage)

    def on_quota(guarded: bool) -> ReturningInsert[Any]:
        return quota.on_conflict_do_update(
            index_elements=["user_id", "day", "kind"],
            set_={"used": quota_usage.c.used + amount},
            where=(quota_usage.c.used + amount <= bindparam("limit", type_=Integer))
            if guarded
            else None,
        ).returning(quota_usage.c.used)

    # Typed as the columns: Telegram's chat ids do not fit in 32 bits (supergroups are
    # -100…, and user ids have passed 2**31), and asyncpg refuses a bigger value for INTEGER.
    chat = bindparam("chat", type_=conversations.c.chat_id.type)
    thread = bindparam("thread", type_=conversations.c.thread_id.type)
    head = select(conversations.c.head_id).where(
        conversations.c.chat_id == chat, conversations.c.thread_id == thread
    )
    upsert = insert(conversations)
    move_head = upsert.on_conflict_do_update(
        index_elements=["chat_id", "thread_id"],
        set_={"head_id": upsert.excluded.head_id, "updated_at": upsert.excluded.updated_at},
    )
    where = (transcript_turns.c.chat_id == chat, transcript_turns.c.thread_id == thread)
    newest = (
        select(transcript_turns.c.id)
        .where(*where)
        .order_by(transcript_turns.c.id.desc())
        .limit(bindparam("keep", type_=Integer))
        .scalar_subquery()
    )
    trim = delete(transcript_turns).where(*where, transcript_turns.c.id.not_in(newest))

    def remember(private: bool) -> ReturningInsert[Any]:
        user = insert(users)
        names = ("username", "username_key", "first_name", "language_code")
        values: dict[str, Any] = {name: bindparam(name, type_=users.c[name].type) for name in names}
        now = bindparam("now", type_=users.c.seen_at.type)
        updates: dict[str, Any] = {name: user.excluded[name] for name in names}
        updates["seen_at"] = user.excluded.seen_at
        if private:
            values["private_chat"] = true()
            updates["private_chat"] = true()
            updates["blocked_bot"] = false()  # writing to us again means they unblocked us
        return (
            user.values(
                id=bindparam("id", type_=users.c.id.type), created_at=now, seen_at=now, **values
            )
            .on_conflict_do_update(index_elements=["id"], set_=updates)
            .returning(*USER_RECORD)
        )

    counter = insert(activity)
    count = (
        counter.values(
            day=bindparam("day", type_=activity.c.day.type),
            user_id=bindparam("user_id", type_=activity.c.user_id.type),
            kind=bindparam("kind", type_=activity.c.kind.type),
            count=amount,
        )
        .on_conflict_do_update(
            index_elements=["day", "user_id", "kind"], set_={"count": activity.c.count + amount}
        )
        .returning(activity.c.count)
    )
    settings = select(preferences).where(
        preferences.c.chat_id == bindparam("chat", type_=preferences.c.chat_id.type),
        preferences.c.user_id == bindparam("user", type_=preferences.c.user_id.type),
    )
    return StoreStatements(
        preferences=settings,
        remember_user=remember(False),
        remember_private_user=remember(True),
        count=count,
        quota_unlimited=on_quota(False),
        quota_limited=on_quota(True),
        head=head,
        move_head=move_head,
        add_turns=transcript_turns.insert(),
        trim=trim,
    )
