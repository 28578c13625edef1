"""Each stored standing names the code that measured it (``pathways.fingerprint``).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add standings.measured_by (null: measured before it was kept, so measured again)."""
    with op.batch_alter_table("standings") as batch:
        batch.add_column(sa.Column("measured_by", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Drop standings.measured_by."""
    with op.batch_alter_table("standings") as batch:
        batch.drop_column("measured_by")
