"""Stars payments: the payments credited (once per charge id), image packs, subscriptions;
Premium's end and the admin's pinned tier on users

Revision ID: m012_stars_payments
Revises: m011_video_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m012_stars_payments"
down_revision = "m011_video_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("tier_pinned", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("premium_until", sa.DateTime(timezone=True), nullable=True))
    # Tiers set before purchases existed were set by an admin: they keep winning.
    op.execute(sa.text("UPDATE users SET tier_pinned = true WHERE tier <> 'free'"))
    op.create_table(
        "payments",
        sa.Column("charge_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("payload", sa.String(length=128), nullable=False),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("charge_id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_user_id"), "payments", ["user_id"])
    op.create_index(op.f("ix_payments_paid_at"), "payments", ["paid_at"])
    op.create_table(
        "image_packs",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("images_left", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_image_packs")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("charge_id", sa.String(length=128), nullable=False),
        sa.Column("ended_told", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_subscriptions")),
    )


def downgrade() -> None:
    op.drop_table("subscriptions")
    op.drop_table("image_packs")
    op.drop_index(op.f("ix_payments_paid_at"), table_name="payments")
    op.drop_index(op.f("ix_payments_user_id"), table_name="payments")
    op.drop_table("payments")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("premium_until")
        batch.drop_column("tier_pinned")
