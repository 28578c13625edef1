"""The admin's list of active assignments is read newest first through an index.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index mentorships by (started_at, id)."""
    op.create_index("ix_mentorships_started_id", "mentorships", ["started_at", "id"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_mentorships_started_id", table_name="mentorships")
