"""Row locks that make writers about one candidate take turns (PostgreSQL).

On SQLite every writer already holds the database's write lock; there ``FOR NO KEY
UPDATE`` is left out by SQLAlchemy and this costs one plain SELECT.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import User


def lock_candidates(session: Session, candidate_ids: Iterable[int]) -> None:
    """Lock the candidates' user rows until the transaction ends, in id order (no deadlock).

    A transaction that waits here then reads what the other one committed.
    """
    ids = sorted(set(candidate_ids))
    if ids:
        session.execute(
            select(col(User.id))
            .where(col(User.id).in_(ids))
            .order_by(col(User.id))
            .with_for_update(key_share=True)
        )
