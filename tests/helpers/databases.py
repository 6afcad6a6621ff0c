"""Real databases for tests: a fresh SQLite file, or a fresh schema on the CI PostgreSQL.

An unreachable server fails the test; it never skips (CI must notice a missing service).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / f'telegemini-{uuid.uuid4().hex[:8]}.db'}"


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A new empty schema on the test PostgreSQL, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(POSTGRES_URL)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OSError as exc:
        await engine.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable ({exc}); start it, never skip")
    try:
        yield schema
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


def redis_prefix() -> str:
    """A key prefix no other test uses, so tests can share the Redis database."""
    return f"test-{uuid.uuid4().hex[:8]}:"


@asynccontextmanager
async def redis_client(prefix: str) -> AsyncIterator[Redis]:
    """A client of the test Redis; keys under ``prefix`` are deleted afterwards."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({exc}); start it, never skip")
    try:
        yield client
    finally:
        try:
            await delete_prefixed(client, prefix)
        finally:
            await client.aclose()


async def delete_prefixed(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
    if keys:
        await client.delete(*keys)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A new empty PostgreSQL database (for whole bots, which take a plain URL); dropped after."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        await admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable ({exc}); start it, never skip")
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
