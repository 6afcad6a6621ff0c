"""``Store`` on SQLAlchemy's async engine: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, case, delete, event, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

from telegemini.core.images import request_key as image_request_key
from telegemini.core.models import (
    Captcha,
    ChatKey,
    Conversation,
    ImageJob,
    Mode,
    Preferences,
    Tier,
    Turn,
    UserRecord,
    UserRef,
)
from telegemini.storage import database, driver
from telegemini.storage.cache import TtlCache
from telegemini.storage.revisions import at_head
from telegemini.storage.sqlite_work import sqlite_pragmas
from telegemini.storage.statements import quota_params, store_statements
from telegemini.storage.tables import (
    NO_THREAD,
    activity,
    captchas,
    conversations,
    image_jobs,
    pending_broadcasts,
    preferences,
    quota_usage,
    transcript_turns,
    users,
)
from telegemini.storage.times import epoch, utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK_ID = 0x7E1E_6E41  # serialises concurrent start-ups on PostgreSQL
# Telegram redelivers an update for at most 24 hours; keep finished ones a while longer.
UPDATE_ID_RETENTION = timedelta(days=2)
BROADCAST_KEPT = timedelta(days=1)  # an unconfirmed broadcast's confirmation stays valid this long


def _thread(key: ChatKey) -> int:
    return key.thread_id if key.thread_id is not None else NO_THREAD


CONNECT_TIMEOUT = 5.0  # seconds to open a PostgreSQL connection
COMMAND_TIMEOUT = 20.0  # seconds for one PostgreSQL statement
POOL_SIZE = 20  # PostgreSQL connections per instance


def make_engine(url: str, *, schema: str | None = None) -> AsyncEngine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and its directory created.
    ``schema`` (PostgreSQL) puts every table in that schema, e.g. one per test."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has a single writer, and several connections only take turns
        # through its busy handler, which sleeps (measured: 60-90 ms per write at 30 updates/s,
        # and a connection opened and closed every nine updates). One connection's thread
        # runs the statements back to back instead.
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60
        )

        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    # A connection that goes silent (a network blackhole, a failover behind the same address)
    # must fail, not hang the bot until TCP gives up (~15 min): connecting gets CONNECT_TIMEOUT,
    # every statement COMMAND_TIMEOUT (well above the longest one, a migration included).
    connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT, "command_timeout": COMMAND_TIMEOUT}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    # A fixed pool: an overflow connection is closed when handed back and opened again at the
    # next peak, and opening one (TLS attempt, authentication, type set-up) cost more than the
    # transactions it served (measured: a third of the bot's CPU under load). Waiting for one of
    # these is cheap.
    engine = create_async_engine(
        url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=60, connect_args=connect_args
    )
    database.ping_when_idle(engine)
    return engine


def alembic_config(connection: Connection) -> Config:
    from alembic.config import Config  # only when migrating: see storage/revisions.py

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Apply pending migrations (idempotent; safe when several instances start at once). A
    database already at the latest revision is left alone without loading Alembic."""

    def upgrade(connection: Connection) -> None:
        if at_head(connection):
            return
        from alembic import command

        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
        command.upgrade(alembic_config(connection), "head")

    await database.run(engine, upgrade, alone=True)


