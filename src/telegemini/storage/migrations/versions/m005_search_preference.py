"""per-user web search switch

Revision ID: m005_search_preference
Revises: m004_guardrails
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m005_search_preference"
down_revision = "m004_guardrails"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.add_column(sa.Column("search", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.drop_column("search")
