"""Indexes for the queries on large tables: the audit trail's order, evidence reviewers.

The audit page lists entries newest first (``ORDER BY at DESC, id DESC``), which without
an index is a sequential scan and sort of the whole log (an ascending (at, id) index
serves it read backwards, on PostgreSQL and SQLite alike); the evidence
tables are looked up by reviewer (a mentor's turnaround, a reviewer's name). The review
queue pages through pending items the longest waiting first (review_status, updated_at,
id), and lists of people go by name (users (name, id)). The mentor's table shows
each candidate's last own activity, the latest audit row they caused themselves: a
partial index holds only those.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EVIDENCE_TABLES = (
    "teaching_sessions",
    "assessment_attempts",
    "credentials",
    "experience_periods",
    "milestones",
)
OWN_ACTIVITY = "actor_id = candidate_id"


def upgrade() -> None:
    """Create the indexes."""
    op.create_index("ix_audit_log_at_id", "audit_log", ["at", "id"])
    op.create_index(
        "ix_audit_log_own_activity",
        "audit_log",
        ["candidate_id", "at"],
        sqlite_where=sa.text(OWN_ACTIVITY),
        postgresql_where=sa.text(OWN_ACTIVITY),
    )
    for table in EVIDENCE_TABLES:
        op.create_index(f"ix_{table}_reviewed_by", table, ["reviewed_by"])
        op.create_index(f"ix_{table}_status_updated", table, ["review_status", "updated_at", "id"])
    op.create_index("ix_users_name_id", "users", ["name", "id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_users_name_id", table_name="users")
    for table in EVIDENCE_TABLES:
        op.drop_index(f"ix_{table}_status_updated", table_name=table)
        op.drop_index(f"ix_{table}_reviewed_by", table_name=table)
    op.drop_index("ix_audit_log_own_activity", table_name="audit_log")
    op.drop_index("ix_audit_log_at_id", table_name="audit_log")