class SqlStore:
    """The durable ``Store``."""

    def __init__(self, engine: AsyncEngine, *, cache_ttl: float = 10.0) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._sql = store_statements(dialect)
        # Read on every update; another instance's change (a ban, a setting) shows within the
        # TTL. Bounded, so memory does not grow with the number of users ever seen.
        self._users: TtlCache[int, UserRecord] = TtlCache(maxsize=10_000, ttl=cache_ttl)
        self._prefs: TtlCache[tuple[int, int], Preferences] = TtlCache(
            maxsize=10_000, ttl=cache_ttl
        )
        self._counted: TtlCache[tuple[str, int, str], bool] = TtlCache(maxsize=5_000, ttl=24 * 3600)
        # Conversations' heads ("" for none), read before every answer. Only on SQLite, which
        # one instance alone uses (its inbox recovers every claim at start-up): what this
        # process wrote is then all there is. Across PostgreSQL instances a head could be stale.
        self._heads: TtlCache[tuple[int, int], str] | None = (
            TtlCache(maxsize=10_000, ttl=3600) if dialect == "sqlite" else None
        )

    @classmethod
    async def open(
        cls, url: str, *, run_migrations: bool = True, schema: str | None = None
    ) -> SqlStore:
        engine = make_engine(url, schema=schema)
        if run_migrations:
            await migrate(engine)
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await database.close(self._engine)

    async def _run(self, work: Callable[[Connection], T], *, slow: bool = False) -> T:
        """One transaction: ``work``'s statements in one call (see ``storage.database``);
        ``slow``: it may touch many rows."""
        return await database.run(self._engine, work, slow=slow)

    async def remember_user(self, user: UserRef, *, private: bool = False) -> UserRecord:
        known = self._users.get(user.id)
        if (
            known is not None
            and (known.first_name, known.username, known.language_code)
            == (user.first_name, user.username, user.language_code)
            and (known.private_chat or not private)
            and not (private and known.blocked_bot)
        ):
            return known  # nothing new to write
        statement = self._sql.remember_private_user if private else self._sql.remember_user
        params = {
            "id": user.id,
            "username": user.username,
            "username_key": user.username.lower() if user.username else None,
            "first_name": user.first_name,
            "language_code": user.language_code,
            "now": utc_now(),
        }
        rows = await self._run(lambda conn: driver.fetch(conn, statement, params))
        record = _user(rows[0])
        self._users.put(user.id, record)
        return record

    async def load_user(self, user_id: int) -> UserRecord | None:
        statement = select(users).where(users.c.id == user_id)
        row = await self._run(lambda conn: conn.execute(statement).first())
        return _user(row) if row is not None else None

    async def find_user(self, username: str) -> UserRecord | None:
        key = username.lstrip("@").lower()
        statement = select(users).where(users.c.username_key == key)
        row = await self._run(lambda conn: conn.execute(statement).first())
        return _user(row) if row is not None else None

    async def save_user(self, record: UserRecord) -> None:
        """Write the bot's own fields of a user (tier, flags, notices)."""
        values = {
            "tier": record.tier.value,
            "banned": record.banned,
            "allowed": record.allowed,
            "verified": record.verified,
            "blocked_bot": record.blocked_bot,
            "notices": ",".join(sorted(record.notices)),
            "tier_pinned": record.tier_pinned,
        }
        now = utc_now()
        statement = (
            self._insert(users)
            .values(
                id=record.id, first_name=record.first_name, created_at=now, seen_at=now, **values
            )
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )
        await self._run(lambda conn: conn.execute(statement))
        self._users.drop(record.id)

    def forget_user(self, user_id: int) -> None:
        """Drop a cached user whose row changed elsewhere (a payment credited)."""
        self._users.drop(user_id)

    async def broadcast_targets(self) -> list[int]:
        """Users with a private chat with the bot who have not blocked it."""
        statement = (
            select(users.c.id)
            .where(users.c.private_chat.is_(True), users.c.blocked_bot.is_(False))
            .order_by(users.c.id)
        )
        return await self._run(lambda conn: [int(r.id) for r in conn.execute(statement)])

    # --- quotas and activity --------------------------------------------------------------

    async def consume_quota(
        self, user_id: int, day: str, kind: str, *, amount: int = 1, limit: int | None
    ) -> bool:
        """Atomically add ``amount`` to today's usage unless that would pass ``limit``
        (None: no limit). Safe under any concurrency: the check and the increment are one
        statement on one row."""
        if limit is not None and amount > limit:
            return False
        statement = self._sql.quota_unlimited if limit is None else self._sql.quota_limited
        params = quota_params(user_id, day, kind, amount, limit)
        return await self._run(lambda conn: bool(driver.execute(conn, statement, params)))

    async def refund_quota(self, user_id: int, day: str, kind: str, *, amount: int = 1) -> None:
        statement = (
            update(quota_usage)
            .where(
                quota_usage.c.user_id == user_id,
                quota_usage.c.day == day,
                quota_usage.c.kind == kind,
            )
            .values(used=case((quota_usage.c.used > amount, quota_usage.c.used - amount), else_=0))
        )
        await self._run(lambda conn: conn.execute(statement))

    async def quota_usage(self, user_id: int, day: str) -> dict[str, int]:
        statement = select(quota_usage.c.kind, quota_usage.c.used).where(
            quota_usage.c.user_id == user_id, quota_usage.c.day == day
        )
        return await self._run(lambda conn: {r.kind: int(r.used) for r in conn.execute(statement)})

    async def mark_active(self, day: str, user_id: int) -> None:
        """Note the user was active that day (written once per day per user and process)."""
        key = (day, user_id, "active")
        if self._counted.get(key):
            return
        await self.count(day, user_id, "active")
        self._counted.put(key, True)

    async def count(self, day: str, user_id: int, kind: str, amount: int = 1) -> int:
        """Add to a daily activity counter; returns the new count."""
        params = {"day": day, "user_id": user_id, "kind": kind, "amount": amount}
        statement = self._sql.count
        return await self._run(lambda conn: int(driver.execute(conn, statement, params)[0][0]))

    async def activity_rows(self, first_day: str, last_day: str) -> list[tuple[str, int, str, int]]:
        """(day, user_id, kind, count) between two days, inclusive."""
        counters = select(
            activity.c.day, activity.c.user_id, activity.c.kind, activity.c.count
        ).where(activity.c.day >= first_day, activity.c.day <= last_day)
        usage = select(
            quota_usage.c.day, quota_usage.c.user_id, quota_usage.c.kind, quota_usage.c.used
        ).where(quota_usage.c.day >= first_day, quota_usage.c.day <= last_day)
        rows = await self._run(
            lambda conn: conn.execute(counters.union_all(usage)).all(), slow=True
        )
        return sorted((day, int(user_id), kind, int(n)) for day, user_id, kind, n in rows)

    # --- captcha ---------------------------------------------------------------------------

    async def save_broadcast(self, token: str, text: str) -> None:
        now = datetime.now(UTC)

        def save(conn: Connection) -> None:
            # Unconfirmed ones a day old are forgotten on the way.
            conn.execute(
                delete(pending_broadcasts).where(
                    pending_broadcasts.c.created_at < now - BROADCAST_KEPT
                )
            )
            conn.execute(pending_broadcasts.insert().values(token=token, text=text, created_at=now))

        await self._run(save)

    async def take_broadcast(self, token: str) -> str | None:
        statement = (
            delete(pending_broadcasts)
            .where(
                pending_broadcasts.c.token == token,
                pending_broadcasts.c.created_at >= datetime.now(UTC) - BROADCAST_KEPT,
            )
            .returning(pending_broadcasts.c.text)
        )
        row = await self._run(lambda conn: conn.execute(statement).first())
        return None if row is None else str(row.text)

    async def load_captcha(self, user_id: int) -> Captcha | None:
        statement = select(captchas).where(captchas.c.user_id == user_id)
        row = await self._run(lambda conn: conn.execute(statement).first())
        if row is None:
            return None
        return Captcha(
            user_id=int(row.user_id),
            answer=row.answer,
            expires_at=epoch(row.expires_at),
            failures=int(row.failures),
            cooldown_until=epoch(row.cooldown_until) if row.cooldown_until else 0.0,
            pending_text=row.pending_text,
        )

    async def save_captcha(self, captcha: Captcha) -> None:
        values = {
            "answer": captcha.answer,
            "expires_at": datetime.fromtimestamp(captcha.expires_at, UTC),
            "failures": captcha.failures,
            "cooldown_until": (
                datetime.fromtimestamp(captcha.cooldown_until, UTC)
                if captcha.cooldown_until
                else None
            ),
            "pending_text": captcha.pending_text,
        }
        statement = (
            self._insert(captchas)
            .values(user_id=captcha.user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )
        await self._run(lambda conn: conn.execute(statement))

    async def delete_captcha(self, user_id: int) -> None:
        statement = delete(captchas).where(captchas.c.user_id == user_id)
        await self._run(lambda conn: conn.execute(statement))

    async def load_head(self, key: ChatKey) -> str | None:
        conversation = (key.chat_id, _thread(key))
        if self._heads is not None and (known := self._heads.get(conversation)) is not None:
            return known or None
        statement, where = self._sql.head, {"chat": conversation[0], "thread": conversation[1]}
        rows = await self._run(lambda conn: driver.execute(conn, statement, where))
        head: str | None = rows[0][0] if rows else None
        if self._heads is not None:
            self._heads.put(conversation, head or "")
        return head

    async def load_conversation(self, key: ChatKey) -> Conversation:
        thread = _thread(key)
        heads = select(conversations.c.head_id).where(
            conversations.c.chat_id == key.chat_id, conversations.c.thread_id == thread
        )
        turns_of = (
            select(transcript_turns.c.role, transcript_turns.c.text)
            .where(
                transcript_turns.c.chat_id == key.chat_id, transcript_turns.c.thread_id == thread
            )
            .order_by(transcript_turns.c.id)
        )

        def load(conn: Connection) -> tuple[str | None, Sequence[Any]]:
            return conn.execute(heads).scalar_one_or_none(), conn.execute(turns_of).all()

        head, rows = await self._run(load)
        turns = tuple(Turn(role="user" if r.role == "user" else "model", text=r.text) for r in rows)
        return Conversation(key=key, head_id=head, transcript=turns)

    async def save_exchange(
        self, key: ChatKey, *, head_id: str, user_text: str, model_text: str, keep_turns: int
    ) -> None:
        chat, thread, now, sql = key.chat_id, _thread(key), utc_now(), self._sql
        head = {"chat_id": chat, "thread_id": thread, "head_id": head_id, "updated_at": now}
        turns = [
            {"chat_id": chat, "thread_id": thread, "role": role, "text": body, "created_at": now}
            for role, body in (("user", user_text), ("model", model_text))
        ]
        trim = {"chat": chat, "thread": thread, "keep": keep_turns}

        def save(conn: Connection) -> None:
            driver.execute(conn, sql.move_head, head)
            driver.execute_many(conn, sql.add_turns, turns)
            driver.execute(conn, sql.trim, trim)

        await self._run(save)
        if self._heads is not None:
            self._heads.put((chat, thread), head_id)

    async def reset_conversation(self, key: ChatKey) -> None:
        thread = _thread(key)

        def reset(conn: Connection) -> None:
            conn.execute(
                delete(conversations).where(
                    conversations.c.chat_id == key.chat_id, conversations.c.thread_id == thread
                )
            )
            conn.execute(
                delete(transcript_turns).where(
                    transcript_turns.c.chat_id == key.chat_id,
                    transcript_turns.c.thread_id == thread,
                )
            )

        await self._run(reset)  # (if it fails, nothing changed: the cached head stands)
        if self._heads is not None:
            self._heads.put((key.chat_id, thread), "")

    async def load_preferences(self, chat_id: int, user_id: int) -> Preferences:
        cached = self._prefs.get((chat_id, user_id))
        if cached is not None:
            return cached
        prefs = await self._read_preferences(chat_id, user_id)
        self._prefs.put((chat_id, user_id), prefs)
        return prefs

    async def _read_preferences(self, chat_id: int, user_id: int) -> Preferences:
        statement, params = self._sql.preferences, {"chat": chat_id, "user": user_id}
        rows = await self._run(lambda conn: driver.fetch(conn, statement, params))
        if not rows:
            return Preferences()
        row = rows[0]
        try:
            mode = Mode(row.mode)
        except ValueError:
            mode = Mode.ASSISTANT  # a mode this version no longer has
        return Preferences(
            mode=mode,
            voice_replies=row.voice_replies,
            voice=row.voice,
            target_language=row.target_language,
            ui_language=row.ui_language,
            expressive=bool(row.expressive),
            search=row.search,
            show_thinking=bool(row.show_thinking),
            reading=row.reading,
        )

    async def save_preferences(self, chat_id: int, user_id: int, prefs: Preferences) -> None:
        values = {
            "mode": prefs.mode.value,
            "voice_replies": prefs.voice_replies,
            "voice": prefs.voice,
            "target_language": prefs.target_language,
            "ui_language": prefs.ui_language,
            "expressive": prefs.expressive,
            "search": prefs.search,
            "show_thinking": prefs.show_thinking,
            "reading": prefs.reading,
            "updated_at": utc_now(),
        }
        statement = (
            self._insert(preferences)
            .values(chat_id=chat_id, user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["chat_id", "user_id"], set_=values)
        )
        await self._run(lambda conn: conn.execute(statement))
        self._prefs.put((chat_id, user_id), prefs)

    async def save_image_job(self, job: ImageJob) -> None:
        values = {
            "chat_id": job.chat_id,
            "user_id": job.user_id,
            "prompt": job.prompt,
            "size": job.size,
            "aspect_ratio": job.aspect_ratio,
            "reference_ids": ",".join(job.reference_ids),
            "request_key": image_request_key(job),
            "photo_file_id": job.photo_file_id,
            "created_at": datetime.fromtimestamp(job.created_at, UTC),
        }
        statement = (
            self._insert(image_jobs)
            .values(id=job.id, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )
        await self._run(lambda conn: conn.execute(statement))

    async def load_image_job(self, job_id: str) -> ImageJob | None:
        statement = select(image_jobs).where(image_jobs.c.id == job_id)
        row = await self._run(lambda conn: conn.execute(statement).first())
        return _image_job(row) if row is not None else None

    async def find_image(self, job: ImageJob, *, since: float) -> ImageJob | None:
        statement = (
            select(image_jobs)
            .where(
                image_jobs.c.request_key == image_request_key(job),
                image_jobs.c.photo_file_id.is_not(None),
                image_jobs.c.created_at >= datetime.fromtimestamp(since, UTC),
            )
            .order_by(image_jobs.c.created_at.desc())
            .limit(1)
        )
        row = await self._run(lambda conn: conn.execute(statement).first())
        return _image_job(row) if row is not None else None


# Shared: most users have no notices, and each empty frozenset of their own took 216 bytes.
NO_NOTICES: frozenset[str] = frozenset()


def _user(row: Any) -> UserRecord:
    return UserRecord(
        id=int(row.id),
        first_name=row.first_name,
        username=row.username,
        language_code=row.language_code,
        tier=Tier(row.tier) if row.tier in {t.value for t in Tier} else Tier.FREE,
        banned=bool(row.banned),
        allowed=bool(row.allowed),
        verified=bool(row.verified),
        private_chat=bool(row.private_chat),
        blocked_bot=bool(row.blocked_bot),
        notices=frozenset(n for n in row.notices.split(",") if n) if row.notices else NO_NOTICES,
        tier_pinned=bool(row.tier_pinned),
        premium_until=epoch(row.premium_until) if row.premium_until is not None else None,
    )


def _image_job(row: Any) -> ImageJob:
    return ImageJob(
        id=row.id,
        chat_id=row.chat_id,
        user_id=row.user_id,
        prompt=row.prompt,
        size=row.size,
        aspect_ratio=row.aspect_ratio,
        reference_ids=tuple(i for i in row.reference_ids.split(",") if i),
        photo_file_id=row.photo_file_id,
        created_at=epoch(row.created_at),
    )
