"""guardrails: user tiers and flags, daily quota usage, activity counters, captchas

Revision ID: m004_guardrails
Revises: m003_image_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m004_guardrails"
down_revision = "m003_image_jobs"
branch_labels = None
depends_on = None

_FLAGS = ("banned", "allowed", "verified", "private_chat", "blocked_bot")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("tier", sa.String(length=16), server_default="free", nullable=False)
        )
        for flag in _FLAGS:
            batch.add_column(
                sa.Column(flag, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
        batch.add_column(
            sa.Column("notices", sa.String(length=64), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("username_key", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_users_username_key"), ["username_key"], unique=False)
    op.create_table(
        "quota_usage",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", "kind", name=op.f("pk_quota_usage")),
    )
    op.create_table(
        "activity",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "user_id", "kind", name=op.f("pk_activity")),
    )
    op.create_table(
        "captchas",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("cooldown_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_captchas")),
    )


def downgrade() -> None:
    op.drop_table("captchas")
    op.drop_table("activity")
    op.drop_table("quota_usage")
    with op.batch_alter_table("users") as batch:
        batch.drop_index(batch.f("ix_users_username_key"))
        for column in ("username_key", "notices", *reversed(_FLAGS), "tier"):
            batch.drop_column(column)
