"""Each user's time zone (an IANA name), in which the pages show times.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add users.time_zone (null: not chosen yet; times show in UTC)."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop users.time_zone."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
