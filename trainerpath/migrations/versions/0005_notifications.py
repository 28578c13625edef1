"""In-app notifications (issue 10 §1).

Indexes for the recipient's list newest first and their unread count, and the
batching rule as a partial unique index: one unread ``evidence.waiting`` per candidate
and mentor, which the upsert that writes it conflicts on.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNREAD = "read_at IS NULL"
UNREAD_WAITING = "read_at IS NULL AND kind = 'evidence.waiting'"


def upgrade() -> None:
    """Create the notifications table and its indexes."""
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.String(), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_notifications_recipient_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["users.id"], name=op.f("fk_notifications_candidate_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_recipient_updated", "notifications", ["recipient_id", "updated_at", "id"]
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["recipient_id", "updated_at", "id"],
        sqlite_where=sa.text(UNREAD),
        postgresql_where=sa.text(UNREAD),
    )
    op.create_index(
        "uq_notifications_unread_waiting",
        "notifications",
        ["candidate_id", "recipient_id"],
        unique=True,
        sqlite_where=sa.text(UNREAD_WAITING),
        postgresql_where=sa.text(UNREAD_WAITING),
    )


def downgrade() -> None:
    """Drop the notifications table."""
    op.drop_index("uq_notifications_unread_waiting", table_name="notifications")
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_index("ix_notifications_recipient_updated", table_name="notifications")
    op.drop_table("notifications")
