"""Stored standings: each enrollment's measured requirements as of one day.

Existing enrollments get no row here: the first view of each measures it and stores
it, as it does every day after.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the standings table."""
    op.create_table(
        "standings",
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("ruleset", sa.String(length=32), nullable=False),
        sa.Column("track", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("others", sa.JSON(), nullable=False),
        sa.Column("reflection_hint", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("shortfall_on", sa.Date(), nullable=True),
        sa.Column("shortfall_key", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_standings_enrollment_id_enrollments"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["users.id"], name=op.f("fk_standings_candidate_id_users")
        ),
        sa.PrimaryKeyConstraint("enrollment_id", name=op.f("pk_standings")),
    )
    op.create_index(op.f("ix_standings_candidate_id"), "standings", ["candidate_id"])
    op.create_index(op.f("ix_standings_computed_on"), "standings", ["computed_on"])


def downgrade() -> None:
    """Drop the standings table."""
    op.drop_index(op.f("ix_standings_computed_on"), table_name="standings")
    op.drop_index(op.f("ix_standings_candidate_id"), table_name="standings")
    op.drop_table("standings")
