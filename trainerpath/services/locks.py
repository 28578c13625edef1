"""Row locks that make writers about one candidate take turns (PostgreSQL).

On SQLite every writer already holds the database's write lock; there ``FOR NO KEY
UPDATE`` is left out by SQLAlchemy and this costs one plain SELECT. A transaction locks
each candidate once: logging an item locks for the notification, its settling and the
standing, and the second and third time would only cost statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import User

HELD = "trainerpath.locked_candidates"  # session.info: (transaction, the ids it locked)


def _held(session: Session) -> set[int]:
    """The candidates the session's current transaction (or savepoint) has locked."""
    transaction: Any = session.get_nested_transaction() or session.get_transaction()
    held = session.info.get(HELD)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info[HELD] = held
    ids: set[int] = held[1]
    return ids


def lock_candidates(session: Session, candidate_ids: Iterable[int]) -> None:
    """Lock the candidates' user rows until the transaction ends, in id order (no deadlock).

    A transaction that waits here then reads what the other one committed. Account
    changes lock a mentor's row the same way (a role change against an assignment).
    """
    held = _held(session)
    ids = sorted(set(candidate_ids) - held)
    if ids:
        held.update(ids)
        session.execute(
            select(col(User.id))
            .where(col(User.id).in_(ids))
            .order_by(col(User.id))
            .with_for_update(key_share=True)
        )
