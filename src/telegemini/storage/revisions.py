"""Is the database at the latest migration? Answered without importing Alembic.

Alembic (with Mako and its script machinery) costs ~11 MB of resident memory for the life of the
process once imported, and nearly every start finds the database already migrated. The latest
revision is read from the migration files themselves (``revision`` / ``down_revision`` lines)
and the database's from its ``alembic_version`` table; Alembic is imported only when the two
differ. ``tests/contract/test_migrations.py`` checks this reading against Alembic's own.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, inspect, text

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*[\"'](?P<id>[^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*[\"'](?P<id>[^\"']+)[\"']", re.MULTILINE)


@cache
def script_head() -> str | None:
    """The one revision no other migration revises (None: none, or several heads)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if (found := _REVISION.search(source)) is not None:
            revisions.add(found["id"])
        if (down := _DOWN.search(source)) is not None:
            revised.add(down["id"])
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def database_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated, or not one linear revision)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def at_head(connection: Connection) -> bool:
    head = script_head()
    return head is not None and database_revision(connection) == head
