"""the durable inbox of Telegram updates

Revision ID: m006_inbox
Revises: m005_search_preference
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m006_inbox"
down_revision = "m005_search_preference"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    op.create_index("ix_inbox_state_update", "inbox", ["state", "update_id"], unique=False)
    op.create_index(
        "ix_inbox_chat_state", "inbox", ["chat_id", "thread_id", "state", "update_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_chat_state", table_name="inbox")
    op.drop_index("ix_inbox_state_update", table_name="inbox")
    op.drop_table("inbox")
