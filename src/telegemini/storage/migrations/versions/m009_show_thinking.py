"""per-user switch: show the model's thinking

Revision ID: m009_show_thinking
Revises: m008_pending_broadcasts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m009_show_thinking"
down_revision = "m008_pending_broadcasts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.add_column(
            sa.Column("show_thinking", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.drop_column("show_thinking")
