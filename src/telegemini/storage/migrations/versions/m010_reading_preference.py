"""per-user switch: read files and links

Revision ID: m010_reading_preference
Revises: m009_show_thinking
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m010_reading_preference"
down_revision = "m009_show_thinking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.add_column(sa.Column("reading", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.drop_column("reading")
