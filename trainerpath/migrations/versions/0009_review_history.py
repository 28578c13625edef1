"""Review history: every review decision on an evidence item, append-only; and an index
of the evidence tables for every mentor's waiting items by age.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

EVIDENCE_TABLES = (
    "teaching_sessions",
    "assessment_attempts",
    "credentials",
    "experience_periods",
    "milestones",
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the evidence_reviews table (old items have no history: nothing to backfill)."""
    op.create_table(
        "evidence_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_kind", sa.String(length=32), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waited_seconds", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('verified', 'rejected')", name=op.f("ck_evidence_reviews_decision")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["users.id"], name=op.f("fk_evidence_reviews_candidate_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_evidence_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_reviews")),
    )
    op.create_index(
        "ix_evidence_reviews_item", "evidence_reviews", ["evidence_kind", "evidence_id", "id"]
    )
    op.create_index("ix_evidence_reviews_reviewer_at", "evidence_reviews", ["reviewer_id", "at"])
    op.create_index(op.f("ix_evidence_reviews_candidate_id"), "evidence_reviews", ["candidate_id"])
    for table in EVIDENCE_TABLES:
        op.create_index(
            f"ix_{table}_status_candidate", table, ["review_status", "candidate_id", "updated_at"]
        )


def downgrade() -> None:
    """Drop the evidence_reviews table and the waiting-items index."""
    for table in EVIDENCE_TABLES:
        op.drop_index(f"ix_{table}_status_candidate", table_name=table)
    op.drop_index(op.f("ix_evidence_reviews_candidate_id"), table_name="evidence_reviews")
    op.drop_index("ix_evidence_reviews_reviewer_at", table_name="evidence_reviews")
    op.drop_index("ix_evidence_reviews_item", table_name="evidence_reviews")
    op.drop_table("evidence_reviews")
