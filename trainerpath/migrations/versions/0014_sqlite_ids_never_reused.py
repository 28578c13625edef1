"""On SQLite, ids of deletable rows are never handed out again (AUTOINCREMENT).

SQLite gives a new row the highest id in use plus one, so deleting the newest evidence
item (or attachment) and then adding one, by anyone, reused its id: an old notification,
audit entry or link then named someone else's item. AUTOINCREMENT keeps the highest id
ever used. PostgreSQL's sequences never reuse an id, so nothing changes there.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The tables whose rows the app deletes (evidence items, their attachments), with how
# the audit trail names their rows: "<slug>/<id>", "<slug>/<item>/attachments/<id>".
TABLES = {
    "teaching_sessions": "teaching-sessions/",
    "assessment_attempts": "assessments/",
    "credentials": "credentials/",
    "experience_periods": "experience/",
    "milestones": "milestones/",
    "attachments": "/attachments/",
}


def _highest_named(table: str) -> int:
    """The highest id of ``table`` the audit trail names: every row added is audited, so
    a row deleted before this migration is found there."""
    mark = TABLES[table]
    if table == "attachments":
        where, start = "instr(subject, :mark) > 0", "instr(subject, :mark) + length(:mark)"
    else:
        where = "subject LIKE :mark || '%' AND instr(substr(subject, length(:mark) + 1), '/') = 0"
        start = "length(:mark) + 1"
    found = op.get_bind().execute(
        sa.text(
            f"SELECT max(CAST(substr(subject, {start}) AS INTEGER)) FROM audit_log WHERE {where}"
        ),
        {"mark": mark},
    )
    return int(found.scalar() or 0)


def _remember_highest(table: str) -> None:
    """Start the table's AUTOINCREMENT after every id it ever handed out."""
    bind, highest = op.get_bind(), _highest_named(table)
    kept = bind.execute(
        sa.text("UPDATE sqlite_sequence SET seq = max(seq, :n) WHERE name = :t"),
        {"n": highest, "t": table},
    )
    if kept.rowcount == 0 and highest:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
            {"n": highest, "t": table},
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
    """Rebuild the tables with AUTOINCREMENT ids (SQLite only), starting after the ids
    used before, deleted rows' too."""
    _rebuild(True)
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _remember_highest(table)


def downgrade() -> None:
    """Rebuild them with plain rowid ids (SQLite only)."""
    _rebuild(False)
