"""broadcasts waiting for the admin's confirmation, shared by every instance

Revision ID: m008_pending_broadcasts
Revises: m007_inbox_albums
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m008_pending_broadcasts"
down_revision = "m007_inbox_albums"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_broadcasts",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_pending_broadcasts")),
    )


def downgrade() -> None:
    op.drop_table("pending_broadcasts")
