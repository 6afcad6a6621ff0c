"""albums in the inbox: the media group an update belongs to

Revision ID: m007_inbox_albums
Revises: m006_inbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m007_inbox_albums"
down_revision = "m006_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("media_group", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("media_group")
