"""image jobs: what each image button repeats, and photos to reuse

Revision ID: m003_image_jobs
Revises: m002_preferences
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m003_image_jobs"
down_revision = "m002_preferences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("size", sa.String(length=8), nullable=False),
        sa.Column("aspect_ratio", sa.String(length=8), nullable=True),
        sa.Column("reference_ids", sa.Text(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("photo_file_id", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_jobs")),
    )
    op.create_index(op.f("ix_image_jobs_request_key"), "image_jobs", ["request_key"], unique=False)
    op.create_index(op.f("ix_image_jobs_created_at"), "image_jobs", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_image_jobs_created_at"), table_name="image_jobs")
    op.drop_index(op.f("ix_image_jobs_request_key"), table_name="image_jobs")
    op.drop_table("image_jobs")
