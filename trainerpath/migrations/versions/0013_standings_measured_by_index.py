"""The candidates table finds standings measured by other code through an index.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index standings by measured_by."""
    op.create_index(op.f("ix_standings_measured_by"), "standings", ["measured_by"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(op.f("ix_standings_measured_by"), table_name="standings")
