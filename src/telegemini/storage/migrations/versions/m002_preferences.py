"""per-user, per-chat preferences: mode, voice, languages

Revision ID: m002_preferences
Revises: m001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m002_preferences"
down_revision = "m001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preferences",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("voice_replies", sa.Boolean(), nullable=True),
        sa.Column("voice", sa.String(length=32), nullable=True),
        sa.Column("target_language", sa.String(length=64), nullable=True),
        sa.Column("ui_language", sa.String(length=16), nullable=True),
        sa.Column("expressive", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_preferences")),
    )


def downgrade() -> None:
    op.drop_table("preferences")
