"""video jobs: clips being filmed by the video model, resumed after a restart

Revision ID: m011_video_jobs
Revises: m010_reading_preference
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m011_video_jobs"
down_revision = "m010_reading_preference"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_type", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("aspect_ratio", sa.String(length=8), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("reference_ids", sa.Text(), nullable=False),
        sa.Column("interaction_id", sa.String(length=256), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("charged", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_jobs")),
    )
    op.create_index(op.f("ix_video_jobs_state_lease_until"), "video_jobs", ["state", "lease_until"])
    op.create_index(op.f("ix_video_jobs_user_id_state"), "video_jobs", ["user_id", "state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_video_jobs_user_id_state"), table_name="video_jobs")
    op.drop_index(op.f("ix_video_jobs_state_lease_until"), table_name="video_jobs")
    op.drop_table("video_jobs")
