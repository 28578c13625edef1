"""The current rulesets (cst@2, pst@2): teaching-session fields and an enrollment's track.

Every new column has a server default or is nullable, so existing rows stay valid and
existing cst@1/pst@1 enrollments compute exactly what they did.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add share_delivered, with_current_materials and reflection; add enrollments.track."""
    with op.batch_alter_table("teaching_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("share_delivered", sa.Integer(), nullable=False, server_default="100")
        )
        batch_op.add_column(
            sa.Column(
                "with_current_materials",
                sa.Boolean(),
                nullable=False,
                server_default=sa.text("false"),
            )
        )
        batch_op.add_column(sa.Column("reflection", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("track", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Drop the columns again (cst@2/pst@2 enrollments would no longer be understood)."""
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_column("track")
    with op.batch_alter_table("teaching_sessions", schema=None) as batch_op:
        batch_op.drop_column("reflection")
        batch_op.drop_column("with_current_materials")
        batch_op.drop_column("share_delivered")
