"""On SQLite, ids of deletable rows are never handed out again (AUTOINCREMENT).

SQLite gives a new row the highest id in use plus one, so deleting the newest evidence
item (or attachment) and then adding one, by anyone, reused its id: an old notification,
audit entry or link then named someone else's item. AUTOINCREMENT keeps the highest id
ever used. PostgreSQL's sequences never reuse an id, so nothing changes there.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The tables whose rows the app deletes (evidence items, their attachments).
TABLES = (
    "teaching_sessions",
    "assessment_attempts",
    "credentials",
    "experience_periods",
    "milestones",
    "attachments",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        # Batch mode copies the table with its rows, indexes and named constraints.
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    """Rebuild the tables with AUTOINCREMENT ids (SQLite only)."""
    _rebuild(True)


def downgrade() -> None:
    """Rebuild them with plain rowid ids (SQLite only)."""
    _rebuild(False)
