"""Migrations build exactly the schema that ``tables.py`` describes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sys

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


def test_the_latest_revision_is_read_from_the_files_as_alembic_reads_it():
    from alembic.script import ScriptDirectory

    from telegemini.storage.revisions import script_head
    from telegemini.storage.sql import MIGRATIONS

    assert script_head() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


async def test_a_start_on_a_migrated_database_does_not_load_alembic(tmp_path):
    """Alembic stays out of memory when there is nothing to migrate (~11 MB for good)."""
    url = sqlite_url(tmp_path)
    store = await SqlStore.open(url)  # migrates
    await store.close()
    probe = (
        "import asyncio, sys\n"
        "from telegemini.storage.sql import SqlStore\n"
        "async def main():\n"
        f"    store = await SqlStore.open({url!r})\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0
    assert out.decode().strip() == "[]"
