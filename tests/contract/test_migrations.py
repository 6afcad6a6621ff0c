"""Migrations build exactly the schema that ``tables.py`` describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from telegemini.storage.sql import SqlStore
from telegemini.storage.tables import metadata
from tests.helpers.databases import POSTGRES_URL, postgres_schema, sqlite_url


def _differences(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def _assert_head_matches_models(store: SqlStore) -> None:
    async with store.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_sqlite_migrations_match_the_models(tmp_path):
    store = await SqlStore.open(sqlite_url(tmp_path))
    try:
        await _assert_head_matches_models(store)
    finally:
        await store.close()


async def test_postgres_migrations_match_the_models_and_rerun_safely():
    async with postgres_schema() as schema:
        store = await SqlStore.open(POSTGRES_URL, schema=schema)
        await store.close()
        store = await SqlStore.open(POSTGRES_URL, schema=schema)  # idempotent second start
        try:
            await _assert_head_matches_models(store)
        finally:
            await store.close()
